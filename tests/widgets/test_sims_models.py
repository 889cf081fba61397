"""The pure-Python models behind the calculators, checked against the books' numbers."""

from __future__ import annotations

import pytest

import dojo.sims as sims
from dojo.sims import (
    TABLE_10_1,
    apigw_monthly_cost,
    choose_dr_strategy,
    concurrency_plan,
    cost_per_1000,
    decision_matrix,
    lambda_monthly_cost,
    load_prices,
    memory_cost_table,
    monthly_bill,
    ramp_minutes,
    rank_tiers,
    required_concurrency,
    throttled_rps,
    weighted_total,
)


@pytest.mark.parametrize("row", TABLE_10_1, ids=lambda r: f"{r.memory_mb}MB")
def test_table_10_1_costs_are_reproduced_to_six_decimals(row: sims.TableRow) -> None:
    """Check that each Table 10.1 cost follows from its memory and duration (2e, ch.10)."""
    assert round(cost_per_1000(row.memory_mb, row.duration_s), 6) == pytest.approx(
        row.cost_per_1000, abs=1e-9
    )
    assert round(
        cost_per_1000(row.memory_mb, row.duration_s, round_to_ms=False), 6
    ) == pytest.approx(row.cost_per_1000, abs=1e-9)


def test_table_10_1_summary_cheapest_fastest_and_speedup() -> None:
    """Check 128 MB cheapest, 1,024 MB fastest, speed-up about 8x (not the book's ~10x)."""
    table = memory_cost_table()
    assert table.cheapest.memory_mb == 128
    assert table.fastest.memory_mb == 1024
    assert 7.9 < table.speedup < 8.1
    assert "Table 10.1" in table._repr_html_() and "0.024628" in repr(table)


def test_memory_is_validated() -> None:
    """Check that memory outside 128-10,240 MB and negative durations are refused."""
    for memory in (127, 10_241):
        with pytest.raises(ValueError, match="128-10240"):
            cost_per_1000(memory, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        monthly_bill(1, 128, -1.0)
    with pytest.raises(ValueError, match="no 300 MB row"):
        memory_cost_table([300])


def test_one_second_at_1024_costs_the_same_as_eight_at_128() -> None:
    """Check the chapter's rule of thumb: price is weighted by memory."""
    assert cost_per_1000(1024, 1.0) == pytest.approx(cost_per_1000(128, 8.0))


def test_appendix_b_worked_example_totals_62_307() -> None:
    """Check the appendix's bill: Lambda $35.807 + API Gateway $26.50 = $62.307 (2e, App. B)."""
    bill = monthly_bill(5_000_000, 256, 2.0, data_out_gb=100)
    assert bill.request_cost == pytest.approx(0.80)
    assert bill.billable_gb_seconds == pytest.approx(2_100_000)
    assert bill.compute_cost == pytest.approx(35.007)
    assert bill.lambda_total == pytest.approx(35.807, abs=1e-3)
    assert bill.api_total == pytest.approx(26.50, abs=1e-3)
    assert bill.total == pytest.approx(62.307, abs=1e-3)
    assert lambda_monthly_cost(5_000_000, 256, 2.0) == pytest.approx(35.807, abs=1e-3)
    assert apigw_monthly_cost(5_000_000, 100) == pytest.approx(26.50)
    assert any("10 million seconds" in note for note in bill.notes)
    assert "$62.307" in repr(bill) and "$62.307" in bill._repr_html_()


@pytest.mark.parametrize(
    ("invocations", "memory", "seconds", "expected"),
    [
        (2_000_000, 3008, 15, 1462.58),  # the misconfigured function (App. B.2)
        (2_000_000, 128, 15, 56.04),
        (2_000_000, 128, 1, 0.20),
        (2_000_000, 512, 5, 76.88),  # the book's "a little more than $75"
        (1_000_000, 128, 0.1, 0.0),  # inside the free tier
    ],
)
def test_appendix_quick_estimates(
    invocations: int, memory: int, seconds: float, expected: float
) -> None:
    """Check the appendix's other monthly estimates (free tier on)."""
    assert lambda_monthly_cost(invocations, memory, seconds) == pytest.approx(expected, abs=0.01)


def test_free_tier_off_and_millisecond_billing() -> None:
    """Check the no-free-tier path and that 0.4 ms bills as 1 ms."""
    assert lambda_monthly_cost(5_000_000, 256, 2.0, free_tier=False) == pytest.approx(
        42.67, abs=0.01
    )
    assert monthly_bill(1, 1024, 0.0004, api_calls=0, free_tier=False).gb_seconds == pytest.approx(
        0.001
    )


def test_price_table_is_package_data_with_sources() -> None:
    """Check that prices.json loads, every entry names a source, and book-era prices are flagged."""
    table = load_prices()
    assert table.get("lambda", "gb-second").usd == 0.00001667
    assert table.get("lambda", "gb-second").book_era is True
    assert table.get("apigateway-rest", "request-million").usd == 3.50
    assert all(p.source and p.as_of for p in table.prices)
    with pytest.raises(KeyError, match="its units"):
        table.get("lambda", "furlongs")
    with pytest.raises(KeyError, match="services"):
        table.get("nope", "x")


@pytest.mark.parametrize(
    ("rps", "seconds", "expected"), [(100, 0.5, 50), (10, 0.1, 1), (0, 3, 0), (3, 0.34, 2)]
)
def test_concurrency_is_rps_times_duration(rps: float, seconds: float, expected: int) -> None:
    """Check concurrency = requests/s x duration, rounded up (2e, ch.10)."""
    assert required_concurrency(rps, seconds) == expected


@pytest.mark.parametrize(("target", "minutes"), [(5000, 4), (3000, 0), (3001, 1), (100, 0)])
def test_ramp_after_the_burst(target: int, minutes: int) -> None:
    """Check the book's model: 3,000 at once, then +500 a minute."""
    assert ramp_minutes(target) == minutes


def test_concurrency_plan_verdicts() -> None:
    """Check that the plan says fits / ramps / throttled at the right loads."""
    assert concurrency_plan(100, 0.5).verdict.startswith("Fits")
    ramp = concurrency_plan(4000, 1.0, account_limit=10_000)
    assert not ramp.within_burst and ramp.within_account_limit and ramp.ramp_minutes == 2
    throttled = concurrency_plan(20_000, 1.0)
    assert not throttled.within_account_limit and throttled.max_rps == 1000
    assert "Throttled" in throttled.verdict and "late 2023" in throttled.note


def test_throttled_ramp_matches_the_yle_example() -> None:
    """Check ch.6: 100 -> 20,000 req/s in 30 s gets throttled; a flat 100 req/s does not."""
    assert sum(throttled_rps([100.0] * 60, 0.1)) == 0
    ramp = [100 + (20_000 - 100) * t / 30 for t in range(31)]
    throttled = throttled_rps(ramp, 0.1, burst=500, account_limit=10_000)
    assert sum(throttled) > 0
    first = next(i for i, v in enumerate(throttled) if v > 0)
    assert ramp[first] > 5000 >= ramp[first - 1]
    capped = throttled_rps([20_000.0], 0.1, burst=3000, account_limit=1000)
    assert capped == [10_000.0]


def test_decision_matrix_totals_and_winners() -> None:
    """Check the recomputed totals and winners of Tables 7.12 x 7.14 (2e, ch.7)."""
    matrix = decision_matrix()
    assert weighted_total(sims.SCORES_7_12["cron"], sims.WEIGHTS_7_14["RemindMe"]) == 167
    assert matrix.totals["dynamodb_ttl"] == {
        "RemindMe": 183,
        "TournamentsRUs": 118,
        "iConsent": 140,
    }
    assert matrix.winners == {
        "RemindMe": ("ttl_sqs", 210),
        "TournamentsRUs": ("ttl_sqs", 183),
        "iConsent": ("cron", 147),
    }
    assert matrix.ranking("TournamentsRUs")[1] == ("step_functions", 160)
    assert matrix.ranking("iConsent")[1] == ("ttl_sqs", 145)


def test_decision_matrix_flags_the_dynamodb_ttl_slip() -> None:
    """Check that exactly the three DynamoDB TTL cells of Table 7.18 are flagged (cost 9)."""
    matrix = decision_matrix()
    cells = {(d.solution, d.application, d.printed, d.recomputed) for d in matrix.discrepancies}
    assert cells == {
        ("dynamodb_ttl", "RemindMe", 180, 183),
        ("dynamodb_ttl", "TournamentsRUs", 115, 118),
        ("dynamodb_ttl", "iConsent", 137, 140),
    }
    assert all(d.difference == -3 for d in matrix.discrepancies)
    assert len(matrix.flags) == 1
    assert "180 / 115 / 137" in matrix.flags[0] and "183 / 118 / 140" in matrix.flags[0]
    assert "cost score of 9" in matrix.flags[0]
    assert "Book slip" in repr(matrix) and "dojo-flag" in matrix._repr_html_()


def test_decision_matrix_validates_inputs() -> None:
    """Check that a score outside 1-10 or a missing requirement is refused."""
    with pytest.raises(ValueError, match="1-10"):
        weighted_total(
            {"precision": 11, "open_tasks": 1, "hotspots": 1, "cost": 1},
            sims.WEIGHTS_7_14["RemindMe"],
        )
    with pytest.raises(ValueError, match="lacks"):
        weighted_total({"precision": 1}, sims.WEIGHTS_7_14["RemindMe"])


def test_dr_chooser_picks_the_cheapest_tier_that_meets_both_objectives() -> None:
    """Check the tier choice, the infeasible cases and the corrected ranking (Paul, ch.4)."""
    assert choose_dr_strategy(48 * 60, 48 * 60).choice == "backup-only"
    assert choose_dr_strategy(60, 10).choice == "active-passive"
    assert choose_dr_strategy(5, 0).choice == "active-active"
    over_budget = choose_dr_strategy(5, 0, budget=2.0)
    assert over_budget.choice is None and "over the budget" in over_budget.reason
    too_fast = choose_dr_strategy(1, 0)
    assert too_fast.choice is None and "no tier is that fast" in too_fast.reason
    assert rank_tiers() == ["active-active", "active-passive", "backup-only"]
    assert "other way round" in too_fast.note
    with pytest.raises(ValueError):
        choose_dr_strategy(-1, 0)
