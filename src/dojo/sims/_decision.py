"""The scheduling decision matrix: scores x weights, and the book's Table 7.18 slip.

Source: Sbarski, Cui & Nair 2e, ch.7. Five ad hoc schedulers are scored 1-10 on four
non-functional requirements (the summary is Table 7.12); three applications weight those
requirements 1-10 (Table 7.14); the weighted totals are Table 7.18. The printed DynamoDB TTL row of
Table 7.18 is 3 points low in every column — it matches a cost score of 9 rather than the 10 the
book gives — so :func:`decision_matrix` recomputes the totals and reports every cell that differs.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

__all__ = [
    "BOOK_TOTALS_7_18",
    "NFRS",
    "SCORES_7_12",
    "SOLUTION_LABELS",
    "WEIGHTS_7_14",
    "DecisionMatrix",
    "Discrepancy",
    "decision_matrix",
    "weighted_total",
]

NFRS = ("precision", "open_tasks", "hotspots", "cost")
"""Precision, scalability in open tasks, scalability under hotspots, cost (2e, ch.7)."""

SOLUTION_LABELS = {
    "cron": "Cron job (EventBridge)",
    "dynamodb_ttl": "DynamoDB TTL + Streams",
    "step_functions": "Step Functions Wait",
    "sqs": "SQS delay + visibility",
    "ttl_sqs": "DynamoDB TTL + SQS",
}

SCORES_7_12: dict[str, dict[str, int]] = {
    "cron": {"precision": 6, "open_tasks": 10, "hotspots": 2, "cost": 7},
    "dynamodb_ttl": {"precision": 1, "open_tasks": 10, "hotspots": 6, "cost": 10},
    "step_functions": {"precision": 10, "open_tasks": 7, "hotspots": 4, "cost": 2},
    "sqs": {"precision": 9, "open_tasks": 2, "hotspots": 8, "cost": 5},
    "ttl_sqs": {"precision": 9, "open_tasks": 8, "hotspots": 8, "cost": 7},
}
"""Scores per solution and requirement (Sbarski, Cui & Nair 2e, ch.7, Table 7.12)."""

WEIGHTS_7_14: dict[str, dict[str, int]] = {
    "RemindMe": {"precision": 5, "open_tasks": 10, "hotspots": 8, "cost": 3},
    "TournamentsRUs": {"precision": 10, "open_tasks": 6, "hotspots": 3, "cost": 3},
    "iConsent": {"precision": 4, "open_tasks": 10, "hotspots": 1, "cost": 3},
}
"""Weights per application and requirement (Sbarski, Cui & Nair 2e, ch.7, Table 7.14)."""

BOOK_TOTALS_7_18: dict[str, dict[str, int]] = {
    "cron": {"RemindMe": 167, "TournamentsRUs": 147, "iConsent": 147},
    "dynamodb_ttl": {"RemindMe": 180, "TournamentsRUs": 115, "iConsent": 137},
    "step_functions": {"RemindMe": 158, "TournamentsRUs": 160, "iConsent": 120},
    "sqs": {"RemindMe": 144, "TournamentsRUs": 141, "iConsent": 79},
    "ttl_sqs": {"RemindMe": 210, "TournamentsRUs": 183, "iConsent": 145},
}
"""Weighted totals as printed (Sbarski, Cui & Nair 2e, ch.7, Table 7.18), slip included."""


def _check(values: dict[str, int], what: str) -> None:
    missing = [n for n in NFRS if n not in values]
    if missing:
        raise ValueError(f"{what} lacks requirement(s) {missing}; each needs {list(NFRS)}")
    for name in NFRS:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
            raise ValueError(f"{what}[{name!r}] must be an integer 1-10, got {value!r}")


def weighted_total(scores: dict[str, int], weights: dict[str, int]) -> int:
    """Σ score x weight over the four requirements (2e, ch.7).

    Raises:
        ValueError: for a missing requirement or a value outside 1-10.
    """
    _check(scores, "scores")
    _check(weights, "weights")
    return sum(scores[n] * weights[n] for n in NFRS)


@dataclass(frozen=True)
class Discrepancy:
    """A printed total that differs from the recomputed one."""

    solution: str
    application: str
    printed: int
    recomputed: int

    @property
    def difference(self) -> int:
        """printed - recomputed."""
        return self.printed - self.recomputed


@dataclass(frozen=True)
class DecisionMatrix:
    """Weighted totals, winners per application, and where the printed table disagrees.

    Attributes:
        scores, weights: The inputs (solution → NFR → score; application → NFR → weight).
        totals: solution → application → weighted total.
        printed: The book's printed totals to compare against (Table 7.18), or empty.
        discrepancies: Printed cells that differ from the recomputation.
    """

    scores: dict[str, dict[str, int]]
    weights: dict[str, dict[str, int]]
    totals: dict[str, dict[str, int]]
    printed: dict[str, dict[str, int]] = field(default_factory=dict)
    discrepancies: tuple[Discrepancy, ...] = ()
    source: str = "Sbarski, Cui & Nair 2e, ch.7, Tables 7.12, 7.14 and 7.18"

    def ranking(self, application: str) -> list[tuple[str, int]]:
        """Solutions for ``application``, best first (ties by name)."""
        return sorted(
            ((s, t[application]) for s, t in self.totals.items()), key=lambda p: (-p[1], p[0])
        )

    @property
    def winners(self) -> dict[str, tuple[str, int]]:
        """application → (winning solution, total)."""
        return {app: self.ranking(app)[0] for app in self.weights}

    @property
    def flags(self) -> list[str]:
        """Human-readable warnings about the printed table (empty when it agrees)."""
        by_solution: dict[str, list[Discrepancy]] = {}
        for d in self.discrepancies:
            by_solution.setdefault(d.solution, []).append(d)
        out = []
        for solution, items in by_solution.items():
            printed = " / ".join(str(d.printed) for d in items)
            recomputed = " / ".join(str(d.recomputed) for d in items)
            out.append(
                f"Book slip in Table 7.18: the {SOLUTION_LABELS.get(solution, solution)} row "
                f"prints {printed}, "
                f"but its scores and the weights give {recomputed}"
                + (
                    f" (the printed values match a cost score of {self._implied_cost(items)})."
                    if self._implied_cost(items) is not None
                    else "."
                )
            )
        return out

    def _implied_cost(self, items: list[Discrepancy]) -> int | None:
        """The cost score that would make the printed totals right, if one does."""
        solution = items[0].solution
        for cost in range(1, 11):
            trial = dict(self.scores[solution], cost=cost)
            if all(weighted_total(trial, self.weights[d.application]) == d.printed for d in items):
                return cost
        return None

    def __repr__(self) -> str:
        apps = list(self.weights)
        lines = ["<DecisionMatrix>", "  " + " " * 24 + "".join(f"{a:>16}" for a in apps)]
        for solution, row in self.totals.items():
            cells = ""
            for app in apps:
                mark = (
                    "*"
                    if any(
                        d.solution == solution and d.application == app for d in self.discrepancies
                    )
                    else " "
                )
                cells += f"{row[app]:>15}{mark}"
            lines.append(f"  {SOLUTION_LABELS.get(solution, solution):<24}{cells}")
        lines += [f"  winner for {app}: {s} ({t})" for app, (s, t) in self.winners.items()]
        lines += [f"  ! {flag}" for flag in self.flags]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        flags = "".join(f"<li class='dojo-flag'>{html.escape(f)}</li>" for f in self.flags)
        return self.table_html() + (f"<ul>{flags}</ul>" if flags else "")

    def table_html(self) -> str:
        """The totals as an HTML table (cells that disagree with the printed table highlighted)."""
        esc = html.escape
        apps = list(self.weights)
        head = "".join(f"<th>{esc(a)}</th>" for a in apps)
        body = ""
        for solution, row in self.totals.items():
            cells = ""
            for app in apps:
                bad = next(
                    (
                        d
                        for d in self.discrepancies
                        if d.solution == solution and d.application == app
                    ),
                    None,
                )
                winner = self.winners[app][0] == solution
                style = "background:#fde2e1" if bad else ("font-weight:bold" if winner else "")
                printed = f" <small>(book: {bad.printed})</small>" if bad else ""
                cells += f"<td style='{style}'>{row[app]}{printed}</td>"
            body += f"<tr><th>{esc(SOLUTION_LABELS.get(solution, solution))}</th>{cells}</tr>"
        return (
            f"<table class='dojo-decision'><caption>Weighted totals ({esc(self.source)})</caption>"
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"
        )


def decision_matrix(
    scores: dict[str, dict[str, int]] | None = None,
    weights: dict[str, dict[str, int]] | None = None,
    *,
    printed: dict[str, dict[str, int]] | None = None,
) -> DecisionMatrix:
    """Compute every weighted total and compare it with the printed Table 7.18.

    Args:
        scores: solution → requirement → score (default: Table 7.12).
        weights: application → requirement → weight (default: Table 7.14).
        printed: Totals to check (default: Table 7.18 as printed, only when scores and weights
            are the book's — edited inputs are not compared against the book).
    """
    book_inputs = scores is None and weights is None
    scores = {s: dict(v) for s, v in (scores or SCORES_7_12).items()}
    weights = {a: dict(v) for a, v in (weights or WEIGHTS_7_14).items()}
    totals = {
        s: {a: weighted_total(sv, wv) for a, wv in weights.items()} for s, sv in scores.items()
    }
    if printed is None:
        printed = BOOK_TOTALS_7_18 if book_inputs else {}
    discrepancies = tuple(
        Discrepancy(s, a, printed[s][a], totals[s][a])
        for s in totals
        for a in weights
        if s in printed and a in printed[s] and printed[s][a] != totals[s][a]
    )
    return DecisionMatrix(
        scores, weights, totals, {s: dict(v) for s, v in printed.items()}, discrepancies
    )
