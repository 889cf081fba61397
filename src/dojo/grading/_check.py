"""Grade one learner notebook exactly as ``nbgrader autograde`` would.

The check builds a throw-away nbgrader course in a temporary folder whose
source is the *released* exercise, so it works on a learner's machine that has
no solutions. nbgrader restores every locked cell (checks, prompts) from that
release before running the notebook, so editing a check cell changes nothing.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from nbformat import NotebookNode

from dojo._nbgrader import course_config, run_converter
from dojo.course import Course
from dojo.errors import UnknownAssignment
from dojo.grading._results import NotebookReport, TaskResult
from dojo.notebooks import grade_id, read_notebook

LEARNER = "learner"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FAILING_LINE = re.compile(r"^-+>\s*\d+\s+(.*)$")


def check_notebook(
    course: Course, notebook: Path | str, assignment: str | None = None
) -> NotebookReport:
    """Autograde ``notebook`` against the released exercise and report points per task.

    Args:
        course: the course the notebook belongs to.
        notebook: path of the learner's notebook.
        assignment: the assignment name; found from the notebook's name when None.

    Raises:
        NotebookError: when the file is missing, empty or malformed.
        UnknownAssignment: when the notebook is not part of a released assignment.
    """
    notebook = Path(notebook)
    read_notebook(notebook)
    assignment = assignment or assignment_of(course, notebook)
    release = course.require_assignment(assignment, course.exercises)
    if not (release / notebook.name).is_file():
        names = ", ".join(sorted(p.name for p in release.glob("*.ipynb")))
        raise UnknownAssignment(
            f"{notebook}: assignment {assignment} has no notebook called {notebook.name} "
            f"(its notebooks: {names})"
        )
    with tempfile.TemporaryDirectory(prefix="dojo-check-") as scratch:
        return _autograde_in(Path(scratch), course, release, notebook, assignment)


def assignment_of(course: Course, notebook: Path) -> str:
    """The released assignment that has a notebook named like ``notebook``."""
    released = course.assignments(course.exercises)
    if notebook.resolve().parent.name in released:
        return notebook.resolve().parent.name
    owners = [name for name in released if (course.exercises / name / notebook.name).is_file()]
    if len(owners) == 1:
        return owners[0]
    raise UnknownAssignment(
        f"{notebook}: cannot tell which assignment this notebook belongs to; "
        f"name it with --assignment (assignments: {', '.join(released) or 'none'})"
    )


def _autograde_in(
    scratch: Path, course: Course, release: Path, notebook: Path, assignment: str
) -> NotebookReport:
    """Run generate_assignment and autograde in a scratch course and read the gradebook."""
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde, GenerateAssignment

    shutil.copytree(release, scratch / "source" / assignment)
    submitted = scratch / "submitted" / LEARNER / assignment
    submitted.mkdir(parents=True)
    shutil.copy2(notebook, submitted / notebook.name)

    config = course_config(course)
    config.CourseDirectory.root = str(scratch)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.db_url = f"sqlite:///{scratch / 'gradebook.db'}"
    config.CourseDirectory.assignment_id = assignment
    config.GenerateAssignment.force = True
    config.GenerateAssignment.create_assignment = True
    run_converter(GenerateAssignment, config)
    config.CourseDirectory.student_id = LEARNER
    config.Autograde.force = True
    config.Autograde.create_student = True
    run_converter(Autograde, config)

    graded = read_notebook(scratch / "autograded" / LEARNER / assignment / notebook.name)
    reasons = {grade_id(cell): _reason(cell) for cell in graded.cells if grade_id(cell)}
    with Gradebook(config.CourseDirectory.db_url) as gradebook:
        submission = gradebook.find_submission_notebook(notebook.stem, assignment, LEARNER)
        order = {grade_id(cell): index for index, cell in enumerate(graded.cells)}
        grades = sorted(submission.grades, key=lambda grade: order.get(grade.name, len(order)))
        tasks = tuple(
            TaskResult(
                task=grade.name,
                points=float(grade.score or 0),
                max_points=float(grade.max_score),
                reason="" if (grade.score or 0) >= grade.max_score else _lost(grade, reasons),
            )
            for grade in grades
        )
    return NotebookReport(assignment=assignment, notebook=notebook.stem, tasks=tasks)


def _lost(grade: object, reasons: dict[str | None, str]) -> str:
    """Why a task lost points."""
    if getattr(grade, "auto_score", None) is None:
        return "graded by hand: your instructor scores this answer"
    return reasons.get(getattr(grade, "name", None)) or "the check did not pass"


def _reason(cell: NotebookNode) -> str:
    """A one-line reason from a graded cell's error output, or '' when it has none."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        name, value = output.get("ename", "Error"), str(output.get("evalue", "")).strip()
        if name == "NotImplementedError" and not value:
            return "not answered yet (the answer still raises NotImplementedError)"
        first_line = value.splitlines()[0] if value else ""
        if first_line:
            return f"{name}: {first_line}"
        failing = _failing_line(output.get("traceback", []))
        return f"{name} at `{failing}`" if failing else name
    return ""


def _failing_line(traceback: list[str]) -> str:
    """The source line IPython marks with an arrow in the last frame of a traceback."""
    for frame in reversed(traceback):
        for line in _ANSI.sub("", frame).splitlines():
            match = _FAILING_LINE.match(line.strip())
            if match:
                return match.group(1).strip()
    return ""
