"""Generate the learners' exercises from the solution notebooks (nbgrader release)."""

from __future__ import annotations

from pathlib import Path

from dojo._nbgrader import course_config, run_converter
from dojo.course import Course

__all__ = ["release"]


def release(course: Course, assignment: str | None = None, into: Path | None = None) -> list[str]:
    """Regenerate ``exercises/`` (or ``into``) from ``solutions/``.

    Each released assignment folder is replaced whole, so files removed from a
    solution folder disappear from the release too. The gradebook is not touched.

    Args:
        course: the course to release.
        assignment: one assignment name; all assignments when None.
        into: release folder to write instead of ``exercises/`` (used to check
            that the committed release is up to date).

    Returns:
        The names of the assignments released.
    """
    from nbgrader.converters import GenerateAssignment

    names = [assignment] if assignment else course.assignments()
    for name in names:
        course.require_assignment(name)
    config = course_config(course)
    config.CourseDirectory.release_directory = str((into or course.exercises).resolve())
    # A release is a pure transformation of solutions/: the gradebook is not involved.
    config.GenerateAssignment.force = True
    config.GenerateAssignment.no_database = True
    config.SaveCells.enabled = False
    for name in names:
        config.CourseDirectory.assignment_id = name
        run_converter(GenerateAssignment, config)
    return names
