"""`dojo grade`: many submissions, in parallel, resumable, with problems reported and results exported."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from dojo.cli import main
from dojo.grading import grade_submissions
from tests.grading.conftest import ASSIGNMENT, DrillCourse

pytestmark = pytest.mark.slow

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
ANSWERS = {
    "ada": "def double(x):\n    return 2 * x",  # full marks
    "bea": "def double(x):\n    return 2 * int(x)",  # loses the hidden check
    "cal": "def double(x):\n    raise NotImplementedError()",  # nothing
    "dev": "import os\nos._exit(1)",  # crashes its process
}


def _submissions(drill: DrillCourse, folder: Path) -> Path:
    for learner, answer in ANSWERS.items():
        (folder / learner).mkdir(parents=True)
        nbformat.write(drill.answered(answer), folder / learner / NOTEBOOK)
    (folder / "eli").mkdir()
    (folder / "eli" / NOTEBOOK).write_text("{ not a notebook")
    (folder / "fay").mkdir()
    return folder


def _csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as handle:
        return {row.get("learner") or row["student_id"]: row for row in csv.DictReader(handle)}


def test_grade_scores_every_submission_and_reports_the_broken_ones(drill: DrillCourse, tmp_path: Path) -> None:
    """Check scores per learner and task, problems with reasons, and both CSV exports."""
    source = _submissions(drill, tmp_path / "in")
    run = grade_submissions(drill.course, ASSIGNMENT, source, out=tmp_path / "grades.csv", workers=2)
    scores = {row.learner: row.score for row in run.rows}
    assert scores == {"ada": 10, "bea": 6, "cal": 0, "dev": 0}
    problems = {p.learner: p.reason for p in run.problems}
    assert set(problems) == {"eli", "fay"}
    assert "not a notebook" in problems["eli"] and "no notebook named" in problems["fay"]

    rows = _csv(tmp_path / "grades.csv")
    assert rows["bea"]["score"] == "6" and rows["bea"]["max_score"] == "10"
    assert rows["bea"]["drill_double_check"] == "6" and rows["bea"]["assignment"] == ASSIGNMENT
    lms = _csv(tmp_path / "grades-lms.csv")
    assert lms["ada"]["percent"] == "100.0" and lms["cal"]["points"] == "0"


def test_grade_records_scores_in_the_gradebook(drill: DrillCourse, tmp_path: Path) -> None:
    """Check that nbgrader's gradebook holds the scores dojo grade reports."""
    from nbgrader.api import Gradebook

    grade_submissions(drill.course, ASSIGNMENT, _submissions(drill, tmp_path / "in"), workers=2)
    with Gradebook(f"sqlite:///{drill.course.grading / 'gradebook.db'}") as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "bea").score == 6


def test_grade_skips_unchanged_submissions_and_regrades_changed_ones(drill: DrillCourse, tmp_path: Path) -> None:
    """Check that a second run reuses results and a changed notebook is graded again."""
    source = _submissions(drill, tmp_path / "in")
    grade_submissions(drill.course, ASSIGNMENT, source, workers=2)
    again = grade_submissions(drill.course, ASSIGNMENT, source, workers=2)
    assert again.graded == 0 and {row.learner for row in again.rows} == set(ANSWERS)
    nbformat.write(drill.answered(ANSWERS["ada"]), source / "cal" / NOTEBOOK)
    third = grade_submissions(drill.course, ASSIGNMENT, source, workers=2)
    assert third.graded == 1
    assert {row.learner: row.score for row in third.rows}["cal"] == 10


def test_grade_reads_a_zip_of_submissions(drill: DrillCourse, tmp_path: Path) -> None:
    """Check that a zip with a top folder of learner folders is graded like the folder."""
    source = _submissions(drill, tmp_path / "class")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in source.rglob("*"):
            bundle.write(path, path.relative_to(tmp_path))
    run = grade_submissions(drill.course, ASSIGNMENT, archive, workers=2)
    assert {row.learner: row.score for row in run.rows}["bea"] == 6


def test_grade_refuses_a_zip_that_escapes_its_folder(drill: DrillCourse, tmp_path: Path) -> None:
    """Check that an archive entry pointing outside the extraction folder is refused."""
    from dojo.errors import DojoError

    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../escaped.txt", "x")
    with pytest.raises(DojoError, match="outside the archive"):
        grade_submissions(drill.course, ASSIGNMENT, archive)


def test_feedback_never_shows_hidden_checks(drill: DrillCourse, tmp_path: Path) -> None:
    """Check that feedback pages exist per learner and contain no hidden check text."""
    source = _submissions(drill, tmp_path / "in")
    grade_submissions(drill.course, ASSIGNMENT, source, feedback=tmp_path / "feedback", workers=2)
    pages = sorted((tmp_path / "feedback").rglob("*.html"))
    assert {page.parent.name for page in pages} == set(ANSWERS)
    for page in pages:
        text = page.read_text()
        assert "SECRET-HIDDEN-MESSAGE" not in text and "secret_large_inputs" not in text
        assert "hidden checks:" in text
    assert "double(2) should be 4" in (tmp_path / "feedback" / "cal" / f"{ASSIGNMENT}.html").read_text()


def test_late_submissions_lose_a_percentage_per_started_day(drill: DrillCourse, tmp_path: Path) -> None:
    """Check that a submission 1.5 days late under a 10%/day policy loses 20% of its score."""
    config = drill.course.root / "nbgrader_config.py"
    original = config.read_text()
    policy = {ASSIGNMENT: {"due": "2026-01-10T12:00:00+00:00", "penalty": "10%/day"}}
    config.write_text(original + f"\nc.LatePenalty.policies = {policy!r}\n")
    try:
        source = tmp_path / "late"
        for learner, stamp in [("early", "2026-01-09 12:00:00 UTC"), ("late", "2026-01-12 00:00:00 UTC")]:
            (source / learner).mkdir(parents=True)
            nbformat.write(drill.answered(ANSWERS["ada"]), source / learner / NOTEBOOK)
            (source / learner / "timestamp.txt").write_text(stamp)
        run = grade_submissions(drill.course, ASSIGNMENT, source, out=tmp_path / "late.csv", workers=2)
    finally:
        config.write_text(original)
    rows = {row.learner: row for row in run.rows}
    assert rows["early"].score == 10 and rows["early"].late_penalty == 0
    assert rows["late"].late_penalty == 2 and rows["late"].score == 8


def test_grade_command_prints_a_summary_and_writes_the_csv(
    drill: DrillCourse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check the CLI: summary with problems, CSV path, exit 0."""
    source = _submissions(drill, tmp_path / "in")
    monkeypatch.chdir(drill.course.root)
    result = CliRunner().invoke(
        main, ["grade", ASSIGNMENT, "--submissions", str(source), "--out", str(tmp_path / "g.csv")]
    )
    assert result.exit_code == 0, result.output
    assert "problems 2" in result.output and "eli" in result.output
    assert (tmp_path / "g.csv").is_file()


def test_grade_push_awards_scores_once_to_the_leaderboard(
    drill: DrillCourse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that --push ranks learners by their graded scores and a second push adds nothing."""
    from dojo.leaderboard import start_local_board
    from dojo.leaderboard.client import LeaderboardClient

    source = _submissions(drill, tmp_path / "in")
    monkeypatch.chdir(drill.course.root)
    with start_local_board(db_url=f"sqlite:///{tmp_path / 'board.db'}") as board:
        with LeaderboardClient(board.url, grader_key=board.grader_key) as client:
            client.create_cohort("spring")
            args = ["grade", ASSIGNMENT, "--submissions", str(source), "--push", board.url,
                    "--cohort", "spring", "--grader-key", board.grader_key]
            first = CliRunner().invoke(main, args)
            assert first.exit_code == 0, first.output
            assert "leaderboard: 4 new awards" in first.output  # one task each for ada, bea, cal, dev
            again = CliRunner().invoke(main, args)
            assert "leaderboard: 0 new awards" in again.output
            board_rows = client.board("spring", limit=10)
    ranked = [(row["name"], row["total"]) for row in board_rows["entries"]]
    assert ranked[:2] == [("ada", 10), ("bea", 6)]
