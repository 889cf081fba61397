"""Disaster-recovery strategy chooser: the cheapest tier whose RTO and RPO meet the objectives.

Source: Paul, ch.4 — RTO is the downtime needed to get back to normal, RPO the data loss the
system can accept; three tiers (backups only; active-passive, a few minutes of downtime with a
manual switch; active-active, serving from the secondary within two to three minutes, at the
highest cost). The typical RTO/RPO/cost figures below are course assumptions anchored on those
statements (curriculum m15, ``dr_tiers.json``). The chapter ranks the tiers backwards (it calls
active-active the highest RTO/RPO); :data:`BOOK_RANKING_NOTE` flags that.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

__all__ = [
    "BOOK_RANKING_NOTE",
    "DR_TIERS",
    "DrTier",
    "StrategyChoice",
    "choose_dr_strategy",
    "rank_tiers",
]


@dataclass(frozen=True)
class DrTier:
    """Typical recovery objectives and relative monthly cost of one DR tier (course assumptions).

    Attributes:
        name: ``backup-only``, ``active-passive`` or ``active-active``.
        rto_min: Typical recovery time objective achieved, in minutes.
        rpo_min: Typical recovery point objective achieved, in minutes.
        relative_cost: Monthly cost as a multiple of running one region.
        description: What the tier runs.
    """

    name: str
    rto_min: float
    rpo_min: float
    relative_cost: float
    description: str


DR_TIERS: tuple[DrTier, ...] = (
    DrTier(
        "backup-only",
        24 * 60,
        24 * 60,
        1.1,
        "Scheduled backups (AWS Backup vault) restored into a new stack after a disaster.",
    ),
    DrTier(
        "active-passive",
        30,
        5,
        1.6,
        "Second region provisioned and replicated but not serving; switched over by hand.",
    ),
    DrTier(
        "active-active",
        3,
        0,
        2.2,
        "Both regions serve and replicate; traffic moves to the survivor within minutes.",
    ),
)
"""Course table of DR tiers (m15 ``dr_tiers.json``), anchored on Paul, ch.4."""

BOOK_RANKING_NOTE = (
    "Book slip (Paul, ch.4): the chapter calls active-active the tier with the highest RTO and RPO "
    "and "
    "backups-only very low. It is the other way round: active-active has the lowest (strictest) "
    "RTO/RPO, "
    "backup-only the highest."
)


def rank_tiers(tiers: tuple[DrTier, ...] = DR_TIERS) -> list[str]:
    """Tier names from the lowest (strictest) RTO/RPO to the highest."""
    return [t.name for t in sorted(tiers, key=lambda t: (t.rto_min, t.rpo_min))]


@dataclass(frozen=True)
class StrategyChoice:
    """The chooser's answer.

    Attributes:
        rto_min, rpo_min: The objectives asked for, in minutes.
        budget: Highest relative monthly cost allowed (None: no limit).
        choice: The cheapest tier that meets both objectives within budget, or None.
        checks: tier name → (meets RTO, meets RPO, within budget).
        reason: Why this tier (or why none).
    """

    rto_min: float
    rpo_min: float
    budget: float | None
    choice: str | None
    checks: dict[str, tuple[bool, bool, bool]]
    reason: str
    note: str = BOOK_RANKING_NOTE

    def __repr__(self) -> str:
        return (
            f"<StrategyChoice RTO<={self.rto_min:g} min RPO<={self.rpo_min:g} min -> "
            f"{self.choice}: {self.reason}>"
        )

    def _repr_html_(self) -> str:
        rows = ""
        for name, (rto, rpo, cost) in self.checks.items():
            style = " style='font-weight:bold;background:#e6f4ea'" if name == self.choice else ""
            rows += (
                f"<tr{style}><td>{html.escape(name)}</td>"
                + "".join(f"<td>{'✔' if ok else '✘'}</td>" for ok in (rto, rpo, cost))
                + "</tr>"
            )
        return (
            "<div class='dojo-dr'><table><thead><tr><th>tier</th><th>RTO met</th><th>RPO "
            "met</th><th>in budget</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            f"<p><b>{html.escape(self.choice or 'no tier fits')}</b>: "
            f"{html.escape(self.reason)}</p><p "
            f"class='dojo-flag'><small>{html.escape(self.note)}</small></p></div>"
        )


def choose_dr_strategy(
    rto_min: float,
    rpo_min: float,
    budget: float | None = None,
    tiers: tuple[DrTier, ...] = DR_TIERS,
) -> StrategyChoice:
    """Pick the cheapest tier whose typical RTO and RPO meet the objectives within ``budget``.

    Args:
        rto_min: Longest acceptable downtime, minutes.
        rpo_min: Most data loss acceptable, minutes of writes.
        budget: Highest relative monthly cost (multiple of one region); None for no limit.
        tiers: The tier table (default: the course's).

    Raises:
        ValueError: for negative objectives.
    """
    if rto_min < 0 or rpo_min < 0:
        raise ValueError(
            f"RTO and RPO must be non-negative minutes, got {rto_min!r} and {rpo_min!r}"
        )
    checks = {
        t.name: (
            t.rto_min <= rto_min,
            t.rpo_min <= rpo_min,
            budget is None or t.relative_cost <= budget,
        )
        for t in tiers
    }
    feasible = [t for t in sorted(tiers, key=lambda t: t.relative_cost) if all(checks[t.name])]
    if feasible:
        best = feasible[0]
        reason = (
            f"cheapest tier meeting RTO ≤ {rto_min:g} min and RPO ≤ {rpo_min:g} min "
            f"(typical RTO {best.rto_min:g} min, RPO {best.rpo_min:g} min, cost "
            f"x{best.relative_cost:g})"
        )
        return StrategyChoice(rto_min, rpo_min, budget, best.name, checks, reason)
    meets = [t for t in tiers if checks[t.name][0] and checks[t.name][1]]
    if meets:
        cheapest = min(meets, key=lambda t: t.relative_cost)
        reason = (
            f"{cheapest.name} meets the objectives but costs x{cheapest.relative_cost:g}, "
            f"over the budget x{budget:g}"
        )
    else:
        strictest = min(tiers, key=lambda t: (t.rto_min, t.rpo_min))
        reason = (
            f"no tier is that fast: the strictest, {strictest.name}, typically gives RTO "
            f"{strictest.rto_min:g} min and RPO {strictest.rpo_min:g} min"
        )
    return StrategyChoice(rto_min, rpo_min, budget, None, checks, reason)
