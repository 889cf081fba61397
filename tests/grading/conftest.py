"""A small course built in a scratch folder, for grading tests that submit crafted notebooks."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dojo._nbgrader import course_config, run_converter
from dojo.course import Course
from dojo.release import release

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "drill"

ANSWER = '''def double(x):
    """Return twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION'''

CHECKS = '''from dojo.grading import Task

task = Task("drill_double", points=10)
with task.check(3, "double(2) should be 4"):
    assert double(2) == 4
with task.check(3, "double(-5) should be -10"):
    assert double(-5) == -10
task.done()'''

HIDDEN = '''
from dojo.grading import hidden

@hidden("drill_double", points=4, fail="SECRET-HIDDEN-MESSAGE: large and float inputs")
def secret_large_inputs(learner):
    assert learner.double(10**6) == 2 * 10**6
    assert learner.double(0.5) == 1.0
'''


def cell(source: str, grade_id: str, **flags: object) -> nbformat.NotebookNode:
    """A code cell with nbgrader metadata."""
    fields = {"grade": False, "locked": False, "solution": False, "task": False, **flags}
    return new_code_cell(source, metadata={"nbgrader": {"grade_id": grade_id, "schema_version": 3, **fields}})


def solution_notebook() -> nbformat.NotebookNode:
    """The drill's source notebook: one answer cell and one check cell worth 10 points."""
    prompt = new_markdown_cell(
        "Write `double(x)`.",
        metadata={"nbgrader": {"grade_id": "prompt", "locked": True, "schema_version": 3,
                               "solution": False, "grade": False, "task": False}},
    )
    return new_notebook(
        cells=[prompt, cell(ANSWER, "answer", solution=True),
               cell(CHECKS, "drill_double_check", grade=True, locked=True, points=10)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def sandbox_slot() -> int:
    """A sandbox slot of its own for each pytest-xdist worker, so their learner users differ."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


@dataclass
class DrillCourse:
    """A one-assignment course with hidden checks, a gradebook and a way to grade submissions."""

    course: Course

    @property
    def release_notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(self.course.exercises / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)

    def answered(self, answer: str = "def double(x):\n    return 2 * x") -> nbformat.NotebookNode:
        """The released notebook with ``answer`` in the answer cell."""
        notebook = self.release_notebook
        notebook.cells[1].source = answer
        return notebook

    def grade(
        self, student: str, notebook: nbformat.NotebookNode, timeout: int = 20, slot: int | None = None
    ) -> dict:
        """Submit ``notebook`` as ``student`` and autograde it with the course's configuration."""
        from nbgrader.converters import Autograde

        folder = self.course.grading / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
        config = course_config(self.course)
        config.CourseDirectory.assignment_id = ASSIGNMENT
        config.CourseDirectory.student_id = student
        config.Autograde.force = True
        config.Autograde.create_student = True
        config.SandboxedGrading.timeout = timeout
        config.SandboxedGrading.slot = sandbox_slot() if slot is None else slot
        run_converter(Autograde, config)
        path = self.course.grading / "checks" / ASSIGNMENT / student / f"{ASSIGNMENT}.json"
        return json.loads(path.read_text())["drill_double_check"]

    def score(self, student: str, notebook: nbformat.NotebookNode, **options: int | None) -> float:
        return self.grade(student, notebook, **options)["score"]

    def autograded(self, student: str) -> nbformat.NotebookNode:
        path = self.course.grading / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> DrillCourse:
    """The drill course, released and registered in its gradebook."""
    from nbgrader.converters import GenerateAssignment

    root = tmp_path_factory.mktemp("drill-course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(solution_notebook(), root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (root / "graders" / ASSIGNMENT).mkdir(parents=True)
    (root / "graders" / ASSIGNMENT / "checks.py").write_text(textwrap.dedent(HIDDEN))
    course = Course(root)
    release(course, ASSIGNMENT)
    config = course_config(course)
    config.CourseDirectory.assignment_id = ASSIGNMENT
    config.GenerateAssignment.force = True
    run_converter(GenerateAssignment, config)
    return DrillCourse(course)
