"""moto hook points for Local cloud II: EventBridge, EventBridge Scheduler and Step Functions.

Declared as (module, qualname, parameters, why) specs that :mod:`dojo.cloud._hooks` turns into
:class:`~dojo.cloud._hooks.HookPoint` entries, so :func:`~dojo.cloud.check_hooks`
verifies them against the installed moto and :class:`~dojo.cloud._hooks.Patches` installs them.
DynamoDB TTL and the schedule executors need no hook: they are clock pollers that read moto's
models (listed in :data:`ATTRIBUTES_II`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["ATTRIBUTES_II", "HOOK_SPECS_II", "replacements_ii"]

_SFN = "moto.stepfunctions.parser.models"

HOOK_SPECS_II: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "moto.events.models",
        "EventsBackend.put_targets",
        ("self", "name", "event_bus_arn", "targets"),
        "refuse more than 5 targets per rule (LimitExceededException), as AWS does",
    ),
    (
        "moto.events.models",
        "EventsBackend.put_events",
        ("self", "events"),
        "refuse PutEvents requests over 256 KB, as AWS does",
    ),
    (
        "moto.events.models",
        "EventsBackend.put_rule",
        (
            "self",
            "name",
            "description",
            "event_bus_arn",
            "event_pattern",
            "role_arn",
            "scheduled_expression",
            "state",
        ),
        "validate rate()/cron() schedule expressions with AWS's rules",
    ),
    (
        "moto.events.responses",
        "EventsHandler.test_event_pattern",
        ("self",),
        "answer TestEventPattern (moto returns no Result)",
    ),
    (
        "moto.events.models",
        "Replay.replay_events",
        ("self", "archive"),
        "run replays on the fake clock, shuffled with the seeded RNG",
    ),
    (
        "moto.scheduler.models",
        "EventBridgeSchedulerBackend.create_schedule",
        (
            "self",
            "description",
            "end_date",
            "flexible_time_window",
            "group_name",
            "kms_key_arn",
            "name",
            "schedule_expression",
            "schedule_expression_timezone",
        ),
        "validate Scheduler expressions, time zones and flexible windows",
    ),
    (
        "moto.scheduler.models",
        "EventBridgeSchedulerBackend.update_schedule",
        (
            "self",
            "description",
            "end_date",
            "flexible_time_window",
            "group_name",
            "kms_key_arn",
            "name",
            "schedule_expression",
            "schedule_expression_timezone",
        ),
        "validate Scheduler expressions on update too",
    ),
    (
        _SFN,
        "StepFunctionsParserBackend.start_execution",
        ("self", "state_machine_arn", "name", "execution_input"),
        "run executions in the cloud's deterministic ASL interpreter on the fake clock",
    ),
    (
        _SFN,
        "StepFunctionsParserBackend.send_task_success",
        ("self", "task_token", "outcome"),
        "resume .waitForTaskToken tasks in the cloud's interpreter",
    ),
    (
        _SFN,
        "StepFunctionsParserBackend.send_task_failure",
        ("self", "task_token", "error", "cause"),
        "fail .waitForTaskToken tasks in the cloud's interpreter",
    ),
    (
        _SFN,
        "StepFunctionsParserBackend.send_task_heartbeat",
        ("self", "task_token"),
        "accept heartbeats for .waitForTaskToken tasks",
    ),
    (
        _SFN,
        "StepFunctionsParserBackend.get_execution_history",
        ("self", "execution_arn"),
        "return the history the cloud's interpreter recorded",
    ),
    (
        "moto.stepfunctions.responses",
        "StepFunctionResponse.send_task_failure",
        ("self",),
        "pass SendTaskFailure's cause on (moto drops it)",
    ),
)
"""moto functions Local cloud II patches."""

ATTRIBUTES_II: tuple[tuple[str, str, str], ...] = (
    ("moto.events.models", "Rule", "scheduled_expression, state, targets, event_pattern"),
    ("moto.events.models", "EventsBackend", "event_buses, _normalize_event_bus_arn"),
    ("moto.scheduler.models", "Schedule", "schedule_expression, flexible_time_window, target"),
    ("moto.scheduler.models", "EventBridgeSchedulerBackend", "schedule_groups"),
    ("moto.dynamodb.models.table", "Table", "ttl, stream_shard, range_key_attr"),
    ("moto.stepfunctions.models", "StateMachine", "executions, definition"),
)
"""moto model attributes the Part II pollers read."""


def replacements_ii(cloud: LocalCloud) -> dict[str, Callable[[Any], Any]]:
    """Replacement factories (qualname → factory(original) → replacement)."""

    def put_targets(original: Any) -> Any:
        def replacement(self: Any, name: str, event_bus_arn: Any, targets: Any) -> None:
            cloud.events.check_put_targets(self, name, event_bus_arn, targets)
            original(self, name, event_bus_arn, targets)

        return replacement

    def put_events(original: Any) -> Any:
        def replacement(self: Any, events: Any) -> Any:
            cloud.events.check_put_events(events)
            return original(self, events)

        return replacement

    def put_rule(original: Any) -> Any:
        def replacement(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            expression = kwargs.get("scheduled_expression")
            if expression is None and len(args) >= 5:
                expression = args[4]
            cloud.events.check_schedule(expression)
            return original(self, name, *args, **kwargs)

        return replacement

    def test_event_pattern(original: Any) -> Any:
        def replacement(self: Any) -> Any:
            import json

            result = cloud.events.test_event_pattern(
                self._get_param("EventPattern"), self._get_param("Event")
            )
            return json.dumps({"Result": result})

        return replacement

    def replay_events(original: Any) -> Any:
        def replacement(self: Any, archive: Any) -> None:
            cloud.events.replay(original, self, archive)

        return replacement

    def create_schedule(original: Any) -> Any:
        def replacement(self: Any, **kwargs: Any) -> Any:
            cloud.scheduler.validate(kwargs)
            return original(self, **kwargs)

        return replacement

    def sfn_start(original: Any) -> Any:
        def replacement(
            self: Any,
            state_machine_arn: str,
            name: Any = None,
            execution_input: Any = None,
            trace_header: Any = None,
        ) -> Any:
            return cloud.stepfunctions.start_execution(
                self, state_machine_arn, name, execution_input
            )

        return replacement

    def sfn_success(original: Any) -> Any:
        def replacement(self: Any, task_token: str, outcome: str) -> Any:
            cloud.stepfunctions.send_task_success(task_token, outcome)

        return replacement

    def sfn_failure(original: Any) -> Any:
        def replacement(self: Any, task_token: str, error: Any = None, cause: Any = None) -> Any:
            cloud.stepfunctions.send_task_failure(task_token, error, cause)

        return replacement

    def sfn_heartbeat(original: Any) -> Any:
        def replacement(self: Any, task_token: str) -> Any:
            cloud.stepfunctions.send_task_heartbeat(task_token)

        return replacement

    def sfn_history(original: Any) -> Any:
        def replacement(self: Any, execution_arn: str) -> Any:
            return cloud.stepfunctions.history(self, execution_arn)

        return replacement

    def sfn_failure_response(original: Any) -> Any:
        def replacement(self: Any) -> Any:
            from moto.core.responses import EmptyResult

            self.stepfunction_backend.send_task_failure(
                self._get_param("taskToken"),
                error=self._get_param("error"),
                cause=self._get_param("cause"),
            )
            return EmptyResult()

        return replacement

    return {
        "EventsBackend.put_targets": put_targets,
        "EventsBackend.put_events": put_events,
        "EventsBackend.put_rule": put_rule,
        "EventsHandler.test_event_pattern": test_event_pattern,
        "Replay.replay_events": replay_events,
        "EventBridgeSchedulerBackend.create_schedule": create_schedule,
        "EventBridgeSchedulerBackend.update_schedule": create_schedule,
        "StepFunctionsParserBackend.start_execution": sfn_start,
        "StepFunctionsParserBackend.send_task_success": sfn_success,
        "StepFunctionsParserBackend.send_task_failure": sfn_failure,
        "StepFunctionsParserBackend.send_task_heartbeat": sfn_heartbeat,
        "StepFunctionsParserBackend.get_execution_history": sfn_history,
        "StepFunctionResponse.send_task_failure": sfn_failure_response,
    }
