"""Progress view: points per module and a belt per level, from local checks or the leaderboard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from ._belts import BELT_THRESHOLD, Progress, progress_from_leaderboard, progress_from_reports
from ._graph import escape

__all__ = ["ProgressView", "progress_html"]


def progress_html(progress: Progress) -> str:
    """Belts and per-module bars as HTML (escaped)."""
    who = f" — {escape(progress.learner)}" if progress.learner else ""
    rank = f" · rank {progress.rank}" if progress.rank else ""
    parts = [
        f"<div class='dojo-progress'><p><b>{progress.total:g} points</b>{who}{rank} "
        f"<small>(from {escape(progress.source)})</small></p>"
    ]
    for lp in progress.levels:
        level = lp.level
        text_colour = "#ffffff" if level.belt in ("black", "blue", "green") else "#212121"
        status = "earned" if lp.earned else f"{lp.share:.0%} of {BELT_THRESHOLD:.0%}"
        opacity = "1" if lp.earned else "0.35"
        parts.append(
            f"<div class='dojo-level' data-level='{level.number}' "
            f"data-earned='{str(lp.earned).lower()}' "
            "style='margin:6px 0'><span class='dojo-belt' "
            "style='display:inline-block;min-width:90px;"
            f"padding:2px 8px;border-radius:4px;border:1px solid #9e9e9e;background:{level.colour};"
            f"color:{text_colour};opacity:{opacity}'>{escape(level.belt)} belt</span> "
            f"<b>Level {level.number} · {escape(level.name)}</b> — {lp.points:g} / "
            f"{lp.max_points:g} ({escape(status)})"
            "<div style='display:flex;gap:4px;margin-top:3px'>"
        )
        for module in level.modules:
            mp = progress.modules[module]
            share = mp.points / mp.max_points if mp.max_points else 0.0
            parts.append(
                f"<div class='dojo-module' data-module='{escape(module)}' title='{escape(module)}: "
                f"{mp.points:g} / "
                f"{mp.max_points:g}' style='width:72px;font-size:11px'>{escape(module)} "
                f"{mp.points:g}"
                "<div style='height:6px;background:#eceff1'><div "
                f"style='height:6px;width:{min(share, 1.0) * 100:.0f}%;"
                f"background:#43a047'></div></div></div>"
            )
        parts.append("</div></div>")
    parts.append(
        f"<p><small>A level's belt is earned at {BELT_THRESHOLD:.0%} of its points "
        "(every module is worth 100).</small></p></div>"
    )
    return "".join(parts)


class ProgressView(widgets.VBox):
    """Points per module and a belt per level.

    Reads local check results (``dojo.grading.NotebookReport`` objects) and, when a leaderboard
    client is given, the learner's points from the board instead.

    Args:
        reports: Local check results.
        leaderboard: Anything with ``board(cohort, module=None, window="all")`` (e.g.
            ``dojo.leaderboard.client.LeaderboardClient``); None when not connected.
        cohort: The cohort to read (needed with ``leaderboard``).
        learner: Whose row to read (default: the board's ``me`` row).
        modules: Modules to ask the leaderboard for (default: the overall board's list).

    Attributes:
        result: The :class:`Progress` shown.
    """

    def __init__(
        self,
        reports: Iterable[Any] = (),
        *,
        leaderboard: Any = None,
        cohort: str = "",
        learner: str = "",
        modules: Iterable[str] | None = None,
    ) -> None:
        self.reports = list(reports)
        self.leaderboard = leaderboard
        self.cohort = cohort
        self.learner = learner
        self.modules = list(modules) if modules is not None else None
        self.source = widgets.ToggleButtons(
            options=["local checks", "leaderboard"],
            value="local checks",
            disabled=leaderboard is None,
        )
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.output = widgets.HTML()
        self.source.observe(lambda _change: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.result: Progress
        super().__init__([widgets.HBox([self.source, self.refresh_button]), self.output])
        self.add_class("dojo-progress-view")
        if leaderboard is not None:
            self.source.value = "leaderboard"
        self.refresh()

    def refresh(self) -> Progress:
        """Read the results again and redraw (a leaderboard error falls back to local checks)."""
        note = ""
        if self.source.value == "leaderboard" and self.leaderboard is not None:
            try:
                self.result = progress_from_leaderboard(
                    self.leaderboard, self.cohort, learner=self.learner, modules=self.modules
                )
            except Exception as exc:  # offline: show local results and say why
                note = (
                    f"Leaderboard not reachable ({type(exc).__name__}: {exc}); "
                    "showing local checks."
                )
                self.result = progress_from_reports(self.reports, learner=self.learner)
        else:
            self.result = progress_from_reports(self.reports, learner=self.learner)
        self.output.value = (
            f"<p style='color:#c62828'>{escape(note)}</p>" if note else ""
        ) + progress_html(self.result)
        return self.result

    def add(self, report: Any) -> Progress:
        """Add a local check result and redraw."""
        self.reports.append(report)
        return self.refresh()

    def __repr__(self) -> str:
        return repr(self.result)
