"""Starting the learner's code in a sandbox: own process, limits, no network, hidden paths.

The sandbox is made with what a Linux machine has without Docker: ``unshare``
for a private network namespace (not even loopback works) and a private mount
namespace (a read-only tmpfs is mounted over graders, gradebook, other
submissions and secrets), ``setrlimit`` for CPU time, memory, file size and
processes, its own process group for a clean kill, and an unprivileged user
when grading runs as root.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dojo.errors import DojoError

SANDBOX_UID_BASE = 61000


class SandboxUnavailable(DojoError):
    """The machine cannot isolate learner code (no usable ``unshare``)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one learner process.

    ``call_seconds`` bounds one cell or one check's call, ``total_seconds`` the whole
    notebook (wall clock), ``cpu_seconds`` its CPU time.
    """

    call_seconds: float = 60.0
    total_seconds: float = 900.0
    cpu_seconds: int = 300
    memory_bytes: int = 3 * 1024**3
    file_bytes: int = 64 * 1024**2
    processes: int = 64


@dataclass
class SandboxSpec:
    """What a sandbox hides and how it is limited."""

    workdir: Path
    hide: list[Path] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    isolate: bool = True
    slot: int = 0
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment variables for learner code (e.g. ``DOJO_CHAOS`` on game day)."""


def _isolation_prefix(isolate: bool) -> list[str]:
    """The ``unshare`` command that gives the child private network and mount namespaces."""
    if not isolate:
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        raise SandboxUnavailable("cannot isolate learner code: the unshare command is missing")
    # A private PID namespace too: when its first process dies, the kernel kills
    # every process learner code started, even those that left the process group.
    namespaces = ["--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if os.geteuid() == 0:
        return [unshare, *namespaces, "--"]
    return [unshare, "--user", "--map-root-user", *namespaces, "--"]


def _limit_child(limits: Limits) -> None:
    """Runs in the child between fork and exec: new session, resource limits."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _clean_environment() -> dict[str, str]:
    """The environment learner code sees: no secrets, fake AWS credentials, UTC."""
    keep = ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "TZ": "UTC",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
        }
    )
    return env


def launch(spec: SandboxSpec) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """Start the learner host in a sandbox; return the process and the checker's end of the channel.

    Raises:
        SandboxUnavailable: when isolation was asked for and cannot be had.
    """
    ours, theirs = socket.socketpair()
    uid = SANDBOX_UID_BASE + spec.slot
    workdir = spec.workdir.resolve()
    if os.geteuid() == 0:
        os.chown(workdir, uid, uid)
        for path in workdir.rglob("*"):
            os.chown(path, uid, uid)
    command = [
        *_isolation_prefix(spec.isolate),
        sys.executable,
        "-m",
        "dojo.grading._host",
        "--fd",
        str(theirs.fileno()),
        "--workdir",
        str(workdir),
        "--uid",
        str(uid),
        "--processes",
        str(spec.limits.processes),
    ]
    for path in spec.hide:
        command += ["--hide", str(Path(path).resolve())]
    home = {"HOME": str(workdir)}
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env={**_clean_environment(), **spec.env, **home},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(theirs.fileno(),),
        preexec_fn=lambda: _limit_child(spec.limits),  # noqa: PLW0108
    )
    theirs.close()
    return process, ours


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the learner process and everything it started, and reap them all.

    The learner host is the first process of its PID namespace: killing it makes
    the kernel kill and reap every process in that namespace, and ``unshare``
    reaps the host. Killing ``unshare`` first would leave the host a zombie.
    """
    for child in _children(process.pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=10)
    finally:
        # Without a PID namespace (isolation off), whatever is left of the group goes too.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux), or the process itself when there are none."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        text = ""
    return [int(child) for child in text.split()] or [pid]
