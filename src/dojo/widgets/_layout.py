"""Layered left-to-right layout: events flow from producers (left) to consumers and DLQs (right)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from ._graph import Architecture

__all__ = ["Box", "Layout", "layout"]

NODE_W = 168
NODE_H = 46
GAP_X = 86
GAP_Y = 26
DUMMY_H = 8
MARGIN = 24

# Where a resource with no wires goes: producers on the left, stores on the right.
_SERVICE_COLUMN = {
    "client": 0,
    "apigateway": 0,
    "s3": 0,
    "eventbus": 0,
    "events": 1,
    "sns": 1,
    "kinesis": 1,
    "sqs": 1,
    "states": 1,
    "lambda": 2,
    "dynamodb": 3,
    "external": 3,
}


@dataclass(frozen=True)
class Box:
    """Where one node is drawn (top-left corner and size, in SVG user units)."""

    x: float
    y: float
    w: float = NODE_W
    h: float = NODE_H

    @property
    def cx(self) -> float:
        """Centre x."""
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        """Centre y."""
        return self.y + self.h / 2


@dataclass(frozen=True)
class Layout:
    """Boxes per node id and the canvas size."""

    boxes: dict[str, Box]
    width: float
    height: float
    layers: dict[str, int]
    waypoints: dict[int, list[tuple[float, float, float]]] = field(default_factory=dict)
    """Edge index → (x left, x right, y) of each column the edge crosses."""


def _layers(arch: Architecture) -> dict[str, int]:
    """Longest-path layering after dropping the edges that close a cycle."""
    succ: dict[str, list[str]] = {n: [] for n in arch.nodes}
    for edge in arch.edges:
        if edge.source != edge.target:
            succ.setdefault(edge.source, []).append(edge.target)
    # Depth-first search to find back edges (cycles such as a queue that feeds a function that
    # writes back to it) and keep a DAG.
    state: dict[str, int] = {}
    dag: dict[str, list[str]] = {n: [] for n in succ}
    for root in succ:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                continue
            if state.get(child) == 1:
                continue  # back edge
            dag[node].append(child)
            if child not in state:
                state[child] = 1
                stack.append((child, iter(succ.get(child, []))))
    preds: dict[str, list[str]] = {n: [] for n in dag}
    for node, kids in dag.items():
        for kid in kids:
            preds.setdefault(kid, []).append(node)
    wired = {e.source for e in arch.edges} | {e.target for e in arch.edges}
    layer: dict[str, int] = {}

    def depth(node: str, seen: frozenset[str] = frozenset()) -> int:
        if node in layer:
            return layer[node]
        parents = [p for p in preds.get(node, []) if p not in seen]
        value = 1 + max((depth(p, seen | {node}) for p in parents), default=-1)
        if not parents and node not in wired:
            value = _SERVICE_COLUMN.get(arch.nodes[node].service, 0) if node in arch.nodes else 0
        layer[node] = value
        return value

    for node in arch.nodes:
        depth(node)
    return layer


def layout(arch: Architecture) -> Layout:
    """Place every node of ``arch`` in columns (layers) and rows, minimising crossings a little.

    Edges that skip columns get invisible waypoints in the columns they cross (as in Sugiyama's
    method), so they run between boxes instead of through them.
    """
    layer = _layers(arch)
    columns: dict[int, list[str]] = {}
    for node in arch.nodes:  # discovery order is the starting order
        columns.setdefault(layer[node], []).append(node)
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    chains: dict[int, list[str]] = {}
    for index, edge in enumerate(arch.edges):
        start, end = layer.get(edge.source, 0), layer.get(edge.target, 0)
        chain = [edge.source]
        for column in range(start + 1, end):
            dummy = f"\0{index}:{column}"
            layer[dummy] = column
            columns.setdefault(column, []).append(dummy)
            chain.append(dummy)
        chain.append(edge.target)
        if len(chain) > 2:
            chains[index] = chain[1:-1]
        for a, b in pairwise(chain):
            preds.setdefault(b, []).append(a)
            succs.setdefault(a, []).append(b)
    # Barycentre sweeps (left to right, then right to left, twice) to untangle edges.
    sweeps = [(preds, sorted(columns)), (succs, sorted(columns, reverse=True))] * 2
    for neighbours, order in sweeps:
        position = {n: i for col in columns.values() for i, n in enumerate(col)}
        for index in order:
            col = columns[index]
            before = {n: i for i, n in enumerate(col)}

            def key(
                node: str,
                neighbours: dict[str, list[str]] = neighbours,
                position: dict[str, int] = position,
                before: dict[str, int] = before,
            ) -> float:
                linked = [
                    position[p]
                    for p in neighbours.get(node, [])
                    if p in position and layer[p] != layer[node]
                ]
                return sum(linked) / len(linked) if linked else float(before[node])

            col.sort(key=key)
            position.update({n: i for i, n in enumerate(col)})

    def size(node: str) -> float:
        return DUMMY_H if node.startswith("\0") else NODE_H

    heights = {
        i: sum(size(n) for n in col) + max(0, len(col) - 1) * GAP_Y for i, col in columns.items()
    }
    height = 2 * MARGIN + max(heights.values(), default=0)
    boxes: dict[str, Box] = {}
    centres: dict[str, tuple[float, float, float]] = {}
    for index, col in columns.items():
        y = (height - heights[index]) / 2
        x = MARGIN + index * (NODE_W + GAP_X)
        for node in col:
            if node.startswith("\0"):
                centres[node] = (x, x + NODE_W, y + DUMMY_H / 2)
            else:
                boxes[node] = Box(x, y)
            y += size(node) + GAP_Y
    waypoints = {index: [centres[d] for d in chain] for index, chain in chains.items()}
    n_columns = max(columns, default=-1) + 1
    width = 2 * MARGIN + n_columns * NODE_W + max(0, n_columns - 1) * GAP_X
    real_layers = {n: layer[n] for n in arch.nodes}
    return Layout(
        boxes,
        max(width, 2 * MARGIN + NODE_W),
        max(height, 2 * MARGIN + NODE_H),
        real_layers,
        waypoints,
    )
