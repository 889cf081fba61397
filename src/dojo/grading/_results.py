"""Results of grading one notebook: points per task and why points were lost."""

from __future__ import annotations

import html
from dataclasses import dataclass, field


def _points(value: float) -> str:
    """Show 10.0 as 10 and 2.5 as 2.5."""
    return f"{value:g}"


@dataclass(frozen=True)
class TaskResult:
    """Points for one graded cell (a task) and, when points were lost, the reason."""

    task: str
    points: float
    max_points: float
    reason: str = ""
    note: str = ""

    @property
    def passed(self) -> bool:
        """True when the task earned all its points."""
        return self.points >= self.max_points

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        line = f"{mark}  {self.task}  {_points(self.points)} / {_points(self.max_points)}"
        if self.reason:
            line += f"  -- {self.reason}"
        return f"{line}  ({self.note})" if self.note else line


@dataclass(frozen=True)
class NotebookReport:
    """Grading result of one notebook of an assignment."""

    assignment: str
    notebook: str
    tasks: tuple[TaskResult, ...] = field(default_factory=tuple)

    @property
    def score(self) -> float:
        """Points earned."""
        return sum(task.points for task in self.tasks)

    @property
    def max_score(self) -> float:
        """Points possible."""
        return sum(task.max_points for task in self.tasks)

    def __str__(self) -> str:
        lines = [f"{self.assignment} / {self.notebook}.ipynb"]
        lines += [f"  {task}" for task in self.tasks]
        lines.append(f"  score: {_points(self.score)} / {_points(self.max_score)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr><td>{}</td><td>{} / {}</td><td>{}</td></tr>".format(
                html.escape(task.task),
                _points(task.points),
                _points(task.max_points),
                html.escape(task.reason),
            )
            for task in self.tasks
        )
        return (
            f"<table><caption>{html.escape(self.assignment)} / {html.escape(self.notebook)}: "
            f"{_points(self.score)} / {_points(self.max_score)}</caption>"
            "<thead><tr><th>task</th><th>points</th><th>why points were lost</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
