"""Lambda and API Gateway cost models: memory vs duration vs cost, and a monthly bill.

Sources: Sbarski, Cui & Nair, *Serverless Architectures on AWS* 2e — ch.10 (Table 10.1, the image
resizer's cost per 1,000 requests at four memory sizes) and appendix B (the monthly bill worked
example for 256 MB, 5 M calls of 2 s behind a REST API). Prices come from the course's
``prices.json``; the book-era ones are the defaults so the book's numbers come out.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from ._prices import load_prices, price

__all__ = [
    "TABLE_10_1",
    "MemoryCostRow",
    "MemoryCostTable",
    "MonthlyBill",
    "TableRow",
    "apigw_monthly_cost",
    "cost_per_1000",
    "duration_at",
    "lambda_monthly_cost",
    "memory_cost_table",
    "monthly_bill",
]

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240


@dataclass(frozen=True)
class TableRow:
    """One row of Table 10.1 as printed: memory (MB), duration (s), USD per 1,000 requests."""

    memory_mb: int
    duration_s: float
    cost_per_1000: float


TABLE_10_1: tuple[TableRow, ...] = (
    TableRow(128, 11.722965, 0.024628),
    TableRow(256, 6.678945, 0.028035),
    TableRow(512, 3.194954, 0.026830),
    TableRow(1024, 1.465984, 0.024638),
)
"""The image resizer's durations and costs (Sbarski, Cui & Nair 2e, ch.10, Table 10.1)."""


def _check_memory(memory_mb: float) -> None:
    if not MIN_MEMORY_MB <= memory_mb <= MAX_MEMORY_MB:
        raise ValueError(f"memory_mb must be {MIN_MEMORY_MB}-{MAX_MEMORY_MB} MB, got {memory_mb!r}")


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or math.isnan(value)
            or value < 0
        ):
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")


def _billed_seconds(duration_s: float, round_to_ms: bool) -> float:
    # Lambda bills each started millisecond (2e, ch.10); a tiny epsilon keeps 2.0 s at 2,000 ms.
    return math.ceil(duration_s * 1000.0 - 1e-9) / 1000.0 if round_to_ms else duration_s


def cost_per_1000(
    memory_mb: int,
    duration_s: float,
    *,
    round_to_ms: bool = True,
    price_per_gb_s: float | None = None,
    price_per_million: float | None = None,
) -> float:
    """Cost in USD of 1,000 requests of ``duration_s`` at ``memory_mb``, no free tier.

    This is the model behind Table 10.1 (Sbarski, Cui & Nair 2e, ch.10): request charge plus
    GB-seconds (memory in GB x billed seconds) times the GB-s price.

    Args:
        memory_mb: Configured memory, 128-10,240 MB.
        duration_s: Duration of one request in seconds.
        round_to_ms: Round each duration up to the next millisecond, as Lambda bills.
        price_per_gb_s: Override the book-era GB-s price.
        price_per_million: Override the book-era request price.

    Raises:
        ValueError: for memory outside 128-10,240 MB or a negative duration.
    """
    _check_memory(memory_mb)
    _check_non_negative(duration_s=duration_s)
    gb_s_price = price("lambda", "gb-second") if price_per_gb_s is None else price_per_gb_s
    request_price = (
        price("lambda", "request-million") if price_per_million is None else price_per_million
    )
    gb_seconds = 1000 * memory_mb / 1024 * _billed_seconds(duration_s, round_to_ms)
    return gb_seconds * gb_s_price + 1000 * request_price / 1_000_000


@dataclass(frozen=True)
class MemoryCostRow:
    """Duration and cost at one memory size, with the book's printed cost when the book has one."""

    memory_mb: int
    duration_s: float
    cost_per_1000: float
    book_cost_per_1000: float | None = None


@dataclass(frozen=True)
class MemoryCostTable:
    """Memory vs duration vs cost for a workload (see :func:`memory_cost_table`)."""

    workload: str
    rows: tuple[MemoryCostRow, ...]
    source: str = "Sbarski, Cui & Nair 2e, ch.10, Table 10.1"

    @property
    def cheapest(self) -> MemoryCostRow:
        """The row with the lowest cost (the smaller memory on a tie)."""
        return min(self.rows, key=lambda r: (round(r.cost_per_1000, 9), r.memory_mb))

    @property
    def fastest(self) -> MemoryCostRow:
        """The row with the shortest duration."""
        return min(self.rows, key=lambda r: (r.duration_s, r.memory_mb))

    @property
    def speedup(self) -> float:
        """Slowest duration ÷ fastest duration (Table 10.1: about 8x, not the book's "~10x")."""
        slowest = max(r.duration_s for r in self.rows)
        return slowest / self.fastest.duration_s if self.fastest.duration_s else 0.0

    def __repr__(self) -> str:
        lines = [
            f"<MemoryCostTable {self.workload}: cheapest {self.cheapest.memory_mb} MB, "
            f"fastest {self.fastest.memory_mb} MB, speed-up {self.speedup:.1f}x>"
        ]
        for r in self.rows:
            book = (
                f"  (book ${r.book_cost_per_1000:.6f})" if r.book_cost_per_1000 is not None else ""
            )
            lines.append(
                f"  {r.memory_mb:>6} MB  {r.duration_s:10.6f} s  ${r.cost_per_1000:.6f}{book}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{r.memory_mb:,}</td><td>{r.duration_s:.6f}</td><td>${r.cost_per_1000:.6f}</td>"
            f"<td>{_book_cell(r.book_cost_per_1000)}</td></tr>"
            for r in self.rows
        )
        return (
            f"<table class='dojo-memory-cost'><caption>{html.escape(self.workload)} — cost per "
            "1,000 requests"
            f" ({html.escape(self.source)})</caption><thead><tr><th>memory (MB)</th><th>duration "
            "(s)</th>"
            f"<th>cost</th><th>book</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p>Speed-up {self.speedup:.1f}x (the book rounds it to about 10x).</p>"
        )


def _book_cell(value: float | None) -> str:
    return "" if value is None else f"${value:.6f}"


def duration_at(memory_mb: int, *, cpu_s_at_1024: float, io_s: float = 0.0) -> float:
    """Simulated duration: I/O time plus CPU time scaled by the CPU share memory buys.

    CPU share grows in proportion to memory (2e, ch.10); single-threaded code gains nothing past
    one vCPU (about 1,769 MB), so the scaling stops there.
    """
    _check_memory(memory_mb)
    share = min(memory_mb, 1769) / 1024
    return io_s + cpu_s_at_1024 / share


def memory_cost_table(
    memories: tuple[int, ...] | list[int] | None = None,
    *,
    workload: str = "image resizer (Table 10.1)",
    cpu_s_at_1024: float | None = None,
    io_s: float = 0.0,
) -> MemoryCostTable:
    """Cost per 1,000 requests for each memory size.

    Without ``cpu_s_at_1024`` the durations are Table 10.1's measurements (the memories must be
    the table's); with it they come from :func:`duration_at` (a CPU-bound or I/O-bound model).
    """
    book = {row.memory_mb: row for row in TABLE_10_1}
    memories = tuple(memories) if memories is not None else tuple(book)
    rows = []
    for memory in memories:
        if cpu_s_at_1024 is None:
            if memory not in book:
                raise ValueError(
                    f"Table 10.1 has no {memory} MB row; it has {sorted(book)} (or pass "
                    "cpu_s_at_1024)"
                )
            duration = book[memory].duration_s
        else:
            duration = duration_at(memory, cpu_s_at_1024=cpu_s_at_1024, io_s=io_s)
        printed = book[memory].cost_per_1000 if cpu_s_at_1024 is None else None
        rows.append(MemoryCostRow(memory, duration, cost_per_1000(memory, duration), printed))
    return MemoryCostTable(workload, tuple(rows))


def lambda_monthly_cost(
    invocations: int,
    memory_mb: int,
    duration_s: float,
    *,
    free_tier: bool = True,
    price_per_gb_s: float | None = None,
    price_per_million: float | None = None,
) -> float:
    """Monthly Lambda cost in USD (requests + GB-seconds, each after its free tier).

    Appendix B of Sbarski, Cui & Nair 2e: 5 M calls x 2 s x 256 MB → $35.807.
    """
    return monthly_bill(
        invocations,
        memory_mb,
        duration_s,
        api_calls=0,
        free_tier=free_tier,
        price_per_gb_s=price_per_gb_s,
        price_per_million=price_per_million,
    ).lambda_total


def apigw_monthly_cost(
    calls: int,
    data_out_gb: float,
    *,
    price_per_million: float | None = None,
    price_per_gb: float | None = None,
) -> float:
    """Monthly REST API cost in USD: calls plus data out (no free tier; it lasts only 12 months).

    Appendix B of Sbarski, Cui & Nair 2e: 5 M calls and 100 GB out → $26.50.
    """
    _check_non_negative(calls=calls, data_out_gb=data_out_gb)
    per_million = (
        price("apigateway-rest", "request-million")
        if price_per_million is None
        else price_per_million
    )
    per_gb = price("apigateway-rest", "gb-out") if price_per_gb is None else price_per_gb
    return calls / 1_000_000 * per_million + data_out_gb * per_gb


@dataclass(frozen=True)
class MonthlyBill:
    """A monthly Lambda (+ API Gateway) bill, broken down line by line.

    Attributes:
        invocations, memory_mb, duration_s, api_calls, data_out_gb, free_tier: the inputs.
        request_cost: Lambda request charge after the free requests.
        gb_seconds: GB-seconds used; ``billable_gb_seconds`` after the free tier.
        compute_cost: Lambda GB-s charge.
        api_request_cost, api_data_cost: API Gateway charges.
    """

    invocations: int
    memory_mb: int
    duration_s: float
    api_calls: int
    data_out_gb: float
    free_tier: bool
    request_cost: float
    gb_seconds: float
    billable_gb_seconds: float
    compute_cost: float
    api_request_cost: float
    api_data_cost: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    source: str = "Sbarski, Cui & Nair 2e, appendix B"

    @property
    def lambda_total(self) -> float:
        """Lambda requests + compute."""
        return self.request_cost + self.compute_cost

    @property
    def api_total(self) -> float:
        """API Gateway calls + data out."""
        return self.api_request_cost + self.api_data_cost

    @property
    def total(self) -> float:
        """The whole bill."""
        return self.lambda_total + self.api_total

    def lines(self) -> list[tuple[str, float]]:
        """(label, USD) for each line of the bill, then the total."""
        return [
            ("Lambda requests", self.request_cost),
            (f"Lambda compute ({self.billable_gb_seconds:,.0f} GB-s)", self.compute_cost),
            ("API Gateway calls", self.api_request_cost),
            (f"API Gateway data out ({self.data_out_gb:g} GB)", self.api_data_cost),
            ("Total", self.total),
        ]

    def __repr__(self) -> str:
        body = "\n".join(f"  {label:<40} ${usd:,.3f}" for label, usd in self.lines())
        return f"<MonthlyBill ${self.total:,.3f}>\n{body}"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td>${usd:,.3f}</td></tr>"
            for label, usd in self.lines()
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<table class='dojo-bill'><caption>Monthly bill ({html.escape(self.source)})</caption>"
            f"<tbody>{rows}</tbody></table>" + (f"<ul>{notes}</ul>" if notes else "")
        )


def monthly_bill(
    invocations: int,
    memory_mb: int,
    duration_s: float,
    *,
    api_calls: int | None = None,
    data_out_gb: float = 0.0,
    free_tier: bool = True,
    price_per_gb_s: float | None = None,
    price_per_million: float | None = None,
) -> MonthlyBill:
    """Price a month of Lambda (and, with ``api_calls``, an API Gateway REST API in front).

    Args:
        invocations: Lambda invocations a month.
        memory_mb: Memory setting, 128-10,240 MB.
        duration_s: Average duration in seconds (billed per started millisecond).
        api_calls: API Gateway calls a month (default: one per invocation; 0 for no API).
        data_out_gb: GB sent out by the API.
        free_tier: Subtract Lambda's permanent free tier (1 M requests, 400,000 GB-s).
        price_per_gb_s, price_per_million: Override the book-era Lambda prices.

    Raises:
        ValueError: for negative inputs or memory outside 128-10,240 MB.
    """
    _check_memory(memory_mb)
    _check_non_negative(invocations=invocations, duration_s=duration_s, data_out_gb=data_out_gb)
    api_calls = invocations if api_calls is None else api_calls
    _check_non_negative(api_calls=api_calls)
    requests_price = (
        price("lambda", "request-million") if price_per_million is None else price_per_million
    )
    gb_s_price = price("lambda", "gb-second") if price_per_gb_s is None else price_per_gb_s
    free_requests = price_free("lambda", "request-million") if free_tier else 0
    free_gb_s = price_free("lambda", "gb-second") if free_tier else 0
    request_cost = max(0, invocations - free_requests) / 1_000_000 * requests_price
    gb_seconds = invocations * memory_mb / 1024 * _billed_seconds(duration_s, True)
    billable = max(0.0, gb_seconds - free_gb_s)
    notes = []
    if memory_mb == 3008:
        notes.append(
            "3,008 MB was the old maximum memory; the appendix's '3 GB' example only gives its "
            "total at this setting (at 3,072 MB it would be higher)."
        )
    if invocations == 5_000_000 and abs(duration_s - 2.0) < 1e-9:
        notes.append(
            "Book slip (2e, App. B.2.4): the appendix writes the total run time as 10 ms; "
            "5 M calls x 2 s is 10 million seconds."
        )
    return MonthlyBill(
        invocations,
        memory_mb,
        duration_s,
        api_calls,
        data_out_gb,
        free_tier,
        request_cost,
        gb_seconds,
        billable,
        billable * gb_s_price,
        apigw_monthly_cost(api_calls, 0.0),
        apigw_monthly_cost(0, data_out_gb),
        tuple(notes),
    )


def price_free(service: str, unit: str) -> float:
    """The free-tier allowance of a price (units a month)."""
    return load_prices().get(service, unit).free_tier
