"""Chaos: inject failures, throttles and latency into service calls and Lambda functions.

API faults are applied by a botocore ``before-call`` hook, before the request reaches moto, so
code under test sees a real ``botocore.exceptions.ClientError`` with the AWS error code (and the
client's modelled exception class, such as
``client.exceptions.ProvisionedThroughputExceededException``).
Because they short-circuit the call, the SDK's automatic retries do not hide them. Calls the local
cloud makes for itself (pollers, destinations) are never affected.

Every injection is seeded (``LocalCloud(seed=...)``), so a rate of 0.3 fails the same calls on
every run. Each verb returns an :class:`Injection` whose :meth:`~Injection.remove` undoes it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._deadline import sim_sleep

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["Chaos", "Injection"]

_STATUS = {
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "SlowDown": 503,
    "InternalServerError": 500,
    "InternalFailure": 500,
    "InternalError": 500,
    "TooManyRequestsException": 429,
    "RequestTimeout": 408,
}

_DUPLICATE_KINDS = {"esm-batch", "sqs-delivery", "sns-delivery", "async-invoke"}

_THROTTLE_CODES = {
    "dynamodb": "ProvisionedThroughputExceededException",
    "kinesis": "ProvisionedThroughputExceededException",
    "lambda": "TooManyRequestsException",
    "s3": "SlowDown",
    "sqs": "RequestThrottled",
    "sns": "Throttled",
}


def _error_class(name: str) -> type[Exception]:
    """An exception class called ``name`` (so the handler's errorType shows it)."""
    return type(name, (Exception,), {})


def _norm_op(name: str | None) -> str | None:
    return None if name is None else name.replace("_", "").lower()


def _norm_service(name: str) -> str:
    name = name.lower()
    return {
        "dynamodb-streams": "dynamodbstreams",
        "streams": "dynamodbstreams",
        "events": "events",
    }.get(name, name)


@dataclass
class Injection:
    """One active fault. Remove it with :meth:`remove`.

    Attributes:
        kind: ``fail``, ``outage``, ``latency``, ``throttle``, ``fail_function``,
            ``fail_after_side_effect``, ``throttle_function`` or ``duplicate``.
        hits: How many times it fired so far.
    """

    kind: str
    service: str | None = None
    operation: str | None = None
    function: str | None = None
    error: str = "ServiceUnavailable"
    message: str = ""
    rate: float | None = None
    first: int | None = None
    until: float | None = None
    per_second: float | None = None
    latency_ms: float = 0.0
    only_in: str | None = None
    region: str | None = None
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _chaos: Chaos | None = field(default=None, repr=False)
    _tokens: float = field(default=0.0, repr=False)
    _refilled_at: float | None = field(default=None, repr=False)

    def remove(self) -> None:
        """Stop this injection."""
        if self._chaos is not None:
            self._chaos.remove(self)

    @property
    def status(self) -> int:
        """HTTP status of the injected error."""
        return _STATUS.get(self.error, 400)

    def _matches_call(
        self, service: str, operation: str, caller: str | None, region: str | None = None
    ) -> bool:
        if self.region is not None and self.region != region:
            return False
        if self.service is not None and self.service != service:
            return False
        if self.operation is not None and self.operation != _norm_op(operation):
            return False
        return not (self.only_in is not None and caller != self.only_in)

    def _fires(self, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.per_second is not None:
            if self._refilled_at is None:
                self._tokens, self._refilled_at = self.per_second, now
            self._tokens = min(
                self.per_second, self._tokens + (now - self._refilled_at) * self.per_second
            )
            self._refilled_at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return False
            return self._count()
        if self.first is not None:
            return self._count() if self.hits < self.first else False
        if self.rate is not None:
            return self._count() if self._rng.random() < self.rate else False
        return self._count()

    def _count(self) -> bool:
        self.hits += 1
        return True


class Chaos:
    """Fault injection for one cloud (``cloud.chaos``).

    Example:
        >>> cloud.chaos.fail("dynamodb", "PutItem", rate=0.3,
        ...                  error="ProvisionedThroughputExceededException")
        >>> cloud.chaos.throttle_function("resize")   # every invoke throttled
        >>> cloud.chaos.clear()
    """

    def __init__(self, cloud: LocalCloud, seed: int = 0) -> None:
        self._cloud = cloud
        self._seed = seed
        self._made = 0
        self.injections: list[Injection] = []

    def _add(self, injection: Injection) -> Injection:
        if injection.rate is not None and not 0.0 <= injection.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, got {injection.rate}")
        if injection.first is not None and injection.first < 0:
            raise ValueError(f"first must be >= 0, got {injection.first}")
        injection._rng = random.Random(
            f"{self._seed}:{self._made}:{injection.kind}:{injection.service}:{injection.operation}:{injection.function}"
        )
        injection._chaos = self
        self._made += 1
        self.injections.append(injection)
        return injection

    def _until(self, until: float | dt.datetime | None) -> float | None:
        if until is None:
            return None
        if isinstance(until, dt.datetime):
            return until.timestamp()
        return self._cloud.clock.time() + float(until)

    # -- API verbs -----------------------------------------------------------------------
    def fail(
        self,
        service: str,
        operation: str | None = None,
        *,
        error: str = "ServiceUnavailable",
        rate: float | None = None,
        first: int | None = None,
        message: str | None = None,
        only_in: str | None = None,
        until: float | dt.datetime | None = None,
    ) -> Injection:
        """Make calls to ``service`` (optionally one ``operation``) fail with ``error``.

        Args:
            service: boto3 service name (``"dynamodb"``, ``"s3"``, ``"sqs"`` ...).
            operation: Operation name (``"PutItem"`` or ``"put_item"``); None means all.
            error: AWS error code the caller sees.
            rate: Fraction of matching calls that fail (seeded); None with ``first`` None
                means every call.
            first: Fail exactly the first N matching calls, then succeed.
            message: Error message (a default names the injection).
            only_in: Only calls made from inside this Lambda function.
            until: Stop after this many seconds of fake time (or at this datetime).
        """
        return self._add(
            Injection(
                "fail",
                _norm_service(service),
                _norm_op(operation),
                error=error,
                message=message or f"Injected by dojo chaos: {error}",
                rate=rate,
                first=first,
                only_in=only_in,
                until=self._until(until),
            )
        )

    def outage(
        self,
        service: str | None = None,
        until: float | dt.datetime | None = None,
        *,
        region: str | None = None,
    ) -> Injection:
        """Make every call to ``service`` fail with ServiceUnavailable (until a time, if given).

        With ``region`` the outage hits only clients (and API Gateway endpoints) of that region;
        ``cloud.chaos.outage(region="eu-west-1")`` takes the whole region down.
        """
        if service is None and region is None:
            raise ValueError("outage() needs a service, a region or both")
        where = " ".join(p for p in (service, f"in {region}" if region else None) if p)
        return self._add(
            Injection(
                "outage",
                _norm_service(service) if service else None,
                error="ServiceUnavailable",
                message=f"Injected outage of {where}",
                until=self._until(until),
                region=region,
            )
        )

    def latency(self, target: str, ms: float) -> Injection:
        """Add ``ms`` of simulated latency to calls to ``target`` (``"s3"`` or ``"s3:GetObject"``).

        The latency moves the fake clock and, inside a handler, counts toward its Timeout.
        """
        service, _, operation = target.partition(":")
        return self._add(
            Injection(
                "latency", _norm_service(service), _norm_op(operation or None), latency_ms=float(ms)
            )
        )

    def throttle(
        self,
        service: str,
        operation: str | None = None,
        *,
        per_second: float | None = None,
        rate: float | None = None,
        first: int | None = None,
        function: str | None = None,
    ) -> Injection:
        """Throttle calls: a token bucket of ``per_second`` calls (fake time), a rate, or a count.

        The error code is the service's own (DynamoDB and Kinesis:
        ProvisionedThroughputExceededException, Lambda: TooManyRequestsException ...).
        ``throttle("lambda", function="fn")`` throttles invocations of one function on every
        path (see :meth:`throttle_function`).
        """
        if function is not None:
            return self.throttle_function(function, rate=rate, first=first)
        svc = _norm_service(service)
        error = _THROTTLE_CODES.get(svc, "ThrottlingException")
        return self._add(
            Injection(
                "throttle",
                svc,
                _norm_op(operation),
                error=error,
                message="Rate exceeded (injected by dojo chaos)",
                rate=rate,
                first=first,
                per_second=per_second,
            )
        )

    # -- Lambda verbs --------------------------------------------------------------------
    def fail_function(
        self,
        name: str,
        *,
        rate: float | None = None,
        first: int | None = None,
        error: str = "InjectedFault",
        message: str | None = None,
    ) -> Injection:
        """Make the handler of function ``name`` raise ``error`` instead of running."""
        return self._add(
            Injection(
                "fail_function",
                function=name,
                error=error,
                rate=rate,
                first=first,
                message=message or f"Injected failure of {name}",
            )
        )

    def throttle_function(
        self, name: str, *, rate: float | None = None, first: int | None = None
    ) -> Injection:
        """Throttle invocations of ``name``: sync callers get TooManyRequestsException, async
        events and event source mappings are retried later, as on AWS."""
        return self._add(
            Injection(
                "throttle_function",
                function=name,
                error="TooManyRequestsException",
                rate=rate,
                first=first,
            )
        )

    def fail_after_side_effect(
        self,
        name: str,
        *,
        first: int | None = None,
        rate: float | None = None,
        error: str = "InjectedFault",
    ) -> Injection:
        """Let the handler of ``name`` run to the end, then fail the invocation anyway.

        The handler's side effects (writes, messages) have happened, but the caller, the async
        retry logic or the event source mapping see a failure — the case idempotency protects.
        """
        return self._add(
            Injection(
                "fail_after_side_effect",
                function=name,
                error=error,
                rate=rate,
                first=first,
                message=f"Injected failure of {name} after its work was done",
            )
        )

    def duplicate(
        self, kind: str, rate: float | None = None, first: int | None = None
    ) -> Injection:
        """Deliver some events twice, as AWS's at-least-once delivery sometimes does.

        Args:
            kind: ``"esm-batch"`` (an event source mapping batch, SQS or stream),
                ``"sqs-delivery"`` (SQS mapping batches only), ``"sns-delivery"`` (a
                subscription delivery) or ``"async-invoke"`` (a successful async invocation).
            rate: Fraction of deliveries duplicated (seeded); default every one.
            first: Duplicate exactly the first N deliveries.
        """
        if kind not in _DUPLICATE_KINDS:
            raise ValueError(
                f"duplicate() kind must be one of {sorted(_DUPLICATE_KINDS)}, got {kind!r}"
            )
        return self._add(Injection("duplicate", service=kind, rate=rate, first=first))

    def remove(self, injection: Injection) -> None:
        """Remove one injection (same as ``injection.remove()``)."""
        if injection in self.injections:
            self.injections.remove(injection)

    def clear(self) -> None:
        """Remove every injection."""
        self.injections.clear()

    # -- used by the cloud ---------------------------------------------------------------
    def api_fault(
        self, service: str, operation: str, caller: str | None, region: str | None = None
    ) -> Injection | None:
        """Apply latency and return the fault for this call, if any (called per API call)."""
        if not self.injections:
            return None
        now = self._cloud.clock.time()
        service = _norm_service(service)
        for injection in list(self.injections):
            if injection.kind == "latency" and injection._matches_call(service, operation, caller):
                injection.hits += 1
                sim_sleep(injection.latency_ms / 1000.0)
        for injection in list(self.injections):
            if (
                injection.kind in ("fail", "outage", "throttle")
                and injection._matches_call(service, operation, caller, region)
                and injection._fires(now)
            ):
                return injection
        return None

    def function_fault(self, name: str) -> BaseException | None:
        now = self._cloud.clock.time()
        for injection in list(self.injections):
            if (
                injection.kind == "fail_function"
                and injection.function == name
                and injection._fires(now)
            ):
                return _error_class(injection.error)(injection.message)
        return None

    def function_after_fault(self, name: str) -> BaseException | None:
        now = self._cloud.clock.time()
        for injection in list(self.injections):
            if (
                injection.kind == "fail_after_side_effect"
                and injection.function == name
                and injection._fires(now)
            ):
                return _error_class(injection.error)(injection.message)
        return None

    def duplicated(self, *kinds: str) -> bool:
        """Whether this delivery of one of ``kinds`` should be duplicated (counts a hit)."""
        if not self.injections:
            return False
        now = self._cloud.clock.time()
        return any(
            i.kind == "duplicate" and i.service in kinds and i._fires(now)
            for i in list(self.injections)
        )

    def function_throttled(self, name: str) -> bool:
        if not self.injections:
            return False
        now = self._cloud.clock.time()
        return any(
            i.kind == "throttle_function" and i.function == name and i._fires(now)
            for i in list(self.injections)
        )

    def __repr__(self) -> str:
        return f"<Chaos {len(self.injections)} injection(s): {[i.kind for i in self.injections]}>"

    def _status(self, injection: Injection) -> dict[str, Any]:
        return {"code": injection.error, "status": injection.status}
