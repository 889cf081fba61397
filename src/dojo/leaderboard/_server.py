"""Running the service: in the foreground (``dojo leaderboard serve``) or in the background."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import uvicorn

from dojo.leaderboard._app import create_app
from dojo.leaderboard._db import default_db_url
from dojo.leaderboard._settings import Settings

__all__ = ["LocalBoard", "free_port", "serve", "start_local_board"]


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the service in the foreground until interrupted."""
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalBoard:
    """A leaderboard service running in a background process.

    Attributes:
        url: Base URL of the service.
        grader_key: The key it accepts award signatures from.
        db_url: Its database.
        pid: The process id.
    """

    url: str
    grader_key: str
    db_url: str
    pid: int
    _process: subprocess.Popen[bytes] | None = None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ``timeout``)."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> LocalBoard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write_state(self, path: Path) -> None:
        """Save url, pid and grader key (mode 0600) so later commands can find this board."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(
                {
                    "url": self.url,
                    "grader_key": self.grader_key,
                    "db_url": self.db_url,
                    "pid": self.pid,
                },
                fh,
            )


def start_local_board(
    *,
    db_url: str | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    grader_key: str | None = None,
    log: IO[bytes] | None = None,
    timeout: float = 20.0,
    detach: bool = False,
) -> LocalBoard:
    """Start ``dojo leaderboard serve`` in a background process and wait until it answers.

    Meant for ``make lab`` when no leaderboard is configured: the embedded SQLite default, a free
    loopback port and a fresh random grader key (passed through the environment, never argv).

    Args:
        db_url: Database URL (default: the embedded SQLite file).
        host: Interface to bind.
        port: Port (default: a free one).
        grader_key: Grader key (default: a new random one).
        log: Where the server's output goes (default: discarded).
        timeout: Seconds to wait for the service to answer.
        detach: Start a new session so the server outlives the calling process.

    Returns:
        A handle with the URL and grader key; ``stop()`` it when done (or use ``with``).

    Raises:
        RuntimeError: If the service did not come up in time (its exit code is in the message).
    """
    db_url = db_url or default_db_url()
    port = port or free_port(host)
    grader_key = grader_key or secrets.token_urlsafe(32)
    env = {**os.environ, "DOJO_GRADER_KEY": grader_key}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dojo.leaderboard",
            "serve",
            "--db",
            db_url,
            "--host",
            host,
            "--port",
            str(port),
        ],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=detach,
    )
    board = LocalBoard(f"http://{host}:{port}", grader_key, db_url, proc.pid, proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"leaderboard server exited with code {proc.returncode} at start")
        try:
            if httpx.get(f"{board.url}/api/health", timeout=1.0).status_code == 200:
                return board
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    board.stop()
    raise RuntimeError(f"leaderboard server did not answer on {board.url} within {timeout} s")
