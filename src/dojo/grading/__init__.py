"""Grading: checks API for notebooks, sandboxed autograding and reports of points per task."""

from dojo.grading._check import check_notebook
from dojo.grading._checks import CheckResult, ChecksFailed, HiddenCheck, Task, hidden
from dojo.grading._results import NotebookReport, TaskResult

__all__ = [
    "CheckResult",
    "ChecksFailed",
    "HiddenCheck",
    "NotebookReport",
    "Task",
    "TaskResult",
    "check_notebook",
    "hidden",
]
