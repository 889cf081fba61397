"""Exported HTML (nbconvert, as nbgrader feedback uses) still shows the diagram as a static SVG."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

CELLS = [
    "import dojo.cloud, dojo.widgets\ncloud = dojo.cloud.LocalCloud().start()",
    "diagram = dojo.widgets.ArchitectureDiagram(cloud)\ndiagram",
    "sqs = cloud.client('sqs')\nsqs.create_queue(QueueName='exported-queue')",
    "cloud.stop()",
]


@pytest.mark.notebook
@pytest.mark.slow
def test_exported_html_carries_the_static_diagram(tmp_path: Path) -> None:
    """Check that the HTML export shows the SVG as markup, updated by later cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = nb.cells[1].outputs
    mimetypes = [set(o.get("data", {})) for o in outputs]
    assert "application/vnd.jupyter.widget-view+json" in mimetypes[0]
    static = [o for o in outputs if "dojo-diagram-static" in o.get("data", {}).get("text/html", "")]
    assert len(static) == 1 and static[0].get("metadata", {}) is not None
    # The later cell created a queue; the post-cell refresh updated the static copy in place.
    assert "data-node-id='sqs:exported-queue'" in static[0]["data"]["text/html"]
    body, _ = HTMLExporter().from_notebook_node(nb)
    markup = re.sub(r"<script.*?</script>", "", body, flags=re.DOTALL)
    assert "dojo-diagram-static" in markup
    assert re.search(r"<svg[^>]*class=[\"']dojo-arch[\"']", markup)
    assert "sqs:exported-queue" in markup
