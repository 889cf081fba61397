"""The reference notebook course/local-cloud.ipynb runs top to bottom and shows its results."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "course" / "local-cloud.ipynb"


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.append(output.get("data", {}).get("text/html", ""))
    return "".join(parts)


def test_notebook_is_committed_without_outputs():
    """Check that the committed notebook carries no outputs or execution counts."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.slow
@pytest.mark.notebook
def test_reference_notebook_runs_and_writes_the_upload_to_dynamodb(tmp_path):
    """Check that the notebook runs in a python3 kernel and shows the item and trace."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = "\n".join(_text(cell) for cell in notebook.cells if cell.cell_type == "code")
    assert "ITEM videos/Video Of Flower Field.mp4 18" in outputs
    assert "invocations after: 1" in outputs
    assert "lambda:record-upload -> dynamodb:PutItem ok" in outputs
    assert "s3:uploads-demo" in outputs  # the trace table
    assert "items: 6" in outputs  # every chaos-hit upload was retried and landed
    assert "retry 1 of 2 in 60 s" in outputs
    # 10. time travel: an hourly schedule counts sessions while TTL expires them
    assert "sessions left: 2" in outputs and "sessions left: 0" in outputs
    assert "TTL deleted 1 expired item" in outputs
    # 11. a state machine whose one-day Wait ends on clock.advance(86400)
    assert "after start: RUNNING" in outputs
    assert 'after a day: SUCCEEDED {"order": 42, "shipped": "' in outputs
    assert "WaitStateExited -> PassStateEntered" in outputs
    assert "API 200 {'hello': 'Ada', 'stage': 'prod'}" in outputs  # section "An API call"
    assert "unknown path: 403" in outputs
    assert "client -> apigateway:hello GET /prod/hello/Ada -> 200" in outputs
    assert "apigateway:hello -> lambda:hello-api" in outputs
    diagram = next(c for c in notebook.cells if "ArchitectureDiagram(cloud)" in c.source)
    bundles = [o.get("data", {}) for o in diagram.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in b for b in bundles), "no live diagram"
    assert "uploads-demo" in "".join(b.get("text/html", "") for b in bundles), "diagram misses the bucket"
