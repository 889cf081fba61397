"""Grade one learner notebook exactly as ``nbgrader autograde`` would.

The check builds a throw-away nbgrader course in a temporary folder whose
source is the *released* exercise, so it works on a learner's machine that has
no solutions. nbgrader restores every locked cell (checks, prompts) from that
release, and the course's sandboxed grading preprocessor runs the notebook and
scores each check cell with trusted checks (hidden ones too with ``hidden=True``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dojo._nbgrader import course_config, run_converter
from dojo.course import Course
from dojo.errors import UnknownAssignment
from dojo.grading._results import NotebookReport, TaskResult
from dojo.notebooks import grade_id, read_notebook

LEARNER = "learner"


def check_notebook(
    course: Course,
    notebook: Path | str,
    assignment: str | None = None,
    *,
    hidden: bool = False,
    slot: int = 0,
    hide: Sequence[Path] = (),
    chaos: Sequence[dict[str, Any]] | None = None,
) -> NotebookReport:
    """Autograde ``notebook`` against the released exercise and report points per task.

    Args:
        course: the course the notebook belongs to.
        notebook: path of the learner's notebook.
        assignment: the assignment name; found from the notebook's name when None.
        hidden: also run the hidden checks in ``graders/`` (instructors only).
        slot: sandbox slot; graders running side by side use different ones (different users).
        hide: more folders the learner's code must not see (other learners' submissions).
        chaos: game-day faults (``{"kind": "fail" | "throttle" | "outage", ...}``, see
            :mod:`dojo.cloud._chaos_env`) injected into every LocalCloud the notebook starts.

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
        return _autograde_in(
            Path(scratch), course, release, notebook, assignment, hidden, slot, hide, chaos
        )


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
    scratch: Path,
    course: Course,
    release: Path,
    notebook: Path,
    assignment: str,
    hidden: bool,
    slot: int,
    hide: Sequence[Path],
    chaos: Sequence[dict[str, Any]] | None = None,
) -> NotebookReport:
    """Run generate_assignment and autograde in a scratch course and read the results."""
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
    config.SandboxedGrading.hidden_checks = hidden
    config.SandboxedGrading.isolation = "preferred"
    config.SandboxedGrading.results_directory = str(scratch / "checks")
    config.SandboxedGrading.slot = slot
    config.SandboxedGrading.chaos = json.dumps(list(chaos)) if chaos else ""
    config.SandboxedGrading.hide = [
        *config.SandboxedGrading.get("hide", []), str(scratch), *map(str, hide)
    ]
    run_converter(Autograde, config)

    graded = read_notebook(scratch / "autograded" / LEARNER / assignment / notebook.name)
    results = json.loads((scratch / "checks" / assignment / LEARNER / f"{notebook.stem}.json").read_text())
    tasks = tuple(
        _task(name, results[name]) for name in (grade_id(c) for c in graded.cells) if name in results
    )
    return NotebookReport(assignment=assignment, notebook=notebook.stem, tasks=tasks)


def _task(name: str, result: dict[str, Any]) -> TaskResult:
    lost = [c["message"] or c["name"] for c in result["checks"] if c["points"] < c["max_points"]]
    pending = result.get("hidden_pending", 0)
    if lost and all("NotImplementedError" in message for message in lost):
        lost = ["not answered yet (the answer still raises NotImplementedError)"]
    return TaskResult(
        task=name,
        points=float(result["score"]),
        max_points=float(result["max_score"]),
        reason="; ".join(lost),
        note=f"{pending:g} more points come from hidden checks at grading" if pending else "",
    )
