"""Getting a learner's JupyterLab ready: exercises built, working copies made, server command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dojo.course import Course
from dojo.release import release

__all__ = ["COURSE_MAP", "lab_command", "prepare_workspace"]

COURSE_MAP = "course/index.ipynb"


def prepare_workspace(course: Course) -> list[Path]:
    """Build missing exercises and give the learner a working copy of each one.

    Releases every assignment of ``solutions/`` that ``exercises/`` lacks (a
    learner bundle has no solutions, so nothing is built there), then copies
    each released exercise into ``my-work/`` without overwriting anything the
    learner already has.

    Returns:
        The learner's assignment folders.
    """
    released = set(course.assignments(course.exercises))
    for name in course.assignments():
        if name not in released:
            release(course, name)
    return [course.working_copy(name) for name in course.assignments(course.exercises)]


def lab_command(
    course: Course, *, port: int | None = None, open_browser: bool = True, token: str | None = None
) -> list[str]:
    """The command that starts JupyterLab on the course map, from the course folder.

    nbgrader's JupyterLab extensions (Validate button, assignment list, formgrader)
    find the course through ``nbgrader_config.py`` in the server's root folder.
    """
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={course.root}",
        f"--LabApp.default_url=/lab/tree/{COURSE_MAP}",
        "--ServerApp.ip=127.0.0.1",
    ]
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if not open_browser:
        command.append("--no-browser")
    if os.geteuid() == 0:
        # Course machines and CI run as root; JupyterLab refuses that without this flag.
        command.append("--allow-root")
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    return command
