"""Running nbgrader's converters in-process with the course configuration."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from dojo.course import CONFIG_FILE, Course
from dojo.errors import DojoError


def ensure_tools_on_path() -> None:
    """Put this interpreter's ``bin/`` first on PATH.

    nbgrader runs the ``alembic`` command to create its gradebook and finds it
    through PATH; a venv's tools are not on PATH unless the venv is activated.
    """
    tools = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != tools:
        os.environ["PATH"] = os.pathsep.join([tools, path]) if path else tools


def course_config(course: Course) -> Config:
    """The course's ``nbgrader_config.py`` as a traitlets ``Config``."""
    config = PyFileConfigLoader(CONFIG_FILE, path=str(course.root)).load_config()
    config.CourseDirectory.root = str(course.root)
    return config


def run_converter(converter_class: type, config: Config) -> None:
    """Run one nbgrader converter (GenerateAssignment, Autograde, …) quietly.

    Settings go through ``config``, so they reach the converter's preprocessors too.

    Raises:
        DojoError: with nbgrader's own last error line when the converter fails.
    """
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log

    ensure_tools_on_path()
    coursedir = CourseDirectory(config=config)
    converter = converter_class(coursedir=coursedir, config=config)
    converter.log.setLevel(logging.WARNING)
    converter.log.propagate = False
    with warnings.catch_warnings():
        # nbgrader 0.9 trips SQLAlchemy 2.x autoflush warnings that mean nothing to users.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        outcome = capture_log(converter)
    if not outcome["success"]:
        raise DojoError(f"nbgrader {converter_class.__name__} failed: {_last_error(outcome)}")


def _last_error(outcome: dict[str, Any]) -> str:
    """The most telling line of a failed nbgrader run."""
    lines = [line for line in outcome.get("log", "").splitlines() if line.startswith("[ERROR]")]
    telling = [line for line in lines if "see the" not in line and "above" not in line]
    if telling or lines:
        return (telling or lines)[-1].removeprefix("[ERROR]").strip()
    error = (outcome.get("error") or "").strip().splitlines()
    return error[-1] if error else "unknown error"
