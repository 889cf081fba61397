"""Library warnings and other stderr noise never cost a test cell its points."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dojo._nbgrader import course_config
from dojo.course import Course
from dojo.grading import check_notebook
from dojo.release import release

ROOT = Path(__file__).resolve().parents[2]

ANSWER = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
WARNINGS_CHECK = (
    "import warnings\n"
    "warnings.simplefilter('always')\n"
    "def _library_call():\n"
    "    warnings.warn('datetime.utcnow() is deprecated', DeprecationWarning, stacklevel=1)\n"
    "    warnings.warn('unclosed <ssl.SSLSocket fd=3>', ResourceWarning, stacklevel=1)\n"
    "_library_call()\n"
    "assert double(2) == 4"
)
STDERR_CHECK = "import sys\nprint('botocore: retrying request', file=sys.stderr)\nassert double(3) == 6"


def _cell(source: str, grade_id: str, **nbgrader: object) -> nbformat.NotebookNode:
    fields = {"grade": False, "locked": False, "solution": False, "task": False, **nbgrader}
    metadata = {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **fields}}
    return new_code_cell(source, metadata=metadata)


@pytest.fixture
def noisy_course(tmp_path: Path) -> Course:
    """A one-notebook course whose passing checks write warnings and stderr."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    notebook = new_notebook(
        cells=[
            _cell(ANSWER, "answer", solution=True),
            _cell(WARNINGS_CHECK, "warnings_check", grade=True, locked=True, points=2),
            _cell(STDERR_CHECK, "stderr_check", grade=True, locked=True, points=3),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    (tmp_path / "solutions" / "noisy").mkdir(parents=True)
    nbformat.write(notebook, tmp_path / "solutions" / "noisy" / "noisy.ipynb")
    course = Course(tmp_path)
    release(course, "noisy")
    return course


@pytest.mark.notebook
def test_autograde_gives_full_marks_to_passing_cells_that_write_to_stderr(noisy_course: Course) -> None:
    """Check that deprecation warnings, ResourceWarnings and raw stderr keep a passing cell's points."""
    solution = noisy_course.solutions / "noisy" / "noisy.ipynb"
    report = check_notebook(noisy_course, solution, "noisy")
    assert [(task.task, task.points) for task in report.tasks] == [
        ("warnings_check", 2.0),
        ("stderr_check", 3.0),
    ]


@pytest.mark.notebook
def test_noise_does_not_hide_a_failing_cell(noisy_course: Course) -> None:
    """Check that the released (unanswered) notebook still scores zero despite the noise."""
    report = check_notebook(noisy_course, noisy_course.exercises / "noisy" / "noisy.ipynb", "noisy")
    assert report.score == 0


@pytest.mark.notebook
def test_validate_button_passes_a_cell_whose_only_noise_is_warnings(noisy_course: Course) -> None:
    """Check that nbgrader's Validate (as the JupyterLab button runs it) accepts warning output."""
    from nbgrader.validator import Validator

    notebook = noisy_course.solutions / "noisy" / "noisy.ipynb"
    result = Validator(config=course_config(noisy_course)).validate(str(notebook))
    failed_sources = [cell["source"] for cell in result.get("failed", [])]
    assert not any("_library_call" in source for source in failed_sources), failed_sources
