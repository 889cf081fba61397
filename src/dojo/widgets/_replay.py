"""Put trace hops onto the diagram: which boxes a hop joins, failures, DLQ arrivals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._graph import Architecture, Node, resolve_endpoint

__all__ = ["DATA_PLANE", "Overlay", "PlacedHop", "add_observed", "is_flow", "overlay", "place"]

DATA_PLANE = frozenset(
    {
        "PutObject",
        "GetObject",
        "DeleteObject",
        "CopyObject",
        "PutItem",
        "GetItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchWriteItem",
        "BatchGetItem",
        "TransactWriteItems",
        "TransactGetItems",
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "Publish",
        "PublishBatch",
        "PutRecord",
        "PutRecords",
        "PutEvents",
        "Invoke",
        "InvokeAsync",
        "StartExecution",
        "StartSyncExecution",
    }
)
"""API operations that move data (drawn and replayed); control-plane calls are left out."""


def _field(hop: Any, name: str, default: Any = "") -> Any:
    if isinstance(hop, dict):
        return hop.get(name, default)
    return getattr(hop, name, default)


def is_flow(hop: Any) -> bool:
    """True for hops worth replaying: deliveries, invocations, and data-plane API calls."""
    if _field(hop, "kind") != "api":
        return True
    operation = str(_field(hop, "target")).partition(":")[2]
    return operation in DATA_PLANE


@dataclass(frozen=True)
class PlacedHop:
    """A hop and the boxes it joins (None for an end that is not drawn).

    Attributes:
        hop: The original hop (a ``dojo.cloud.Hop`` or a dict with the same fields).
        source, target: Node ids, or None.
    """

    hop: Any
    source: str | None
    target: str | None

    @property
    def outcome(self) -> str:
        """``ok``, ``error``, ``throttled`` or ``dropped``."""
        return str(_field(self.hop, "outcome", "ok"))

    @property
    def kind(self) -> str:
        """The hop kind (``api``, ``invoke``, ``delivery``, ``esm``, ``dlq`` ...)."""
        return str(_field(self.hop, "kind"))

    def as_dict(self) -> dict[str, Any]:
        """The hop as a plain dict (for the payload viewer)."""
        to_dict = getattr(self.hop, "to_dict", None)
        if callable(to_dict):
            return dict(to_dict())
        if isinstance(self.hop, dict):
            return dict(self.hop)
        return {
            k: getattr(self.hop, k)
            for k in (
                "seq",
                "at",
                "source",
                "target",
                "kind",
                "summary",
                "outcome",
                "duration_ms",
                "detail",
            )
            if hasattr(self.hop, k)
        }


def place(hop: Any, arch: Architecture) -> PlacedHop:
    """Resolve a hop's source and target to drawn nodes."""
    summary = str(_field(hop, "summary"))
    known = arch.nodes
    source = resolve_endpoint(str(_field(hop, "source")), summary, known)
    target = resolve_endpoint(str(_field(hop, "target")), summary, known)
    if target is None:
        target = _by_name(str(_field(hop, "target")), known)
    if source is None:
        source = _by_name(str(_field(hop, "source")), known)
    return PlacedHop(hop, source, target)


def _by_name(endpoint: str, known: dict[str, Node]) -> str | None:
    service, _, name = endpoint.partition(":")
    for node in known.values():
        if node.name == name and node.id.partition(":")[0] == service:
            return node.id
    return None


def add_observed(arch: Architecture, hops: Iterable[Any]) -> Architecture:
    """Add the notebook (``client``) and edges seen in the trace but not configured.

    A function writing to a table, or the notebook uploading to a bucket, is wiring that no
    describe call reveals; the trace shows it.
    """
    flow = [h for h in hops if is_flow(h)]
    if any(str(_field(h, "source")) == "client" for h in flow):
        arch.add_node(Node("client", "client", "notebook"))
    for hop in flow:
        placed = place(hop, arch)
        source, target = placed.source, placed.target
        if (
            source is None
            or target is None
            or source == target
            or arch.edges_between(source, target)
        ):
            continue
        operation = str(_field(hop, "target")).partition(":")[2]
        label = operation if _field(hop, "kind") == "api" else str(_field(hop, "kind"))
        arch.add_edge(source, target, "observed", label)
    return arch


@dataclass
class Overlay:
    """What the trace did to the diagram.

    Attributes:
        edge_outcomes: (source, target) → Counter of outcomes.
        node_errors: node id → failed or throttled hops into it.
        dlq_arrivals: node id → events that arrived as dead letters or failure records.
        unplaced: Hops whose ends are not drawn.
    """

    edge_outcomes: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    node_errors: Counter[str] = field(default_factory=Counter)
    dlq_arrivals: Counter[str] = field(default_factory=Counter)
    unplaced: int = 0


def overlay(arch: Architecture, hops: Iterable[Any]) -> Overlay:
    """Summarise hops per edge and node: outcomes, failures and DLQ arrivals."""
    result = Overlay()
    dlq_nodes = {n.id for n in arch.nodes.values() if "dlq" in n.roles}
    for hop in hops:
        placed = place(hop, arch)
        if placed.source is None or placed.target is None:
            result.unplaced += 1
            continue
        key = (placed.source, placed.target)
        result.edge_outcomes.setdefault(key, Counter())[placed.outcome] += 1
        if placed.outcome in ("error", "throttled"):
            result.node_errors[placed.target] += 1
        is_dead_letter = placed.kind == "dlq" or (
            placed.kind == "destination" and "fail" in str(_field(hop, "summary")).lower()
        )
        if placed.outcome == "ok" and (
            is_dead_letter
            or (
                placed.target in dlq_nodes
                and placed.kind != "api"
                and placed.source not in ("client",)
            )
        ):
            result.dlq_arrivals[placed.target] += 1
    return result
