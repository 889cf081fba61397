"""Concurrency calculator: requests/s x duration vs the account limit and the book's burst."""

from __future__ import annotations

import ipywidgets as widgets

from dojo.sims import BOOK_BURSTS, ConcurrencyPlan, capacity_at, concurrency_plan

from ._charts import line_chart

__all__ = ["ConcurrencyCalculator"]


class ConcurrencyCalculator(widgets.VBox):
    """How many execution environments a load needs, and when the book's limits throttle it.

    Concurrency = requests per second x duration in seconds; account limit 1,000 by default;
    initial burst 500-3,000 by region, then +500 environments a minute (Sbarski, Cui & Nair 2e,
    ch.6 and ch.10 — the book's scaling model, replaced by AWS in late 2023). The chart shows
    environments available during a sudden scale-up against what the load needs.

    Attributes:
        result: The :class:`~dojo.sims.ConcurrencyPlan` currently shown.
    """

    def __init__(
        self,
        *,
        rps: float = 100.0,
        duration_s: float = 0.5,
        account_limit: int = 1000,
        burst: int = 3000,
    ) -> None:
        self.rps = widgets.FloatLogSlider(
            value=rps,
            base=10,
            min=0,
            max=5,
            step=0.01,
            description="requests/s",
            readout_format=",.0f",
            continuous_update=False,
        )
        self.duration = widgets.FloatSlider(
            value=duration_s,
            min=0.01,
            max=30.0,
            step=0.01,
            description="duration s",
            continuous_update=False,
        )
        self.burst = widgets.Dropdown(
            options=[(f"{v:,} — {k}", v) for k, v in BOOK_BURSTS.items()],
            value=burst,
            description="burst",
            layout=widgets.Layout(width="460px"),
        )
        self.account_limit = widgets.BoundedIntText(
            value=account_limit, min=1, max=1_000_000, step=100, description="account limit"
        )
        self.per_minute = widgets.BoundedIntText(
            value=500, min=1, max=100_000, step=100, description="+ per minute"
        )
        self.output = widgets.HTML()
        self.chart = widgets.HTML()
        for control in (self.rps, self.duration, self.burst, self.account_limit, self.per_minute):
            control.observe(lambda _change: self.update(), names="value")
        self.result: ConcurrencyPlan
        super().__init__(
            [
                widgets.HBox([self.rps, self.duration]),
                self.burst,
                widgets.HBox([self.account_limit, self.per_minute]),
                self.output,
                self.chart,
            ]
        )
        self.add_class("dojo-concurrency-calculator")
        self.update()

    def update(self) -> ConcurrencyPlan:
        """Recompute for the current controls and redraw."""
        self.result = concurrency_plan(
            self.rps.value,
            self.duration.value,
            burst=self.burst.value,
            per_minute=self.per_minute.value,
            account_limit=self.account_limit.value,
        )
        plan = self.result
        minutes = max(5, plan.ramp_minutes + 2)
        available = [
            float(
                capacity_at(
                    60 * m,
                    burst=plan.burst,
                    per_minute=plan.per_minute,
                    account_limit=plan.account_limit,
                )
            )
            for m in range(minutes + 1)
        ]
        self.output.value = plan._repr_html_()
        self.chart.value = line_chart(
            {
                "environments available": available,
                "environments needed": [float(plan.required)] * (minutes + 1),
            },
            title="Sudden scale-up: available vs needed",
            x_label="minutes after the surge",
            colours={"environments available": "#1565c0", "environments needed": "#c62828"},
        )
        return plan

    def __repr__(self) -> str:
        return repr(self.result)
