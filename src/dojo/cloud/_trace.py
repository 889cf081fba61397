"""The trace: every hop an event takes through the local cloud, in order."""

from __future__ import annotations

import fnmatch
import html
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["OUTCOMES", "Hop", "Trace"]

OUTCOMES = ("ok", "error", "throttled", "dropped")
"""The outcomes a hop can have."""


@dataclass(frozen=True)
class Hop:
    """One hop: something (``source``) did something to something else (``target``).

    Attributes:
        seq: Position in the trace (0-based, never reused until :meth:`Trace.clear`).
        at: Fake time of the hop, ISO 8601 UTC.
        source: Who acted, as ``service:name`` (``client`` for notebook or test code,
            ``lambda:fn`` for a handler, ``s3:bucket``, ``sqs:queue`` ...).
        target: What was acted on (``lambda:fn``, ``dynamodb:PutItem``, ``sqs:queue`` ...).
        kind: ``api`` (a boto3 call), ``invoke`` (a handler run), ``async`` (an event queued for
            asynchronous invocation), ``delivery`` (a service delivering to another),
            ``destination``, ``dlq`` or ``esm`` (an event source mapping batch), ``http``
            (a request to an API Gateway endpoint; ``detail["status"]`` is the answer's status),
            or ``state`` (a Step Functions execution leaving a state).
        summary: A short human-readable description of the event.
        outcome: ``ok``, ``error``, ``throttled`` or ``dropped``.
        duration_ms: Real time the hop took, in milliseconds (0 when not measured).
        detail: Extra facts (request id, cold start, error type, batch size ...).
    """

    seq: int
    at: str
    source: str
    target: str
    kind: str
    summary: str
    outcome: str
    duration_ms: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict of this hop."""
        return asdict(self)

    def __repr__(self) -> str:
        return (
            f"#{self.seq} {self.at} {self.source} -> {self.target} [{self.kind}] "
            f"{self.outcome} {self.duration_ms:.2f}ms {self.summary}"
        )


def _matches(value: Any, wanted: Any) -> bool:
    if callable(wanted):
        return bool(wanted(value))
    if isinstance(wanted, (list, tuple, set, frozenset)):
        return any(_matches(value, w) for w in wanted)
    if isinstance(wanted, str) and isinstance(value, str):
        return fnmatch.fnmatchcase(value, wanted)
    return bool(value == wanted)


class Trace:
    """An ordered, filterable record of hops.

    ``cloud.trace`` is the live trace of a cloud; :meth:`where` returns a filtered snapshot (also a
    :class:`Trace`). Filters accept exact values, glob patterns (``target="lambda:*"``), a list
    of alternatives, or a predicate.

    Example:
        >>> errors = cloud.trace.where(kind="invoke", outcome="error")
        >>> [h.target for h in errors]
    """

    def __init__(self, hops: list[Hop] | None = None, *, clock: Any = None, live: bool = False):
        self._hops: list[Hop] = list(hops or [])
        self._clock = clock
        self._live = live
        self._next = 0

    # -- recording (used by the cloud) -----------------------------------------------------
    def record(
        self,
        source: str,
        target: str,
        kind: str,
        summary: str,
        outcome: str = "ok",
        duration_ms: float = 0.0,
        **detail: Any,
    ) -> Hop:
        """Append a hop (the cloud calls this; you rarely need to)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        at = self._clock.now().isoformat().replace("+00:00", "Z") if self._clock else ""
        hop = Hop(
            self._next, at, source, target, kind, summary, outcome, round(duration_ms, 3), detail
        )
        self._next += 1
        self._hops.append(hop)
        return hop

    def update(self, hop: Hop, **changes: Any) -> Hop:
        """Replace a recorded hop with a copy carrying ``changes`` (keeps its place and seq)."""
        new = replace(hop, **changes)
        for index in range(len(self._hops) - 1, -1, -1):
            if self._hops[index] is hop:
                self._hops[index] = new
                break
        return new

    # -- reading ---------------------------------------------------------------------------
    def where(self, **criteria: Any) -> Trace:
        """Hops matching every criterion (field name = value, glob, list or predicate).

        Raises:
            TypeError: for a field that hops do not have (the message lists the fields).
        """
        fields = set(Hop.__dataclass_fields__)
        unknown = set(criteria) - fields
        if unknown:
            raise TypeError(f"Hops have no field(s) {sorted(unknown)}; they have {sorted(fields)}.")
        hops = [
            h for h in self._hops if all(_matches(getattr(h, k), v) for k, v in criteria.items())
        ]
        return Trace(hops, clock=self._clock)

    filter = where

    def clear(self) -> None:
        """Forget every hop recorded so far."""
        self._hops.clear()

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-serialisable list of hops."""
        return [h.to_dict() for h in self._hops]

    def to_json(self) -> str:
        """The trace as a JSON string."""
        return json.dumps(self.to_list(), default=str)

    def count(self, **criteria: Any) -> int:
        """How many hops match the criteria (see :meth:`where`)."""
        return len(self.where(**criteria)) if criteria else len(self._hops)

    @property
    def last(self) -> Hop | None:
        """The most recent hop, or None."""
        return self._hops[-1] if self._hops else None

    def __iter__(self) -> Iterator[Hop]:
        return iter(list(self._hops))

    def __len__(self) -> int:
        return len(self._hops)

    def __getitem__(self, index: int) -> Hop:
        return self._hops[index]

    def __bool__(self) -> bool:
        return bool(self._hops)

    def __repr__(self) -> str:
        if not self._hops:
            return "<Trace: no hops>"
        lines = [f"<Trace: {len(self._hops)} hops>"]
        lines += [f"  {h!r}" for h in self._hops[-50:]]
        if len(self._hops) > 50:
            lines.insert(1, f"  ... {len(self._hops) - 50} earlier hops")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            "<tr>"
            + "".join(
                f"<td>{esc(str(v))}</td>"
                for v in (
                    h.seq,
                    h.at,
                    h.source,
                    h.target,
                    h.kind,
                    h.outcome,
                    f"{h.duration_ms:.2f}",
                    h.summary,
                )
            )
            + "</tr>"
            for h in self._hops[-200:]
        )
        head = "".join(
            f"<th>{c}</th>"
            for c in ("#", "at", "source", "target", "kind", "outcome", "ms", "summary")
        )
        return (
            f"<table class='dojo-trace'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        )
