"""Every assignment in solutions/: the solution earns full marks, the release zero, and the release is current.

New modules are covered as soon as their folder appears in solutions/.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from dojo.course import Course
from dojo.grading import check_notebook
from dojo.release import release

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course(ROOT)
ASSIGNMENTS = COURSE.assignments()
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def _notebooks(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ipynb"))


def test_the_course_has_assignments() -> None:
    """Check that the generic tests below have something to run on."""
    assert "m00-orientation" in ASSIGNMENTS


def test_every_released_assignment_has_a_solution() -> None:
    """Check that exercises/ holds no assignment whose source is gone."""
    assert COURSE.assignments(COURSE.exercises) == ASSIGNMENTS


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_earns_full_marks(assignment: str) -> None:
    """Check that every solution notebook earns every point it offers, hidden checks included."""
    for notebook in _notebooks(COURSE.solutions / assignment):
        report = check_notebook(COURSE, notebook, assignment, hidden=True)
        assert report.max_score > 0, f"{notebook} has no graded cells"
        assert report.score == report.max_score, str(report)


@pytest.mark.notebook
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_exercise_earns_zero_with_a_reason_per_task(assignment: str) -> None:
    """Check that an untouched exercise scores 0 and every task says why."""
    for notebook in _notebooks(COURSE.exercises / assignment):
        report = check_notebook(COURSE, notebook, assignment, hidden=True)
        assert report.max_score > 0
        assert report.score == 0, str(report)
        assert all(task.reason for task in report.tasks), str(report)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_up_to_date(assignment: str, tmp_path: Path) -> None:
    """Check that regenerating exercises/ from solutions/ changes nothing."""
    release(COURSE, assignment, into=tmp_path)
    fresh, committed = tmp_path / assignment, COURSE.exercises / assignment
    differences = _tree_differences(filecmp.dircmp(fresh, committed, ignore=["__pycache__"]))
    assert not differences, f"exercises/{assignment} is stale, run `dojo release {assignment}`: {differences}"


def _tree_differences(comparison: filecmp.dircmp) -> list[str]:
    found = [f"only in fresh release: {name}" for name in comparison.left_only]
    found += [f"only in exercises/: {name}" for name in comparison.right_only]
    _, mismatch, errors = filecmp.cmpfiles(
        comparison.left, comparison.right, comparison.common_files, shallow=False
    )
    found += [f"differs: {name}" for name in mismatch + errors]
    for sub in comparison.subdirs.values():
        found += _tree_differences(sub)
    return found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_carries_no_solutions_or_hidden_tests(assignment: str) -> None:
    """Check that no solution or hidden-test marker reaches exercises/."""
    for path in (COURSE.exercises / assignment).rglob("*"):
        if path.is_file():
            text = path.read_text(errors="ignore")
            leaked = [marker for marker in LEAK_MARKERS if marker in text]
            assert not leaked, f"{path} contains {leaked}"
