"""EventBridge: rule targets, target input, limits, schedule rules, replays and test_event_pattern.

moto keeps buses, rules, archives and matches patterns (its matcher handles every operator:
prefix, suffix, anything-but, numeric, exists, cidr, wildcard, equals-ignore-case, ``$or``). The
local cloud owns what happens after a match (:meth:`EventsService.dispatch`):

* DISABLED rules deliver nothing;
* every target gets its input as AWS builds it: the event, a constant ``Input``, an ``InputPath``
  or an ``InputTransformer`` (moto ignores the first two);
* Lambda targets become asynchronous invocations (retries, DLQ and destinations apply), SNS
  targets a publish, Step Functions targets a ``StartExecution``; SQS (incl. FIFO), other buses,
  CloudWatch Logs and archives go as moto sends them;
* ``put_targets`` refuses a sixth target (``LimitExceededException``), ``put_events`` a request
  over 256 KB, ``put_rule`` validates ``rate()``/``cron()`` with AWS's rules,
  ``test_event_pattern`` answers;
* an event that cannot be delivered (missing function, queue or topic) goes to the target's
  ``DeadLetterConfig`` queue with ``RULE_ARN``, ``TARGET_ARN``, ``ERROR_CODE`` and
  ``ERROR_MESSAGE`` attributes;
* schedule rules fire on the fake clock with the Scheduled Event payload, and replays run on the
  clock, in a seeded shuffled order, stamped with ``replay-name``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import TYPE_CHECKING, Any

from . import _jsonpath
from ._deliver import parse_arn, short_name
from ._errors import LocalCloudGap
from ._schedule_expr import ScheduleError
from ._schedule_expr import parse as parse_schedule

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["MAX_PUT_EVENTS_BYTES", "MAX_TARGETS", "EventsService", "render_transformer"]

_EPS = 1e-6  # due within a microsecond counts as due (see dojo.cloud._clock)

MAX_TARGETS = 5
"""Targets per rule, as on AWS (moto accepts more)."""

MAX_PUT_EVENTS_BYTES = 256 * 1024
"""Largest PutEvents request (all entries together), as on AWS."""

_EVENT_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def _iso(value: Any) -> str:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def public_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as targets receive it (ISO time, no moto bookkeeping fields)."""
    out = {key: event.get(key) for key in _EVENT_KEYS}
    out["version"] = out["version"] or "0"
    out["resources"] = list(out["resources"] or [])
    out["time"] = _iso(event.get("time"))
    out["detail"] = event.get("detail", {})
    if "replay-name" in event:
        out["replay-name"] = event["replay-name"]
    return out


def render_transformer(
    transformer: dict[str, Any], event: dict[str, Any], rule_arn: str = "", rule_name: str = ""
) -> str:
    """Apply an EventBridge ``InputTransformer`` to ``event`` and return the text a target gets.

    A placeholder inside quotes inserts the value's text (strings without their quotes);
    outside quotes it inserts the value as JSON. Missing paths give ``null`` (or nothing inside
    quotes). The predefined ``aws.events.*`` variables are available.
    """
    values: dict[str, Any] = {
        "aws.events.event": event,
        "aws.events.event.json": event,
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": event.get("time"),
    }
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        values[name] = _jsonpath.get(event, path, default=None)
    template = transformer.get("InputTemplate") or ""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if _inside_string(template, match.start()):
            if value is None:
                return ""
            text = value if isinstance(value, str) else json.dumps(value)
            return json.dumps(text)[1:-1]
        return json.dumps(value)

    return _PLACEHOLDER.sub(fill, template)


def _inside_string(template: str, position: int) -> bool:
    """Is ``position`` inside a JSON string literal of the template (odd unescaped quotes)?"""
    quotes, escaped = 0, False
    for char in template[:position]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quotes += 1
    return quotes % 2 == 1


class EventsService:
    """EventBridge behaviour moto lacks (``cloud.events``)."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self._anchors: dict[str, tuple[str, float, float | None]] = {}
        self._scan_at: float | None = None
        cloud.clock.add_poller(self)

    # -- rule → targets ----------------------------------------------------------------------
    def dispatch(
        self,
        original: Any,
        rule: Any,
        event: dict[str, Any],
        transform_input: bool = True,
        *,
        scheduled: bool = False,
    ) -> None:
        """Deliver ``event`` to every target of ``rule`` (replaces ``Rule.send_to_targets``)."""
        if rule.scheduled_expression and not scheduled and rule.event_pattern.dump() is None:
            return  # a schedule-only rule receives no events from put_events
        if not scheduled and not rule.event_pattern.matches_event(event):
            return
        source = f"events:{rule.name}"
        if getattr(rule, "state", "ENABLED") != "ENABLED":
            self.cloud.trace.record(
                source, "events:targets", "delivery", "rule is DISABLED", "dropped"
            )
            return
        for target in list(rule.targets):
            self._deliver(original, rule, target, event, transform_input, source)

    def _payload(
        self, rule: Any, target: dict[str, Any], event: dict[str, Any], transform_input: bool
    ) -> str:
        shown = public_event(event)
        if not transform_input:
            return json.dumps(shown)
        if target.get("Input") is not None:
            return str(target["Input"])
        if target.get("InputPath"):
            return json.dumps(_jsonpath.get(shown, target["InputPath"], default=None))
        if target.get("InputTransformer"):
            return render_transformer(target["InputTransformer"], shown, rule.arn, rule.name)
        return json.dumps(shown)

    def _deliver(
        self,
        original: Any,
        rule: Any,
        target: dict[str, Any],
        event: dict[str, Any],
        transform_input: bool,
        source: str,
    ) -> None:
        arn = target["Arn"]
        info = parse_arn(arn)
        service, region = info["service"], info["region"]
        resource = info["resource"]
        name = f"{service}:{short_name(arn)}"
        summary = str(event.get("detail-type", "event"))
        copies = 2 if self.cloud.chaos.duplicated("eventbridge-delivery") else 1
        try:
            for _ in range(copies):
                if service == "lambda":
                    if self.cloud.strict and not self.cloud.notifications._permitted(
                        source, arn, "events.amazonaws.com", rule.arn, info["account"]
                    ):
                        return
                    text = self._payload(rule, target, event, transform_input)
                    if self.cloud.lambda_.enqueue_arn(arn, text, source=source) is None:
                        raise LookupError(f"Function not found: {arn}")
                elif service == "sns":
                    text = self._payload(rule, target, event, transform_input)
                    self.cloud.deliverer.client("sns", region).publish(TopicArn=arn, Message=text)
                elif service == "states":
                    text = self._payload(rule, target, event, transform_input)
                    self.cloud.deliverer.client("stepfunctions", region).start_execution(
                        stateMachineArn=arn, input=text
                    )
                elif service == "sqs":
                    text = self._payload(rule, target, event, transform_input)
                    url = f"https://sqs.{region}.amazonaws.com/{info['account']}/{resource}"
                    kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": text}
                    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
                    if group:
                        kwargs["MessageGroupId"] = group
                        kwargs["MessageDeduplicationId"] = str(event.get("id"))
                    self.cloud.deliverer.client("sqs", region).send_message(**kwargs)
                elif service in ("events", "logs"):
                    # Other buses, archives, log groups, API destinations: moto's own delivery.
                    saved = rule.targets
                    rule.targets = [target]
                    try:
                        original(rule, event, transform_input)
                    finally:
                        rule.targets = saved
                    if not resource.startswith(("event-bus/", "log-group:")):
                        return  # archives are bookkeeping, not a hop worth tracing
                else:
                    gap = LocalCloudGap(
                        f"EventBridge rule {rule.name!r} delivering to a {service} target ({arn})",
                        hint="Supported targets: Lambda, SQS, SNS, Step Functions, event buses "
                        "and CloudWatch Logs.",
                    )
                    self.cloud.trace.record(
                        source, name, "delivery", "target type not supported", "dropped"
                    )
                    self.cloud.gaps.append(gap)
                    return
                self.cloud.trace.record(source, name, "delivery", summary, "ok")
        except LocalCloudGap:
            raise
        except Exception as exc:  # a missing function, queue or topic
            self.cloud.trace.record(
                source, name, "delivery", f"{summary}: {exc}", "error", error=str(exc)
            )
            self._dead_letter(rule, target, event, exc, source)

    def _dead_letter(
        self, rule: Any, target: dict[str, Any], event: dict[str, Any], exc: Exception, source: str
    ) -> None:
        """Send an event EventBridge could not deliver to the target's DeadLetterConfig queue.

        A missing or inaccessible target is not retried by AWS (the RetryPolicy applies to
        throttling and timeouts, which the local cloud does not produce), so it goes straight
        to the queue, with the attributes AWS sets.
        """
        queue = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue:
            return
        code = getattr(exc, "response", {}).get("Error", {}).get("Code") or "ResourceNotFound"
        self.cloud.deliverer.send(
            queue,
            public_event(event),
            source=source,
            kind="dlq",
            summary=f"undeliverable to {target['Arn']} ({code})",
            attributes={
                "RULE_ARN": rule.arn,
                "TARGET_ARN": target["Arn"],
                "ERROR_CODE": code,
                "ERROR_MESSAGE": str(exc)[:256],
            },
        )

    def check_put_events(self, entries: list[dict[str, Any]]) -> None:
        """Refuse a PutEvents request over 256 KB, as AWS does (moto accepts it)."""
        total = 0
        for entry in entries:
            total += len(str(entry.get("Source", "")).encode()) + len(
                str(entry.get("DetailType", "")).encode()
            )
            total += len(str(entry.get("Detail", "")).encode())
            total += sum(len(str(r).encode()) for r in entry.get("Resources") or [])
        if total > MAX_PUT_EVENTS_BYTES:
            from moto.events.exceptions import ValidationException

            raise ValidationException(
                f"Total size of the entries in the request is over the limit: {total} bytes; "
                f"PutEvents accepts at most {MAX_PUT_EVENTS_BYTES} bytes (256 KB)."
            )

    # -- API behaviour moto lacks --------------------------------------------------------------
    def check_put_targets(self, backend: Any, name: str, bus: str | None, targets: Any) -> None:
        """Refuse a sixth target on a rule, as AWS does."""
        from moto.core.exceptions import JsonRESTError

        bus_name = backend._normalize_event_bus_arn(bus)
        rule = backend._get_event_bus(bus_name).rules.get(name)
        if rule is None:
            return
        ids = {t["Id"] for t in rule.targets} | {t["Id"] for t in targets}
        if len(ids) > MAX_TARGETS:
            raise JsonRESTError(
                "LimitExceededException",
                f"The requested resource exceeds the maximum number allowed: rule {name} would "
                f"have {len(ids)} targets; a rule can have at most {MAX_TARGETS}.",
            )

    @staticmethod
    def check_schedule(expression: str | None) -> None:
        """Validate a rule's ScheduleExpression with AWS's rules."""
        if not expression:
            return
        try:
            parse_schedule(expression)
        except ScheduleError as exc:
            from moto.events.exceptions import ValidationException

            raise ValidationException(f"Parameter ScheduleExpression is not valid. {exc}") from None

    @staticmethod
    def test_event_pattern(pattern_text: str, event_text: str) -> bool:
        """What ``TestEventPattern`` answers (moto returns no Result)."""
        from moto.events.exceptions import InvalidEventPatternException
        from moto.events.models import EventPattern, EventPatternParser

        try:
            event = json.loads(event_text)
        except (TypeError, ValueError):
            raise InvalidEventPatternException("Event is not valid JSON.") from None
        missing = [
            k
            for k in ("id", "account", "source", "time", "region", "detail-type")
            if k not in event
        ]
        if missing:
            from moto.events.exceptions import ValidationException

            raise ValidationException(
                f"Parameter Event is not valid. Reason: missing {', '.join(missing)}."
            )
        parsed = EventPatternParser(pattern_text).parse()
        return bool(EventPattern(pattern_text, parsed).matches_event(event))

    # -- replays -----------------------------------------------------------------------------
    def replay(self, original: Any, replay: Any, archive: Any) -> None:
        """Run a replay on the clock: RUNNING now, events delivered in a shuffled order."""
        from moto.events.models import ReplayState

        replay.state = ReplayState.RUNNING
        events = list(archive.events)
        start, end = _stamp(replay.event_start_time), _stamp(replay.event_end_time)
        if start is not None and end is not None:
            events = [e for e in events if start <= float(_stamp(e.get("time")) or start) <= end]
        random.Random(f"{self.cloud.seed}:{replay.name}").shuffle(events)  # AWS: no order

        def run() -> None:
            if replay.state != ReplayState.RUNNING:
                return  # cancelled
            archive.events = events
            try:
                original(replay, archive)
            finally:
                archive.events = list(archive.events)
            self.cloud.trace.record(
                f"events:replay/{replay.name}",
                "events:bus",
                "delivery",
                f"replayed {len(events)} events",
                "ok",
            )

        self.cloud.clock.call_later(0, run, f"replay {replay.name}")

    # -- schedule rules (a clock poller) -----------------------------------------------------
    def _schedule_rules(self) -> list[Any]:
        from moto.events.models import events_backends

        rules = []
        for regions in list(events_backends.values()):
            for backend in list(regions.values()):
                for bus in list(backend.event_buses.values()):
                    for rule in list(bus.rules.values()):
                        if rule.scheduled_expression and rule.state == "ENABLED":
                            rules.append(rule)
        return rules

    def _due(self, now: float) -> list[tuple[float, Any]]:
        due: list[tuple[float, Any]] = []
        seen = set()
        for rule in self._schedule_rules():
            key = rule.arn
            seen.add(key)
            expr = rule.scheduled_expression
            state = self._anchors.get(key)
            if state is None or state[0] != expr:
                schedule = parse_schedule(expr)
                state = (expr, now, schedule.next_after(now, anchor=now))
                self._anchors[key] = state
            if state[2] is not None:
                due.append((state[2], rule))
        for key in set(self._anchors) - seen:
            del self._anchors[key]  # deleted or disabled: re-enabling starts afresh
        return sorted(due, key=lambda pair: (pair[0], pair[1].arn))

    def next_wakeup(self, now: float) -> float | None:
        times = [when for when, _ in self._due(now) if when > now + _EPS]
        return min(times) if times else None

    def poll(self, now: float) -> bool:
        fired = False
        for when, rule in self._due(now):
            if when > now + _EPS:
                continue
            expr, anchor, _ = self._anchors[rule.arn]
            self._anchors[rule.arn] = (
                expr,
                anchor,
                parse_schedule(expr).next_after(when, anchor=anchor),
            )
            self._fire(rule, when)
            fired = True
        return fired

    def _fire(self, rule: Any, when: float) -> None:
        event = {
            "version": "0",
            "id": self.cloud.new_uuid(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": rule.account_id,
            "time": when,
            "region": rule.region_name,
            "resources": [rule.arn],
            "detail": {},
        }
        self.dispatch(self._original_send(), rule, event, scheduled=True)

    def _original_send(self) -> Any:
        """moto's own ``Rule.send_to_targets`` (the cloud's hook replaces the class attribute)."""
        for _owner, attr, function in self.cloud._patches._saved:
            if attr == "send_to_targets":
                return function
        from moto.events.models import Rule

        return Rule.send_to_targets

    def __repr__(self) -> str:
        return "<EventBridge schedule rules>"


def _stamp(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.timestamp()
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
