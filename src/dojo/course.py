"""Where the course's folders are, and which assignments it has.

A course is a folder holding ``nbgrader_config.py`` beside ``solutions/``
(nbgrader's source directory), ``exercises/`` (its release directory),
``graders/``, ``labs/`` and ``course/``. Learners work on their own copies of
the exercises in the git-ignored ``my-work/`` folder, so that a new release or
a ``git pull`` never overwrites their answers.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from dojo.errors import CourseNotFound, UnknownAssignment

__all__ = ["Course"]

CONFIG_FILE = "nbgrader_config.py"


@dataclass(frozen=True)
class Course:
    """The folders of one course checkout."""

    root: Path

    @classmethod
    def find(cls, start: Path | str | None = None) -> Course:
        """Find the course that holds ``start`` (default: ``$DOJO_COURSE_DIR`` or the cwd).

        Raises:
            CourseNotFound: when neither ``start`` nor any parent holds ``nbgrader_config.py``.
        """
        if start is None:
            start = os.environ.get("DOJO_COURSE_DIR") or Path.cwd()
        here = Path(start).resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls(folder)
        raise CourseNotFound(
            f"no course found at {here} or above it (looked for {CONFIG_FILE}); "
            "run dojo inside the course folder or set DOJO_COURSE_DIR"
        )

    @property
    def solutions(self) -> Path:
        """nbgrader's source directory: notebooks with solutions and public checks."""
        return self.root / "solutions"

    @property
    def exercises(self) -> Path:
        """nbgrader's release directory, generated from ``solutions/``."""
        return self.root / "exercises"

    @property
    def graders(self) -> Path:
        """Hidden grader suites, one folder per assignment; never released."""
        return self.root / "graders"

    @property
    def lessons(self) -> Path:
        """Lesson notebooks and the course map."""
        return self.root / "course"

    @property
    def my_work(self) -> Path:
        """The learner's own copies of the exercises (git-ignored)."""
        return self.root / "my-work"

    @property
    def grading(self) -> Path:
        """nbgrader's working folders and gradebook (git-ignored)."""
        return self.root / ".grading"

    def assignments(self, folder: Path | None = None) -> list[str]:
        """Names of the assignments in ``folder`` (default: ``solutions/``), sorted."""
        folder = self.solutions if folder is None else folder
        if not folder.is_dir():
            return []
        return sorted(
            entry.name
            for entry in folder.iterdir()
            if entry.is_dir() and not entry.name.startswith(".") and any(entry.glob("*.ipynb"))
        )

    def require_assignment(self, name: str, folder: Path | None = None) -> Path:
        """Return ``folder/name`` or explain which assignments exist.

        Raises:
            UnknownAssignment: when there is no such assignment.
        """
        folder = self.solutions if folder is None else folder
        known = self.assignments(folder)
        if name not in known:
            listing = ", ".join(known) or "none"
            raise UnknownAssignment(
                f"no assignment {name!r} in {folder.relative_to(self.root)}/ (assignments: {listing})"
            )
        return folder / name

    def working_copy(self, name: str) -> Path:
        """Copy the released exercise ``name`` into ``my-work/`` without touching existing files.

        Returns the learner's folder for the assignment. Files the learner already
        has are kept as they are; files that are new in the release are added.
        """
        release = self.require_assignment(name, self.exercises)
        target = self.my_work / name
        for source in release.rglob("*"):
            if source.is_dir() or "__pycache__" in source.parts:
                continue
            destination = target / source.relative_to(release)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
        return target
