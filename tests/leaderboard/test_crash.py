"""Crash safety: SIGKILL the server in the middle of writes; every acknowledged award stays."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from dojo.leaderboard import LeaderboardClient, Store
from dojo.leaderboard._server import free_port

KEY = "crash-test-key"


def _start(db_url: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dojo.leaderboard", "serve", "--db", db_url, "--port", str(port)],
        env={**os.environ, "DOJO_GRADER_KEY": KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited at start"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("server did not start")


@pytest.mark.slow
def test_acknowledged_awards_survive_a_kill_mid_write(db_url: str) -> None:
    """Check that after SIGKILL amid a stream of awards and a restart, every 2xx award is there."""
    Store.open(db_url).create_cohort("crash")
    port = free_port()
    proc = _start(db_url, port)
    url = f"http://127.0.0.1:{port}"
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        client = LeaderboardClient(url, grader_key=KEY, retries=0, timeout=5)
        i = 0
        while not stop.is_set():
            key = f"crash-{worker:02d}-{i:06d}"
            try:
                client.award("crash", f"learner{worker}", f"m01/t{i % 7}", i % 11, 10, key)
            except (httpx.HTTPError, OSError):
                return  # the server is gone: this award was never acknowledged
            with lock:
                acked.append(key)
            i += 1

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(writer, w) for w in range(8)]
        while len(acked) < 150:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # no shutdown, no flush: a crash
        proc.wait()
        stop.set()
        for f in futures:
            f.result()
    assert len(acked) >= 150

    proc = _start(db_url, port)  # restart on the same database
    try:
        store = Store.open(db_url)
        keys = store.award_keys(store.cohort("crash"))
        missing = set(acked) - keys
        assert not missing, f"{len(missing)} acknowledged awards lost, e.g. {sorted(missing)[:3]}"
        board = LeaderboardClient(url).board("crash", limit=100)
        assert board["learners"] == 8
        store.close()
    finally:
        proc.terminate()
        proc.wait(10)
