"""Workshop mode: a live lab session graded server-side.

The instructor runs :func:`start_workshop` (``dojo workshop start``): a leaderboard and a
workshop service whose grading workers grade every submitted notebook themselves, sandboxed and
with the hidden checks, and award each task once (best score counts). Learners join with a code
(:class:`WorkshopClient`, ``dojo join``, or the :class:`JoinAndSubmit` widget) and submit.
:func:`build_bundle` (``dojo bundle``) makes the learners' copy of the course.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dojo._lazy import lazy_exports as _lazy_exports

__all__ = [
    "BundleReport",
    "Credentials",
    "JoinAndSubmit",
    "SubmissionQueue",
    "SubmissionResult",
    "WorkshopClient",
    "WorkshopSession",
    "WorkshopSettings",
    "build_bundle",
    "create_workshop_app",
    "start_workshop",
    "stop_workshop",
]

_HOMES = {
    "BundleReport": "_bundle",
    "build_bundle": "_bundle",
    "Credentials": "_client",
    "SubmissionResult": "_client",
    "WorkshopClient": "_client",
    "SubmissionQueue": "_queue",
    "create_workshop_app": "_service",
    "WorkshopSession": "_session",
    "start_workshop": "_session",
    "stop_workshop": "_session",
    "WorkshopSettings": "_settings",
    "JoinAndSubmit": "_widget",
}

if TYPE_CHECKING:
    from dojo.workshop._bundle import BundleReport, build_bundle
    from dojo.workshop._client import Credentials, SubmissionResult, WorkshopClient
    from dojo.workshop._queue import SubmissionQueue
    from dojo.workshop._service import create_workshop_app
    from dojo.workshop._session import WorkshopSession, start_workshop, stop_workshop
    from dojo.workshop._settings import WorkshopSettings
    from dojo.workshop._widget import JoinAndSubmit


__getattr__, __dir__ = _lazy_exports("dojo.workshop", _HOMES, globals())
