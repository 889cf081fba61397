"""IPython extension loaded into grading kernels (``nbgrader_config.py``).

nbgrader gives a test cell zero points when the cell wrote anything to
stderr. Library warnings -- botocore and moto deprecations, ResourceWarnings
from unclosed sockets -- are not the learner's mistake, so in grading kernels
they are printed to stdout, where they stay visible but cost nothing.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, TextIO


def _show_warning_on_stdout(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning like ``warnings.showwarning`` does, but on stdout."""
    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))


def load_ipython_extension(ipython: Any) -> None:
    """Route every warning shown in this kernel to stdout."""
    warnings.showwarning = _show_warning_on_stdout
