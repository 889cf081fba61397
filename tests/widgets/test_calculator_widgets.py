"""The calculator widgets: defaults reproduce the books, and moving a control changes the result."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from dojo.widgets import (
    ConcurrencyCalculator,
    DecisionMatrixWidget,
    DrStrategyChooser,
    LambdaMemoryCalculator,
    MonthlyCostCalculator,
)


def test_memory_calculator_shows_table_10_1_and_its_book_points() -> None:
    """Check the measured workload's table, the chosen memory's line and the book marks."""
    calc = LambdaMemoryCalculator()
    assert [round(r.cost_per_1000, 6) for r in calc.result.rows] == [
        0.024628,
        0.028035,
        0.026830,
        0.024638,
    ]
    assert "$0.024638" in calc.output.value and "1,024 MB" in calc.output.value
    chart = ET.fromstring(calc.chart.value)
    assert len([e for e in chart.iter() if e.get("class") == "dojo-book-mark"]) == 4
    calc.memory.value = 128
    assert "<b>128 MB</b>" in calc.output.value
    highlighted = [
        e for e in chart.iter() if e.get("class") == "dojo-bar" and e.get("fill") == "#ef6c00"
    ]
    assert len(highlighted) == 1


def test_memory_calculator_models_cpu_and_io_bound_work() -> None:
    """Check that CPU-bound work speeds up at flat cost; I/O-bound work is cheapest at 128 MB."""
    calc = LambdaMemoryCalculator()
    calc.workload.value = "CPU-bound model (resizer-like)"
    assert not calc.cpu.disabled and 3008 in calc.memory.options
    by_memory = {r.memory_mb: r for r in calc.result.rows}
    assert by_memory[1024].duration_s < by_memory[128].duration_s / 7
    assert by_memory[1024].cost_per_1000 == pytest.approx(by_memory[128].cost_per_1000, rel=0.01)
    calc.workload.value = "I/O-bound model (partner API call)"
    assert calc.result.cheapest.memory_mb == 128
    calc.io.value = 2.0
    assert calc.result.rows[0].duration_s > 2.0


def test_monthly_calculator_defaults_to_the_appendix_example() -> None:
    """Check $62.307 by default, the Lambda-only bill without the API, and the free-tier switch."""
    calc = MonthlyCostCalculator()
    assert calc.result.total == pytest.approx(62.307, abs=1e-3)
    assert "$62.307" in calc.output.value and "10 million seconds" in calc.output.value
    calc.api.value = False
    assert calc.result.total == pytest.approx(35.807, abs=1e-3) and calc.data_out.disabled
    calc.free_tier.value = False
    assert calc.result.total == pytest.approx(42.675, abs=1e-3)
    ET.fromstring(calc.chart.value)


def test_concurrency_calculator_flags_throttling() -> None:
    """Check 100 req/s x 0.5 s = 50, a load over the account limit, and a ramp past the burst."""
    calc = ConcurrencyCalculator()
    assert calc.result.required == 50 and "Fits" in calc.output.value
    calc.rps.value = 5000
    calc.duration.value = 1.0
    assert not calc.result.within_account_limit and "Throttled" in calc.output.value
    calc.account_limit.value = 10_000
    assert calc.result.ramp_minutes == 4 and "4 more minute" in calc.output.value
    calc.burst.value = 500
    assert calc.result.ramp_minutes == 9
    chart = ET.fromstring(calc.chart.value)
    assert {e.get("data-series") for e in chart.iter() if e.get("class") == "dojo-line"} == {
        "environments available",
        "environments needed",
    }


def test_decision_matrix_widget_flags_the_book_slip_and_recomputes() -> None:
    """Check the always-on Table 7.18 flag, the printed-table toggle and live recomputation."""
    matrix = DecisionMatrixWidget()
    assert "180 / 115 / 137" in matrix.flags.value
    assert "Table 7.18 as printed" in matrix.output.value
    assert matrix.result.winners["iConsent"] == ("cron", 147)
    matrix.show_printed.value = False
    assert "Table 7.18 as printed" not in matrix.output.value
    matrix.scores["cron"]["cost"].value = 10
    assert matrix.result.winners["iConsent"] == ("cron", 156)
    assert matrix.result.discrepancies == ()
    assert "180 / 115 / 137" in matrix.flags.value  # the book's slip stays flagged
    matrix.reset()
    assert matrix.result.totals["cron"]["iConsent"] == 147


def test_dr_chooser_reacts_to_objectives_and_budget() -> None:
    """Check the chosen tier as RTO, RPO and budget change, and the book-ranking flag."""
    chooser = DrStrategyChooser(rto_min=60, rpo_min=15)
    assert chooser.result.choice == "active-passive"
    assert "other way round" in chooser.output.value
    chooser.zero_rpo.value = True
    assert chooser.result.choice == "active-active"
    chooser.limit_budget.value = True
    chooser.budget.value = 2.0
    assert chooser.result.choice is None and "no tier fits" in chooser.output.value
    chooser.zero_rpo.value = False
    chooser.rto.value = 3000
    chooser.rpo.value = 3000
    assert chooser.result.choice == "backup-only"
