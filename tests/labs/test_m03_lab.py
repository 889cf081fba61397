"""The m03 lab (labs/m03-s3-event-pipelines): rounds play, and score_lab follows the card's rules.

A team here is the m03 exercise's reference solution, run in its own local cloud.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from dojo.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "labs" / "m03-s3-event-pipelines"
SOLUTION = ROOT / "solutions" / "m03-s3-event-pipelines" / "m03-s3-event-pipelines.ipynb"


def _lab() -> Any:
    spec = importlib.util.spec_from_file_location("premiere_night", LAB / "premiere_night.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["premiere_night"] = module
    spec.loader.exec_module(module)
    return module


lab = _lab()


@pytest.fixture(scope="module")
def team() -> dict[str, Any]:
    """The reference team: every answer cell of the m03 solution, run once."""
    namespace: dict[str, Any] = {}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            exec(compile(cell.source, str(SOLUTION), "exec"), namespace)
    return namespace


def _deploy(team: dict[str, Any], aws: LocalCloud) -> None:
    team["deploy_pipeline"](aws, "ab")
    team["deploy_camera_pipeline"](aws, "ab")


def test_the_playlist_has_thirty_items_with_the_tricky_ones() -> None:
    """Check the playlist: 30 items with spaces, plus signs, dots, folders and odd files."""
    assert len(lab.PLAYLIST) == 30
    assert any(" " in k for k in lab.VIDEOS) and any("+" in k for k in lab.VIDEOS)
    assert any(k.count(".") > 1 for k in lab.VIDEOS) and any(k.count("/") > 1 for k in lab.VIDEOS)


@pytest.mark.slow
def test_a_throttled_round_scores_renditions_images_and_the_note(team: dict[str, Any]) -> None:
    """Check a throttle round's score: 36 for renditions, 30 for images, 10 for one note."""
    with LocalCloud() as aws:
        _deploy(team, aws)
        faults = lab.play_round(aws, "ab", "ab", fault="throttle")
        aws.chaos.clear()
        aws.advance(600)
        notes = [
            {
                "layer": "dynamodb",
                "cause": "throttled",
                "evidence": "ProvisionedThroughputExceededException in camera-ingest-ab",
            },
            {"layer": "dynamodb", "cause": "throttled", "evidence": "same note twice counts once"},
            {"layer": "lambda", "cause": "missing-env", "evidence": "not this round's fault"},
        ]
        score = lab.score_lab(aws, "reference", "ab", "ab", notes, faults)
    assert score.points == 36 + 30 + 10, score
    assert (
        score.complete and score.billed_seconds == 12 * 3 * 50
    )  # the empty video's job fails, unbilled


@pytest.mark.slow
def test_a_revoked_pass_role_stops_every_job_until_fixed(team: dict[str, Any]) -> None:
    """Check that without iam:PassRole no video scores, and redeploying the policy fixes it."""
    with LocalCloud() as aws:
        _deploy(team, aws)
        faults = lab.play_round(aws, "ab", "ab", fault="pass-role")
        aws.advance(600)
        assert any("iam:PassRole" in line for line in aws.logs(lab.TRANSCODE_FUNCTION))
        broken = lab.score_lab(aws, "reference", "ab", "ab", [], faults)
        assert not any("renditions" in line for line in broken.lines) and not broken.complete
        team["deploy_pipeline"](aws, "ab")  # puts the scoped policy back
        lab.play_round(aws, "ab", "ab")
        aws.advance(600)
        fixed = lab.score_lab(aws, "reference", "ab", "ab", [], faults)
    assert fixed.complete


def test_the_cost_bonus_goes_to_the_cheapest_complete_team() -> None:
    """Check that an incomplete team cannot win the bonus however cheap it is."""
    cheap_but_incomplete = lab.LabScore("a", complete=False, billed_seconds=10)
    complete = lab.LabScore("b", complete=True, billed_seconds=1950)
    dearer = lab.LabScore("c", complete=True, billed_seconds=2400)
    lab.cost_bonus([cheap_but_incomplete, complete, dearer])
    assert (cheap_but_incomplete.points, complete.points, dearer.points) == (0, 10, 0)


def test_an_unknown_fault_is_refused() -> None:
    """Check that play_round names the faults it knows."""
    with LocalCloud() as aws, pytest.raises(ValueError, match="pass-role"):
        lab.play_round(aws, "ab", "ab", fault="meteor")


@pytest.mark.slow
@pytest.mark.notebook
def test_the_team_notebook_runs_a_round_and_scores_it(tmp_path: Path) -> None:
    """Check that premiere-night.ipynb runs top to bottom on a team's copy of the exercise."""
    import shutil

    from nbclient import NotebookClient

    lab_copy = tmp_path / "labs" / "m03-s3-event-pipelines"
    shutil.copytree(LAB, lab_copy)
    answers = tmp_path / "my-work" / "m03-s3-event-pipelines"
    answers.mkdir(parents=True)
    shutil.copy(SOLUTION, answers / SOLUTION.name)
    notebook = nbformat.read(lab_copy / "premiere-night.ipynb", as_version=4)
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(lab_copy)}},
    ).execute()
    score = next(c for c in notebook.cells if c.source.startswith("score = "))
    text = "".join(o.get("data", {}).get("text/plain", "") for o in score.outputs)
    assert "<LabScore team-a: 76 points>" in text
