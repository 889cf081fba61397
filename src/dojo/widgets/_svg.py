"""Render an :class:`Architecture` (and optionally one highlighted hop) as a standalone SVG string.

Every name a learner chose is escaped (``html.escape`` with quotes) before it reaches the markup;
the SVG has no scripts, so it is safe in an ipywidgets ``HTML`` value, in ``_repr_html_`` and in
nbconvert/nbgrader exports.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from ._graph import SERVICE_STYLE, Architecture, Edge, escape
from ._layout import Box, Layout, layout
from ._replay import Overlay, PlacedHop

__all__ = ["OUTCOME_COLOURS", "render_svg"]

OUTCOME_COLOURS = {
    "ok": "#2e7d32",
    "error": "#c62828",
    "throttled": "#ef6c00",
    "dropped": "#757575",
}
_EDGE_STYLE = {
    # kind → (stroke, dash)
    "observed": ("#90a4ae", "2 4"),
    "dlq": ("#c62828", "6 4"),
    "redrive": ("#c62828", "6 4"),
    "destination": ("#6a1b9a", "6 4"),
}
_FONT = "font-family='system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif'"


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path(
    a: Box, b: Box, offset: float = 0.0, waypoints: list[tuple[float, float, float]] | None = None
) -> tuple[str, float, float]:
    """A curve from box ``a`` to ``b`` through ``waypoints``; returns (d, label x, label y)."""
    if waypoints and b.x > a.x + a.w / 2:
        points = [(a.x + a.w, a.cy + offset)]
        for left, right, y in waypoints:
            points += [(left, y + offset), (right, y + offset)]
        points.append((b.x, b.cy + offset))
        d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
        for (x1, y1), (x2, y2) in pairwise(points):
            dx = max(20.0, (x2 - x1) / 2)
            d += f" C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        left, right, y = waypoints[len(waypoints) // 2]
        return d, (left + right) / 2, y + offset - 4
    if b.x > a.x + a.w / 2:  # forward: right side to left side
        x1, y1, x2, y2 = a.x + a.w, a.cy + offset, b.x, b.cy + offset
        dx = max(40.0, (x2 - x1) / 2)
        d = f"M{x1:.1f},{y1:.1f} C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        return d, (x1 + x2) / 2, (y1 + y2) / 2 - 4
    # same column or backwards: leave from the bottom, arc below, enter from the bottom
    x1, y1, x2, y2 = a.cx + offset, a.y + a.h, b.cx + offset, b.y + b.h
    drop = 34 + abs(x2 - x1) * 0.12
    low = max(y1, y2) + drop
    d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{low:.1f} {x2:.1f},{low:.1f} {x2:.1f},{y2:.1f}"
    return d, (x1 + x2) / 2, low - 8


def _edge_offsets(edges: list[Edge]) -> dict[int, float]:
    """Spread parallel edges between the same two nodes a few pixels apart."""
    seen: dict[frozenset[str], int] = {}
    offsets: dict[int, float] = {}
    for index, edge in enumerate(edges):
        pair = frozenset((edge.source, edge.target))
        count = seen.get(pair, 0)
        seen[pair] = count + 1
        offsets[index] = ((count + 1) // 2) * 7.0 * (1 if count % 2 else -1)
    return offsets


def render_svg(
    arch: Architecture,
    *,
    overlay: Overlay | None = None,
    current: PlacedHop | None = None,
    title: str | None = None,
    animate: bool = True,
) -> str:
    """The diagram as an ``<svg>`` element.

    Args:
        arch: Resources and wiring.
        overlay: Trace summary: edges that carried failed hops turn red, DLQs show arrivals.
        current: The hop being replayed; its path is drawn bold in its outcome's colour, with a
            moving dot when ``animate``.
        title: Caption drawn at the top-left.
        animate: Whether the current hop gets an SMIL animation (static exports may turn it off).
    """
    lay: Layout = layout(arch)
    top = 26 if title else 0
    arcs = any(
        e.source in lay.boxes
        and e.target in lay.boxes
        and lay.boxes[e.target].x <= lay.boxes[e.source].cx
        for e in arch.edges
    )
    width, height = lay.width, lay.height + top + 18 + (44 if arcs else 0)
    out: list[str] = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='dojo-arch' role='img' width='{width:.0f}' "
        f"height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}' {_FONT}>",
        f"<title>{escape(title or 'Architecture diagram')}</title>",
        "<defs>",
    ]
    for name, colour in {
        "default": "#546e7a",
        **OUTCOME_COLOURS,
        "fail": "#c62828",
        "observed": "#90a4ae",
        "destination": "#6a1b9a",
    }.items():
        out.append(
            f"<marker id='dojo-arrow-{name}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='9' "
            "markerHeight='9' markerUnits='userSpaceOnUse' orient='auto-start-reverse'><path "
            f"d='M0,0 L10,5 L0,10 z' fill='{colour}'/></marker>"
        )
    out.append("</defs>")
    out.append(f"<rect x='0' y='0' width='{width:.0f}' height='{height:.0f}' fill='#ffffff'/>")
    if title:
        out.append(
            "<text x='12' y='18' font-size='13' font-weight='600' "
            f"fill='#263238'>{escape(title)}</text>"
        )
    out.append(f"<g transform='translate(0,{top})'>")
    if not arch.nodes:
        out.append(
            f"<text x='24' y='40' font-size='13' fill='#607d8b'>Nothing deployed yet in "
            f"{escape(arch.region or 'this cloud')}.</text>"
        )
    offsets = _edge_offsets(arch.edges)
    for index, edge in enumerate(arch.edges):
        a, b = lay.boxes.get(edge.source), lay.boxes.get(edge.target)
        if a is None or b is None:
            continue
        d, lx, ly = _path(a, b, offsets[index], lay.waypoints.get(index))
        stroke, dash = _EDGE_STYLE.get(edge.kind, ("#546e7a", ""))
        marker = {"observed": "observed", "destination": "destination"}.get(edge.kind, "default")
        if edge.kind in ("dlq", "redrive"):
            marker = "fail"
        counts = overlay.edge_outcomes.get((edge.source, edge.target)) if overlay else None
        failed = sum(counts[o] for o in ("error", "throttled", "dropped")) if counts else 0
        width_px = 1.6
        if counts:
            width_px = 2.4
        if failed:
            stroke, marker, width_px = OUTCOME_COLOURS["error"], "error", 2.8
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
        out.append(
            f"<g class='dojo-edge dojo-edge-{escape(edge.kind)}' "
            f"data-source='{escape(edge.source)}' "
            f"data-target='{escape(edge.target)}' data-failed='{failed}'>"
            f"<title>{escape(edge.source)} → {escape(edge.target)} ({escape(edge.kind)}"
            f"{': ' + escape(edge.label) if edge.label else ''})"
            f"{_counts_text(counts)}</title>"
            f"<path d='{d}' fill='none' stroke='{stroke}' stroke-width='{width_px}'{dash_attr} "
            f"marker-end='url(#dojo-arrow-{marker})'/>"
        )
        label = edge.label if edge.kind != "observed" else f"{edge.label} (seen)"
        span = abs(b.x - (a.x + a.w)) if b.x > a.cx and index not in lay.waypoints else 2 * a.w
        label = _short(label, max(10, int(span / 5.6)))
        if failed:
            label = f"{label} ✖{failed}".strip()
        if label:
            out.append(
                f"<text x='{lx:.1f}' y='{ly:.1f}' font-size='10' text-anchor='middle' "
                "fill='#37474f' "
                f"stroke='#ffffff' stroke-width='3' paint-order='stroke'>{escape(label)}</text>"
            )
        out.append("</g>")
    for node_id, node in arch.nodes.items():
        box = lay.boxes[node_id]
        label, fill = SERVICE_STYLE.get(node.service, (node.service, "#ffffff"))
        errors = overlay.node_errors.get(node_id, 0) if overlay else 0
        arrivals = overlay.dlq_arrivals.get(node_id, 0) if overlay else 0
        border = OUTCOME_COLOURS["error"] if errors or arrivals else "#78909c"
        dlq = "dlq" in node.roles
        dash_attr = " stroke-dasharray='5 3'" if dlq and not arrivals else ""
        role_text = f"{label} · DLQ" if dlq else label
        tooltip = "\n".join(
            [f"{label}: {node.name}"] + [f"{k}: {v}" for k, v in node.detail.items()]
        )
        out.append(
            f"<g class='dojo-node dojo-service-{escape(node.service)}' "
            f"data-node-id='{escape(node_id)}' "
            f"data-errors='{errors}' "
            f"data-dlq-arrivals='{arrivals}'><title>{escape(tooltip)}</title>"
            f"<rect x='{box.x:.1f}' y='{box.y:.1f}' width='{box.w:.0f}' height='{box.h:.0f}' "
            "rx='8' "
            f"fill='{fill}' stroke='{border}' stroke-width='{2.4 if errors or arrivals else 1.2}'"
            f"{dash_attr}/>"
            f"<text x='{box.x + 10:.1f}' y='{box.y + 17:.1f}' font-size='10' "
            f"fill='#546e7a'>{escape(role_text)}</text>"
            f"<text x='{box.x + 10:.1f}' y='{box.y + 35:.1f}' font-size='13' fill='#263238'>"
            f"{escape(_short(node.name))}</text>"
        )
        badges = []
        if errors:
            badges.append((f"✖ {errors}", OUTCOME_COLOURS["error"]))
        if arrivals:
            badges.append((f"☠ {arrivals} in DLQ", OUTCOME_COLOURS["error"]))
        bx = box.x + box.w
        for text, colour in badges:
            w = 8 + 6.5 * len(text)
            bx -= w + 4
            out.append(
                f"<rect x='{bx:.1f}' y='{box.y - 9:.1f}' width='{w:.0f}' height='16' rx='8' "
                f"fill='{colour}'/>"
                f"<text x='{bx + w / 2:.1f}' y='{box.y + 3:.1f}' font-size='10' "
                "text-anchor='middle' "
                f"fill='#ffffff'>{escape(text)}</text>"
            )
        out.append("</g>")
    if current is not None:
        out.append(_current(current, lay, animate))
    out.append("</g>")
    out.append(_legend(width, height))
    out.append("</svg>")
    return "".join(out)


def _counts_text(counts: Any) -> str:
    if not counts:
        return ""
    return " — " + ", ".join(f"{escape(k)} {v}" for k, v in sorted(counts.items()))


def _current(current: PlacedHop, lay: Layout, animate: bool) -> str:
    colour = OUTCOME_COLOURS.get(current.outcome, "#1565c0")
    a = lay.boxes.get(current.source or "")
    b = lay.boxes.get(current.target or "")
    parts = [
        f"<g class='dojo-current' data-outcome='{escape(current.outcome)}' "
        f"data-source='{escape(current.source or '')}' "
        f"data-target='{escape(current.target or '')}'>"
    ]
    if a is not None and b is not None and a is not b:
        d, _, _ = _path(a, b)
        parts.append(
            f"<path id='dojo-current-path' d='{d}' fill='none' stroke='{colour}' stroke-width='4' "
            f"stroke-opacity='0.85' marker-end='url(#dojo-arrow-{escape(current.outcome)})'/>"
        )
        if animate:
            parts.append(
                f"<circle r='6' fill='{colour}'><animateMotion dur='0.9s' repeatCount='indefinite' "
                f"path='{d}'/></circle>"
            )
    for box in (a, b):
        if box is not None:
            parts.append(
                f"<rect x='{box.x - 3:.1f}' y='{box.y - 3:.1f}' width='{box.w + 6:.0f}' "
                f"height='{box.h + 6:.0f}' rx='10' fill='none' stroke='{colour}' stroke-width='3'/>"
            )
    parts.append("</g>")
    return "".join(parts)


def _legend(width: float, height: float) -> str:
    items = [
        ("ok", OUTCOME_COLOURS["ok"]),
        ("error", OUTCOME_COLOURS["error"]),
        ("throttled", OUTCOME_COLOURS["throttled"]),
        ("dropped", OUTCOME_COLOURS["dropped"]),
    ]
    x = 12.0
    y = height - 6
    parts = ["<g class='dojo-legend' font-size='10' fill='#546e7a'>"]
    for text, colour in items:
        parts.append(
            f"<circle cx='{x + 4:.0f}' cy='{y - 3:.0f}' r='4' fill='{colour}'/>"
            f"<text x='{x + 11:.0f}' y='{y:.0f}'>{text}</text>"
        )
        x += 14 + 6.2 * len(text) + 10
    parts.append(
        f"<text x='{x:.0f}' y='{y:.0f}'>dashed red: DLQ / redrive · dotted grey: seen in "
        "trace</text></g>"
    )
    return "".join(parts)
