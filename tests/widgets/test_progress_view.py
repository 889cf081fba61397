"""Progress: points per module and belts per level, from check results or a leaderboard."""

from __future__ import annotations

from typing import Any

from dojo.grading import NotebookReport, TaskResult
from dojo.widgets import LEVELS, ProgressView, progress_from_leaderboard, progress_from_reports
from dojo.widgets._belts import module_of


def _report(
    assignment: str, points: float, notebook: str = "nb", max_points: float = 100
) -> NotebookReport:
    return NotebookReport(assignment, notebook, (TaskResult("t1", points, max_points),))


class FakeBoard:
    """A leaderboard client double with ``board(cohort, module=None, window="all")``."""

    def __init__(self, totals: dict[str, int], *, fail: bool = False) -> None:
        self.totals = totals
        self.fail = fail
        self.calls: list[tuple[str, str | None, str]] = []

    def board(self, cohort: str, module: str | None = None, window: str = "all") -> dict[str, Any]:
        self.calls.append((cohort, module, window))
        if self.fail:
            raise ConnectionError("leaderboard offline")
        if module is None:
            entries = [
                {
                    "rank": 2,
                    "learner": "ada",
                    "name": "Ada",
                    "total": sum(self.totals.values()),
                    "solved": 3,
                }
            ]
            return {"modules": list(self.totals), "entries": entries, "me": entries[0]}
        me = {"rank": 1, "learner": "ada", "name": "Ada", "total": self.totals[module], "solved": 1}
        return {"modules": list(self.totals), "entries": [me], "me": me}


def test_levels_cover_every_module_once() -> None:
    """Check that the five levels partition m00-m22 and end with the black belt."""
    modules = [m for level in LEVELS for m in level.modules]
    assert modules == [f"m{i:02d}" for i in range(23)]
    assert [level.belt for level in LEVELS] == ["white", "yellow", "green", "blue", "black"]


def test_points_and_belts_from_local_checks() -> None:
    """Check best-of reruns, summed notebooks, and a belt earned at 70% of a level."""
    reports = [
        _report("m00-orientation", 40),
        _report("m00-orientation", 100),  # rerun: best counts
        _report("m01-lambda-fundamentals", 80),
        _report("m02-invocation-models", 90),
        _report("m03-s3-event-pipelines", 50, "part1", 50),
        _report("m03-s3-event-pipelines", 40, "part2", 50),
        _report("m20-blackbelt-lambda", 100),
        _report("not-a-module", 10),
    ]
    progress = progress_from_reports(reports, learner="ada")
    assert progress.modules["m00"].points == 100
    assert progress.modules["m03"].points == 90 and progress.modules["m03"].max_points == 100
    assert progress.modules["m05"].attempted is False
    level1 = progress.levels[0]
    assert level1.points == 360 and level1.max_points == 500 and level1.earned
    assert progress.belts == ["white"] and progress.highest_belt == "white"
    assert progress.levels[4].points == 100 and not progress.levels[4].earned
    assert progress.total == 460
    assert "white belt" in progress._repr_html_()


def test_module_keys_are_read_from_names() -> None:
    """Check module detection from assignment names and paths."""
    assert module_of("m07-api-gateway") == "m07"
    assert module_of("solutions/m12-data-platforms/x.ipynb") == "m12"
    assert module_of("homework") is None


def test_progress_view_reads_the_leaderboard_when_connected() -> None:
    """Check that with a board client the view shows its points and the overall rank."""
    board = FakeBoard(
        {
            "m05-pubsub-fanout": 100,
            "m06-eventbridge-routing": 100,
            "m07-api-gateway": 100,
            "m08-identity-frontends-edge": 60,
        }
    )
    view = ProgressView([_report("m00-orientation", 10)], leaderboard=board, cohort="spring")
    assert view.result.source == "leaderboard spring" and view.result.rank == 2
    assert view.result.modules["m07"].points == 100
    assert view.result.belts == ["yellow"]
    assert ("spring", "m08-identity-frontends-edge", "all") in board.calls
    assert "data-earned='true'" in view.output.value
    view.source.value = "local checks"
    assert view.result.source == "local checks" and view.result.total == 10


def test_progress_view_falls_back_when_the_leaderboard_is_down() -> None:
    """Check that an unreachable leaderboard shows local results and says why."""
    view = ProgressView(
        [_report("m00-orientation", 70)], leaderboard=FakeBoard({}, fail=True), cohort="c"
    )
    assert view.result.source == "local checks" and view.result.total == 70
    assert "Leaderboard not reachable" in view.output.value
    view.add(_report("m01-lambda-fundamentals", 100))
    assert view.result.total == 170


def test_leaderboard_rows_can_be_found_by_learner() -> None:
    """Check reading a named learner's row when the board has no ``me``."""

    class Rows:
        def board(self, cohort: str, module: str | None = None, window: str = "all") -> Any:
            rows = [
                {"learner": "bob", "name": "<Bob>", "total": 5},
                {"learner": "ada", "name": "Ada", "total": 80},
            ]
            return rows if module else {"entries": rows, "modules": ["m10-resilience"]}

    progress = progress_from_leaderboard(Rows(), "c", learner="ada")
    assert progress.modules["m10"].points == 80 and progress.learner == "ada"
    html = ProgressView(leaderboard=Rows(), cohort="c", learner="<Bob>").output.value
    assert "&lt;Bob&gt;" in html and "<Bob>" not in html
