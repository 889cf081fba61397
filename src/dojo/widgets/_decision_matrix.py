"""The scheduling decision matrix as editable grids (Sbarski, Cui & Nair 2e, ch.7)."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from dojo.sims import NFRS, SCORES_7_12, WEIGHTS_7_14, DecisionMatrix, decision_matrix
from dojo.sims._decision import BOOK_TOTALS_7_18, SOLUTION_LABELS

from ._graph import escape

__all__ = ["DecisionMatrixWidget"]

_NFR_LABELS = {
    "precision": "precision",
    "open_tasks": "open tasks",
    "hotspots": "hotspots",
    "cost": "cost",
}


class DecisionMatrixWidget(widgets.VBox):
    """Edit scores (Table 7.12) and weights (Table 7.14); see weighted totals and winners live.

    A toggle shows Table 7.18 as printed next to the recomputed totals. The printed DynamoDB TTL
    row is 3 points low in every column, so the widget always flags that slip.

    Attributes:
        result: The :class:`~dojo.sims.DecisionMatrix` for the current grids.
        book: The matrix for the book's own inputs (the source of the slip flag).
    """

    def __init__(self) -> None:
        self.scores = {
            s: {n: self._cell(v) for n, v in row.items()} for s, row in SCORES_7_12.items()
        }
        self.weights = {
            a: {n: self._cell(v) for n, v in row.items()} for a, row in WEIGHTS_7_14.items()
        }
        self.show_printed = widgets.Checkbox(
            value=True, description="show Table 7.18 as printed", indent=False
        )
        self.reset_button = widgets.Button(description="Book values", icon="undo")
        self.output = widgets.HTML()
        self.flags = widgets.HTML()
        for grid in (self.scores, self.weights):
            for row in grid.values():
                for cell in row.values():
                    cell.observe(lambda _change: self.update(), names="value")
        self.show_printed.observe(lambda _change: self.update(), names="value")
        self.reset_button.on_click(lambda _button: self.reset())
        self.book: DecisionMatrix = decision_matrix()
        self.result: DecisionMatrix = self.book
        super().__init__(
            [
                widgets.HTML("<b>Scores</b> (1-10 per solution, Table 7.12)"),
                self._grid(self.scores, SOLUTION_LABELS),
                widgets.HTML("<b>Weights</b> (1-10 per application, Table 7.14)"),
                self._grid(self.weights, {a: a for a in self.weights}),
                widgets.HBox([self.show_printed, self.reset_button]),
                self.output,
                self.flags,
            ]
        )
        self.add_class("dojo-decision-matrix")
        self.update()

    @staticmethod
    def _cell(value: int) -> widgets.BoundedIntText:
        return widgets.BoundedIntText(
            value=value, min=1, max=10, layout=widgets.Layout(width="64px")
        )

    @staticmethod
    def _grid(
        cells: dict[str, dict[str, widgets.BoundedIntText]], labels: dict[str, str]
    ) -> widgets.GridBox:
        children: list[Any] = [widgets.HTML("")] + [
            widgets.HTML(f"<i>{_NFR_LABELS[n]}</i>") for n in NFRS
        ]
        for key, row in cells.items():
            children.append(widgets.HTML(escape(labels.get(key, key))))
            children += [row[n] for n in NFRS]
        return widgets.GridBox(
            children, layout=widgets.Layout(grid_template_columns="200px repeat(4, 80px)")
        )

    def values(self) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
        """(scores, weights) as plain dicts from the grids."""
        scores = {s: {n: c.value for n, c in row.items()} for s, row in self.scores.items()}
        weights = {a: {n: c.value for n, c in row.items()} for a, row in self.weights.items()}
        return scores, weights

    def reset(self) -> None:
        """Put the book's scores and weights back."""
        for grid, source in ((self.scores, SCORES_7_12), (self.weights, WEIGHTS_7_14)):
            for key, row in grid.items():
                for nfr, cell in row.items():
                    cell.value = source[key][nfr]

    def update(self) -> DecisionMatrix:
        """Recompute the totals and redraw."""
        scores, weights = self.values()
        edited = scores != SCORES_7_12 or weights != WEIGHTS_7_14
        self.result = decision_matrix(scores, weights, printed={} if edited else None)
        if not edited:
            self.result = self.book
        winners = " · ".join(
            f"{escape(app)}: <b>{escape(SOLUTION_LABELS.get(s, s))}</b> ({t})"
            for app, (s, t) in self.result.winners.items()
        )
        html = f"<p class='dojo-result'>Winners — {winners}</p>" + self.result.table_html()
        if self.show_printed.value:
            html += self._printed_html()
        self.output.value = html
        self.flags.value = "".join(
            f"<p class='dojo-flag' style='color:#c62828'>⚠ {escape(f)}</p>" for f in self.book.flags
        )
        return self.result

    def _printed_html(self) -> str:
        apps = list(WEIGHTS_7_14)
        bad = {(d.solution, d.application) for d in self.book.discrepancies}
        rows = "".join(
            f"<tr><th>{escape(SOLUTION_LABELS[s])}</th>"
            + "".join(
                f"<td style='{'background:#fde2e1' if (s, a) in bad else ''}'>"
                f"{BOOK_TOTALS_7_18[s][a]}</td>"
                for a in apps
            )
            + "</tr>"
            for s in BOOK_TOTALS_7_18
        )
        head = "".join(f"<th>{escape(a)}</th>" for a in apps)
        return (
            "<table class='dojo-printed-7-18'><caption>Table 7.18 as printed (Sbarski, Cui &amp; "
            "Nair 2e, "
            "ch.7); highlighted cells disagree with Tables 7.12 x "
            f"7.14</caption><thead><tr><th></th>{head}"
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )

    def __repr__(self) -> str:
        return repr(self.result)
