"""The checker's handle on a learner's sandboxed process: names, calls and references.

Checks never touch learner objects directly. ``learner.name`` asks the learner
process for a value; plain data is copied across, anything else comes back as a
``RemoteObject`` that can be called or have attributes read -- but never
compared, measured or tested for truth, because those answers would come from
the learner's own ``__eq__``, ``__len__`` or ``__bool__``.
"""

from __future__ import annotations

import builtins
import select
import time
import subprocess
from typing import Any

from dojo.grading import _sandbox, _wire


STARTUP_SECONDS = 60.0


class LearnerError(Exception):
    """Learner code raised an exception while the checker was calling it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}" if message else error_type)
        self.error_type, self.message = error_type, message


class LearnerGone(Exception):
    """The learner process ended, timed out or broke the channel; nothing more can be asked."""


class LearnerProcess:
    """A running, sandboxed learner process and the channel to it."""

    def __init__(self, spec: _sandbox.SandboxSpec) -> None:
        self.spec = spec
        self.gone: str | None = None
        self.deadline = time.monotonic() + spec.limits.total_seconds
        self.process, self.channel = _sandbox.launch(spec)
        try:
            hello = self._receive(max(STARTUP_SECONDS, spec.limits.call_seconds))
        except LearnerGone as gone:
            raise _sandbox.SandboxUnavailable(f"the sandbox did not start: {gone}") from None
        if not hello.get("ok"):
            self.close()
            error = hello.get("error", {})
            raise _sandbox.SandboxUnavailable(
                f"the sandbox could not start: {error.get('type')}: {error.get('message')}"
            )

    def request(self, message: dict[str, Any]) -> Any:
        """Send a request and return the decoded value.

        Raises:
            LearnerError: learner code raised.
            LearnerGone: the process is gone or did not answer in time.
        """
        if self.gone:
            raise LearnerGone(self.gone)
        try:
            _wire.send(self.channel, message)
        except OSError:
            self._lost("the notebook's process ended")
        remaining = self.deadline - time.monotonic()
        if remaining < self.spec.limits.call_seconds:
            answer = self._receive(max(remaining, 0.0), total=True)
        else:
            answer = self._receive(self.spec.limits.call_seconds)
        if not answer.get("ok"):
            error = answer.get("error") or {}
            raise LearnerError(str(error.get("type", "Error")), str(error.get("message", "")))
        return _wire.decode(answer.get("value"), self._remote)

    def _receive(self, seconds: float, total: bool = False) -> dict[str, Any]:
        ready, _, _ = select.select([self.channel], [], [], seconds)
        if not ready and total:
            limit = self.spec.limits.total_seconds
            self._lost(f"the notebook ran longer than {limit:g} s in all and was stopped")
        if not ready:
            self._lost(f"the notebook's code ran longer than {seconds:g} s and was stopped")
        try:
            return _wire.receive(self.channel)
        except _wire.WireError:
            try:
                code = self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            if code is None:
                self._lost("the notebook's process sent something that is not an answer")
            self._lost(f"the notebook's process ended (exit status {code})")
        raise AssertionError("unreachable")

    def _lost(self, reason: str) -> None:
        self.gone = reason
        self.close()
        raise LearnerGone(reason)

    def _remote(self, data: dict[str, Any]) -> RemoteObject:
        return RemoteObject(self, int(data["__ref__"]), str(data.get("type", "object")))

    def run_cell(self, source: str) -> dict[str, Any]:
        """Run one cell in the learner process; returns ``{"outputs": [...], "failed": bool}``."""
        return self.request({"op": "run_cell", "source": source})

    def lookup(self, name: str) -> Any:
        """The value of a global name in the learner's notebook."""
        return self.request({"op": "lookup", "name": name})

    def cloud(self, **settings: Any) -> RemoteObject:
        """A new ``dojo.cloud.LocalCloud`` inside the learner process."""
        return self.request({"op": "cloud", "kwargs": _encode_kwargs(settings)})

    def close(self) -> None:
        """Stop the learner process and everything it started."""
        try:
            self.channel.close()
        finally:
            _sandbox.kill(self.process)

    def __enter__(self) -> LearnerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _encode(value: Any) -> Any:
    def refuse(obj: Any) -> dict[str, Any]:
        if isinstance(obj, RemoteObject):
            return {"__ref__": obj._ref}
        raise TypeError(f"cannot send a {type(obj).__name__} to the learner's code; send plain data")

    return _wire.encode(value, refuse)


def _encode_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {name: _encode(value) for name, value in kwargs.items()}


class RemoteObject:
    """An object that lives in the learner's process. Call it or read its attributes."""

    __slots__ = ("_process", "_ref", "_type")

    def __init__(self, process: LearnerProcess, ref: int, type_name: str) -> None:
        object.__setattr__(self, "_process", process)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_type", type_name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._process.request({"op": "getattr", "ref": self._ref, "name": name})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._process.request(
            {"op": "call", "ref": self._ref, "args": [_encode(a) for a in args],
             "kwargs": _encode_kwargs(kwargs)}
        )

    def __enter__(self) -> Any:
        return self._method("__enter__")()

    def __exit__(self, *exc: object) -> None:
        self._method("__exit__")(None, None, None)

    def _method(self, name: str) -> Any:
        return self._process.request({"op": "getattr", "ref": self._ref, "name": name})

    def _refuse(self, *args: Any) -> Any:
        raise TypeError(
            f"the answer is a {self._type} object, not plain data; checks compare only "
            "str, int, float, bool, None, list, tuple, dict and set values"
        )

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __bool__ = __len__ = __contains__ = __iter__ = __hash__ = _refuse  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<learner's {self._type} object>"


class LearnerNamespace(dict):  # type: ignore[type-arg]
    """Globals for trusted check code: its own names, then builtins, then the learner's names.

    A check cell's assignments, imports and functions live in this dict on the
    trusted side. A name it does not define is looked up in Python's builtins
    first -- so a learner's ``len`` or ``print`` can never stand in for the real
    one -- and only then fetched from the learner's process.
    """

    def __init__(self, process: LearnerProcess) -> None:
        super().__init__(__builtins__=builtins, __name__="__dojo_checks__")
        self.process = process

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            return getattr(builtins, name)
        try:
            return self.process.lookup(name)
        except LearnerError as error:
            if error.error_type == "NameError":
                raise KeyError(name) from None
            raise


__all__ = ["LearnerError", "LearnerGone", "LearnerNamespace", "LearnerProcess", "RemoteObject"]
