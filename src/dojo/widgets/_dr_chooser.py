"""RTO/RPO strategy chooser: the cheapest DR tier that meets the objectives (Paul, ch.4)."""

from __future__ import annotations

import ipywidgets as widgets

from dojo.sims import DR_TIERS, StrategyChoice, choose_dr_strategy

from ._graph import escape

__all__ = ["DrStrategyChooser"]


class DrStrategyChooser(widgets.VBox):
    """Pick RTO, RPO and a budget; see which tiers qualify and the cheapest that does.

    The tier figures are course assumptions anchored on Paul, ch.4 (active-active serves from the
    secondary within two to three minutes; active-passive needs a few minutes and a manual
    switch; backups only for non-critical systems). The widget also flags the chapter's
    inverted ranking of the tiers.

    Attributes:
        result: The :class:`~dojo.sims.StrategyChoice` currently shown.
    """

    def __init__(
        self, *, rto_min: float = 60.0, rpo_min: float = 15.0, budget: float | None = None
    ) -> None:
        self.rto = widgets.FloatLogSlider(
            value=rto_min,
            base=10,
            min=0,
            max=3.5,
            step=0.01,
            description="RTO (min)",
            readout_format=",.0f",
        )
        self.rpo = widgets.FloatLogSlider(
            value=max(rpo_min, 1.0),
            base=10,
            min=0,
            max=3.5,
            step=0.01,
            description="RPO (min)",
            readout_format=",.0f",
        )
        self.zero_rpo = widgets.Checkbox(
            value=rpo_min == 0, description="no data loss (RPO 0)", indent=False
        )
        self.limit_budget = widgets.Checkbox(
            value=budget is not None, description="budget limit", indent=False
        )
        self.budget = widgets.FloatSlider(
            value=budget or 2.5,
            min=1.0,
            max=3.0,
            step=0.1,
            description="x one region",
            disabled=budget is None,
        )
        self.output = widgets.HTML()
        self.tiers = widgets.HTML(self._tiers_html())
        for control in (self.rto, self.rpo, self.zero_rpo, self.limit_budget, self.budget):
            control.observe(lambda _change: self.update(), names="value")
        self.result: StrategyChoice
        super().__init__(
            [
                widgets.HBox([self.rto, self.rpo, self.zero_rpo]),
                widgets.HBox([self.limit_budget, self.budget]),
                self.output,
                self.tiers,
            ]
        )
        self.add_class("dojo-dr-chooser")
        self.update()

    @staticmethod
    def _tiers_html() -> str:
        rows = "".join(
            f"<tr><td>{escape(t.name)}</td><td>{t.rto_min:,.0f}</td><td>{t.rpo_min:,.0f}</td>"
            f"<td>x{t.relative_cost:g}</td><td>{escape(t.description)}</td></tr>"
            for t in DR_TIERS
        )
        return (
            "<table class='dojo-dr-tiers'><caption>Course tier table (assumptions anchored on "
            "Paul, ch.4)"
            "</caption><thead><tr><th>tier</th><th>typical RTO (min)</th><th>typical RPO (min)</th>"
            f"<th>cost</th><th>what runs</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def update(self) -> StrategyChoice:
        """Recompute the choice and redraw."""
        self.budget.disabled = not self.limit_budget.value
        self.rpo.disabled = self.zero_rpo.value
        rpo = 0.0 if self.zero_rpo.value else self.rpo.value
        self.result = choose_dr_strategy(
            self.rto.value, rpo, self.budget.value if self.limit_budget.value else None
        )
        self.output.value = self.result._repr_html_()
        return self.result

    def __repr__(self) -> str:
        return repr(self.result)
