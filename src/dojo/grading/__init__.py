"""Grading: checks API for notebooks, sandboxed autograding and reports of points per task."""

from dojo.grading._batch import GradeRow, GradeRun, grade_submissions
from dojo.grading._check import check_notebook
from dojo.grading._checks import CheckResult, ChecksFailed, HiddenCheck, Task, hidden
from dojo.grading._results import NotebookReport, TaskResult

__all__ = [
    "CheckResult",
    "GradeRow",
    "GradeRun",
    "ChecksFailed",
    "HiddenCheck",
    "NotebookReport",
    "Task",
    "TaskResult",
    "check_notebook",
    "grade_submissions",
    "hidden",
]
