"""Errors the dojo reports to people, not as tracebacks."""

from __future__ import annotations


class DojoError(Exception):
    """A problem the user can fix; the CLI prints its message on one line and exits non-zero."""


class CourseNotFound(DojoError):
    """No course folder (one holding ``nbgrader_config.py``) was found."""


class NotebookError(DojoError):
    """A notebook file is missing, empty or not a valid notebook."""


class UnknownAssignment(DojoError):
    """An assignment name or notebook does not belong to the course."""
