"""Tiny SVG charts for the calculators (bars and lines), escaped and script-free."""

from __future__ import annotations

from collections.abc import Sequence

from ._graph import escape

__all__ = ["bar_chart", "line_chart"]

_FONT = "font-family='system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif'"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    highlight: int | None = None,
    marks: Sequence[float | None] | None = None,
    value_format: str = "{:.6f}",
    width: int = 460,
    height: int = 200,
) -> str:
    """Vertical bars with labels; ``marks`` draws a dot per bar (e.g. the book's printed value)."""
    top, bottom, left = 28, 36, 12
    plot_h = height - top - bottom
    peak = max([v for v in values] + [m for m in (marks or []) if m is not None] + [1e-12])
    n = max(1, len(values))
    slot = (width - 2 * left) / n
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='dojo-chart' width='{width}' "
        f"height='{height}' "
        f"viewBox='0 0 {width} {height}' {_FONT}><title>{escape(title)}</title>",
        f"<text x='{left}' y='16' font-size='12' font-weight='600' "
        f"fill='#263238'>{escape(title)}</text>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        h = plot_h * value / peak
        x = left + i * slot + slot * 0.15
        w = slot * 0.7
        colour = "#ef6c00" if i == highlight else "#90a4ae"
        parts.append(
            f"<rect class='dojo-bar' data-index='{i}' x='{x:.1f}' y='{top + plot_h - h:.1f}' "
            f"width='{w:.1f}' "
            f"height='{h:.1f}' fill='{colour}'><title>{escape(label)}: "
            f"{escape(value_format.format(value))}"
            f"</title></rect>"
        )
        parts.append(
            f"<text x='{x + w / 2:.1f}' y='{top + plot_h - h - 3:.1f}' font-size='9' "
            "text-anchor='middle' "
            f"fill='#37474f'>{escape(value_format.format(value))}</text>"
        )
        parts.append(
            f"<text x='{x + w / 2:.1f}' y='{height - bottom + 14:.1f}' font-size='10' "
            "text-anchor='middle' "
            f"fill='#37474f'>{escape(label)}</text>"
        )
        mark = marks[i] if marks and i < len(marks) else None
        if mark is not None:
            my = top + plot_h - plot_h * mark / peak
            parts.append(
                f"<circle class='dojo-book-mark' cx='{x + w / 2:.1f}' cy='{my:.1f}' r='4' "
                "fill='#1565c0'>"
                f"<title>book: {escape(value_format.format(mark))}</title></circle>"
            )
    if marks and any(m is not None for m in marks):
        parts.append(
            f"<circle cx='{width - 110}' cy='{height - 9}' r='4' fill='#1565c0'/>"
            f"<text x='{width - 102}' y='{height - 5}' font-size='10' fill='#37474f'>book's "
            "value</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: dict[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    colours: dict[str, str] | None = None,
    width: int = 460,
    height: int = 200,
) -> str:
    """Lines over a shared x axis (index = x)."""
    top, bottom, left, right = 28, 30, 44, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max((len(v) for v in series.values()), default=0)
    peak = max([max(v) for v in series.values() if len(v)] + [1e-12])
    palette = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00"]
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='dojo-chart' width='{width}' "
        f"height='{height}' "
        f"viewBox='0 0 {width} {height}' {_FONT}><title>{escape(title)}</title>",
        "<text x='8' y='16' font-size='12' font-weight='600' "
        f"fill='#263238'>{escape(title)}</text>",
        f"<line x1='{left}' y1='{top + plot_h}' x2='{left + plot_w}' y2='{top + plot_h}' "
        "stroke='#b0bec5'/>",
        f"<text x='{left + plot_w / 2:.0f}' y='{height - 6}' font-size='10' text-anchor='middle' "
        f"fill='#546e7a'>{escape(x_label)}</text>",
        f"<text x='4' y='{top + 8}' font-size='9' fill='#546e7a'>{peak:,.0f}</text>",
    ]
    for index, (name, values) in enumerate(series.items()):
        colour = (colours or {}).get(name, palette[index % len(palette)])
        points = " ".join(
            f"{left + plot_w * i / max(1, n - 1):.1f},{top + plot_h - plot_h * v / peak:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f"<polyline class='dojo-line' data-series='{escape(name)}' points='{points}' "
            "fill='none' "
            f"stroke='{colour}' stroke-width='2'/>"
        )
        parts.append(
            f"<text x='{left + 6 + index * 150}' y='{top + 10}' font-size='10' fill='{colour}'>"
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
