"""The lesson notebook, run in JupyterLab in headless Chromium, shows the live diagram.

Opens :data:`NOTEBOOK` (course/local-cloud.ipynb) — a copy under ``artifacts/browser/`` so the
lesson in git never gets outputs — runs every cell through JupyterLab's own "run all", checks that
no cell failed, that the live diagram widget rendered its SVG (and hid the static export copy),
presses Play to replay the trace, and saves screenshots to ``artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from tests.browser import Browser, chromium_path, free_port, wait_http

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "course" / "local-cloud.ipynb"
ARTIFACTS = Path(os.environ.get("DOJO_ARTIFACTS", ROOT / "artifacts"))


def prepare_notebook(source: Path, target: Path) -> None:
    """Copy the lesson, which must embed the live diagram, without outputs to ``target``."""
    nb = nbformat.read(source, as_version=4)
    assert any("ArchitectureDiagram(cloud)" in c.source for c in nb.cells if c.cell_type == "code"), (
        f"{source.name} does not show the live diagram"
    )
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


@pytest.fixture
def jupyterlab(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab from the venv on a free port, with its settings kept in ``tmp_path``."""
    port, token = free_port(), "dojo-browser-test"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={ROOT}",
            "--ServerApp.port_retries=0",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/status?token={token}", 90)
        yield base, token
    finally:
        try:
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10)
            process.wait(timeout=30)
        except Exception:  # fall back to ending the process we started
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


_NOTEBOOK_JS = (
    "Array.from(jupyterapp.shell.widgets('main')).find("
    "w => w.context && w.sessionContext && w.context.path.endsWith('local-cloud.ipynb'))"
)
_STATE_JS = f"""(() => {{
  const panel = {_NOTEBOOK_JS};
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return {{
    path: panel.context.path,
    kernel: kernel ? kernel.status : null,
    done: cells.filter(c => c.model.executionCount !== null).length,
    code: cells.length,
    errors: cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                   .map(o => o.ename + ': ' + o.evalue)),
  }};
}})()"""


@pytest.mark.browser
@pytest.mark.slow
def test_lesson_shows_the_live_diagram_in_jupyterlab(jupyterlab: tuple[str, str]) -> None:
    """Check that course/local-cloud.ipynb, run in JupyterLab, renders the live diagram."""
    chromium_path()  # fails (never skips) with the install hint before any work
    base, token = jupyterlab
    copy = ARTIFACTS / "browser" / NOTEBOOK.name
    prepare_notebook(NOTEBOOK, copy)
    browser = Browser(width=1400, height=1000)
    try:
        rel = copy.relative_to(ROOT).as_posix()
        browser.navigate(f"{base}/lab/tree/{rel}?token={token}&reset")
        browser.wait_for(
            f"typeof jupyterapp !== 'undefined' && {_NOTEBOOK_JS} && "
            f"{_NOTEBOOK_JS}.context.path === '{rel}' && "
            f"{_NOTEBOOK_JS}.sessionContext.session && "
            f"{_NOTEBOOK_JS}.sessionContext.session.kernel && "
            f"{_NOTEBOOK_JS}.sessionContext.session.kernel.status === 'idle'",
            120,
            "the notebook and an idle kernel",
        )
        browser.evaluate(
            f"(() => {{ const p = {_NOTEBOOK_JS}; jupyterapp.shell.activateById(p.id); "
            "p.content.node.focus(); return true; })()"
        )
        browser.wait_for(
            f"jupyterapp.shell.currentWidget === {_NOTEBOOK_JS}", 30, "the notebook to be active"
        )
        browser.evaluate("jupyterapp.commands.execute('notebook:run-all-cells').then(() => true)")
        state = browser.wait_for(
            f"(() => {{ const s = {_STATE_JS}; "
            "return s && s.code > 0 && s.done === s.code && s.kernel === 'idle' "
            "? s : null; })()",
            300,
            "every cell to run",
        )
        assert state["errors"] == [], f"cells failed: {state['errors']}"
        index = browser.evaluate(
            f"{_NOTEBOOK_JS}.content.widgets.findIndex(c => "
            "c.model.sharedModel.getSource().includes("
            "'ArchitectureDiagram'))"
        )
        assert index >= 0
        browser.evaluate(
            f"(async () => {{ const nb = {_NOTEBOOK_JS}.content; nb.activeCellIndex = {index}; "
            f"await nb.scrollToItem({index}, 'start'); return true; }})()"
        )
        browser.wait_for(
            "document.querySelector('.dojo-diagram svg.dojo-arch') !== null",
            60,
            "the diagram widget's SVG",
        )
        time.sleep(0.5)
        facts = browser.evaluate("""(() => {
          const root = document.querySelector('.dojo-diagram');
          root.scrollIntoView({block: 'start'});
          const nodes = [...root.querySelectorAll('g.dojo-node')].map(
              g => g.getAttribute('data-node-id'));
          const edges = [...root.querySelectorAll('g.dojo-edge')].map(
              g => g.getAttribute('data-source') + '>' + g.getAttribute('data-target'));
          const statics = [...document.querySelectorAll('.dojo-diagram-static')];
          const r = root.getBoundingClientRect();
          const shown = statics.filter(e => getComputedStyle(e).display !== 'none').length;
          return {nodes, edges, staticsShown: shown,
                  statics: statics.length, rect: [r.x, r.y, r.width, r.height],
                  status: root.innerText.slice(0, 2000)};
        })()""")
        # The lesson's upload pipeline: a bucket notifying a function that writes to a table.
        services = {n.split(":")[0] for n in facts["nodes"]}
        assert {"s3", "lambda", "dynamodb", "client"} <= services, facts
        assert any(e.startswith("s3:") and ">lambda:" in e for e in facts["edges"]), facts
        assert any(e.startswith("lambda:") and ">dynamodb:" in e for e in facts["edges"]), facts
        assert facts["statics"] >= 1 and facts["staticsShown"] == 0, (
            "the static export copy must be hidden live"
        )
        x, y, width, height = facts["rect"]
        time.sleep(0.3)
        shot = browser.screenshot(
            ARTIFACTS / "local-cloud-diagram.png",
            {"x": max(0, x - 8), "y": max(0, y - 8), "width": width + 16, "height": height + 16},
        )
        assert shot.stat().st_size > 10_000
        # Replay: press Play; the kernel redraws each hop, so a highlighted path appears.
        browser.evaluate(
            "document.querySelector('.dojo-diagram .widget-play button').click(), true"
        )
        browser.wait_for(
            "document.querySelector('.dojo-diagram g.dojo-current') !== null",
            60,
            "the replay to highlight a hop",
        )
        time.sleep(0.4)
        browser.screenshot(
            ARTIFACTS / "local-cloud-replay.png",
            {"x": max(0, x - 8), "y": max(0, y - 8), "width": width + 16, "height": height + 16},
        )
        assert browser.evaluate(
            "document.querySelector('.dojo-diagram .dojo-payload pre') !== null"
        )
    finally:
        browser.close()
        shutil.rmtree(copy.parent / ".ipynb_checkpoints", ignore_errors=True)
