"""The checks API: what check cells and hidden grader suites are written with.

A check cell in a notebook declares a task and its public checks::

    task = Task("m00_orientation_is_serverless", points=10)
    with task.check(4, "SQS is used through an API and costs nothing idle: it is serverless"):
        assert is_serverless(sqs) is True
    task.done()

Run in the learner's kernel, the cell prints each check's points and message
and raises when one fails, so Validate and the learner see it at once. At
grading, the same source is run again by the trusted checker in its own
process, where ``is_serverless`` is fetched from the learner's sandboxed
process as plain data: the score never depends on the learner's kernel.

Hidden checks live in ``graders/<assignment>/checks.py`` and are only ever
imported by the checker::

    @hidden("m00_orientation_is_serverless", points=2, fail="a missing field must raise ValueError")
    def missing_field(learner):
        ...
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CheckResult", "ChecksFailed", "HiddenCheck", "Task", "fresh_cloud", "hidden"]

_recorder: Callable[[Task], None] | None = None
_cloud_factory: Callable[..., Any] | None = None


class ChecksFailed(AssertionError):
    """Raised at the end of a check cell (in the learner's kernel) when a check failed."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: points earned out of possible and, when lost, why."""

    name: str
    points: float
    max_points: float
    message: str = ""
    hidden: bool = False

    @property
    def passed(self) -> bool:
        return self.points >= self.max_points

    def __str__(self) -> str:
        if self.passed:
            return f"PASS {self.points:g}/{self.max_points:g} {self.name}"
        return f"FAIL {self.points:g}/{self.max_points:g} {self.message or self.name}"


@dataclass
class Task:
    """The checks of one graded task, as written in a check cell."""

    task_id: str
    points: float
    results: list[CheckResult] = field(default_factory=list)

    @contextmanager
    def check(self, points: float, fail: str, name: str | None = None) -> Iterator[None]:
        """A check worth ``points``: the block passes when it raises nothing.

        Args:
            points: points the check is worth.
            fail: what the learner should fix when the check fails.
            name: a short name for reports (default: the fail message).
        """
        label = name or fail
        try:
            yield
        except Exception as error:  # any failure of the block loses the check's points
            self.results.append(CheckResult(label, 0.0, float(points), explain(fail, error)))
        else:
            self.results.append(CheckResult(label, float(points), float(points)))

    @property
    def score(self) -> float:
        """Points earned by the checks run so far."""
        return sum(result.points for result in self.results)

    @property
    def public_points(self) -> float:
        """Points the checks in this cell are worth."""
        return sum(result.max_points for result in self.results)

    def done(self) -> Task:
        """Finish the cell: hand the results to the grader, or (in a kernel) report and raise on failure."""
        if _recorder is not None:
            _recorder(self)
            return self
        print(self)
        failed = [result for result in self.results if not result.passed]
        if failed:
            raise ChecksFailed(f"{len(failed)} check(s) failed: " + "; ".join(r.message for r in failed))
        return self

    def __str__(self) -> str:
        lines = [f"{self.task_id}: public checks {self.score:g}/{self.public_points:g}"]
        lines += [f"  {result}" for result in self.results]
        pending = self.points - self.public_points
        if pending > 0:
            lines.append(f"  ({pending:g} more points come from hidden checks run at grading)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✔' if r.passed else '✘'}</td><td>{r.points:g}/{r.max_points:g}</td>"
            f"<td>{html.escape(r.name)}</td><td>{'' if r.passed else html.escape(r.message)}</td></tr>"
            for r in self.results
        )
        return (
            f"<table><caption>{html.escape(self.task_id)}: {self.score:g}/{self.public_points:g}"
            f"</caption>{rows}</table>"
        )


@dataclass(frozen=True)
class HiddenCheck:
    """A check that only the grader runs; its text never reaches learners."""

    task_id: str
    points: float
    fail: str
    function: Callable[[Any], Any]

    @property
    def name(self) -> str:
        return self.function.__name__.replace("_", " ")

    def run(self, learner: Any) -> CheckResult:
        """Run against the learner's namespace; any exception loses the points."""
        try:
            self.function(learner)
        except Exception as error:  # the check failed, whatever the reason
            return CheckResult(self.name, 0.0, float(self.points), explain(self.fail, error), True)
        return CheckResult(self.name, float(self.points), float(self.points), hidden=True)


def hidden(task_id: str, points: float, fail: str) -> Callable[[Callable[[Any], Any]], HiddenCheck]:
    """Declare a hidden check of ``task_id`` worth ``points`` (used in ``graders/<a>/checks.py``)."""

    def declare(function: Callable[[Any], Any]) -> HiddenCheck:
        return HiddenCheck(task_id, float(points), fail, function)

    return declare


def explain(fail: str, error: BaseException) -> str:
    """The learner-facing reason a check failed."""
    from dojo.grading._learner import LearnerError, LearnerGone

    if isinstance(error, AssertionError):
        return fail
    if isinstance(error, LearnerGone):
        return f"{fail} (not checked: {error})"
    if isinstance(error, LearnerError):
        return f"{fail} (your code raised {error})"
    if isinstance(error, NameError):
        return f"{fail} ({error}: run the cell that defines it)"
    return f"{fail} ({type(error).__name__}: {error})"


def fresh_cloud(**settings: Any) -> Any:
    """A new, empty local cloud for a check cell (use it with ``with``).

    In the learner's kernel this is a ``dojo.cloud.LocalCloud``. At grading it is a
    cloud inside the learner's sandboxed process, so the learner's functions can be
    called with it while the checks themselves run in the trusted grader.
    """
    if _cloud_factory is not None:
        return _cloud_factory(**settings)
    from dojo.cloud import LocalCloud

    return LocalCloud(**settings)


@contextmanager
def recording(into: list[Task], cloud_factory: Callable[..., Any] | None = None) -> Iterator[None]:
    """While active, ``Task.done()`` hands tasks to ``into`` instead of reporting in a kernel,
    and ``fresh_cloud()`` comes from ``cloud_factory``."""
    global _recorder, _cloud_factory
    previous = _recorder, _cloud_factory
    _recorder, _cloud_factory = into.append, cloud_factory
    try:
        yield
    finally:
        _recorder, _cloud_factory = previous
