"""The one cloud that is active in this process, and the invocation running on this thread."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cloud import LocalCloud

_active: LocalCloud | None = None
_local = threading.local()


def active() -> LocalCloud | None:
    """Return the running cloud, or None."""
    return _active


def set_active(cloud: LocalCloud | None) -> None:
    global _active
    _active = cloud


def current_invocation() -> Any | None:
    """Return the Lambda invocation running on this thread (None outside handlers)."""
    return getattr(_local, "invocation", None)


def set_current_invocation(invocation: Any | None) -> None:
    _local.invocation = invocation


def stash_qualifier(qualifier: str | None) -> None:
    """Remember the Qualifier of the Invoke call this thread is making.

    moto 5.2.5's Invoke handler reads the query parameter as ``qualifier`` while botocore sends
    ``Qualifier``, so moto loses it; the botocore hook stashes it for the backend hook.
    """
    _local.qualifier = qualifier


def take_qualifier() -> str | None:
    """Return and forget the stashed Invoke qualifier."""
    qualifier = getattr(_local, "qualifier", None)
    _local.qualifier = None
    return qualifier
