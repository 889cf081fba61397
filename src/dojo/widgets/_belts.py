"""Points per module and a belt per level, from local check results or a leaderboard.

The curriculum defines no belts, so the course uses this mapping (documented here, shown in the
progress view): the 23 modules form five levels, each with a belt colour; a level's belt is
earned at :data:`BELT_THRESHOLD` of that level's points. Every module is worth 100 points unless
a result says otherwise (each graded exercise in the curriculum totals 100).

========  ==============================  ===========  ======
level     name                            modules      belt
========  ==============================  ===========  ======
1         Foundations                     m00-m04      white
2         Integration and orchestration   m05-m09      yellow
3         Resilience and data             m10-m14      green
4         Operations at scale             m15-m19      blue
5         Mastery                         m20-m22      black
========  ==============================  ===========  ======

The last level is black because m20 is the books' "Blackbelt Lambda" chapter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BELT_THRESHOLD",
    "LEVELS",
    "Level",
    "LevelProgress",
    "ModulePoints",
    "Progress",
    "module_of",
    "progress_from_leaderboard",
    "progress_from_reports",
]

BELT_THRESHOLD = 0.7
"""Share of a level's points that earns its belt."""

DEFAULT_MODULE_POINTS = 100.0


@dataclass(frozen=True)
class Level:
    """A level: a range of modules and the belt it awards."""

    number: int
    name: str
    first: int
    last: int
    belt: str
    colour: str

    @property
    def modules(self) -> list[str]:
        """Module keys (``m00`` ...) in this level."""
        return [f"m{i:02d}" for i in range(self.first, self.last + 1)]


LEVELS: tuple[Level, ...] = (
    Level(1, "Foundations", 0, 4, "white", "#f5f5f5"),
    Level(2, "Integration and orchestration", 5, 9, "yellow", "#fdd835"),
    Level(3, "Resilience and data", 10, 14, "green", "#43a047"),
    Level(4, "Operations at scale", 15, 19, "blue", "#1e88e5"),
    Level(5, "Mastery", 20, 22, "black", "#212121"),
)

_MODULE = re.compile(r"\bm(\d{2})(?:\b|[-_])", re.IGNORECASE)


def module_of(name: str) -> str | None:
    """``m03-s3-event-pipelines`` (or ``solutions/m03-…``) → ``m03``; None when no module key."""
    match = _MODULE.search(name.replace("/", " "))
    return f"m{match.group(1)}" if match else None


@dataclass(frozen=True)
class ModulePoints:
    """Points earned and possible in one module."""

    module: str
    points: float
    max_points: float = DEFAULT_MODULE_POINTS
    attempted: bool = True


@dataclass(frozen=True)
class LevelProgress:
    """A level's points and whether its belt is earned."""

    level: Level
    points: float
    max_points: float

    @property
    def share(self) -> float:
        """points ÷ max_points."""
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def earned(self) -> bool:
        """True once the share reaches :data:`BELT_THRESHOLD`."""
        return self.share >= BELT_THRESHOLD - 1e-9


@dataclass(frozen=True)
class Progress:
    """Points per module and belts per level.

    Attributes:
        modules: module key → points (every course module, attempted or not).
        source: ``local checks`` or ``leaderboard <cohort>``.
        learner: Whose progress this is, when known.
        rank: Overall rank on the leaderboard, when known.
    """

    modules: dict[str, ModulePoints]
    source: str
    learner: str = ""
    rank: int | None = None

    @property
    def total(self) -> float:
        """All points earned."""
        return sum(m.points for m in self.modules.values())

    @property
    def levels(self) -> list[LevelProgress]:
        """Progress per level, in order."""
        out = []
        for level in LEVELS:
            items = [self.modules[m] for m in level.modules if m in self.modules]
            out.append(
                LevelProgress(level, sum(i.points for i in items), sum(i.max_points for i in items))
            )
        return out

    @property
    def belts(self) -> list[str]:
        """Belts earned, lowest first."""
        return [lp.level.belt for lp in self.levels if lp.earned]

    @property
    def highest_belt(self) -> str | None:
        """The highest belt earned (levels can be earned in any order), or None."""
        belts = self.belts
        return belts[-1] if belts else None

    def __repr__(self) -> str:
        who = f" {self.learner}" if self.learner else ""
        lines = [
            f"<Progress{who}: {self.total:g} points from {self.source}; belts: "
            f"{', '.join(self.belts) or 'none yet'}>"
        ]
        for lp in self.levels:
            mark = "✔" if lp.earned else " "
            lines.append(
                f"  {mark} L{lp.level.number} {lp.level.name:<30} {lp.points:>6g} / "
                f"{lp.max_points:g}"
                f"  ({lp.level.belt} belt at {BELT_THRESHOLD:.0%})"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ._progress import progress_html

        return progress_html(self)


def _empty_modules() -> dict[str, ModulePoints]:
    return {
        m: ModulePoints(m, 0.0, DEFAULT_MODULE_POINTS, False)
        for level in LEVELS
        for m in level.modules
    }


def progress_from_reports(reports: Iterable[Any], *, learner: str = "") -> Progress:
    """Progress from local check results (``dojo.grading.NotebookReport`` or alike).

    Each report needs ``assignment`` (e.g. ``m03-s3-event-pipelines``), ``notebook``, ``score``
    and ``max_score``. Several runs of the same notebook count once, with the best score;
    several notebooks of one module add up.
    """
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for report in reports:
        module = module_of(str(getattr(report, "assignment", ""))) or module_of(
            str(getattr(report, "notebook", ""))
        )
        if module is None:
            continue
        key = (module, str(getattr(report, "notebook", "")))
        score, max_score = float(report.score), float(report.max_score)
        if key not in best or score > best[key][0]:
            best[key] = (score, max_score)
    modules = _empty_modules()
    sums: dict[str, tuple[float, float]] = {}
    for (module, _notebook), (score, max_score) in best.items():
        earned, possible = sums.get(module, (0.0, 0.0))
        sums[module] = (earned + score, possible + max_score)
    for module, (earned, possible) in sums.items():
        modules[module] = ModulePoints(module, earned, possible or DEFAULT_MODULE_POINTS, True)
    return Progress(modules, "local checks", learner)


def _row_value(row: Any, key: str) -> Any:
    return row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def _find_row(board: Any, learner: str) -> Any:
    me = _row_value(board, "me")
    if me and (not learner or learner in (_row_value(me, "learner"), _row_value(me, "name"))):
        return me
    entries = _row_value(board, "entries") if not isinstance(board, list) else board
    for row in entries or []:
        if learner and learner in (
            _row_value(row, "learner"),
            _row_value(row, "name"),
            _row_value(row, "id"),
        ):
            return row
    return None


def progress_from_leaderboard(
    client: Any, cohort: str, *, learner: str = "", modules: Iterable[str] | None = None
) -> Progress:
    """Progress from a leaderboard service.

    Args:
        client: Anything with ``board(cohort, module=None, window="all")`` returning a board
            (a dict with ``entries`` and optionally ``me`` and ``modules``, or a list of rows
            with ``learner``/``name`` and ``total``), e.g.
            ``dojo.leaderboard.client.LeaderboardClient``.
        cohort: The cohort's name.
        learner: Whose row to read (default: the board's ``me`` row).
        modules: Module keys to ask for (default: the overall board's ``modules`` list).
    """
    overall = client.board(cohort, module=None, window="all")
    row = _find_row(overall, learner)
    rank = _row_value(row, "rank") if row is not None else None
    if modules is not None:
        wanted = list(modules)
    elif isinstance(overall, list):
        wanted = []
    else:
        wanted = list(_row_value(overall, "modules") or [])
    result = _empty_modules()
    for name in wanted:
        key = module_of(name) or name
        board = client.board(cohort, module=name, window="all")
        mine = _find_row(board, learner)
        points = float(_row_value(mine, "total") or 0) if mine is not None else 0.0
        result[key] = ModulePoints(key, points, DEFAULT_MODULE_POINTS, mine is not None)
    who = learner or (
        str(_row_value(row, "name") or _row_value(row, "learner") or "") if row is not None else ""
    )
    return Progress(result, f"leaderboard {cohort}", who, rank if isinstance(rank, int) else None)
