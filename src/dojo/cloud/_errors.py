"""Errors raised by the local cloud itself (not by AWS)."""

from __future__ import annotations

__all__ = ["HookBroken", "LocalCloudError", "LocalCloudGap"]


class LocalCloudError(RuntimeError):
    """The local cloud was used in a way it cannot support (for example, nested clouds)."""


class LocalCloudGap(NotImplementedError):
    """Something AWS would do that the local cloud cannot do (yet).

    The message names the gap, so a learner knows it is the emulator's limit and not their
    mistake. It is raised instead of pretending to succeed.
    """

    def __init__(self, what: str, *, hint: str = "") -> None:
        message = f"The local cloud cannot do this: {what}."
        if hint:
            message += f" {hint}"
        super().__init__(message)
        self.what = what


class HookBroken(LocalCloudError):
    """A moto internal that the local cloud patches or reads has changed shape."""
