"""botocore event hooks: chaos, throttles, strict validation and the API-call trace.

The handlers are added to ``botocore.handlers.BUILTIN_HANDLERS`` (the mechanism moto itself uses),
so every botocore session created afterwards — ``boto3.client(...)``, ``cloud.client(...)`` and
clients inside handlers — carries them; ``mock_aws`` resets boto3's default session on start, so
plain ``boto3.client()`` inside a cloud always has them. They do nothing while no cloud runs.
Sessions created before the first cloud started (and before ``dojo.cloud`` registered the
handlers) are not covered.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore import handlers as botocore_handlers
from botocore.awsrequest import AWSResponse

from ._active import active, current_invocation, stash_qualifier
from ._deadline import sim_sleep
from ._deliver import INTERNAL_MARK
from ._lambda import caller

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["ApiGate", "register_handlers"]

_THROTTLE_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestThrottled",
    "Throttled",
    "SlowDown",
    "RequestLimitExceeded",
}
_SUMMARY_KEYS = (
    "FunctionName",
    "TableName",
    "Bucket",
    "Key",
    "QueueUrl",
    "TopicArn",
    "StreamName",
    "Name",
)
_STRICT_RUNTIMES = ("python3.11", "python3.12", "python3.13")
_registered = False


def _internal(context: dict[str, Any] | None) -> bool:
    config = (context or {}).get("client_config")
    return bool(
        config is not None and INTERNAL_MARK in (getattr(config, "user_agent_extra", None) or "")
    )


def _before_parameter_build(
    params: dict[str, Any], model: Any, context: dict[str, Any] | None = None, **_: Any
) -> None:
    cloud = active()
    if context is None or cloud is None or "dojo_params" in context:
        return  # "dojo_params" set: registered twice on this client, already handled
    context["dojo_params"] = dict(params)
    if model.name == "ReceiveMessage" and model.service_model.service_name == "sqs":
        # moto long-polls on the wall clock via time.time(), which the frozen fake clock never
        # moves: it would hang. The cloud waits on the fake clock instead (ApiGate.long_poll).
        context["dojo_long_poll"] = params.get("WaitTimeSeconds")
        if not _internal(context):
            params["WaitTimeSeconds"] = 0


def _before_call(model: Any, context: dict[str, Any] | None = None, **_: Any) -> Any:
    cloud = active()
    if cloud is None or context is None or _internal(context) or "dojo_t0" in context:
        return None  # "dojo_t0" set: registered twice on this client, already handled
    return cloud.api_gate.before_call(model, context)


def _after_call(
    http_response: Any,
    parsed: dict[str, Any],
    model: Any,
    context: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    cloud = active()
    if cloud is None or context is None or _internal(context) or "dojo_t0" not in context:
        return
    if context.get("dojo_after"):
        return
    context["dojo_after"] = True
    cloud.api_gate.after_call(http_response, parsed, model, context)


_HANDLERS = (
    ("before-parameter-build", _before_parameter_build),
    ("before-call", _before_call),
    ("after-call", _after_call),
)


def register_handlers(session: Any = None) -> None:
    """Add the hooks to botocore's built-in handlers, once per process.

    Args:
        session: A boto3 session that exists at that moment (usually ``boto3.DEFAULT_SESSION``)
            and so predates the hooks; clients it creates from now on carry them too. Sessions
            created later get them from the built-in handlers.
    """
    global _registered
    if _registered:
        return
    botocore_handlers.BUILTIN_HANDLERS.extend(_HANDLERS)
    _registered = True
    if session is not None:
        for event, handler in _HANDLERS:
            session.events.register(event, handler, unique_id=f"dojo-cloud-{event}")


def error_response(
    code: str, message: str, status: int, **extra: Any
) -> tuple[AWSResponse, dict[str, Any]]:
    """An (http, parsed) pair that botocore turns into ``ClientError(code)``."""
    http = AWSResponse("https://dojo.local/", status, {}, None)
    parsed: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
        **extra,
    }
    return http, parsed


class ApiGate:
    """Per-cloud logic behind the botocore hooks (``cloud.api_gate``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    def before_call(self, model: Any, context: dict[str, Any]) -> Any:
        service = model.service_model.service_name
        operation = model.name
        params = context.get("dojo_params", {})
        context["dojo_t0"] = time.perf_counter()
        context["dojo_hop"] = self.cloud.trace.record(
            caller(), f"{service}:{operation}", "api", "", "ok"
        )
        if (
            self.cloud.strict
            and service == "lambda"
            and operation in ("CreateFunction", "UpdateFunctionConfiguration")
        ):
            problem = self._strict_problem(params)
            if problem:
                context["dojo_note"] = "strict validation"
                return error_response("InvalidParameterValueException", problem, 400)
        if service == "lambda" and operation == "Invoke":
            stash_qualifier(params.get("Qualifier"))
        if service == "sqs" and operation == "ReceiveMessage":
            self.long_poll(str(params.get("QueueUrl", "")), context.get("dojo_long_poll"))
        invocation_caller = caller()
        fault = self.cloud.chaos.api_fault(
            service,
            operation,
            invocation_caller.partition(":")[2] or None,
            context.get("client_region") or self.cloud.region,
        )
        if fault is not None:
            context["dojo_note"] = f"chaos {fault.kind}"
            return error_response(fault.error, fault.message, fault.status)
        if (
            service == "lambda"
            and operation == "Invoke"
            and params.get("InvocationType", "RequestResponse") == "RequestResponse"
        ):
            reason = self.cloud.lambda_.admission(
                str(params.get("FunctionName", "")),
                params.get("Qualifier"),
                context.get("client_region") or self.cloud.region,
            )
            if reason:
                context["dojo_note"] = reason
                return error_response(
                    "TooManyRequestsException", "Rate Exceeded.", 429, Reason=reason, Type="User"
                )
        return None

    def long_poll(self, queue_url: str, wait: Any) -> None:
        """Wait on the fake clock (up to ``wait`` or the queue's ReceiveMessageWaitTimeSeconds)
        until a message is visible; due work runs meanwhile, unless called from a handler."""
        from moto.sqs.models import sqs_backends

        parts = queue_url.rstrip("/").split("/")
        if len(parts) < 2:
            return
        account, name = parts[-2], parts[-1]
        region = next((p.split(".")[1] for p in parts if p.startswith("sqs.")), self.cloud.region)
        queue = sqs_backends[account][region].queues.get(name)
        if queue is None:
            return
        default = vars(queue).get("receive_message_wait_time_seconds") or 0
        remaining = float(wait if wait is not None else default)
        inside_handler = current_invocation() is not None
        while remaining > 0 and not any(m.visible and not m.delayed for m in queue._messages):
            step = min(1.0, remaining)
            if inside_handler:
                sim_sleep(step)
            else:
                self.cloud.clock.advance(step)
            remaining -= step

    @staticmethod
    def _strict_problem(params: dict[str, Any]) -> str | None:
        timeout = params.get("Timeout")
        if timeout is not None and not 1 <= int(timeout) <= 900:
            return f"Timeout {timeout} is outside 1-900 seconds."
        memory = params.get("MemorySize")
        if memory is not None and not 128 <= int(memory) <= 10240:
            return f"MemorySize {memory} is outside 128-10240 MB."
        storage = (params.get("EphemeralStorage") or {}).get("Size")
        if storage is not None and not 512 <= int(storage) <= 10240:
            return f"EphemeralStorage {storage} is outside 512-10240 MB."
        runtime = params.get("Runtime")
        if runtime is not None and runtime not in _STRICT_RUNTIMES:
            allowed = ", ".join(_STRICT_RUNTIMES)
            return f"Runtime {runtime!r} is not allowed in this course; use one of {allowed}."
        return None

    def after_call(
        self, http_response: Any, parsed: dict[str, Any], model: Any, context: dict[str, Any]
    ) -> None:
        service = model.service_model.service_name
        operation = model.name
        params = context.get("dojo_params", {})
        status = getattr(http_response, "status_code", 200) or 200
        code = (parsed.get("Error") or {}).get("Code") if status >= 300 else None
        if status < 300:
            outcome = "ok"
        elif code in _THROTTLE_CODES:
            outcome = "throttled"
        else:
            outcome = "error"
        summary = " ".join(
            f"{k}={params[k]}" for k in _SUMMARY_KEYS if k in params and isinstance(params[k], str)
        )
        if code:
            summary = f"{summary} -> {code}".strip()
        detail: dict[str, Any] = {}
        if "dojo_note" in context:
            detail["note"] = context["dojo_note"]
        self.cloud.trace.update(
            context["dojo_hop"],
            summary=summary,
            outcome=outcome,
            duration_ms=round((time.perf_counter() - context["dojo_t0"]) * 1000.0, 3),
            detail=detail,
        )
        if service == "lambda" and status < 300:
            self._dead_letter(operation, params, parsed, context)

    def _dead_letter(
        self,
        operation: str,
        params: dict[str, Any],
        parsed: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        """moto does not store DeadLetterConfig; the cloud keeps it and shows it in responses."""
        name = str(params.get("FunctionName", ""))
        if not name:
            return
        from ._lambda import split_function

        function_name = split_function(name)[0]
        region = context.get("client_region") or self.cloud.region
        if name.startswith("arn:"):
            region = name.split(":")[3]
        key = (self.cloud.account_id, region, function_name)
        if (
            operation in ("CreateFunction", "UpdateFunctionConfiguration")
            and "DeadLetterConfig" in params
        ):
            self.cloud.lambda_.dead_letter[key] = (params["DeadLetterConfig"] or {}).get(
                "TargetArn"
            ) or None
        if operation == "DeleteFunction":
            self.cloud.lambda_.dead_letter.pop(key, None)
        target = self.cloud.lambda_.dead_letter.get(key)
        if target and operation in (
            "CreateFunction",
            "UpdateFunctionConfiguration",
            "GetFunctionConfiguration",
        ):
            parsed["DeadLetterConfig"] = {"TargetArn": target}
        elif (
            target and operation == "GetFunction" and isinstance(parsed.get("Configuration"), dict)
        ):
            parsed["Configuration"]["DeadLetterConfig"] = {"TargetArn": target}
