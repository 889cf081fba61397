"""Reference wrong answers of m03 lose exactly their mistake's points, with a reason saying the fix.

Each folder in graders/m03-s3-event-pipelines/submissions/ is one learner's notebook with one
realistic mistake from the module card; it is graded by the real pipeline, hidden checks included.
``cheat_attempt`` is the unanswered release plus a cell that tries to fake its way to full marks
(a check cell edited to print a pass, dojo.grading.Task and boto3 monkeypatched, answers that
return objects equal to everything, re-installed after every cell); it must earn nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dojo.course import Course
from dojo.grading import check_notebook

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "m03-s3-event-pipelines"
SUBMISSIONS = ROOT / "graders" / ASSIGNMENT / "submissions"
TASK = "m03_s3_event_pipelines_{}_check"

# submission -> {task: (points lost, words the reason must contain)}
MISTAKES = {
    "missing_suffix_filter": {"deploy_pipeline": (3, "suffix '.mp4'")},
    "key_not_url_decoded": {"transcode_handler": (7, "unquote_plus")},
    "raises_when_a_job_fails": {"transcode_handler": (3, "do not raise")},
}
# submissions that must earn 0 points
CHEATS = ["cheat_attempt"]


def test_every_reference_submission_is_tested() -> None:
    """Check that each submission folder has its expected outcome here, and the reverse."""
    assert sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir()) == sorted(
        [*MISTAKES, *CHEATS]
    )


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_wrong_answer_loses_exactly_its_points(name: str) -> None:
    """Check that the mistake costs its points in its task only, and the reason names the fix."""
    report = check_notebook(
        Course(ROOT), SUBMISSIONS / name / f"{ASSIGNMENT}.ipynb", ASSIGNMENT, hidden=True
    )
    expected = {TASK.format(task): lost for task, lost in MISTAKES[name].items()}
    for task in report.tasks:
        lost, words = expected.get(task.task, (0, ""))
        assert task.max_points - task.points == lost, str(report)
        assert words in task.reason, str(report)
    assert report.max_score == 100


@pytest.mark.notebook
@pytest.mark.parametrize("name", CHEATS)
def test_a_cheat_attempt_earns_nothing(name: str) -> None:
    """Check that monkeypatching the checks, boto3 or equality in the learner's process scores 0."""
    report = check_notebook(
        Course(ROOT), SUBMISSIONS / name / f"{ASSIGNMENT}.ipynb", ASSIGNMENT, hidden=True
    )
    assert report.max_score == 100, str(report)
    assert report.score == 0, str(report)
    assert all(task.points == 0 for task in report.tasks), str(report)
