"""Committed notebooks carry no outputs, so they stay reviewable and leak nothing."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("course", "solutions", "exercises", "graders", "labs")
NOTEBOOKS = sorted(
    path
    for folder in FOLDERS
    for path in (ROOT / folder).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in path.parts
)


def test_there_are_notebooks_to_check() -> None:
    """Check that the notebook list is not empty by mistake."""
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_no_outputs(path: Path) -> None:
    """Check that no code cell of a committed notebook has outputs or an execution count."""
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; clear them before committing"
