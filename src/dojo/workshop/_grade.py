"""Grading one submission, in a process of its own, with the course's sandbox and hidden checks.

Each grading runs ``python -m dojo.workshop._grade`` so that whatever happens to it (a crash,
a hang, memory exhaustion in nbgrader itself) happens to that process: the worker that started
it records an error result and goes on with the queue.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GradingFailed", "grade_in_process", "learner_view", "public_messages"]

_RESULT_MARK = "DOJO-WORKSHOP-RESULT "


class GradingFailed(Exception):
    """The grader could not grade a submission (the reason is safe to show the learner)."""


@dataclass(frozen=True)
class _Job:
    course_root: Path
    notebook: Path
    assignment: str
    slot: int
    hide: tuple[Path, ...]
    chaos: tuple[dict[str, Any], ...] = ()


def grade_in_process(
    course_root: Path,
    notebook: Path,
    assignment: str,
    *,
    slot: int = 0,
    hide: tuple[Path, ...] = (),
    timeout: float = 300.0,
    chaos: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Grade ``notebook`` with the hidden checks in a child process and return its result.

    Args:
        course_root: The instructor's course.
        notebook: The submitted notebook.
        assignment: Its assignment.
        slot: Sandbox slot (parallel graders use different ones).
        hide: Extra folders the learner's code must not see (other learners' submissions).
        timeout: Seconds before the grading is abandoned.
        chaos: Game-day faults injected into the learner's LocalCloud (None: no chaos).

    Returns:
        ``{"assignment", "notebook", "score", "max_score", "tasks": [...]}`` where each task has
        ``task``, ``points``, ``max_points`` and ``reason`` (hidden check messages included:
        instructors only; see :func:`learner_view`).

    Raises:
        GradingFailed: when the child crashed, timed out or could not grade the notebook.
    """
    command = [
        sys.executable,
        "-m",
        "dojo.workshop._grade",
        str(course_root),
        str(notebook),
        assignment,
        str(slot),
        json.dumps(list(chaos or [])),
        *map(str, hide),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
    except subprocess.TimeoutExpired:
        raise GradingFailed(f"grading took longer than {timeout:g} s and was stopped") from None
    out = done.stdout.decode(errors="replace")
    for line in reversed(out.splitlines()):
        if line.startswith(_RESULT_MARK):
            answer = json.loads(line[len(_RESULT_MARK) :])
            if "error" in answer:
                raise GradingFailed(answer["error"])
            return dict(answer)
    tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
    raise GradingFailed(f"the grader crashed (exit status {done.returncode}): " + " | ".join(tail))


def public_messages(course_root: Path, assignment: str) -> str:
    """The text of the released notebooks: a failure message found in it is a public check's."""
    folder = Path(course_root) / "exercises" / assignment
    return "\n".join(path.read_text(errors="replace") for path in sorted(folder.glob("*.ipynb")))


def learner_view(result: dict[str, Any], public_text: str) -> dict[str, Any]:
    """The result as a learner may see it: hidden checks' messages replaced by a count.

    A reason part that appears in the released notebook is a public check's message (the
    learner has it already); any other part came from a hidden check and is not shown.
    """
    tasks = []
    for task in result["tasks"]:
        parts = [p for p in task["reason"].split("; ") if p]
        shown = [p for p in parts if p in public_text or p.startswith("not answered yet")]
        hidden = len(parts) - len(shown)
        if hidden:
            shown.append(f"{hidden} hidden check{'s' if hidden > 1 else ''} failed")
        tasks.append({**task, "reason": "; ".join(shown)})
    return {**result, "tasks": tasks}


def _run(job: _Job) -> dict[str, Any]:
    """Grade in this process (the child): check_notebook with hidden checks, in its sandbox."""
    from dojo.course import Course
    from dojo.errors import DojoError
    from dojo.grading import check_notebook

    try:
        report = check_notebook(
            Course(job.course_root), job.notebook, job.assignment, hidden=True, slot=job.slot,
            hide=job.hide, chaos=list(job.chaos) or None,
        )
    except DojoError as error:
        return {"error": f"cannot grade this notebook: {error}"}
    tasks = [
        {"task": t.task, "points": t.points, "max_points": t.max_points, "reason": t.reason}
        for t in report.tasks
    ]
    return {
        "assignment": report.assignment,
        "notebook": report.notebook,
        "score": sum(t["points"] for t in tasks),
        "max_score": sum(t["max_points"] for t in tasks),
        "tasks": tasks,
    }


def main(argv: list[str]) -> int:
    """Entry point of the grading child process."""
    root, notebook, assignment, slot, chaos, *hide = argv
    job = _Job(
        Path(root),
        Path(notebook),
        assignment,
        int(slot),
        tuple(Path(h) for h in hide),
        tuple(json.loads(chaos)),
    )
    result = _run(job)
    sys.stdout.write("\n" + _RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
