"""Invoking functions: version and alias resolution, sync invokes and the async invocation engine.

Asynchronous invocations (``InvocationType="Event"``, S3, SNS, destinations to Lambda) go on a
per-cloud event queue. Each attempt is scheduled on the fake clock: the first at once (delivered by
``run_until_idle``), retries after 60 s and then 120 s, as on AWS. The function's event invoke
config (``MaximumRetryAttempts``, ``MaximumEventAgeInSeconds``, ``DestinationConfig``) and its
dead-letter queue decide what happens after the last attempt.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._active import current_invocation, take_qualifier
from ._deliver import parse_arn
from ._runtime import InvocationResult, Throttled

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["AsyncEvent", "LambdaService"]

_RETRY_DELAYS = (60.0, 120.0)


def _backend(account: str, region: str) -> Any:
    from moto.awslambda.utils import get_backend

    return get_backend(account, region)


def caller() -> str:
    """Who is making the current call: ``lambda:<fn>`` inside a handler, else ``client``."""
    invocation = current_invocation()
    return f"lambda:{invocation.function_name}" if invocation is not None else "client"


def split_function(name_or_arn: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """``fn``, ``fn:alias``, or a (qualified) ARN → (name, qualifier)."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        name = parts[6]
        return name, (parts[7] if len(parts) > 7 else qualifier)
    if ":" in name_or_arn:
        name, _, q = name_or_arn.partition(":")
        return name, q
    return name_or_arn, qualifier


@dataclass
class AsyncEvent:
    """One event waiting for (or between) asynchronous invocation attempts."""

    request_id: str
    account: str
    region: str
    function_name: str
    qualifier: str | None
    payload: str
    source: str
    enqueued_at: float
    attempts: int = 0
    throttles: int = 0


class LambdaService:
    """Resolves functions and runs invocations for one cloud (``cloud.lambda_``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.dead_letter: dict[tuple[str, str, str], str | None] = {}
        self.pending: list[AsyncEvent] = []

    # -- resolution ------------------------------------------------------------------------
    def resolve(
        self, backend: Any, name_or_arn: str, qualifier: str | None = None
    ) -> tuple[Any, Any, str]:
        """Return (function to run, $LATEST function, invoked ARN), routing weighted aliases."""
        name, q = split_function(name_or_arn, qualifier)
        fn = backend.get_function(name, q)
        latest = backend.get_function(name)
        invoked_arn = f"{latest.function_arn}:{q}" if q else latest.function_arn
        if q and q != "$LATEST" and not q.isdigit():
            alias = backend.get_alias(q, name)
            routing = alias.routing_config or {}
            if isinstance(routing, str):
                routing = json.loads(routing)
            weights = routing.get("AdditionalVersionWeights") or {}
            if weights:
                draw = self.cloud.rng.random()
                total = 0.0
                for version, weight in sorted(weights.items()):
                    total += float(weight)
                    if draw < total:
                        fn = backend.get_function(name, str(version))
                        break
        return fn, latest, invoked_arn

    def admission(self, name_or_arn: str, qualifier: str | None, region: str) -> str | None:
        """Throttle reason for a synchronous invoke about to be made, or None."""
        name, q = split_function(name_or_arn, qualifier)
        account = (
            parse_arn(name_or_arn)["account"]
            if name_or_arn.startswith("arn:")
            else self.cloud.account_id
        )
        if name_or_arn.startswith("arn:"):
            region = parse_arn(name_or_arn)["region"]
        try:
            backend = _backend(account, region)
            fn = backend.get_function(name, q)
            latest = backend.get_function(name)
        except Exception:
            return None
        reason = self.cloud.runtime.throttle_reason(fn, latest)
        if reason:
            self.cloud.runtime._metrics(fn, Throttles=1.0)
        return reason

    def permission(self, fn_arn: str, principal: str, source_arn: str, source_account: str) -> Any:
        """Evaluate the function's resource policy for a service (strict mode's delivery check)."""
        from ._policy import PolicyDecision, evaluate_policy

        info = parse_arn(fn_arn)
        name, qualifier = split_function(fn_arn)
        backend = _backend(info["account"], info["region"])
        try:
            document = json.loads(backend.get_policy(name, qualifier))["Policy"]
        except Exception:  # moto raises when the function has no policy
            return PolicyDecision("ImplicitDeny", None, f"function {name} has no resource policy")
        latest = backend.get_function(name)
        context = {
            "Principal": principal,
            "aws:SourceArn": source_arn,
            "aws:SourceAccount": source_account,
        }
        decision = evaluate_policy(document, "lambda:InvokeFunction", latest.function_arn, context)
        if not decision and qualifier:
            decision = evaluate_policy(
                document, "lambda:InvokeFunction", f"{latest.function_arn}:{qualifier}", context
            )
        return decision

    # -- synchronous ---------------------------------------------------------------------------
    def api_invoke(
        self,
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        """Replacement for ``LambdaBackend.invoke`` (the Invoke API)."""
        stashed = take_qualifier()
        qualifier = qualifier or stashed
        invocation_type = (
            headers.get("X-Amz-Invocation-Type")
            or headers.get("x-amz-invocation-type")
            or "RequestResponse"
        )
        fn, latest, invoked_arn = self.resolve(backend, function_name, qualifier)
        payload = body.decode() if isinstance(body, bytes) else (body or "{}")
        if invocation_type == "DryRun":
            return b""
        if invocation_type == "Event":
            self.enqueue(
                backend.account_id,
                backend.region_name,
                latest.function_name,
                split_function(function_name, qualifier)[1],
                payload,
                source=caller(),
            )
            return b""
        try:
            result = self.cloud.runtime.invoke(
                fn, latest, payload, invoked_arn=invoked_arn, source=caller()
            )
        except Throttled as exc:
            from moto.core.exceptions import JsonRESTError

            error = JsonRESTError("TooManyRequestsException", "Rate Exceeded.")
            error.code = 429
            error.description = json.dumps(
                {
                    "__type": "TooManyRequestsException",
                    "Type": "User",
                    "message": "Rate Exceeded.",
                    "Reason": exc.reason,
                }
            )
            raise error from None
        response_headers["x-amz-executed-version"] = result.version
        if result.function_error:
            response_headers["x-amz-function-error"] = result.function_error
        response_headers["x-amz-log-result"] = result.log_tail
        response_headers["Content-Length"] = str(len(result.payload))
        return result.payload

    def moto_invoke(self, fn: Any, event: Any) -> tuple[str, bool, str]:
        """Replacement for ``LambdaFunction._invoke_lambda`` (moto paths the cloud does not own)."""
        latest = _backend(fn.account_id, fn.region).get_function(fn.function_name)
        payload = (
            event if isinstance(event, str) else json.dumps(event if event is not None else {})
        )
        try:
            result = self.cloud.runtime.invoke(
                fn, latest, payload, invoked_arn=fn.function_arn, source="moto"
            )
        except Throttled as exc:
            return (
                json.dumps({"errorType": "TooManyRequestsException", "errorMessage": str(exc)}),
                True,
                "",
            )
        return result.payload.decode(), not result.ok, result.log

    # -- asynchronous ------------------------------------------------------------------------
    def enqueue_arn(self, arn: str, payload: str, *, source: str) -> AsyncEvent | None:
        """Queue an asynchronous invocation of the function named by ``arn``."""
        info = parse_arn(arn)
        name, qualifier = split_function(arn)
        return self.enqueue(
            info["account"], info["region"], name, qualifier, payload, source=source
        )

    def enqueue(
        self,
        account: str,
        region: str,
        function_name: str,
        qualifier: str | None,
        payload: str,
        *,
        source: str,
    ) -> AsyncEvent | None:
        """Queue an asynchronous invocation; the first attempt is due now."""
        target = f"lambda:{function_name}"
        try:
            _backend(account, region).get_function(function_name, qualifier)
        except Exception as exc:
            self.cloud.trace.record(
                source, target, "async", f"function not found: {exc}", "dropped"
            )
            return None
        event = AsyncEvent(
            self.cloud.new_uuid(),
            account,
            region,
            function_name,
            qualifier,
            payload,
            source,
            self.cloud.clock.time(),
        )
        self.pending.append(event)
        self.cloud.trace.record(
            source, target, "async", "event queued", "ok", request_id=event.request_id
        )
        self.cloud.clock.call_at(
            event.enqueued_at, lambda: self._attempt(event), f"async {function_name}"
        )
        return event

    def _config(self, latest: Any) -> dict[str, Any]:
        configs = getattr(latest, "event_invoke_config", None) or []
        return dict(configs[-1].config) if configs else {}

    def _attempt(self, event: AsyncEvent) -> None:
        target = f"lambda:{event.function_name}"
        backend = _backend(event.account, event.region)
        try:
            fn, latest, invoked_arn = self.resolve(backend, event.function_name, event.qualifier)
        except Exception as exc:
            self._forget(event)
            self.cloud.trace.record(
                event.source, target, "async", f"function gone: {exc}", "dropped"
            )
            return
        config = self._config(latest)
        max_age = float(config.get("MaximumEventAgeInSeconds", 21600))
        max_retries = int(config.get("MaximumRetryAttempts", 2))
        now = self.cloud.clock.time()
        if now - event.enqueued_at > max_age:
            self._failed(event, latest, "EventAgeExceeded", None, config)
            return
        try:
            result = self.cloud.runtime.invoke(
                fn,
                latest,
                event.payload,
                invoked_arn=invoked_arn,
                source=event.source,
                kind="invoke",
                request_id=event.request_id,
            )
        except Throttled:
            event.throttles += 1
            delay = min(2.0**event.throttles, 300.0)
            self.cloud.clock.call_later(
                delay, lambda: self._attempt(event), f"async {event.function_name} (throttled)"
            )
            return
        event.attempts += 1
        if result.ok:
            if self.cloud.chaos.duplicated("async-invoke"):  # at-least-once: the same event again
                with contextlib.suppress(Throttled):
                    self.cloud.runtime.invoke(
                        fn,
                        latest,
                        event.payload,
                        invoked_arn=invoked_arn,
                        source=event.source,
                        request_id=event.request_id,
                    )
            self._succeeded(event, latest, result, config)
            return
        if event.attempts <= max_retries:
            delay = _RETRY_DELAYS[min(event.attempts - 1, len(_RETRY_DELAYS) - 1)]
            self.cloud.trace.record(
                event.source,
                target,
                "async",
                f"retry {event.attempts} of {max_retries} in {delay:.0f} s",
                "ok",
                request_id=event.request_id,
            )
            self.cloud.clock.call_later(
                delay, lambda: self._attempt(event), f"async {event.function_name} retry"
            )
            return
        self._failed(event, latest, "RetriesExhausted", result, config)

    def _forget(self, event: AsyncEvent) -> None:
        if event in self.pending:
            self.pending.remove(event)

    def _record(
        self, event: AsyncEvent, latest: Any, condition: str, result: InvocationResult | None
    ) -> dict[str, Any]:
        version = result.version if result else "$LATEST"
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": self.cloud.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": f"{latest.function_arn}:{event.qualifier or version}",
                "condition": condition,
                "approximateInvokeCount": event.attempts,
            },
            "requestPayload": _maybe_json(event.payload),
        }
        if result is not None:
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": result.version}
            if result.function_error:
                context["functionError"] = result.function_error
            record["responseContext"] = context
            record["responsePayload"] = _maybe_json(result.payload.decode())
        return record

    def _succeeded(
        self, event: AsyncEvent, latest: Any, result: InvocationResult, config: dict[str, Any]
    ) -> None:
        self._forget(event)
        destination = (
            (config.get("DestinationConfig") or {}).get("OnSuccess", {}).get("Destination")
        )
        if destination:
            self.cloud.deliverer.send(
                destination,
                self._record(event, latest, "Success", result),
                source=f"lambda:{event.function_name}",
                kind="destination",
                summary="OnSuccess destination record",
                detail_type="Lambda Function Invocation Result - Success",
            )

    def _failed(
        self,
        event: AsyncEvent,
        latest: Any,
        condition: str,
        result: InvocationResult | None,
        config: dict[str, Any],
    ) -> None:
        self._forget(event)
        source = f"lambda:{event.function_name}"
        delivered = False
        destination = (
            (config.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        )
        if destination:
            delivered = self.cloud.deliverer.send(
                destination,
                self._record(event, latest, condition, result),
                source=source,
                kind="destination",
                summary=f"OnFailure destination record ({condition})",
                detail_type="Lambda Function Invocation Result - Failure",
            )
        dlq = self.dead_letter.get((event.account, event.region, event.function_name))
        if dlq:
            message = ""
            if result is not None:
                message = (
                    str(_maybe_json(result.payload.decode()).get("errorMessage", ""))
                    if result.payload
                    else ""
                )
            delivered = (
                self.cloud.deliverer.send(
                    dlq,
                    event.payload,
                    source=source,
                    kind="dlq",
                    summary=f"dead-letter ({condition})",
                    attributes={
                        "RequestID": event.request_id,
                        "ErrorCode": 200,
                        "ErrorMessage": message or condition,
                    },
                )
                or delivered
            )
        if not destination and not dlq:
            self.cloud.trace.record(
                event.source,
                f"lambda:{event.function_name}",
                "async",
                f"event discarded ({condition})",
                "dropped",
                request_id=event.request_id,
            )
        del delivered


def _maybe_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text
