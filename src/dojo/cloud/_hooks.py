"""Where the local cloud plugs into moto — every patch in one place.

Each :class:`HookPoint` names a moto function, the parameters the replacement relies on, and
why it is patched. :func:`check_hooks` verifies them (and the moto attributes the pollers read)
against the installed moto; the test suite calls it, so a moto upgrade that moves a hook fails
loudly, naming the hook, instead of silently skipping deliveries.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._errors import HookBroken

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["ATTRIBUTES", "HOOKS", "HookPoint", "Patches", "check_hooks"]


@dataclass(frozen=True)
class HookPoint:
    """One moto function the local cloud replaces while a cloud runs."""

    module: str
    qualname: str
    params: tuple[str, ...]
    why: str

    @property
    def name(self) -> str:
        return f"{self.module}.{self.qualname}"

    def resolve(self) -> tuple[Any, str, Any]:
        """Return (owner object, attribute name, current function)."""
        owner: Any = importlib.import_module(self.module)
        *path, attr = self.qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        return (
            owner,
            attr,
            owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr),
        )

    def problem(self) -> str | None:
        """A description of what broke, or None if the hook still fits."""
        try:
            _, _, function = self.resolve()
        except (ImportError, AttributeError, KeyError) as exc:
            return f"moto hook {self.name} is missing ({exc!r}); it was patched to {self.why}"
        found = tuple(inspect.signature(function).parameters)
        if found[: len(self.params)] != self.params:
            return (
                f"moto hook {self.name} changed signature: expected parameters {self.params}, "
                f"found {found}; it is patched to {self.why}"
            )
        return None


HOOKS: tuple[HookPoint, ...] = (
    HookPoint(
        "moto.awslambda.models",
        "LambdaFunction._invoke_lambda",
        ("self", "event"),
        "run handlers in-process for every moto path the cloud does not own",
    ),
    HookPoint(
        "moto.awslambda.models",
        "LambdaBackend.invoke",
        ("self", "function_name", "qualifier", "body", "headers", "response_headers"),
        "own the Invoke API: sync runs, async queueing, alias routing, throttles",
    ),
    HookPoint(
        "moto.awslambda.models",
        "LambdaBackend.create_event_source_mapping",
        ("self", "spec"),
        "detach moto's inline triggers and start the cloud's pollers",
    ),
    HookPoint(
        "moto.s3.notifications",
        "_get_s3_event",
        ("event_name", "bucket", "key", "notification_id"),
        "build S3 event records as S3 does (key encoding, sequencer, identity)",
    ),
    HookPoint(
        "moto.s3.notifications",
        "_invoke_awslambda",
        ("account_id", "event_body", "fn_arn", "region_name"),
        "deliver S3 → Lambda as an asynchronous invocation",
    ),
    HookPoint(
        "moto.s3.notifications",
        "_send_sqs_message",
        ("account_id", "event_body", "queue_name", "region_name"),
        "record S3 → SQS deliveries in the trace",
    ),
    HookPoint(
        "moto.s3.notifications",
        "_send_sns_message",
        ("account_id", "event_body", "topic_arn", "region_name"),
        "record S3 → SNS deliveries in the trace",
    ),
    HookPoint(
        "moto.sns.models",
        "Subscription.publish",
        (
            "self",
            "message",
            "message_id",
            "subject",
            "message_attributes",
            "group_id",
            "deduplication_id",
            "message_structure",
        ),
        "deliver SNS → Lambda asynchronously with a real event, trace every subscription",
    ),
    HookPoint(
        "moto.events.models",
        "Rule.send_to_targets",
        ("self", "original_event", "transform_input"),
        "skip DISABLED rules, trace deliveries, and name unsupported targets",
    ),
)
"""Every moto function the local cloud patches."""

from ._hooks_edge import EDGE_HOOK_SPECS  # noqa: E402  (API Gateway and Cognito hooks)

HOOKS = HOOKS + tuple(HookPoint(*spec) for spec in EDGE_HOOK_SPECS)

from ._hooks_ii import ATTRIBUTES_II, HOOK_SPECS_II  # noqa: E402  (EventBridge, Scheduler, Step Functions)

HOOKS = HOOKS + tuple(HookPoint(*spec) for spec in HOOK_SPECS_II)

ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    (
        "moto.awslambda.models",
        "LambdaFunction",
        "code_bytes, code_sha_256, event_invoke_config, reserved_concurrency",
    ),
    ("moto.awslambda.models", "LambdaBackend", "_event_source_mappings"),
    ("moto.sqs.models", "Message", "visible_at, delayed_until, visible, delayed"),
    ("moto.sqs.models", "Queue", "_messages, pending_messages, lambda_event_source_mappings"),
    ("moto.dynamodb.models.table", "StreamShard", "items"),
    ("moto.dynamodb.models.table", "Table", "stream_shard, lambda_event_source_mappings"),
    ("moto.kinesis.models", "Shard", "records"),
    ("moto.kinesis.models", "Stream", "shards, lambda_event_source_mappings"),
)
"""moto model attributes the pollers and runtime read (checked by source inspection)."""
ATTRIBUTES = ATTRIBUTES + ATTRIBUTES_II


def check_hooks() -> list[str]:
    """Return one message per hook or attribute that no longer fits the installed moto."""
    problems = [p for p in (hook.problem() for hook in HOOKS) if p]
    for module_name, class_name, attributes in ATTRIBUTES:
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
            source = inspect.getsource(cls)
        except (ImportError, AttributeError, OSError) as exc:
            problems.append(f"moto class {module_name}.{class_name} is missing ({exc!r})")
            continue
        for attribute in (a.strip() for a in attributes.split(",")):
            if f"self.{attribute}" not in source and f"def {attribute}" not in source:
                problems.append(
                    f"moto attribute {module_name}.{class_name}.{attribute} is gone; "
                    "the local cloud reads it"
                )
    return problems


class Patches:
    """Installs the replacements for one cloud and removes them again."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._saved: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        problems = [p for p in (hook.problem() for hook in HOOKS) if p]
        if problems:
            raise HookBroken("; ".join(problems))
        replacements = self._replacements()
        for hook in HOOKS:
            owner, attr, original = hook.resolve()
            self._saved.append((owner, attr, original))
            setattr(owner, attr, replacements[hook.qualname](original))

    def uninstall(self) -> None:
        while self._saved:
            owner, attr, original = self._saved.pop()
            setattr(owner, attr, original)

    def _replacements(self) -> dict[str, Callable[[Any], Any]]:
        cloud = self.cloud
        from ._hooks_edge import edge_replacements
        from ._hooks_ii import replacements_ii

        def invoke_lambda(original: Any) -> Any:
            def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
                return cloud.lambda_.moto_invoke(self, event)

            return _invoke_lambda

        def backend_invoke(original: Any) -> Any:
            def invoke(
                self: Any,
                function_name: str,
                qualifier: str | None,
                body: Any,
                headers: Any,
                response_headers: Any,
            ) -> Any:
                return cloud.lambda_.api_invoke(
                    self, function_name, qualifier, body, headers, response_headers
                )

            return invoke

        def create_esm(original: Any) -> Any:
            def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
                from ._esm import check_supported, detach_from_moto

                check_supported(spec)
                esm = original(self, spec)
                detach_from_moto(esm)
                cloud.mappings.register(esm)
                return esm

            return create_event_source_mapping

        def s3_event(original: Any) -> Any:
            def _get_s3_event(
                event_name: str, bucket: Any, key: Any, notification_id: str
            ) -> dict[str, Any]:
                return cloud.notifications.s3_event(event_name, bucket, key, notification_id)

            return _get_s3_event

        def s3_lambda(original: Any) -> Any:
            def _invoke_awslambda(
                account_id: str, event_body: Any, fn_arn: str, region_name: str
            ) -> None:
                cloud.notifications.s3_to_lambda(account_id, event_body, fn_arn, region_name)

            return _invoke_awslambda

        def s3_forward(original: Any) -> Any:
            def forward(account_id: str, event_body: Any, target: str, region_name: str) -> None:
                cloud.notifications.s3_to_queue_or_topic(
                    original, account_id, event_body, target, region_name
                )

            return forward

        def sns_publish(original: Any) -> Any:
            def publish(
                self: Any,
                message: str,
                message_id: str,
                subject: str | None = None,
                message_attributes: dict[str, Any] | None = None,
                group_id: str | None = None,
                deduplication_id: str | None = None,
                message_structure: str | None = None,
            ) -> None:
                cloud.notifications.sns_publish(
                    original,
                    self,
                    message,
                    message_id,
                    subject,
                    message_attributes,
                    group_id,
                    deduplication_id,
                    message_structure,
                )

            return publish

        def send_to_targets(original: Any) -> Any:
            def send(self: Any, original_event: Any, transform_input: bool = True) -> None:
                cloud.notifications.send_to_targets(original, self, original_event, transform_input)

            return send

        return {
            "LambdaFunction._invoke_lambda": invoke_lambda,
            "LambdaBackend.invoke": backend_invoke,
            "LambdaBackend.create_event_source_mapping": create_esm,
            "_get_s3_event": s3_event,
            "_invoke_awslambda": s3_lambda,
            "_send_sqs_message": s3_forward,
            "_send_sns_message": s3_forward,
            "Subscription.publish": sns_publish,
            "Rule.send_to_targets": send_to_targets,
            **edge_replacements(cloud),
            **replacements_ii(cloud),
        }
