"""A drill course with hidden checks (as in tests/grading) and a running workshop on it."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from dojo.course import Course
from dojo.release import release
from tests.grading.conftest import ASSIGNMENT, HIDDEN, ROOT, solution_notebook

HONEST = "def double(x):\n    return 2 * x"
PARTIAL = "def double(x):\n    return 2 * int(x)"  # fails the hidden float check: 6 of 10
CHEAT = (
    "def double(x):\n    raise NotImplementedError()\n"
    "import dojo.grading\n"
    "class Task:\n"
    "    def __init__(self, *a, **k): pass\n"
    "    def check(self, *a, **k):\n"
    "        import contextlib\n"
    "        return contextlib.suppress(BaseException)\n"
    "    def done(self): return self\n"
    "dojo.grading.Task = Task\n"
    "print('10 / 10 points')"
)


def make_drill_course(root: Path) -> Course:
    """The drill course of tests/grading: one assignment worth 10 points, 4 of them hidden."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(solution_notebook(), root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (root / "graders" / ASSIGNMENT).mkdir(parents=True)
    (root / "graders" / ASSIGNMENT / "checks.py").write_text(textwrap.dedent(HIDDEN))
    course = Course(root)
    release(course, ASSIGNMENT)
    return course


def answered(course: Course, answer: str, folder: Path) -> Path:
    """A copy of the released drill notebook with ``answer`` in its answer cell."""
    notebook = nbformat.read(course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    notebook.cells[1].source = answer
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ASSIGNMENT}.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def drill_course(tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The drill course, released."""
    return make_drill_course(tmp_path_factory.mktemp("workshop") / "course")


@pytest.fixture
def fresh_course(tmp_path: Path) -> Iterator[Course]:
    """A drill course of the test's own (for tests that start and stop workshops)."""
    yield make_drill_course(tmp_path / "course")
