"""Grading: checks API for notebooks, sandboxed autograding and reports of points per task.

Names are imported on first use, so that a check cell (``from dojo.grading import
Task``) or the sandboxed learner process loads only what it needs, not nbgrader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dojo._lazy import lazy_exports as _lazy_exports

__all__ = [
    "CheckResult",
    "ChecksFailed",
    "GradeRow",
    "GradeRun",
    "HiddenCheck",
    "NotebookReport",
    "Task",
    "TaskResult",
    "check_notebook",
    "fresh_cloud",
    "grade_submissions",
    "hidden",
]

_HOMES = {
    "CheckResult": "_checks",
    "ChecksFailed": "_checks",
    "HiddenCheck": "_checks",
    "Task": "_checks",
    "hidden": "_checks",
    "fresh_cloud": "_checks",
    "GradeRow": "_batch",
    "GradeRun": "_batch",
    "grade_submissions": "_batch",
    "check_notebook": "_check",
    "NotebookReport": "_results",
    "TaskResult": "_results",
}

if TYPE_CHECKING:
    from dojo.grading._batch import GradeRow, GradeRun, grade_submissions
    from dojo.grading._check import check_notebook
    from dojo.grading._checks import (
        CheckResult,
        ChecksFailed,
        HiddenCheck,
        Task,
        fresh_cloud,
        hidden,
    )
    from dojo.grading._results import NotebookReport, TaskResult


__getattr__, __dir__ = _lazy_exports("dojo.grading", _HOMES, globals())
