"""The checks API as learners meet it in their own kernel, and the curated public names."""

from __future__ import annotations

import pytest

import dojo.grading
from dojo.grading import ChecksFailed, Task, hidden
from dojo.grading._checks import recording


def test_a_passing_check_cell_reports_points_and_raises_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that all-passing checks print each check's points and the pending hidden points."""
    task = Task("t", points=5)
    with task.check(2, "one plus one is two"):
        assert 1 + 1 == 2
    task.done()
    printed = capsys.readouterr().out
    assert "public checks 2/2" in printed and "PASS 2/2" in printed
    assert "3 more points come from hidden checks" in printed


def test_a_failing_check_says_what_to_fix_and_fails_the_cell() -> None:
    """Check that a failed check raises ChecksFailed carrying the learner-facing message."""
    task = Task("t", points=4)
    with task.check(2, "the queue needs a redrive policy"):
        raise AssertionError
    with task.check(2, "the bucket exists"):
        pass
    assert task.score == 2
    with pytest.raises(ChecksFailed, match="the queue needs a redrive policy"):
        task.done()


def test_an_exception_in_learner_code_is_named_in_the_message() -> None:
    """Check that a crash inside a check block loses its points and names the exception."""
    task = Task("t", points=1)
    with task.check(1, "parse the key"):
        {}["missing"]  # noqa: B018
    assert "KeyError" in task.results[0].message


def test_while_grading_done_hands_the_task_over_instead_of_raising() -> None:
    """Check that under the grader, done() records the task and never raises."""
    collected: list[Task] = []
    with recording(collected):
        task = Task("t", points=1)
        with task.check(1, "fails"):
            raise AssertionError
        task.done()
    assert collected == [task]


def test_hidden_checks_lose_their_points_on_any_exception() -> None:
    """Check that a hidden check passes only when it raises nothing."""

    @hidden("t", points=3, fail="large inputs")
    def large_inputs(learner: object) -> None:
        raise ValueError("nope")

    result = large_inputs.run(object())
    assert (result.points, result.max_points, result.hidden) == (0.0, 3.0, True)
    assert result.message.startswith("large inputs")


def test_public_names_are_exactly_the_curated_list() -> None:
    """Check that dojo.grading exports exactly __all__ and every name resolves."""
    assert sorted(dojo.grading.__all__) == sorted(set(dojo.grading.__all__))
    for name in dojo.grading.__all__:
        assert getattr(dojo.grading, name) is not None
    with pytest.raises(AttributeError):
        dojo.grading.not_a_name  # noqa: B018
