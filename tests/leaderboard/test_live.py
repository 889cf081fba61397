"""Live updates over server-sent events."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx

from .conftest import Service


@contextmanager
def sse(url: str) -> Iterator[queue.Queue[dict[str, Any]]]:
    """Read ``event: board`` messages from a stream in a thread into a queue."""
    out: queue.Queue[dict[str, Any]] = queue.Queue()
    stop = threading.Event()

    def reader() -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(10, read=None)) as http,
                http.stream("GET", url) as resp,
            ):
                event = None
                for line in resp.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event in ("board", "learner"):
                        out.put(json.loads(line[6:]))
        except httpx.HTTPError:
            if not stop.is_set():
                raise  # the server went away while the test was still listening

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        yield out
    finally:
        stop.set()


def test_stream_sends_the_board_then_each_change_within_a_second(service: Service) -> None:
    """Check that a viewer gets the current board at once and a new one < 1 s after an award."""
    g = service.grader()
    g.award("c1", "ann", "m01/t1", 5, 10, "key-live-01")
    with sse(f"{service.url}/api/cohorts/c1/stream?limit=5") as events:
        first = events.get(timeout=5)
        assert [(e["name"], e["total"]) for e in first["entries"]] == [("ann", 5)]
        sent = time.monotonic()
        g.award("c1", "bob", "m01/t1", 8, 10, "key-live-02")
        update = events.get(timeout=1)
        assert time.monotonic() - sent < 1.0
        assert [(e["name"], e["total"]) for e in update["entries"]] == [("bob", 8), ("ann", 5)]


def test_module_stream_only_changes_for_its_module(service: Service) -> None:
    """Check that a module stream pushes that module's board, and skips unchanged boards."""
    g = service.grader()
    g.award("c1", "ann", "m01/t1", 5, 10, "key-live-11")
    g.award("c1", "ann", "m02/t1", 5, 10, "key-live-12")
    with sse(f"{service.url}/api/cohorts/c1/stream?module=m02") as events:
        assert events.get(timeout=5)["module"] == "m02"
        g.award("c1", "ann", "m01/t2", 3, 10, "key-live-13")  # m02 board unchanged
        g.award("c1", "bob", "m02/t1", 7, 10, "key-live-14")
        update = events.get(timeout=2)
        assert [(e["name"], e["total"]) for e in update["entries"]] == [("bob", 7), ("ann", 5)]


def test_frozen_stream_does_not_leak_later_scores(service: Service) -> None:
    """Check that after the freeze, awards push nothing new to public viewers."""
    g = service.grader()
    g.award("c1", "ann", "m01/t1", 5, 10, "key-live-21")
    service.admin().set_freeze("c1", service.clock() - timedelta(seconds=1))
    with sse(f"{service.url}/api/cohorts/c1/stream") as events:
        assert events.get(timeout=5)["frozen"] is True
        g.award("c1", "bob", "m01/t1", 9, 10, "key-live-22")
        time.sleep(0.5)
        assert events.empty()
    assert service.app.state.live.viewers <= 1


def test_stream_for_unknown_module_is_404(service: Service) -> None:
    """Check that a stream for a module the cohort does not have fails at once."""
    r = service.http.get("/api/cohorts/c1/stream?module=nope")
    assert r.status_code == 404


def test_learner_stream_pushes_progress_even_outside_the_top(service: Service) -> None:
    """Check that a learner page's stream updates on their own award, wherever they rank."""
    g = service.grader()
    for i in range(3):
        g.award("c1", f"top{i}", "m01/t1", 10, 10, f"key-live-3{i}")
    g.award("c1", "low", "m01/t1", 1, 10, "key-live-39")
    pid = g.board("c1", limit=10)["entries"][-1]["learner"]
    with sse(f"{service.url}/api/cohorts/c1/learners/{pid}/stream") as events:
        first = events.get(timeout=5)
        assert (first["total"], first["rank"]) == (1, 4)
        g.award("c1", "low", "m01/t2", 2, 10, "key-live-40")
        update = events.get(timeout=1)
        assert (update["total"], update["rank"]) == (3, 4)
