"""nbgrader's own workflow, command by command, on a course laid out like ours.

generate -> release -> fetch -> submit -> collect -> autograde -> generate_feedback
-> release_feedback -> fetch_feedback -> export, through a local filesystem exchange,
with one honest learner and one cheating learner.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dojo.grading import grade_submissions
from tests.grading.conftest import ASSIGNMENT, DrillCourse

pytestmark = pytest.mark.slow

COURSE_ID = "serverless-dojo"
CHEAT = '''def double(x):
    raise NotImplementedError()
import dojo.grading._checks as checks
checks.Task.done = lambda self: self
print("10 / 10 points")
'''


def nbgrader(*args: str, cwd: Path, exchange: Path) -> str:
    """Run an nbgrader command as a person would, with the exchange in ``exchange``."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={exchange}"]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def workflow(drill: DrillCourse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run the whole workflow once; return the places the tests look at."""
    root = drill.course.root
    exchange = tmp_path_factory.mktemp("exchange")
    exchange.chmod(0o777)
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=root, exchange=exchange)
    nbgrader("release_assignment", ASSIGNMENT, "--force", cwd=root, exchange=exchange)

    homes = {}
    for learner, answer in [("alice", "def double(x):\n    return 2 * x"), ("mallory", CHEAT)]:
        home = tmp_path_factory.mktemp(learner)
        homes[learner] = home
        course_flag = f"--course={COURSE_ID}"
        nbgrader("fetch_assignment", ASSIGNMENT, course_flag, cwd=home, exchange=exchange)
        path = home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        notebook = nbformat.read(path, as_version=4)
        notebook.cells[1].source = answer
        if learner == "mallory":
            notebook.cells[2].source = "print('all checks passed')"
        nbformat.write(notebook, path)
        nbgrader("submit", ASSIGNMENT, course_flag, f"--student={learner}", cwd=home, exchange=exchange)

    nbgrader("collect", ASSIGNMENT, cwd=root, exchange=exchange)
    nbgrader("autograde", ASSIGNMENT, "--force", cwd=root, exchange=exchange)
    nbgrader("generate_feedback", ASSIGNMENT, "--force", cwd=root, exchange=exchange)
    nbgrader("release_feedback", ASSIGNMENT, cwd=root, exchange=exchange)
    for learner, home in homes.items():
        nbgrader("fetch_feedback", ASSIGNMENT, f"--course={COURSE_ID}", f"--student={learner}", cwd=home,
                 exchange=exchange)
    grades = root / "grades.csv"
    nbgrader("export", f"--CsvExportPlugin.to={grades}", cwd=root, exchange=exchange)
    return {"grades": grades, "exchange": exchange, **homes}


def test_export_gives_the_honest_learner_full_marks_and_the_cheat_nothing(workflow: dict[str, Path]) -> None:
    """Check the exported grades after nbgrader's autograde with the course's configuration."""
    with workflow["grades"].open() as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT}
    assert float(rows["alice"]["score"]) == 10
    assert float(rows["mallory"]["score"]) == 0
    assert float(rows["alice"]["max_score"]) == 10


def test_learners_fetch_feedback_without_hidden_checks(workflow: dict[str, Path]) -> None:
    """Check that both learners received feedback and neither page names a hidden check."""
    for learner in ("alice", "mallory"):
        pages = list((workflow[learner] / ASSIGNMENT / "feedback").rglob("*.html"))
        assert pages, f"{learner} got no feedback"
        text = pages[0].read_text()
        assert "SECRET-HIDDEN-MESSAGE" not in text and "secret_large_inputs" not in text
    mallory = next((workflow["mallory"] / ASSIGNMENT / "feedback").rglob("*.html")).read_text()
    assert "0 / 10 points" in mallory


def test_dojo_grade_reads_the_same_exchange(drill: DrillCourse, workflow: dict[str, Path]) -> None:
    """Check that dojo grade, pointed at the exchange, finds both submissions and agrees."""
    run = grade_submissions(drill.course, ASSIGNMENT, workflow["exchange"], workers=2)
    assert {row.learner: row.score for row in run.rows} == {"alice": 10, "mallory": 0}
