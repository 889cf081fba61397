"""Lambda concurrency: requests/s x duration, account limit, and the book's burst model.

Sources: Sbarski, Cui & Nair 2e, ch.10 (concurrency = requests per second x duration; account
limit 1,000 by default; in the larger regions 3,000 environments at once, then 500 more per
minute) and ch.6 (the initial burst is 500-3,000 depending on the region; a jump from 100 to
20,000 requests/s within 30 s gets throttled). AWS changed the scaling model in late 2023, so
the burst figures are the book's model, labelled as such.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

__all__ = [
    "BOOK_BURSTS",
    "ConcurrencyPlan",
    "capacity_at",
    "concurrency_plan",
    "ramp_minutes",
    "required_concurrency",
    "throttled_rps",
]

BOOK_BURSTS: dict[str, int] = {
    "larger regions (e.g. us-east-1, us-west-2, eu-west-1)": 3000,
    "mid-size regions (e.g. ap-northeast-1, eu-central-1)": 1000,
    "other regions": 500,
}
"""Initial burst per region class, as the book gives it (2e, ch.6 and ch.10; book-era model)."""

BOOK_NOTE = (
    "Book-era scaling model (Sbarski, Cui & Nair 2e, ch.6 and ch.10): a 500-3,000 initial burst, "
    "then +500 environments a minute. AWS changed to per-function scaling in late 2023."
)


def required_concurrency(rps: float, duration_s: float) -> int:
    """Environments needed: requests per second x duration in seconds, rounded up (2e, ch.10).

    Raises:
        ValueError: for negative inputs.
    """
    if rps < 0 or duration_s < 0:
        raise ValueError(f"rps and duration_s must be non-negative, got {rps!r} and {duration_s!r}")
    return math.ceil(rps * duration_s - 1e-9)


def ramp_minutes(target: int, *, burst: int = 3000, per_minute: int = 500) -> int:
    """Whole minutes after the burst until ``target`` environments can run (2e, ch.10 model)."""
    if target <= burst:
        return 0
    return math.ceil((target - burst) / per_minute)


def capacity_at(
    t_s: float, *, burst: int = 3000, per_minute: int = 500, account_limit: int = 1000
) -> int:
    """Environments available ``t_s`` seconds into a scale-up.

    That is min(account limit, burst + per_minute x whole minutes elapsed).
    """
    return min(account_limit, burst + per_minute * int(t_s // 60))


def throttled_rps(
    rps: list[float],
    duration_s: float,
    *,
    burst: int = 3000,
    per_minute: int = 500,
    account_limit: int = 1000,
) -> list[float]:
    """Requests/s throttled each second of a traffic curve (one value per second).

    Capacity in requests/s is environments ÷ duration; whatever exceeds it is throttled.
    """
    if duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s!r}")
    out = []
    for second, wanted in enumerate(rps):
        served = (
            capacity_at(second, burst=burst, per_minute=per_minute, account_limit=account_limit)
            / duration_s
        )
        out.append(max(0.0, wanted - served))
    return out


@dataclass(frozen=True)
class ConcurrencyPlan:
    """What a steady load needs and whether the account and the burst model allow it.

    Attributes:
        rps, duration_s, burst, per_minute, account_limit: The inputs.
        required: Concurrent environments the load needs.
        within_account_limit: Whether ``required`` fits the account limit.
        within_burst: Whether it is reached at once (no ramp).
        ramp_minutes: Minutes of +``per_minute`` growth after the burst (ignoring the account
            limit).
        max_rps: Most requests/s the account limit can serve at this duration.
    """

    rps: float
    duration_s: float
    burst: int
    per_minute: int
    account_limit: int
    required: int
    within_account_limit: bool
    within_burst: bool
    ramp_minutes: int
    max_rps: float
    note: str = BOOK_NOTE

    @property
    def verdict(self) -> str:
        """One sentence a learner can act on."""
        if not self.within_account_limit:
            return (
                f"Throttled: {self.required:,} environments needed, the account allows "
                f"{self.account_limit:,} "
                f"(at most {self.max_rps:,.0f} requests/s at {self.duration_s:g} s each)."
            )
        if not self.within_burst:
            return (
                f"Fits the account limit, but the burst of {self.burst:,} is reached first: "
                f"{self.ramp_minutes} more minute(s) at +{self.per_minute}/min to reach "
                f"{self.required:,}."
            )
        return f"Fits: {self.required:,} environments, within the burst and the account limit."

    def __repr__(self) -> str:
        return (
            f"<ConcurrencyPlan {self.rps:g} req/s x {self.duration_s:g} s = {self.required:,} "
            "environments; "
            f"{self.verdict}>"
        )

    def _repr_html_(self) -> str:
        return (
            "<div class='dojo-concurrency'>"
            f"<p><b>{self.rps:,.0f} requests/s x {self.duration_s:g} s = {self.required:,}</b> "
            "concurrent environments"
            f" (Sbarski, Cui &amp; Nair 2e, ch.10).</p><p>{html.escape(self.verdict)}</p>"
            f"<p><small>{html.escape(self.note)}</small></p></div>"
        )


def concurrency_plan(
    rps: float,
    duration_s: float,
    *,
    burst: int = 3000,
    per_minute: int = 500,
    account_limit: int = 1000,
) -> ConcurrencyPlan:
    """Check a steady load of ``rps`` requests of ``duration_s`` against the book's limits."""
    if burst <= 0 or per_minute <= 0 or account_limit <= 0:
        raise ValueError("burst, per_minute and account_limit must be positive")
    required = required_concurrency(rps, duration_s)
    max_rps = account_limit / duration_s if duration_s > 0 else math.inf
    return ConcurrencyPlan(
        rps,
        duration_s,
        burst,
        per_minute,
        account_limit,
        required,
        required <= account_limit,
        required <= burst,
        ramp_minutes(required, burst=burst, per_minute=per_minute),
        max_rps,
    )
