"""EventBridge Scheduler: schedules fire on the fake clock (moto stores them and never fires).

``cloud.scheduler`` is a clock poller. For every ENABLED schedule it works out the next fire time
from the expression (``at()``, ``rate()``, ``cron()``), the ``ScheduleExpressionTimezone``,
``StartDate`` and ``EndDate``; a ``FLEXIBLE`` window adds a seeded delay within
``MaximumWindowInMinutes``. At that time the target gets the schedule's ``Input`` (context
attributes such as ``<aws.scheduler.scheduled-time>`` filled in): Lambda as an asynchronous
invocation, SQS, SNS, Step Functions and EventBridge ``PutEvents`` as templated targets do.
``ActionAfterCompletion: DELETE`` removes a schedule after its last invocation.

Deviation: a one-time ``at()`` schedule whose time is already past when the cloud first sees it
fires at once.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._deliver import parse_arn, short_name
from ._errors import LocalCloudGap
from ._schedule_expr import ScheduleError
from ._schedule_expr import parse as parse_schedule

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["SchedulerService"]

_EPS = 1e-6  # due within a microsecond counts as due (see dojo.cloud._clock)


def _stamp(value: Any) -> float | None:
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.timestamp()
    text = str(value).replace("Z", "+00:00")
    try:
        return float(text)
    except ValueError:
        parsed = dt.datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


class SchedulerService:
    """Fires EventBridge Scheduler schedules on the fake clock (``cloud.scheduler``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        # arn -> (signature, nominal time, fire time, attempt counter)
        self._state: dict[str, tuple[tuple[Any, ...], float | None, float | None]] = {}
        cloud.clock.add_poller(self)

    # -- validation (create_schedule / update_schedule hook) ---------------------------------
    @staticmethod
    def validate(params: dict[str, Any]) -> None:
        """Reject what AWS rejects and moto accepts (bad expressions, zones, windows)."""
        from moto.scheduler.exceptions import ValidationException

        try:
            parse_schedule(params.get("schedule_expression") or "", allow_at=True)
        except ScheduleError as exc:
            raise ValidationException(f"Invalid Schedule Expression {exc}") from None
        zone = params.get("schedule_expression_timezone")
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValidationException(f"Invalid time zone {zone!r}.") from None
        window = params.get("flexible_time_window") or {}
        mode = window.get("Mode")
        if mode not in ("OFF", "FLEXIBLE"):
            raise ValidationException("FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.")
        minutes = window.get("MaximumWindowInMinutes")
        if mode == "FLEXIBLE" and not (minutes is not None and 1 <= int(minutes) <= 1440):
            raise ValidationException(
                "FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when Mode is FLEXIBLE."
            )

    # -- moto's schedules ------------------------------------------------------------------------
    @staticmethod
    def _schedules() -> list[tuple[Any, Any, Any]]:
        from moto.scheduler.models import scheduler_backends

        found = []
        for regions in list(scheduler_backends.values()):
            for backend in list(regions.values()):
                for group in list(backend.schedule_groups.values()):
                    for schedule in list(group.schedules.values()):
                        found.append((backend, group, schedule))
        return found

    @staticmethod
    def _signature(schedule: Any) -> tuple[Any, ...]:
        window = schedule.flexible_time_window or {}
        return (
            schedule.schedule_expression,
            schedule.schedule_expression_timezone,
            str(schedule.start_date),
            str(schedule.end_date),
            schedule.state,
            window.get("Mode"),
            window.get("MaximumWindowInMinutes"),
        )

    def _nominal(self, schedule: Any, after: float, anchor: float) -> float | None:
        expr = parse_schedule(schedule.schedule_expression, allow_at=True)
        tz = schedule.schedule_expression_timezone or "UTC"
        start = _stamp(schedule.start_date)
        end = _stamp(schedule.end_date)
        if expr.kind == "at":
            when = expr.next_after(float("-inf"), tz=tz)
            return None if when is None else max(when, after)  # past at first sight: now
        if start is not None and after < start:
            after = start - 1e-6
        if expr.kind == "rate":
            when = expr.next_after(after, anchor=start if start is not None else anchor)
        else:
            when = expr.next_after(after, tz=tz)
        if when is None or (end is not None and when > end):
            return None
        return when

    def _fire_time(self, schedule: Any, nominal: float) -> float:
        window = schedule.flexible_time_window or {}
        if window.get("Mode") != "FLEXIBLE":
            return nominal
        span = float(window.get("MaximumWindowInMinutes") or 0) * 60.0
        rng = random.Random(f"{self.cloud.seed}:{schedule.arn}:{nominal}")
        return nominal + rng.uniform(0.0, span)

    def _sync(self, now: float) -> list[tuple[float, Any, Any, Any]]:
        due = []
        seen = set()
        for backend, group, schedule in self._schedules():
            seen.add(schedule.arn)
            if schedule.state != "ENABLED":
                continue
            signature = self._signature(schedule)
            state = self._state.get(schedule.arn)
            if state is None or state[0] != signature:
                nominal = self._nominal(schedule, now, now)
                fire = self._fire_time(schedule, nominal) if nominal is not None else None
                state = (signature, nominal, fire)
                self._state[schedule.arn] = state
            if state[2] is not None:
                due.append((state[2], backend, group, schedule))
            elif schedule.action_after_completion == "DELETE":
                group.schedules.pop(schedule.name, None)  # no more invocations
        for arn in set(self._state) - seen:
            del self._state[arn]
        return sorted(due, key=lambda entry: (entry[0], entry[3].arn))

    # -- poller ------------------------------------------------------------------------------
    def next_wakeup(self, now: float) -> float | None:
        times = [when for when, *_ in self._sync(now) if when > now + _EPS]
        return min(times) if times else None

    def poll(self, now: float) -> bool:
        fired = False
        for when, _backend, group, schedule in self._sync(now):
            if when > now + _EPS:
                continue
            signature, nominal, _ = self._state[schedule.arn]
            assert nominal is not None
            self._invoke(schedule, nominal)
            fired = True
            expr = parse_schedule(schedule.schedule_expression, allow_at=True)
            following = None if expr.kind == "at" else self._nominal(schedule, nominal, nominal)
            fire = self._fire_time(schedule, following) if following is not None else None
            self._state[schedule.arn] = (signature, following, fire)
            if following is None and schedule.action_after_completion == "DELETE":
                group.schedules.pop(schedule.name, None)
                self.cloud.trace.record(
                    f"scheduler:{schedule.name}",
                    "scheduler:delete",
                    "delivery",
                    "ActionAfterCompletion DELETE",
                    "ok",
                )
        return fired

    def _invoke(self, schedule: Any, nominal: float) -> None:
        target = schedule.target or {}
        arn = target.get("Arn", "")
        scheduled_time = dt.datetime.fromtimestamp(nominal, tz=dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        text = str(target.get("Input") if target.get("Input") is not None else "{}")
        for name, value in (
            ("aws.scheduler.schedule-arn", schedule.arn),
            ("aws.scheduler.scheduled-time", scheduled_time),
            ("aws.scheduler.execution-id", self.cloud.new_uuid()),
            ("aws.scheduler.attempt-number", "1"),
        ):
            text = text.replace(f"<{name}>", value)
        source = f"scheduler:{schedule.name}"
        info = parse_arn(arn)
        service, region = info["service"], info["region"]
        label = f"{service}:{short_name(arn)}"
        try:
            if service == "lambda":
                self.cloud.lambda_.enqueue_arn(arn, text, source=source)
            elif service == "sqs":
                url = f"https://sqs.{region}.amazonaws.com/{info['account']}/{info['resource']}"
                kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": text}
                group = (target.get("SqsParameters") or {}).get("MessageGroupId")
                if group:
                    kwargs["MessageGroupId"] = group
                    kwargs["MessageDeduplicationId"] = f"{schedule.name}-{nominal:.0f}"
                self.cloud.deliverer.client("sqs", region).send_message(**kwargs)
            elif service == "sns":
                self.cloud.deliverer.client("sns", region).publish(TopicArn=arn, Message=text)
            elif service == "states":
                self.cloud.deliverer.client("stepfunctions", region).start_execution(
                    stateMachineArn=arn, input=text
                )
            elif service == "events":
                params = target.get("EventBridgeParameters") or {}
                self.cloud.deliverer.client("events", region).put_events(
                    Entries=[
                        {
                            "Source": params.get("Source", "scheduler"),
                            "DetailType": params.get("DetailType", "Scheduled Event"),
                            "Detail": text,
                            "EventBusName": arn,
                        }
                    ]
                )
            else:
                gap = LocalCloudGap(
                    f"EventBridge Scheduler schedule {schedule.name!r} invoking {arn}",
                    hint="Supported targets: Lambda, SQS, SNS, Step Functions and EventBridge.",
                )
                self.cloud.trace.record(
                    source, label, "delivery", "target not supported", "dropped"
                )
                self.cloud.gaps.append(gap)
                return
        except Exception as exc:
            self.cloud.trace.record(
                source, label, "delivery", f"{scheduled_time}: {exc}", "error", error=str(exc)
            )
            return
        self.cloud.trace.record(source, label, "delivery", f"scheduled {scheduled_time}", "ok")

    def __repr__(self) -> str:
        return "<EventBridge Scheduler>"
