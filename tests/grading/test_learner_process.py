"""The checker's channel to a sandboxed learner process: data copied, objects held back, limits kept."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dojo.grading._learner import LearnerError, LearnerGone, LearnerNamespace, LearnerProcess, RemoteObject
from dojo.grading._sandbox import Limits, SandboxSpec
from dojo.grading._wire import decode, encode


@pytest.mark.parametrize(
    "value",
    [None, True, 3, -2.5, "text", [1, [2]], (1, "a"), {"k": (1, 2)}, {1, 2}, frozenset({"x"}), b"\x00\xff",
     {(1, 2): "tuple key"}],
)
def test_plain_values_cross_the_wire_unchanged(value: object) -> None:
    """Check that every plain data type decodes to an equal value of the same type."""
    decoded = decode(encode(value, lambda obj: pytest.fail(f"{obj!r} became a reference")), None)
    assert decoded == value and type(decoded) is type(value) or isinstance(value, frozenset)


def test_non_finite_floats_and_subclasses_are_handled() -> None:
    """Check that nan survives and a list subclass becomes a reference, not data."""
    assert math.isnan(decode(encode(float("nan"), None), None))

    class Sneaky(list):
        pass

    refs: list[object] = []
    encode([Sneaky([1])], lambda obj: refs.append(obj) or {"__ref__": 1})
    assert len(refs) == 1 and isinstance(refs[0], Sneaky)


@pytest.fixture(scope="module")
def learner(tmp_path_factory: pytest.TempPathFactory) -> LearnerProcess:
    """A sandboxed learner process with a few definitions."""
    spec = SandboxSpec(workdir=tmp_path_factory.mktemp("work"), limits=Limits(call_seconds=5))
    process = LearnerProcess(spec)
    process.run_cell(
        "def add(a, b):\n    return a + b\n"
        "len = lambda x: 99\n"
        "class Box:\n    def __init__(self): self.items = [1, 2]\n    def __eq__(self, other): return True\n"
        "box = Box()\n"
        "def boom():\n    raise KeyError('missing')\n"
    )
    yield process
    process.close()


def test_learner_functions_are_called_with_data_and_return_data(learner: LearnerProcess) -> None:
    """Check that calling a learner function sends and returns plain values."""
    assert learner.lookup("add")(2, 3) == 5
    assert learner.lookup("add")([1], [2]) == [1, 2]


def test_learner_objects_stay_behind_and_cannot_be_compared(learner: LearnerProcess) -> None:
    """Check that a learner object is a reference whose __eq__ is never asked."""
    box = learner.lookup("box")
    assert isinstance(box, RemoteObject)
    assert box.items == [1, 2]
    with pytest.raises(TypeError, match="not plain data"):
        assert box == "anything"
    with pytest.raises(TypeError):
        bool(box)


def test_learner_exceptions_come_back_as_learner_errors(learner: LearnerProcess) -> None:
    """Check that an exception in learner code is reported with its type and message."""
    with pytest.raises(LearnerError) as raised:
        learner.lookup("boom")()
    assert raised.value.error_type == "KeyError" and "missing" in raised.value.message


def test_check_code_always_sees_the_real_builtins(learner: LearnerProcess) -> None:
    """Check that a learner's `len` never replaces the builtin in trusted check code."""
    namespace = LearnerNamespace(learner)
    exec("result = len([1, 2]) + add(1, 1)", namespace)
    assert namespace["result"] == 4


def test_a_call_that_runs_too_long_ends_the_process(tmp_path: Path) -> None:
    """Check that a call over the time limit stops the learner process and later calls fail fast."""
    process = LearnerProcess(SandboxSpec(workdir=tmp_path, limits=Limits(call_seconds=1)))
    with pytest.raises(LearnerGone, match="longer than 1 s"):
        process.run_cell("while True:\n    pass")
    with pytest.raises(LearnerGone):
        process.lookup("anything")
    assert process.process.poll() is not None


CLOUD_CHECK = '''from dojo.grading import Task, fresh_cloud

task = Task("bucket", points=4)
with fresh_cloud() as aws:
    make_bucket(aws)
    with task.check(4, "make_bucket(aws) must create the bucket 'uploads'"):
        names = [bucket["Name"] for bucket in aws.client("s3").list_buckets()["Buckets"]]
        assert names == ["uploads"]
task.done()'''


@pytest.mark.parametrize(
    ("answer", "points"),
    [
        ("def make_bucket(aws):\n    aws.client('s3').create_bucket(Bucket='uploads')", 4),
        ("def make_bucket(aws):\n    aws.client('s3').create_bucket(Bucket='other')", 0),
    ],
)
def test_check_cells_call_learner_functions_with_a_cloud_in_the_sandbox(
    tmp_path: Path, answer: str, points: float
) -> None:
    """Check that fresh_cloud() at grading is a LocalCloud in the learner's process, inspected remotely."""
    from dojo.grading._preprocessor import _run_checks_trusted

    with LearnerProcess(SandboxSpec(workdir=tmp_path, limits=Limits(call_seconds=30))) as process:
        process.run_cell("from dojo.cloud import LocalCloud\nLocalCloud().start()\n" + answer)
        tasks, stopped = _run_checks_trusted(process, CLOUD_CHECK)
    assert stopped is None
    assert [task.score for task in tasks] == [points]


def test_a_notebook_over_its_total_time_is_stopped(tmp_path: Path) -> None:
    """Check that many short cells cannot add up past the notebook's total time limit."""
    process = LearnerProcess(SandboxSpec(workdir=tmp_path, limits=Limits(call_seconds=5, total_seconds=2)))
    with pytest.raises(LearnerGone, match="longer than 2 s in all"):
        for _ in range(10):
            process.run_cell("import time\ntime.sleep(0.5)")
    process.close()


def test_a_check_cell_stopped_before_its_checks_scores_zero_instead_of_failing(tmp_path: Path) -> None:
    """Check that when learner code ended the sandbox, a cloud check cell scores 0 and grading goes on."""
    import nbformat

    from dojo.grading._preprocessor import SandboxedGrading

    cell = nbformat.v4.new_code_cell(
        CLOUD_CHECK, metadata={"nbgrader": {"grade": True, "grade_id": "c", "points": 4, "locked": True}}
    )
    with LearnerProcess(SandboxSpec(workdir=tmp_path, limits=Limits(call_seconds=30))) as process:
        with pytest.raises(LearnerGone):
            process.run_cell("import os\nos._exit(0)")
        graded = SandboxedGrading()._grade(process, cell, hidden=[])
    assert (graded["score"], graded["max_score"]) == (0, 4)
    assert "not checked" in graded["checks"][-1]["message"]
