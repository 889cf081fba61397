"""Pure-Python models for what no emulator can show: costs, concurrency, decisions, DR tiers.

Each function returns a dataclass with a terminal ``repr`` and a notebook ``_repr_html_``;
:mod:`dojo.widgets` wraps them in sliders. Prices come from the course's ``prices.json``.
"""

from dojo.sims._concurrency import (
    BOOK_BURSTS,
    ConcurrencyPlan,
    capacity_at,
    concurrency_plan,
    ramp_minutes,
    required_concurrency,
    throttled_rps,
)
from dojo.sims._decision import (
    BOOK_TOTALS_7_18,
    NFRS,
    SCORES_7_12,
    WEIGHTS_7_14,
    DecisionMatrix,
    Discrepancy,
    decision_matrix,
    weighted_total,
)
from dojo.sims._dr import (
    BOOK_RANKING_NOTE,
    DR_TIERS,
    DrTier,
    StrategyChoice,
    choose_dr_strategy,
    rank_tiers,
)
from dojo.sims._lambda_cost import (
    TABLE_10_1,
    MemoryCostRow,
    MemoryCostTable,
    MonthlyBill,
    TableRow,
    apigw_monthly_cost,
    cost_per_1000,
    duration_at,
    lambda_monthly_cost,
    memory_cost_table,
    monthly_bill,
)
from dojo.sims._media import (
    MEDIACONVERT_BASIC_PER_MINUTE,
    BufferRun,
    KeyForms,
    MediaConvertBill,
    key_forms,
    mediaconvert_cost,
    simulate_buffer,
)
from dojo.sims._prices import Price, PriceTable, load_prices, price

__all__ = [
    "BOOK_BURSTS",
    "BOOK_RANKING_NOTE",
    "BOOK_TOTALS_7_18",
    "DR_TIERS",
    "MEDIACONVERT_BASIC_PER_MINUTE",
    "NFRS",
    "SCORES_7_12",
    "TABLE_10_1",
    "WEIGHTS_7_14",
    "BufferRun",
    "ConcurrencyPlan",
    "DecisionMatrix",
    "Discrepancy",
    "DrTier",
    "KeyForms",
    "MediaConvertBill",
    "MemoryCostRow",
    "MemoryCostTable",
    "MonthlyBill",
    "Price",
    "PriceTable",
    "StrategyChoice",
    "TableRow",
    "apigw_monthly_cost",
    "capacity_at",
    "choose_dr_strategy",
    "concurrency_plan",
    "cost_per_1000",
    "decision_matrix",
    "duration_at",
    "key_forms",
    "lambda_monthly_cost",
    "load_prices",
    "mediaconvert_cost",
    "memory_cost_table",
    "monthly_bill",
    "price",
    "ramp_minutes",
    "rank_tiers",
    "required_concurrency",
    "simulate_buffer",
    "throttled_rps",
    "weighted_total",
]
