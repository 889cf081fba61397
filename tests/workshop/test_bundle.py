"""The learner bundle: what learners need, and nothing that gives answers away."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dojo.course import Course
from dojo.workshop import build_bundle
from dojo.workshop._bundle import MARKERS, TOP, hidden_text, marker_lines

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle of this repository's course."""
    out = tmp_path_factory.mktemp("bundle") / "learners.zip"
    build_bundle(Course(ROOT), out)
    return out


def _texts(bundle: Path) -> dict[str, str]:
    with zipfile.ZipFile(bundle) as archive:
        return {
            name.removeprefix(f"{TOP}/"): archive.read(name).decode(errors="ignore")
            for name in archive.namelist()
        }


def _solution_lines() -> set[str]:
    """Lines written between the solution markers of every source notebook (and nowhere else in it:
    a line the prompt also shows, such as a call signature, is not an answer)."""
    lines: set[str] = set()
    pattern = re.compile(re.escape(MARKERS[0]) + r"(.*?)" + re.escape(MARKERS[2]), re.S)
    for path in (ROOT / "solutions").rglob("*.ipynb"):
        sources = ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]
        outside = "\n".join(pattern.sub("", source) for source in sources)
        for source in sources:
            for block in pattern.findall(source):
                lines |= {
                    line.strip()
                    for line in block.splitlines()
                    if len(line.strip()) >= 20 and line.strip() not in outside
                }
    return lines


def test_bundle_holds_the_course_the_library_and_the_install_files(bundle: Path) -> None:
    """Check that course/, exercises/, labs/, src/ and the two-command install files are there."""
    names = set(_texts(bundle))
    tops = {name.split("/", 1)[0] for name in names}
    assert {
        "course",
        "exercises",
        "labs",
        "src",
        "tests",
        "README.md",
        "Makefile",
        "pyproject.toml",
        "environment.yml",
        "nbgrader_config.py",
    } <= tops
    assert "src/dojo/workshop/_bundle.py" in names
    assert any(name.startswith("exercises/") and name.endswith(".ipynb") for name in names)


def test_bundle_has_no_solutions_graders_or_instructor_tests(bundle: Path) -> None:
    """Check that no instructor-only folder or file made it in."""
    tops = {name.split("/", 1)[0] for name in _texts(bundle)}
    assert not tops & {"solutions", "graders", ".grading", "bench", "my-work", ".git", ".venv"}
    assert {n for n in _texts(bundle) if n.startswith(("tests/", ".ci/"))} == {
        "tests/__init__.py",
        "tests/test_bundle.py",
        ".ci/system-deps.sh",
    }


def test_bundle_has_no_markers_hidden_check_text_or_answers(bundle: Path) -> None:
    """Check every file for markers, the hidden checks' text and solution code."""
    texts = _texts(bundle)
    secret = hidden_text(Course(ROOT))
    assert any(
        "other pay-per-use services" in fragment for fragment in secret
    )  # the scan has teeth
    answers = _solution_lines()
    assert answers
    for name, text in texts.items():
        assert not marker_lines(name, text.encode()), name
        assert not [f for f in secret if f in text], name
        if name.startswith(("exercises/", "labs/")) and name.endswith(".ipynb"):
            assert not [line for line in answers if line in text], name


def test_a_marker_line_is_found_but_prose_about_markers_is_not() -> None:
    """Check the marker scan: a notebook cell's marker line leaks, a guide naming it does not."""
    cell = {"cells": [{"cell_type": "code", "source": "x = 1\n    ### BEGIN SOLUTION\n"}]}
    assert marker_lines("a.ipynb", json.dumps(cell).encode()) == ["### BEGIN SOLUTION"]
    assert marker_lines("a.md", b"the answer cell with `### BEGIN SOLUTION` / ...") == []


def test_make_test_passes_inside_the_bundle(bundle: Path, tmp_path: Path) -> None:
    """Check that the learner's `make test` runs the bundle's own tests and they pass (grading
    untouched exercises to zero), with the installed environment standing in for `make setup`."""
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(tmp_path)
    folder = tmp_path / TOP
    stamp = folder / "installed.stamp"  # what `make setup` leaves behind; newer than pyproject.toml
    stamp.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOJO_", "PYTEST_"))}
    env["PYTHONPATH"] = str(folder / "src")  # the bundle's library, not this checkout's
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        [
            "make",
            "test",
            f"BIN={Path(sys.executable).parent}",
            f"STAMP={stamp}",
            "PYTEST_ARGS=-q -p no:cacheprovider",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "passed" in done.stdout and "skipped" not in done.stdout
