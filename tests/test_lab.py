"""`make lab`: working copies that never overwrite a learner's work, and JupyterLab serving the course."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dojo.course import Course
from dojo.lab import COURSE_MAP, lab_command, prepare_workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course_copy(tmp_path: Path) -> Course:
    """A copy of the course's config, solutions and exercises in a scratch folder."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return Course(tmp_path)


def test_workspace_gets_a_copy_of_every_exercise(course_copy: Course) -> None:
    """Check that each released assignment is copied into my-work/."""
    folders = prepare_workspace(course_copy)
    assert [folder.name for folder in folders] == course_copy.assignments(course_copy.exercises)
    copied = course_copy.my_work / "m00-orientation" / "m00-orientation.ipynb"
    released = course_copy.exercises / "m00-orientation" / "m00-orientation.ipynb"
    assert copied.read_bytes() == released.read_bytes()


def test_workspace_never_overwrites_the_learners_answers(course_copy: Course) -> None:
    """Check that preparing the workspace again keeps what the learner wrote."""
    prepare_workspace(course_copy)
    mine = course_copy.my_work / "m00-orientation" / "m00-orientation.ipynb"
    mine.write_text("my answers")
    prepare_workspace(course_copy)
    assert mine.read_text() == "my answers"


def test_workspace_builds_missing_exercises(course_copy: Course) -> None:
    """Check that a checkout without exercises/ gets them built from solutions/."""
    shutil.rmtree(course_copy.exercises)
    prepare_workspace(course_copy)
    assert (course_copy.exercises / "m00-orientation" / "m00-orientation.ipynb").is_file()
    assert (course_copy.my_work / "m00-orientation" / "m00-orientation.ipynb").is_file()


def test_make_has_nothing_to_reinstall_when_dependencies_are_unchanged() -> None:
    """Check that the install stamp is current, so `make lab`/`make test` skip pip entirely."""
    if not (ROOT / ".venv" / ".dojo-installed").exists():
        pytest.skip("not run through make: no install stamp to check")  # listed in -ra output
    result = subprocess.run(
        ["make", "--question", "setup"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, "make would reinstall: " + result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, token: str, server: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"JupyterLab exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/api/status", params={"token": token}, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not answer within {seconds} s")


@pytest.mark.slow
def test_jupyterlab_serves_the_course_map_with_nbgrader_extensions() -> None:
    """Check that the lab command serves JupyterLab, the course map and nbgrader's extension assets."""
    course, port, token = Course(ROOT), _free_port(), secrets.token_hex(8)
    command = lab_command(course, port=port, open_browser=False, token=token)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, token, server)
        with httpx.Client(base_url=url, params={"token": token}, timeout=30) as client:
            lab = client.get("/lab")
            assert lab.status_code == 200 and "jupyter-config-data" in lab.text
            assert "@jupyter/nbgrader" in lab.text, "nbgrader's lab extension is not enabled"
            assert client.get(f"/lab/tree/{COURSE_MAP}").status_code == 200
            assert client.get(f"/api/contents/{COURSE_MAP}").status_code == 200

            package = _nbgrader_labextension() / "package.json"
            entry = json.loads(package.read_text())["jupyterlab"]["_build"]["load"]
            asset = client.get(f"/lab/extensions/@jupyter/nbgrader/{entry}")
            assert asset.status_code == 200 and len(asset.content) > 1000

            # nbgrader's server side answers: the Validate button's endpoint lives here.
            formgrader = client.get("/formgrader", follow_redirects=True)
            assert formgrader.status_code == 200 and "nbgrader" in formgrader.text.lower()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _nbgrader_labextension() -> Path:
    return Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
