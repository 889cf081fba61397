"""A filterable table of trace hops (source, target, outcome, duration) with a payload viewer."""

from __future__ import annotations

import fnmatch
from typing import Any

import ipywidgets as widgets

from ._diagram import payload_html
from ._graph import escape
from ._replay import PlacedHop, is_flow
from ._svg import OUTCOME_COLOURS

__all__ = ["TraceTable", "filter_hops"]

_OUTCOMES = ("ok", "error", "throttled", "dropped")


def _get(hop: Any, name: str) -> Any:
    return hop.get(name, "") if isinstance(hop, dict) else getattr(hop, name, "")


def filter_hops(
    hops: list[Any],
    *,
    source: str = "",
    target: str = "",
    outcomes: tuple[str, ...] | list[str] = _OUTCOMES,
    kind: str = "",
    text: str = "",
    flow_only: bool = False,
) -> list[Any]:
    """Hops matching every filter.

    Args:
        hops: ``dojo.cloud.Hop`` objects or dicts with the same fields.
        source, target: Glob patterns (``lambda:*``); a plain word matches anywhere.
        outcomes: Outcomes to keep.
        kind: Exact hop kind (``invoke``, ``delivery``, ``esm`` ...), empty for all.
        text: Case-insensitive text searched in the summary and detail.
        flow_only: Leave out control-plane API calls (CreateBucket ...).
    """

    def match(value: str, pattern: str) -> bool:
        if not pattern:
            return True
        if any(c in pattern for c in "*?["):
            return fnmatch.fnmatchcase(value, pattern)
        return pattern.lower() in value.lower()

    out = []
    for hop in hops:
        if not match(str(_get(hop, "source")), source) or not match(
            str(_get(hop, "target")), target
        ):
            continue
        if str(_get(hop, "outcome")) not in outcomes or (kind and _get(hop, "kind") != kind):
            continue
        if text and text.lower() not in f"{_get(hop, 'summary')} {_get(hop, 'detail')}".lower():
            continue
        if flow_only and not is_flow(hop):
            continue
        out.append(hop)
    return out


class TraceTable(widgets.VBox):
    """Filter ``cloud.trace`` by source, target, outcome, kind or text, and inspect any hop.

    Args:
        source: A ``LocalCloud`` (its ``trace`` is read on every refresh), a ``Trace``, or a
            list of hops.
        limit: Most rows shown (the newest ones).

    Example:
        >>> dojo.widgets.TraceTable(cloud)
    """

    def __init__(self, source: Any, *, limit: int = 200) -> None:
        self.source = source
        self.limit = limit
        self.source_filter = widgets.Text(
            placeholder="source, e.g. lambda:*",
            description="source",
            continuous_update=False,
            layout=widgets.Layout(width="230px"),
        )
        self.target_filter = widgets.Text(
            placeholder="target, e.g. sqs:*",
            description="target",
            continuous_update=False,
            layout=widgets.Layout(width="230px"),
        )
        self.outcome_filter = widgets.SelectMultiple(
            options=_OUTCOMES,
            value=_OUTCOMES,
            description="outcome",
            rows=4,
            layout=widgets.Layout(width="200px"),
        )
        self.kind_filter = widgets.Dropdown(
            options=[("all kinds", "")],
            value="",
            description="kind",
            layout=widgets.Layout(width="200px"),
        )
        self.text_filter = widgets.Text(
            placeholder="text in summary/detail",
            description="text",
            continuous_update=False,
            layout=widgets.Layout(width="230px"),
        )
        self.flow_only = widgets.Checkbox(value=False, description="data flow only", indent=False)
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.table = widgets.HTML()
        self.picker = widgets.Dropdown(
            options=[("—", -1)],
            value=-1,
            description="inspect",
            layout=widgets.Layout(width="420px"),
        )
        self.payload = widgets.HTML(payload_html(None))
        for control in (
            self.source_filter,
            self.target_filter,
            self.outcome_filter,
            self.kind_filter,
            self.text_filter,
            self.flow_only,
        ):
            control.observe(lambda _change: self.refresh(), names="value")
        self.picker.observe(self._on_pick, names="value")
        self.refresh_button.on_click(lambda _button: self.refresh())
        filters = widgets.HBox(
            [
                widgets.VBox([self.source_filter, self.target_filter, self.text_filter]),
                self.outcome_filter,
                widgets.VBox([self.kind_filter, self.flow_only, self.refresh_button]),
            ]
        )
        super().__init__([filters, self.table, self.picker, self.payload])
        self.add_class("dojo-trace-table")
        self.rows: list[Any] = []
        self.refresh()

    def _all_hops(self) -> list[Any]:
        trace = getattr(self.source, "trace", self.source)
        return list(trace) if trace is not None else []

    def refresh(self) -> list[Any]:
        """Apply the filters to the current trace and redraw; returns the matching hops."""
        hops = self._all_hops()
        kinds = sorted({str(_get(h, "kind")) for h in hops})
        options = [("all kinds", "")] + [(k, k) for k in kinds]
        if list(self.kind_filter.options) != options:
            current = self.kind_filter.value
            self.kind_filter.options = options
            self.kind_filter.value = current if current in kinds else ""
        self.rows = filter_hops(
            hops,
            source=self.source_filter.value.strip(),
            target=self.target_filter.value.strip(),
            outcomes=tuple(self.outcome_filter.value),
            kind=self.kind_filter.value,
            text=self.text_filter.value.strip(),
            flow_only=self.flow_only.value,
        )
        shown = self.rows[-self.limit :]
        self.table.value = self._table_html(shown, len(hops))
        picks = [("—", -1)] + [
            (
                f"#{_get(h, 'seq')} {_get(h, 'source')} → {_get(h, 'target')} "
                f"({_get(h, 'outcome')})",
                i,
            )
            for i, h in enumerate(self.rows)
        ]
        previous = self.picker.value
        self.picker.options = picks
        self.picker.value = previous if 0 <= previous < len(self.rows) else -1
        self._on_pick(None)
        return self.rows

    def inspect(self, index: int) -> dict[str, Any] | None:
        """Show filtered row ``index`` in the payload viewer and return it as a dict."""
        self.picker.value = index if 0 <= index < len(self.rows) else -1
        return (
            PlacedHop(self.rows[index], None, None).as_dict()
            if 0 <= index < len(self.rows)
            else None
        )

    def _on_pick(self, _change: Any) -> None:
        index = self.picker.value
        self.payload.value = payload_html(
            PlacedHop(self.rows[index], None, None) if 0 <= index < len(self.rows) else None
        )

    def _table_html(self, hops: list[Any], total: int) -> str:
        head = "".join(
            f"<th style='text-align:left;padding:2px 8px'>{c}</th>"
            for c in ("#", "at", "source", "target", "kind", "outcome", "ms", "summary")
        )
        rows = []
        for hop in hops:
            outcome = str(_get(hop, "outcome"))
            colour = OUTCOME_COLOURS.get(outcome, "#263238")
            background = "#fdecea" if outcome != "ok" else ""
            duration = _get(hop, "duration_ms") or 0
            cells = [
                _get(hop, "seq"),
                _get(hop, "at"),
                _get(hop, "source"),
                _get(hop, "target"),
                _get(hop, "kind"),
            ]
            rows.append(
                f"<tr class='dojo-hop dojo-hop-{escape(outcome)}' style='background:{background}'>"
                + "".join(f"<td style='padding:2px 8px'>{escape(c)}</td>" for c in cells)
                + f"<td style='padding:2px 8px;color:{colour};font-weight:600'>"
                + f"{escape(outcome)}</td>"
                + f"<td style='padding:2px 8px;text-align:right'>{float(duration):.2f}</td>"
                + f"<td style='padding:2px 8px'>{escape(_get(hop, 'summary'))}</td></tr>"
            )
        caption = f"{len(self.rows)} of {total} hops" + (
            f" (newest {len(hops)} shown)" if len(hops) < len(self.rows) else ""
        )
        return (
            f"<div style='max-height:22em;overflow:auto'><table class='dojo-trace-table' "
            "style='border-collapse:collapse;font-size:12px'><caption "
            f"style='text-align:left'>{escape(caption)}"
            f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )

    def __repr__(self) -> str:
        return f"<TraceTable {len(self.rows)} hops shown>"
