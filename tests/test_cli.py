"""The dojo command: help texts, one-line errors, and check/release through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.cli import main

ROOT = Path(__file__).resolve().parents[1]
M00_SOLUTION = ROOT / "solutions" / "m00-orientation" / "m00-orientation.ipynb"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):
    """Invoke ``dojo`` from inside the course folder."""
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), ["release", "check", "grade", "lab", "leaderboard", "cloud", "workshop", "join", "submit",
              "bundle"]),
        (("workshop",), ["start", "stop", "chaos"]),
        (("cloud",), ["serve"]),
        (("leaderboard",), ["serve", "cohort"]),
        (("grade",), ["--submissions", "--out", "--feedback", "--push", "--cohort"]),
        (("release",), ["ASSIGNMENT", "exercises/", "solutions/"]),
        (("check",), ["NOTEBOOK_OR_ASSIGNMENT", "--assignment", "--hidden", "my-work/"]),
        (("lab",), ["--port", "--no-browser"]),
    ],
)
def test_help_describes_the_arguments(run, args: tuple[str, ...], expected: list[str]) -> None:
    """Check that each command's --help names its arguments and options."""
    result = run(*args, "--help")
    assert result.exit_code == 0
    for word in expected:
        assert word in result.output


def _one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_check_reports_a_missing_notebook_in_one_line(run) -> None:
    """Check that a missing notebook gives a one-line error naming it."""
    assert "nowhere.ipynb: no such file" in _one_line_error(run("check", "nowhere.ipynb"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("   \n", "the file is empty"),
        ("{not json", "invalid JSON at line 1"),
        ('{"cells": "nope", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "not a valid notebook"),
        ("[1, 2]", "no list of cells"),
    ],
)
def test_check_reports_a_broken_notebook_in_one_line(run, tmp_path: Path, content: str, message: str) -> None:
    """Check that empty or malformed notebooks give a one-line error naming the file, not a traceback."""
    broken = tmp_path / "m00-orientation.ipynb"
    broken.write_text(content)
    line = _one_line_error(run("check", str(broken)))
    assert str(broken) in line and message in line


def test_check_names_the_known_assignments_for_an_unknown_one(run) -> None:
    """Check that an unknown assignment name lists the assignments that exist."""
    line = _one_line_error(run("check", "m99-nothing"))
    assert "m99-nothing" in line and "m00-orientation" in line


def test_check_rejects_a_notebook_that_belongs_to_no_assignment(run, tmp_path: Path) -> None:
    """Check that a valid notebook with an unknown name is refused with advice, not graded."""
    stray = tmp_path / "holiday-photos.ipynb"
    stray.write_text(M00_SOLUTION.read_text())
    assert "--assignment" in _one_line_error(run("check", str(stray)))


@pytest.fixture
def wrong_m00(tmp_path: Path) -> Path:
    """The m00 solution with a mistake: it forgets the pay-while-idle criterion."""
    text = M00_SOLUTION.read_text().replace(
        "return utility_service and not pays_while_idle", "return utility_service"
    )
    wrong = tmp_path / "m00-orientation.ipynb"
    wrong.write_text(text)
    return wrong


@pytest.mark.notebook
def test_check_prints_points_per_task_and_the_reason_for_lost_points(run, wrong_m00: Path) -> None:
    """Check that a wrong answer is graded on public checks: exit 0, 4/6 and why 2 points were lost."""
    result = run("check", str(wrong_m00))
    assert result.exit_code == 0, result.output
    task_line = next(line for line in result.output.splitlines() if "is_serverless_check" in line)
    assert "4 / 6" in task_line
    assert "per-seat subscription" in task_line
    assert "4 more points come from hidden checks" in task_line
    assert "secret" not in result.output.lower()


@pytest.mark.notebook
def test_check_hidden_adds_the_hidden_checks_for_instructors(run, wrong_m00: Path) -> None:
    """Check that --hidden grades out of the full 10 points and names the failed hidden check."""
    result = run("check", "--hidden", str(wrong_m00))
    assert result.exit_code == 0, result.output
    assert "score: 6 / 10" in result.output
    assert "billed while idle" in result.output


def test_release_rejects_an_unknown_assignment(run) -> None:
    """Check that releasing a missing assignment fails in one line and names what exists."""
    line = _one_line_error(run("release", "m99-nothing"))
    assert "m00-orientation" in line
