"""See it run: ipywidgets for architectures, traces, costs and progress.

- :class:`ArchitectureDiagram` draws what exists in a local cloud and how it is wired, updates as
  you deploy, and replays ``cloud.trace`` hop by hop (static SVG in exported HTML).
- :class:`TraceTable` filters the trace and shows any hop's payload.
- Calculators wrapping :mod:`dojo.sims`: :class:`LambdaMemoryCalculator` (Table 10.1),
  :class:`MonthlyCostCalculator` (appendix B), :class:`ConcurrencyCalculator`,
  :class:`DecisionMatrixWidget` (Tables 7.12/7.14/7.18), :class:`DrStrategyChooser`.
- :class:`ProgressView`: points per module and a belt per level.

Example::

    import dojo.cloud, dojo.widgets
    cloud = dojo.cloud.LocalCloud().start()
    dojo.widgets.ArchitectureDiagram(cloud)
"""

from dojo.widgets._belts import (
    BELT_THRESHOLD,
    LEVELS,
    Level,
    LevelProgress,
    ModulePoints,
    Progress,
    progress_from_leaderboard,
    progress_from_reports,
)
from dojo.widgets._concurrency_calculator import ConcurrencyCalculator
from dojo.widgets._cost_calculators import LambdaMemoryCalculator, MonthlyCostCalculator
from dojo.widgets._decision_matrix import DecisionMatrixWidget
from dojo.widgets._diagram import ArchitectureDiagram
from dojo.widgets._discover import discover
from dojo.widgets._dr_chooser import DrStrategyChooser
from dojo.widgets._graph import Architecture, Edge, Node
from dojo.widgets._progress import ProgressView
from dojo.widgets._svg import render_svg
from dojo.widgets._trace_table import TraceTable, filter_hops

__all__ = [
    "BELT_THRESHOLD",
    "LEVELS",
    "Architecture",
    "ArchitectureDiagram",
    "ConcurrencyCalculator",
    "DecisionMatrixWidget",
    "DrStrategyChooser",
    "Edge",
    "LambdaMemoryCalculator",
    "Level",
    "LevelProgress",
    "ModulePoints",
    "MonthlyCostCalculator",
    "Node",
    "Progress",
    "ProgressView",
    "TraceTable",
    "discover",
    "filter_hops",
    "progress_from_leaderboard",
    "progress_from_reports",
    "render_svg",
]
