"""Reading notebooks with errors that name the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dojo.errors import NotebookError

__all__ = ["grade_id", "read_notebook"]


def read_notebook(path: Path | str) -> NotebookNode:
    """Read and validate a notebook.

    Raises:
        NotebookError: when the file is missing, empty, not JSON or not a valid notebook;
            the message names the file and says what is wrong.
    """
    path = Path(path)
    if not path.exists():
        raise NotebookError(f"{path}: no such file")
    if path.is_dir():
        raise NotebookError(f"{path}: is a folder, not a notebook")
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise NotebookError(f"{path}: the file is empty")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"{path}: not a notebook (invalid JSON at line {error.lineno}, column {error.colno}: "
            f"{error.msg})"
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise NotebookError(f"{path}: not a notebook (no list of cells)")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several unrelated types
        summary = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise NotebookError(f"{path}: not a valid notebook ({summary})") from None
    return notebook


def grade_id(cell: NotebookNode) -> str | None:
    """The nbgrader ``grade_id`` of a cell, or None for cells nbgrader does not track."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
