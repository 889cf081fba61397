"""Grading one submission in a child process: crashes, hangs and bad notebooks become reasons."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dojo.course import Course
from dojo.workshop._grade import GradingFailed, grade_in_process


def test_a_crashed_grading_process_is_reported_with_its_exit_status(
    drill_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that a child that dies without a result is a GradingFailed naming its exit status."""
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(GradingFailed, match=r"crashed \(exit status 1\)"):
        grade_in_process(drill_course.root, tmp_path / "drill.ipynb", "drill")


def test_a_grading_that_hangs_is_stopped(
    drill_course: Course, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that a grading past its time limit is stopped and reported."""
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nsleep 30\n")
    hang.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(hang))
    with pytest.raises(GradingFailed, match=r"longer than 0\.5 s"):
        grade_in_process(drill_course.root, tmp_path / "drill.ipynb", "drill", timeout=0.5)


def test_a_notebook_that_cannot_be_read_is_reported(drill_course: Course, tmp_path: Path) -> None:
    """Check that a broken notebook gives the learner a reason, not a crash."""
    broken = tmp_path / "drill.ipynb"
    broken.write_text("{}")
    with pytest.raises(GradingFailed, match="cannot grade this notebook"):
        grade_in_process(drill_course.root, broken, "drill", timeout=120)
