"""nbgrader preprocessor that gives every graded cell back the role the release gave it.

nbgrader restores the source and points of cells it knows, but trusts the
submission's flags: a learner who marks an answer cell as a graded cell makes
autograding crash, and a cell with an invented ``grade_id`` confuses it. This
preprocessor runs before nbgrader's ``OverwriteCells`` and resets the
``grade``, ``solution`` and ``task`` flags of each cell from the gradebook,
turning cells the release does not know into ordinary cells.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor


class RestoreCellRoles(NbGraderPreprocessor):
    """Reset nbgrader cell flags from the gradebook; demote unknown cells."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            source = gradebook.find_notebook(info["notebook"], info["assignment"])
            roles = {
                "grade": {cell.name for cell in source.grade_cells},
                "solution": {cell.name for cell in source.solution_cells},
                "task": {cell.name for cell in source.task_cells},
            }
            known = {cell.name for cell in source.source_cells}
        for cell in nb.cells:
            flags = cell.get("metadata", {}).get("nbgrader")
            if flags is None:
                continue
            grade_id = flags.get("grade_id")
            if grade_id not in known:
                del cell.metadata["nbgrader"]
                continue
            for role, names in roles.items():
                flags[role] = grade_id in names
        return nb, resources
