"""Cheating submissions earn nothing they did not deserve; the same honest work keeps its score.

Each test grades through nbgrader's own autograde with the course configuration,
so the sandboxed, trusted grading is what is under test.
"""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import nbformat
import pytest

from dojo.grading._sandbox import SANDBOX_UID_BASE

from tests.grading.conftest import ASSIGNMENT, DrillCourse, cell, sandbox_slot

pytestmark = pytest.mark.slow

HONEST = "def double(x):\n    return 2 * x"
UNANSWERED = "def double(x):\n    raise NotImplementedError()"


def with_extra_cell(notebook: nbformat.NotebookNode, source: str, *, before_checks: bool) -> nbformat.NotebookNode:
    """Add a learner cell before or after the check cell."""
    extra = nbformat.v4.new_code_cell(source)
    notebook.cells.insert(2 if before_checks else len(notebook.cells), extra)
    return notebook


def test_honest_work_earns_full_marks_and_an_empty_answer_nothing(drill: DrillCourse) -> None:
    """Check the baseline the cheats are measured against: 10 for honest work, 0 for none."""
    assert drill.score("honest", drill.answered(HONEST)) == 10
    assert drill.score("idle", drill.answered(UNANSWERED)) == 0


def test_partial_work_earns_partial_credit_with_hidden_checks(drill: DrillCourse) -> None:
    """Check that an answer failing only the hidden float case loses exactly that check's 4 points."""
    result = drill.grade("partial", drill.answered("def double(x):\n    return 2 * int(x)"))
    assert result["score"] == 6
    lost = [c for c in result["checks"] if c["points"] < c["max_points"]]
    assert [c["name"] for c in lost] == ["secret large inputs"]


# (a) editing, deleting, reordering or re-tagging check cells


def test_edited_check_cell_is_restored_from_the_release(drill: DrillCourse) -> None:
    """Check that replacing the check cell's code with a fake pass earns nothing."""
    notebook = drill.answered(UNANSWERED)
    notebook.cells[2].source = "print('10 / 10 points')"
    assert drill.score("edit-checks", notebook) == 0


@pytest.mark.parametrize(("answer", "expected"), [(UNANSWERED, 0), (HONEST, 10)])
def test_re_tagged_metadata_does_not_change_points(drill: DrillCourse, answer: str, expected: float) -> None:
    """Check that raised points, an answer cell tagged as graded or an invented graded cell change nothing."""
    notebook = drill.answered(answer)
    notebook.cells[2].metadata.nbgrader["points"] = 1000
    notebook.cells[1].metadata.nbgrader.update({"grade": True, "points": 50, "solution": False})
    invented = cell("print('bonus')", "bonus_cell", grade=True, locked=True, points=100)
    notebook.cells.append(invented)
    assert drill.score(f"retag-{expected}", notebook) == expected


@pytest.mark.parametrize(("answer", "expected"), [(UNANSWERED, 0), (HONEST, 10)])
def test_deleted_check_cell_is_put_back(drill: DrillCourse, answer: str, expected: float) -> None:
    """Check that deleting the check cell earns nothing and costs honest work nothing."""
    notebook = drill.answered(answer)
    del notebook.cells[2]
    assert drill.score(f"delete-checks-{expected}", notebook) == expected


def test_check_cell_moved_above_the_answer_earns_nothing(drill: DrillCourse) -> None:
    """Check that running the checks before any answer exists scores zero."""
    notebook = drill.answered(HONEST)
    notebook.cells[1], notebook.cells[2] = notebook.cells[2], notebook.cells[1]
    assert drill.score("reorder", notebook) == 0


# (b) printing fake success


def test_printed_fake_success_earns_nothing(drill: DrillCourse) -> None:
    """Check that printing what a passing report looks like earns no points."""
    fake = UNANSWERED + "\nprint('10 / 10 points\\n  PASS 3/3 double(2) should be 4')"
    assert drill.score("fake-print", drill.answered(fake)) == 0


# (c) redefining helpers, monkeypatching dojo, pytest, assert builtins, boto3

PATCHES = '''
import builtins, sys, types
import dojo.grading, dojo.grading._checks as checks
import boto3
class Task:                                  # shadow the helper name
    def __init__(self, *a, **k): pass
    def check(self, *a, **k):
        import contextlib
        return contextlib.suppress(BaseException)
    def done(self): return self
dojo.grading.Task = Task
checks.Task.check = Task.check
checks.Task.done = lambda self: self
builtins.AssertionError = type("NeverRaised", (Exception,), {})
sys.modules["pytest"] = types.SimpleNamespace(raises=lambda *a, **k: None)
boto3.client = lambda *a, **k: None
'''


def test_monkeypatching_dojo_builtins_pytest_and_boto3_earns_nothing(drill: DrillCourse) -> None:
    """Check that patches in the learner's process do not reach the trusted checks."""
    assert drill.score("monkeypatch", drill.answered(UNANSWERED + "\n" + PATCHES)) == 0


def test_monkeypatching_does_not_cost_honest_work(drill: DrillCourse) -> None:
    """Check that the same patches beside an honest answer keep the full score."""
    assert drill.score("monkeypatch-honest", drill.answered(HONEST + "\n" + PATCHES)) == 10


# (d) lying objects

LYING = '''
class AlwaysEqual:
    def __eq__(self, other): return True
    def __bool__(self): return True
class LyingList(list):
    def __eq__(self, other): return True
    def __len__(self): return 1
    def __contains__(self, item): return True
def double(x):
    return AlwaysEqual() if x > 0 else LyingList()
'''


def test_objects_that_lie_about_equality_length_or_membership_earn_nothing(drill: DrillCourse) -> None:
    """Check that __eq__ always True and lying __len__/__contains__ do not pass checks."""
    result = drill.grade("liar", drill.answered(LYING))
    assert result["score"] == 0
    assert any("not plain data" in c["message"] for c in result["checks"])


# (e) reading hidden checks

SNOOP = '''
import os, pathlib, dojo
found = []
for folder in [os.environ.get("DOJO_COURSE", ""), *map(str, pathlib.Path("/").glob("**/graders"))][:50]:
    pass
for root in ["{root}/graders", "{root}/solutions", os.path.dirname(dojo.__file__)]:
    for path in pathlib.Path(root).rglob("*.py"):
        try:
            found.append(path.read_text())
        except OSError:
            pass
print("SNOOPED", len(found), "".join(found)[:100000])
'''


def test_hidden_checks_cannot_be_read_from_the_sandbox(drill: DrillCourse) -> None:
    """Check that graders/ and solutions/ are empty to learner code and the package holds no hidden check."""
    notebook = with_extra_cell(drill.answered(HONEST), SNOOP.replace("{root}", str(drill.course.root)),
                               before_checks=True)
    drill.grade("snoop", notebook)
    outputs = nbformat.writes(drill.autograded("snoop"))
    assert "SNOOPED" in outputs
    assert "secret_large_inputs" not in outputs and "SECRET-HIDDEN-MESSAGE" not in outputs


def test_hidden_check_text_never_reaches_the_release_or_the_installed_package(drill: DrillCourse) -> None:
    """Check that no released file and no file of the dojo package carries hidden check code."""
    import dojo

    places = [drill.course.exercises, Path(dojo.__file__).parent]
    for place in places:
        for path in place.rglob("*"):
            if path.is_file():
                assert "SECRET-HIDDEN-MESSAGE" not in path.read_text(errors="ignore"), path


# (f) infinite loops, huge outputs, memory bombs, fork bombs, os._exit

BOMB_SLOT_BASE = 500
BOMBS = {
    "loop": "while True:\n    pass",
    "huge-output": "for _ in range(200_000):\n    print('x' * 1000)",
    "memory": "hog = bytearray(64 * 1024**3)",
    "fork": "import os\nfor _ in range(100_000):\n    os.fork()",
    "exit": "import os\nos._exit(0)",
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_bomb_before_the_checks_earns_nothing(drill: DrillCourse, bomb: str) -> None:
    """Check that a notebook that blows up before its checks scores zero and grading goes on."""
    notebook = with_extra_cell(drill.answered(UNANSWERED), BOMBS[bomb], before_checks=True)
    assert drill.score(f"bomb-first-{bomb}", notebook, timeout=5) == 0


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_bomb_after_the_checks_keeps_honest_points(drill: DrillCourse, bomb: str) -> None:
    """Check that honest work checked before a bomb keeps its full score."""
    notebook = with_extra_cell(drill.answered(HONEST), BOMBS[bomb], before_checks=False)
    slot = BOMB_SLOT_BASE + sandbox_slot()  # a sandbox user no other test uses, to count leftovers
    assert drill.score(f"bomb-last-{bomb}", notebook, timeout=5, slot=slot) == 10
    assert not _processes_of_user(SANDBOX_UID_BASE + slot), "learner processes outlived grading"


def _gradebook_score(drill: DrillCourse, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{drill.course.root / '.grading' / 'gradebook.db'}") as gradebook:
        return gradebook.find_submission(ASSIGNMENT, student).score


def _processes_of_user(uid: int) -> list[str]:
    left = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        uid_line = next((line for line in text.splitlines() if line.startswith("Uid:")), "")
        uids = [int(v) for v in uid_line.split()[1:]]
        if uids and uids[0] == uid:
            left.append(status.parent.name)
    return left


# (g) network access


def test_learner_code_cannot_reach_the_network(drill: DrillCourse) -> None:
    """Check that a request to a server on this machine never arrives, and the score is unaffected."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    call = (
        "import urllib.request\n"
        "try:\n"
        f"    urllib.request.urlopen('http://127.0.0.1:{server.server_port}/leak', timeout=3)\n"
        "    print('NETWORK-REACHED')\n"
        "except OSError as error:\n"
        "    print('NETWORK-BLOCKED', error)"
    )
    try:
        notebook = with_extra_cell(drill.answered(HONEST), call, before_checks=True)
        assert drill.score("network", notebook) == 10
    finally:
        server.shutdown()
    assert hits == []
    assert "NETWORK-BLOCKED" in nbformat.writes(drill.autograded("network"))


# (h) writing to the gradebook, graders/, other submissions, the leaderboard secret


def test_learner_code_cannot_change_grading_files_or_read_secrets(
    drill: DrillCourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that gradebook, graders, other learners' submissions stay untouched and secrets unseen."""
    drill.grade("victim", drill.answered(HONEST))
    root = drill.course.root
    gradebook = root / ".grading" / "gradebook.db"
    protected = [
        root / "graders" / ASSIGNMENT / "checks.py",
        root / ".grading" / "submitted" / "victim" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
    ]
    before = {path: path.read_bytes() for path in protected}
    monkeypatch.setenv("DOJO_GRADER_KEY", "TOP-SECRET-GRADER-KEY")
    vandal = "import os\nprint('KEY', os.environ.get('DOJO_GRADER_KEY'))\n"
    for path in [*protected, gradebook]:
        vandal += (
            f"try:\n    open({str(path)!r}, 'wb').write(b'pwned')\n"
            "except OSError as error:\n    print('blocked', error)\n"
        )
    notebook = with_extra_cell(drill.answered(UNANSWERED), vandal, before_checks=True)
    assert drill.score("vandal", notebook) == 0
    assert {path: path.read_bytes() for path in protected} == before
    assert b"pwned" not in gradebook.read_bytes()
    assert _gradebook_score(drill, "victim") == 10
    assert "TOP-SECRET-GRADER-KEY" not in nbformat.writes(drill.autograded("vandal"))
    assert os.environ["DOJO_GRADER_KEY"] == "TOP-SECRET-GRADER-KEY"
