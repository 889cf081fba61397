"""The m03 lesson runs top to bottom and shows the live diagram, the renditions and error 1404."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "course" / "m03-s3-event-pipelines.ipynb"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
        parts.append(output.get("data", {}).get("text/html", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("m03"))}},
    )
    client.execute()
    return notebook


def _cell(notebook: nbformat.NotebookNode, start: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if c.cell_type == "code" and start in c.source)


@pytest.mark.slow
@pytest.mark.notebook
def test_the_lesson_runs_without_errors(executed: nbformat.NotebookNode) -> None:
    """Check that no cell of the lesson raised."""
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, errors


@pytest.mark.slow
@pytest.mark.notebook
def test_the_live_diagram_shows_the_deployed_pipeline(executed: nbformat.NotebookNode) -> None:
    """Check that the diagram cell shows a live widget and, after deploying, the pipeline as SVG."""
    outputs = _cell(executed, "ArchitectureDiagram(cloud").outputs
    assert any(WIDGET in o.get("data", {}) for o in outputs)
    redrawn = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert redrawn and "<svg" in redrawn[-1]
    assert (
        "upload-video-demo" in redrawn[-1]
        and "twentyfour-hour-video-dev-transcode-video" in redrawn[-1]
    )


@pytest.mark.slow
@pytest.mark.notebook
def test_the_lesson_shows_renditions_the_1404_error_and_the_diagnosis(
    executed: nbformat.NotebookNode,
) -> None:
    """Check the three renditions in their folder, the 1404 job error and the KeyError evidence."""
    renditions = _text(_cell(executed, "cloud.advance(120)\n[item"))
    assert renditions.count("Video Of Flower Field/Video Of Flower Field_") == 3
    assert "HeadObject failed" in _text(_cell(executed, "BOOK_HANDLER}"))
    assert "KeyError: 'TRANSCODED_VIDEO_BUCKET'" in _text(_cell(executed, "filter_log_events"))
    assert "lost 108 without a buffer, 0 with it" in _text(
        _cell(executed, "simulate_buffer(images=1000")
    )
