"""The workshop commands, run with click's CliRunner on the objects the main CLI attaches."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from dojo.course import Course
from dojo.workshop.cli import bundle, join, submit, workshop
from tests.workshop.conftest import HONEST, answered

pytestmark = pytest.mark.slow


def test_instructor_and_learner_commands_run_a_session(
    fresh_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check start prints the join code and board, a learner joins and submits, chaos and status
    answer, and stop exports the results."""
    monkeypatch.setenv("DOJO_COURSE_DIR", str(fresh_course.root))
    runner = CliRunner()
    started = runner.invoke(
        workshop, ["start", "--cohort", "cli", "--workers", "1", "--labs", "drill"]
    )
    assert started.exit_code == 0, started.output
    try:
        code = next(
            line.split(": ")[1] for line in started.output.splitlines() if "join code" in line
        )
        assert "/c/cli" in started.output
        credentials = tmp_path / "me" / "workshop.json"
        joined = runner.invoke(
            join, [code, "--name", "Ada", "--team", "red", "--credentials", str(credentials)]
        )
        assert joined.exit_code == 0, joined.output
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        notebook = answered(fresh_course, HONEST, tmp_path / "work")
        sent = runner.invoke(
            submit, [str(notebook), "--no-wait", "--credentials", str(credentials)]
        )
        assert sent.exit_code == 0, sent.output
        assert "place in queue: 1" in sent.output
        status = runner.invoke(workshop, ["status"])
        assert status.exit_code == 0 and "workers" in status.output
        chaos = runner.invoke(workshop, ["chaos", "throttle", "resize", "--rate", "0.5"])
        assert chaos.exit_code == 0, chaos.output
        assert json.loads(chaos.output) == {
            "faults": [{"kind": "throttle", "function": "resize", "rate": 0.5}]
        }
        again = runner.invoke(workshop, ["start", "--cohort", "cli"])
        assert again.exit_code == 1 and "running already" in again.output
    finally:
        stopped = runner.invoke(workshop, ["stop", "--out", str(tmp_path / "out")])
    assert stopped.exit_code == 0, stopped.output
    assert (tmp_path / "out" / "results.csv").read_text().splitlines()[1].split(",")[1:4] == [
        "Ada",
        "ws-" + (tmp_path / "out" / "results.csv").read_text().split("ws-")[1].split(",")[0],
        "red",
    ]
    assert (tmp_path / "out" / "board.html").is_file()


def test_submit_without_joining_says_what_to_do(tmp_path: Path) -> None:
    """Check that submitting before joining explains how to join."""
    notebook = tmp_path / "drill.ipynb"
    notebook.write_text("{}")
    result = CliRunner().invoke(
        submit, [str(notebook), "--credentials", str(tmp_path / "none.json")]
    )
    assert result.exit_code == 1 and "dojo join CODE" in result.output


def test_start_refuses_a_bad_cohort_name(
    fresh_course: Course, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that an invalid cohort name is refused before anything starts."""
    monkeypatch.setenv("DOJO_COURSE_DIR", str(fresh_course.root))
    result = CliRunner().invoke(workshop, ["start", "--cohort", "Bad Name"])
    assert result.exit_code == 1 and "lower-case" in result.output


def test_bundle_command_writes_an_archive(
    fresh_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that dojo bundle writes a zip without the drill's solutions or graders."""
    monkeypatch.setenv("DOJO_COURSE_DIR", str(fresh_course.root))
    (fresh_course.root / "src").mkdir()
    out = tmp_path / "learners.zip"
    result = CliRunner().invoke(bundle, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert "serverless-dojo/exercises/drill/drill.ipynb" in names
    assert not [n for n in names if "/solutions/" in n or "/graders/" in n]
    assert os.path.getsize(out) > 0


def test_freeze_time_accepts_a_clock_time_or_an_iso_date() -> None:
    """Check --freeze-at parsing: HH:MM is today in UTC; an ISO time without zone is UTC."""
    from datetime import UTC, datetime

    from dojo.errors import DojoError
    from dojo.workshop._session import parse_time

    assert parse_time("10:30").strftime("%H:%M %Z") == "10:30 UTC"
    assert parse_time("2026-11-22T09:00") == datetime(2026, 11, 22, 9, tzinfo=UTC)
    with pytest.raises(DojoError, match="HH:MM"):
        parse_time("half past ten")
