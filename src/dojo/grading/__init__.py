"""Grading: run learners' notebooks the way nbgrader autograde does and report points."""

from dojo.grading._check import check_notebook
from dojo.grading._results import NotebookReport, TaskResult

__all__ = ["NotebookReport", "TaskResult", "check_notebook"]
