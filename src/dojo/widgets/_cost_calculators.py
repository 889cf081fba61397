"""Cost calculators: memory vs duration vs cost (Table 10.1) and the monthly bill (App. B)."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from dojo.sims import TABLE_10_1, MemoryCostTable, MonthlyBill, memory_cost_table, monthly_bill

from ._charts import bar_chart

__all__ = ["LambdaMemoryCalculator", "MonthlyCostCalculator"]

WORKLOADS: dict[str, dict[str, Any]] = {
    "Image resizer: Table 10.1 measurements": {},
    "CPU-bound model (resizer-like)": {"cpu_s_at_1024": 1.466, "io_s": 0.0},
    "I/O-bound model (partner API call)": {"cpu_s_at_1024": 0.02, "io_s": 0.8},
}
"""Workloads: the book's measured resizer, and two duration models (CPU share ∝ memory)."""

MODEL_MEMORIES = (128, 256, 512, 1024, 1536, 2048, 3008)


class LambdaMemoryCalculator(widgets.VBox):
    """Memory vs duration vs cost per 1,000 requests, with Table 10.1's points overlaid.

    Source: Sbarski, Cui & Nair 2e, ch.10, Table 10.1 (image resizer at 128-1,024 MB). The
    measured workload reproduces the table's costs; the two models show why CPU-bound work gets
    faster for about the same money while I/O-bound work only gets dearer.

    Attributes:
        result: The :class:`~dojo.sims.MemoryCostTable` currently shown.
    """

    def __init__(self, workload: str = "Image resizer: Table 10.1 measurements") -> None:
        self.workload = widgets.Dropdown(
            options=list(WORKLOADS),
            value=workload,
            description="workload",
            layout=widgets.Layout(width="420px"),
        )
        self.memory = widgets.SelectionSlider(
            options=[r.memory_mb for r in TABLE_10_1],
            value=1024,
            description="memory MB",
            continuous_update=True,
        )
        self.cpu = widgets.FloatSlider(
            value=1.466,
            min=0.01,
            max=10.0,
            step=0.01,
            description="CPU s @1 GB",
            readout_format=".2f",
        )
        self.io = widgets.FloatSlider(value=0.0, min=0.0, max=5.0, step=0.05, description="I/O s")
        self.output = widgets.HTML()
        self.chart = widgets.HTML()
        self.workload.observe(self._on_workload, names="value")
        for control in (self.memory, self.cpu, self.io):
            control.observe(lambda _change: self.update(), names="value")
        self.result: MemoryCostTable = memory_cost_table()
        super().__init__(
            [self.workload, widgets.HBox([self.memory, self.cpu, self.io]), self.output, self.chart]
        )
        self.add_class("dojo-memory-calculator")
        self._on_workload(None)

    def _on_workload(self, _change: Any) -> None:
        model = WORKLOADS[self.workload.value]
        measured = not model
        options = [r.memory_mb for r in TABLE_10_1] if measured else list(MODEL_MEMORIES)
        keep = self.memory.value if self.memory.value in options else 1024
        with self.hold_trait_notifications():
            self.memory.options = options
            self.memory.value = keep
            if model:
                self.cpu.value, self.io.value = model["cpu_s_at_1024"], model["io_s"]
        self.cpu.disabled = self.io.disabled = measured
        self.update()

    def update(self) -> MemoryCostTable:
        """Recompute for the current controls and redraw."""
        if WORKLOADS[self.workload.value]:
            self.result = memory_cost_table(
                list(self.memory.options),
                workload=self.workload.value,
                cpu_s_at_1024=self.cpu.value,
                io_s=self.io.value,
            )
        else:
            self.result = memory_cost_table()
        rows = self.result.rows
        chosen = next(r for r in rows if r.memory_mb == self.memory.value)
        book = {r.memory_mb: r for r in TABLE_10_1}
        self.output.value = (
            f"<p class='dojo-result'><b>{chosen.memory_mb:,} MB</b>: {chosen.duration_s:.3f} s per "
            "request, "
            f"<b>${chosen.cost_per_1000:.6f}</b> per 1,000 requests. Cheapest: "
            f"{self.result.cheapest.memory_mb:,} MB; "
            f"fastest: {self.result.fastest.memory_mb:,} MB (speed-up "
            f"{self.result.speedup:.1f}x).</p>"
            + self.result._repr_html_()
            + "<p><small>Price per GB-s and per request from the course price table "
            "(book era, Sbarski, Cui &amp; "
            "Nair 2e, ch.10 and App. B). The book calls the speed-up about 10x; its own table "
            "gives about 8x.</small></p>"
        )
        self.chart.value = bar_chart(
            [f"{r.memory_mb}" for r in rows],
            [r.cost_per_1000 for r in rows],
            title=f"Cost per 1,000 requests — {self.workload.value}",
            highlight=[r.memory_mb for r in rows].index(chosen.memory_mb),
            marks=[book[r.memory_mb].cost_per_1000 if r.memory_mb in book else None for r in rows],
        )
        return self.result

    def __repr__(self) -> str:
        return repr(self.result)


class MonthlyCostCalculator(widgets.VBox):
    """A month of Lambda behind an API Gateway REST API, line by line.

    Defaults are the worked example of Sbarski, Cui & Nair 2e, appendix B: 256 MB, 5 M calls of
    2 s, 100 GB out → $62.307 (Lambda $35.807 + API Gateway $26.50).

    Attributes:
        result: The :class:`~dojo.sims.MonthlyBill` currently shown.
    """

    def __init__(
        self,
        *,
        invocations: int = 5_000_000,
        memory_mb: int = 256,
        duration_s: float = 2.0,
        data_out_gb: float = 100.0,
        api: bool = True,
        free_tier: bool = True,
    ) -> None:
        self.invocations = widgets.IntSlider(
            value=invocations,
            min=0,
            max=50_000_000,
            step=100_000,
            description="calls/month",
            continuous_update=False,
            layout=widgets.Layout(width="460px"),
        )
        self.memory = widgets.IntSlider(
            value=memory_mb,
            min=128,
            max=10_240,
            step=64,
            description="memory MB",
            continuous_update=False,
            layout=widgets.Layout(width="460px"),
        )
        self.duration = widgets.FloatSlider(
            value=duration_s,
            min=0.001,
            max=900.0,
            step=0.001,
            readout_format=".3f",
            description="duration s",
            continuous_update=False,
            layout=widgets.Layout(width="460px"),
        )
        self.data_out = widgets.FloatSlider(
            value=data_out_gb,
            min=0.0,
            max=10_000.0,
            step=1.0,
            description="GB out",
            continuous_update=False,
            layout=widgets.Layout(width="460px"),
        )
        self.api = widgets.Checkbox(
            value=api, description="behind API Gateway (REST)", indent=False
        )
        self.free_tier = widgets.Checkbox(
            value=free_tier, description="Lambda free tier", indent=False
        )
        self.output = widgets.HTML()
        self.chart = widgets.HTML()
        for control in (
            self.invocations,
            self.memory,
            self.duration,
            self.data_out,
            self.api,
            self.free_tier,
        ):
            control.observe(lambda _change: self.update(), names="value")
        self.result: MonthlyBill
        super().__init__(
            [
                self.invocations,
                self.memory,
                self.duration,
                self.data_out,
                widgets.HBox([self.api, self.free_tier]),
                self.output,
                self.chart,
            ]
        )
        self.add_class("dojo-monthly-calculator")
        self.update()

    def update(self) -> MonthlyBill:
        """Recompute the bill for the current controls and redraw."""
        self.data_out.disabled = not self.api.value
        self.result = monthly_bill(
            self.invocations.value,
            self.memory.value,
            self.duration.value,
            api_calls=self.invocations.value if self.api.value else 0,
            data_out_gb=self.data_out.value if self.api.value else 0.0,
            free_tier=self.free_tier.value,
        )
        bill = self.result
        self.output.value = (
            f"<p class='dojo-result'>Total <b>${bill.total:,.3f}</b> a month — Lambda "
            f"${bill.lambda_total:,.3f}"
            f" + API Gateway ${bill.api_total:,.3f}.</p>"
            + bill._repr_html_()
            + "<p><small>Book-era prices (Sbarski, Cui &amp; Nair 2e, App. B): "
            "Lambda $0.20 per million requests "
            "and $0.00001667 per GB-s after 1 M requests and 400,000 GB-s free; REST API $3.50 per "
            "million calls "
            "and $0.09/GB out (its free tier lasts 12 months, so it is left out).</small></p>"
        )
        lines = bill.lines()[:-1]
        self.chart.value = bar_chart(
            [label.split(" (")[0] for label, _ in lines],
            [usd for _, usd in lines],
            title="Where the money goes (USD a month)",
            value_format="${:,.2f}",
        )
        return bill

    def __repr__(self) -> str:
        return repr(self.result)
