"""The architecture as data: resources (nodes), wiring (edges), and how trace names map onto them.

Node ids follow the trace's naming (``service:name``, e.g. ``lambda:resize``, ``sqs:jobs``,
``events:nightly-rule``) so hops from ``cloud.trace`` land on the right boxes. Event buses use
``eventbus:name`` (rules are ``events:name`` in the trace).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

__all__ = ["SERVICE_STYLE", "Architecture", "Edge", "Node", "node_id_for_arn", "resolve_endpoint"]

SERVICE_STYLE: dict[str, tuple[str, str]] = {
    # service → (label shown in the box, fill colour)
    "client": ("notebook", "#eceff1"),
    "apigateway": ("API Gateway", "#f3e5f5"),
    "s3": ("S3 bucket", "#e8f5e9"),
    "lambda": ("Lambda", "#fff3e0"),
    "dynamodb": ("DynamoDB", "#e3f2fd"),
    "sqs": ("SQS queue", "#fce4ec"),
    "sns": ("SNS topic", "#fbe9e7"),
    "eventbus": ("event bus", "#ede7f6"),
    "events": ("EventBridge rule", "#ede7f6"),
    "kinesis": ("Kinesis stream", "#e0f7fa"),
    "states": ("state machine", "#f1f8e9"),
    "external": ("endpoint", "#ffffff"),
}
"""Label and colour per service."""

EDGE_KINDS = (
    "notification",
    "subscription",
    "esm",
    "rule",
    "target",
    "integration",
    "task",
    "dlq",
    "redrive",
    "destination",
    "observed",
)


@dataclass(frozen=True)
class Node:
    """One resource.

    Attributes:
        id: ``service:name`` (the trace's naming).
        service: Key into :data:`SERVICE_STYLE`.
        name: The resource's name as the learner gave it.
        detail: Facts shown in a tooltip (runtime, memory, stream view, ...).
        roles: Extra roles, e.g. ``("dlq",)`` for a queue that receives dead letters.
    """

    id: str
    service: str
    name: str
    detail: dict[str, Any] = field(default_factory=dict, compare=False)
    roles: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The service label shown above the name."""
        return SERVICE_STYLE.get(self.service, (self.service, ""))[0]


@dataclass(frozen=True)
class Edge:
    """One wire from ``source`` to ``target``.

    Attributes:
        source, target: Node ids.
        kind: ``notification`` (S3), ``subscription`` (SNS), ``esm`` (event source mapping),
            ``rule`` (bus → rule), ``target`` (rule → target), ``integration`` (API → backend),
            ``task`` (state machine → resource), ``dlq`` / ``redrive`` / ``destination``
            (where failures go), ``observed`` (seen in the trace but not configured).
        label: Short text on the edge (events, route, batch size ...).
    """

    source: str
    target: str
    kind: str
    label: str = ""

    @property
    def failure_path(self) -> bool:
        """True for edges that carry failed events (DLQs, redrives, on-failure destinations)."""
        return self.kind in ("dlq", "redrive") or (
            self.kind == "destination" and "fail" in self.label.lower()
        )


@dataclass
class Architecture:
    """Resources and wiring discovered in a cloud (see :func:`dojo.widgets.discover`).

    Attributes:
        nodes: id → node, in discovery order.
        edges: Wires, without duplicates.
        region: Region that was inspected.
        problems: Services that could not be listed, and why (the diagram still draws the rest).
    """

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    region: str = ""
    problems: list[str] = field(default_factory=list)

    def add_node(self, node: Node) -> Node:
        """Add a node (an existing one keeps its detail, gains roles)."""
        existing = self.nodes.get(node.id)
        if existing is None:
            self.nodes[node.id] = node
            return node
        merged = Node(
            existing.id,
            existing.service,
            existing.name,
            {**node.detail, **existing.detail},
            tuple(dict.fromkeys(existing.roles + node.roles)),
        )
        self.nodes[node.id] = merged
        return merged

    def ensure(self, node_id: str) -> Node:
        """The node ``node_id``; a bare one is created (e.g. a target in another account)."""
        if node_id not in self.nodes:
            service, _, name = node_id.partition(":")
            self.nodes[node_id] = Node(
                node_id, service if service in SERVICE_STYLE else "external", name or node_id
            )
        return self.nodes[node_id]

    def add_edge(self, source: str, target: str, kind: str, label: str = "") -> None:
        """Add a wire (both ends are created if missing; exact duplicates are ignored)."""
        self.ensure(source)
        self.ensure(target)
        edge = Edge(source, target, kind, label)
        if edge not in self.edges:
            self.edges.append(edge)
        if edge.failure_path:
            self.add_node(
                Node(target, self.nodes[target].service, self.nodes[target].name, roles=("dlq",))
            )

    def edges_between(self, source: str, target: str) -> list[Edge]:
        """Edges from ``source`` to ``target``."""
        return [e for e in self.edges if e.source == source and e.target == target]

    def signature(self) -> tuple[Any, ...]:
        """A hashable summary, to tell whether anything changed since the last look."""
        return (
            tuple(sorted(self.nodes)),
            tuple(sorted((e.source, e.target, e.kind, e.label) for e in self.edges)),
        )

    def __repr__(self) -> str:
        lines = [
            f"<Architecture {self.region}: {len(self.nodes)} resources, {len(self.edges)} wires>"
        ]
        lines += [
            f"  {e.source} -[{e.kind}{' ' + e.label if e.label else ''}]-> {e.target}"
            for e in self.edges
        ]
        wired = {e.source for e in self.edges} | {e.target for e in self.edges}
        lines += [f"  {n} (not wired)" for n in self.nodes if n not in wired]
        lines += [f"  ! {p}" for p in self.problems]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ._svg import render_svg

        return render_svg(self)


def _tail(resource: str) -> str:
    return resource.split("/")[-1].split(":")[-1]


def node_id_for_arn(arn: str) -> str:
    """Map an ARN (or SQS queue URL) to the node id the diagram and the trace use."""
    if arn.startswith(("https://", "http://")):
        url = urlparse(arn)
        # Queue URLs: https://sqs.<region>.amazonaws.com/<account>/<name> (or a moto server host).
        if "sqs" in url.netloc or re.fullmatch(r"/\d{12}/[^/]+/?", url.path):
            return f"sqs:{url.path.rstrip('/').split('/')[-1]}"
        return f"external:{arn}"
    if not arn.startswith("arn:"):
        return f"external:{arn}"
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return f"external:{arn}"
    service, resource = parts[2], parts[5]
    if service == "lambda":
        pieces = resource.split(":")
        return f"lambda:{pieces[1] if len(pieces) > 1 else pieces[0]}"
    if service == "dynamodb":
        pieces = resource.split("/")
        return f"dynamodb:{pieces[1] if len(pieces) > 1 else pieces[0]}"
    if service == "kinesis":
        return f"kinesis:{resource.split('/')[1] if '/' in resource else resource}"
    if service == "states":
        pieces = resource.split(":")
        return f"states:{pieces[1] if len(pieces) > 1 else pieces[0]}"
    if service == "events":
        if resource.startswith("event-bus/"):
            return f"eventbus:{resource.split('/', 1)[1]}"
        if resource.startswith("rule/"):
            return f"events:{resource.split('/')[-1]}"
        return f"external:{arn}"
    if service == "s3":
        return f"s3:{resource.split('/')[0]}"
    if service in ("sqs", "sns"):
        return f"{service}:{_tail(resource)}"
    if service == "execute-api":
        return f"apigateway:{resource.split('/')[0]}"
    return f"external:{arn}"


_SUMMARY_KEYS = {
    "FunctionName": "lambda",
    "TableName": "dynamodb",
    "Bucket": "s3",
    "QueueUrl": "sqs",
    "TopicArn": "sns",
    "StreamName": "kinesis",
    "stateMachineArn": "states",
}


def resolve_endpoint(name: str, summary: str, known: dict[str, Node] | set[str]) -> str | None:
    """The node id a trace endpoint refers to, or None when it is not a drawn resource.

    ``lambda:fn`` style names map directly. API-call targets such as ``dynamodb:PutItem`` are
    resolved through the hop summary (``TableName=orders`` → ``dynamodb:orders``).
    """
    if name in known:
        return name
    rest = name.partition(":")[2]
    if rest[:1].isupper():
        for token in summary.split():
            key, sep, value = token.partition("=")
            if not sep or key not in _SUMMARY_KEYS:
                continue
            wanted = _SUMMARY_KEYS[key]
            if value.startswith(("arn:", "https://", "http://")):
                candidate = node_id_for_arn(value)
            else:
                candidate = f"{wanted}:{value.split(':')[0]}"
            if candidate in known:
                return candidate
    return None


def escape(value: Any) -> str:
    """HTML/XML-escape anything (quotes too) for attributes and text."""
    return html.escape(str(value), quote=True)
