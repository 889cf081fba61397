"""The learner's side of grading: runs notebook cells and answers the checker's questions.

This module is the entry point of the sandboxed process (``python -m
dojo.grading._host``). It hides the paths it is told to hide (a tmpfs mounted
over each, in its own mount namespace), gives up root, and then serves
requests over the channel on ``--fd``: run a cell, look up a name, call a
function, read an attribute. Nothing it says is trusted: the checker only ever
receives plain data or references (see ``_wire``).
"""

from __future__ import annotations

import argparse
import ctypes
import io
import os
import resource
import socket
import sys
import traceback
from typing import Any

from dojo.grading import _wire

MAX_STREAM_CHARS = 20_000


class BoundedWriter(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, name: str, limit: int = MAX_STREAM_CHARS) -> None:
        self.name, self.limit, self.parts, self.kept, self.dropped = name, limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def text(self) -> str:
        tail = f"\n[... {self.dropped} more characters not shown]\n" if self.dropped else ""
        return "".join(self.parts) + tail


class Host:
    """Executes cells in an IPython shell and answers the checker over ``channel``."""

    def __init__(self, channel: socket.socket) -> None:
        from IPython.core.interactiveshell import InteractiveShell

        self.channel = channel
        self.shell = InteractiveShell.instance()
        # Results are returned as execute_result outputs, not printed as "Out[n]:".
        self.shell.displayhook.write_output_prompt = lambda: None
        self.shell.displayhook.write_format_data = lambda *args, **kwargs: None
        self.refs: dict[int, Any] = {}
        self.next_ref = 1

    def serve(self) -> None:
        """Answer requests until told to stop or the channel closes."""
        while True:
            try:
                request = _wire.receive(self.channel)
            except _wire.WireError:
                return
            if request.get("op") == "stop":
                return
            _wire.send(self.channel, self.answer(request))

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """Carry out one request; learner exceptions become error answers."""
        operation = getattr(self, "op_" + str(request.get("op")), None)
        if operation is None:
            return {"ok": False, "error": {"type": "ProtocolError", "message": "unknown operation"}}
        try:
            return {"ok": True, "value": operation(request)}
        except BaseException as error:  # the learner's code may raise anything, even SystemExit
            return {"ok": False, "error": _describe(error)}

    def ref(self, value: Any) -> dict[str, Any]:
        self.refs[self.next_ref] = value
        kind = type(value)
        answer = {"__ref__": self.next_ref, "type": f"{kind.__module__}.{kind.__qualname__}"}
        self.next_ref += 1
        return answer

    def encode(self, value: Any) -> Any:
        return _wire.encode(value, self.ref)

    def decode(self, data: Any) -> Any:
        return _wire.decode(data, lambda ref: self.refs[int(ref["__ref__"])])

    def op_run_cell(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.encode(run_cell(self.shell, str(request["source"])))

    def op_lookup(self, request: dict[str, Any]) -> Any:
        name = str(request["name"])
        if name not in self.shell.user_ns:
            raise NameError(f"name {name!r} is not defined")
        return self.encode(self.shell.user_ns[name])

    def op_getattr(self, request: dict[str, Any]) -> Any:
        return self.encode(getattr(self.refs[int(request["ref"])], str(request["name"])))

    def op_call(self, request: dict[str, Any]) -> Any:
        target = self.refs[int(request["ref"])]
        args = [self.decode(arg) for arg in request.get("args", [])]
        kwargs = {str(k): self.decode(v) for k, v in request.get("kwargs", {}).items()}
        return self.encode(target(*args, **kwargs))

    def op_cloud(self, request: dict[str, Any]) -> Any:
        """A new LocalCloud for checks; a cloud the notebook left running is stopped first."""
        from dojo.cloud import LocalCloud
        from dojo.cloud._active import active

        running = active()
        if running is not None:
            running.stop()
        settings = {str(k): self.decode(v) for k, v in request.get("kwargs", {}).items()}
        return self.ref(LocalCloud(**settings))


def run_cell(shell: Any, source: str) -> dict[str, Any]:
    """Run one cell; return its outputs in nbformat shape and whether it raised."""
    from IPython.core.displaypub import CapturingDisplayPublisher

    stdout, stderr = BoundedWriter("stdout"), BoundedWriter("stderr")
    publisher, saved_publisher = CapturingDisplayPublisher(), shell.display_pub
    saved_streams = sys.stdout, sys.stderr
    tracebacks: list[list[str]] = []
    shell._showtraceback = lambda etype, evalue, stb: tracebacks.append(stb)  # noqa: SLF001
    sys.stdout, sys.stderr, shell.display_pub = stdout, stderr, publisher
    try:
        result = shell.run_cell(source, store_history=False, silent=False)
    finally:
        sys.stdout, sys.stderr = saved_streams
        shell.display_pub = saved_publisher
    outputs: list[dict[str, Any]] = []
    for stream in (stdout, stderr):
        if stream.kept or stream.dropped:
            outputs.append({"output_type": "stream", "name": stream.name, "text": stream.text()})
    for item in publisher.outputs[:20]:
        data = {k: v for k, v in item.data.items() if isinstance(v, str) and len(v) < 1_000_000}
        if data:
            outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
    if result.result is not None and result.error_in_exec is None:
        outputs.append(_execute_result(shell, result.result))
    error = result.error_in_exec or result.error_before_exec
    if error is not None:
        frames = tracebacks[-1] if tracebacks else traceback.format_exception(error)
        described = _describe(error)
        outputs.append({"output_type": "error", "ename": described["ename"],
                        "evalue": described["evalue"], "traceback": list(frames)[-30:]})
    return {"outputs": outputs, "failed": error is not None}


def _execute_result(shell: Any, value: Any) -> dict[str, Any]:
    try:
        data, _ = shell.display_formatter.format(value)
        data = {k: v for k, v in data.items() if isinstance(v, str) and len(v) < 1_000_000}
    except BaseException:  # a learner's __repr__ may raise anything
        data = {"text/plain": f"<{type(value).__name__} object>"}
    return {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": None}


def _describe(error: BaseException) -> dict[str, str]:
    try:
        message = str(error)
    except BaseException:  # a learner's __str__ may raise anything
        message = "<unprintable error>"
    return {"type": type(error).__name__, "message": message[:2000], "ename": type(error).__name__,
            "evalue": message[:2000]}


def _hide(paths: list[str]) -> None:
    """Mount an empty, read-only tmpfs over each path (needs a private mount namespace)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for path in paths:
        if not os.path.exists(path):
            continue
        ms_rdonly, ms_nosuid, ms_nodev = 1, 2, 4
        flags = ms_rdonly | ms_nosuid | ms_nodev
        if libc.mount(b"dojo-hidden", path.encode(), b"tmpfs", flags, b"size=4k") != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"cannot hide {path}: {os.strerror(errno)}")


def _expose_interpreter(needed: list[str]) -> None:
    """Let an unprivileged user reach Python and the workdir, and nothing else of closed folders.

    An interpreter installed under a closed home folder (``/root`` is 0700) cannot
    be read once root is given up. In this private mount namespace each closed
    ancestor is covered with an open tmpfs into which only the needed children
    are bind-mounted back; the rest of that folder (keys, credentials) stays out of sight.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    ms_bind = 4096
    blocked: dict[str, set[str]] = {}
    for path in needed:
        parts = os.path.realpath(path).split(os.sep)[1:]
        for depth in range(1, len(parts)):
            folder = os.sep + os.sep.join(parts[:depth])
            if os.path.isdir(folder) and not os.stat(folder).st_mode & 0o001:
                blocked.setdefault(folder, set()).add(parts[depth])
    # Outer folders first: an inner closed folder is reached through its parent's new mount.
    for folder in sorted(blocked, key=lambda f: f.count(os.sep)):
        handles = {
            child: os.open(os.path.join(folder, child), os.O_PATH)
            for child in blocked[folder]
            if os.path.exists(os.path.join(folder, child))
        }
        if libc.mount(b"dojo-open", folder.encode(), b"tmpfs", 0, b"mode=0755,size=64k") != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"cannot open up {folder}: {os.strerror(errno)}")
        for child, handle in handles.items():
            target = os.path.join(folder, child)
            if os.path.isdir(f"/proc/self/fd/{handle}"):
                os.mkdir(target)
            else:
                open(target, "w").close()
            source = f"/proc/self/fd/{handle}".encode()
            if libc.mount(source, target.encode(), None, ms_bind, None) != 0:
                errno = ctypes.get_errno()
                raise OSError(errno, f"cannot expose {target}: {os.strerror(errno)}")
            os.close(handle)


def _drop_privileges(uid: int, processes: int, workdir: str) -> None:
    """Become ``uid`` (when running as root) and cap how many processes that user may run."""
    if os.getuid() == 0 and uid > 0 and _is_initial_user_namespace():
        _expose_interpreter([sys.base_prefix, sys.prefix, workdir, *sys.path[1:]])
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if processes > 0 and os.getuid() != 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def _is_initial_user_namespace() -> bool:
    """False inside a user namespace, where root cannot become another user."""
    try:
        with open("/proc/self/uid_map") as mapping:
            return mapping.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return True


def main(argv: list[str] | None = None) -> int:
    """Entry point of the sandboxed process."""
    parser = argparse.ArgumentParser(prog="python -m dojo.grading._host")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--uid", type=int, default=0)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument("--workdir", required=True)
    options = parser.parse_args(argv)
    channel = socket.socket(fileno=options.fd)
    try:
        _hide(options.hide)
        _drop_privileges(options.uid, options.processes, options.workdir)
        os.chdir(options.workdir)
        sys.path.insert(0, options.workdir)
        host = Host(channel)
    except BaseException as error:
        _wire.send(channel, {"ok": False, "error": _describe(error)})
        return 3
    _wire.send(channel, {"ok": True, "value": {"pid": os.getpid(), "uid": os.getuid()}})
    host.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
