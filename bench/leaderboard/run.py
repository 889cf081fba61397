"""Load generator for the leaderboard service on loopback.

Starts ``dojo leaderboard serve`` as a separate process (on a temporary SQLite file unless ``--db``
is given), seeds a cohort like the m22 fixture (300 learners, 40 tasks, 5,000 awards), then
measures, from this process over keep-alive HTTP/1.1 connections:

1. board reads/s with p50/p99 latency (overall, module and weekly boards);
2. signed award writes/s with p50/p99 latency;
3. board reads/s while awards keep arriving (every write invalidates the cached boards);
4. live viewers: N server-sent-event streams, and how many of them receive each award's new
   board within one second.

Targets on 2 cores with SQLite: >= 1,000 board reads/s at p99 <= 50 ms, >= 300 awards/s, and
500 live viewers updated within a second. Figures are printed, never asserted.

Usage: python bench/leaderboard/run.py [--db URL] [--seconds 5] [--viewers 500]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from dojo.leaderboard import Store
from dojo.leaderboard._auth import signed_headers
from dojo.leaderboard._server import free_port

KEY = "bench-grader-key"
COHORT = "bench"
HOST = "127.0.0.1"


class Conn:
    """One keep-alive HTTP/1.1 connection (tiny, so the generator is not the bottleneck)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> Conn:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        return self

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}:{self.port}",
            f"Content-Length: {len(body)}",
        ]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(v)
            for k, _, v in (ln.partition(":") for ln in lines[1:])
            if k.lower() == "content-length"
        )
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def report(name: str, latencies: list[float], elapsed: float, errors: int) -> dict[str, float]:
    rate = len(latencies) / elapsed
    out = {
        "per_second": round(rate, 1),
        "p50_ms": round(pct(latencies, 50), 2),
        "p99_ms": round(pct(latencies, 99), 2),
        "requests": len(latencies),
        "errors": errors,
    }
    print(
        f"{name:<28} {rate:>9,.0f}/s   p50 {out['p50_ms']:>7.2f} ms   p99 {out['p99_ms']:>7.2f} ms"
        f"   ({len(latencies)} requests, {errors} errors)"
    )
    return out


class Awarder:
    """Builds unique signed award requests."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> tuple[str, bytes, dict[str, str]]:
        self.n += 1
        task = random.randrange(40)
        body = json.dumps(
            {
                "learner": f"learner{random.randrange(300):03d}",
                "assignment": f"m{task // 4:02d}",
                "task": f"t{task % 4}",
                "points": random.randrange(11),
                "max_points": 10,
                "idempotency_key": f"bench-{os.getpid()}-{self.n:08d}",
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **signed_headers(KEY, body, datetime.now(UTC)),
        }
        return f"/api/cohorts/{COHORT}/awards", body, headers


async def closed_loop(
    port: int, conns: int, seconds: float, make
) -> tuple[list[float], float, int]:  # type: ignore[no-untyped-def]
    """Run ``conns`` connections back to back for ``seconds``; return latencies, elapsed, errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        conn = await Conn(port).open()
        while time.perf_counter() < deadline:
            method, path, body, headers = make()
            t0 = time.perf_counter()
            status, _ = await conn.request(method, path, body, headers)
            latencies.append(time.perf_counter() - t0)
            errors += status >= 300
        conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return latencies, time.perf_counter() - start, errors


BOARDS = [
    f"/api/cohorts/{COHORT}/board?limit=10",
    f"/api/cohorts/{COHORT}/board?module=m03&limit=10",
    f"/api/cohorts/{COHORT}/board?window=week&limit=25",
]


def read_request():  # type: ignore[no-untyped-def]
    return "GET", random.choice(BOARDS), b"", None


async def mixed(port: int, seconds: float, award_rate: float) -> tuple[list[float], float, int]:
    """Board reads on 16 connections while awards arrive at ``award_rate`` per second."""
    awarder = Awarder()
    stop = time.perf_counter() + seconds

    async def trickle() -> None:
        conn = await Conn(port).open()
        while time.perf_counter() < stop:
            path, body, headers = awarder.next()
            await conn.request("POST", path, body, headers)
            await asyncio.sleep(1 / award_rate)
        conn.close()

    task = asyncio.create_task(trickle())
    result = await closed_loop(port, 16, seconds, read_request)
    await task
    return result


async def live_viewers(port: int, viewers: int, rounds: int) -> dict[str, float]:
    """Open ``viewers`` event streams; post ``rounds`` awards; time each viewer's update."""
    arrivals: list[list[tuple[float, int]]] = [[] for _ in range(viewers)]
    ready = asyncio.Event()
    connected = 0

    async def viewer(i: int) -> None:
        nonlocal connected
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(
            f"GET /api/cohorts/{COHORT}/stream?limit=10 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        await reader.readuntil(b"\r\n\r\n")
        first = True
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                if line.startswith(b"data: "):
                    now = time.perf_counter()
                    board = json.loads(line[6:])
                    top = next(
                        (e["total"] for e in board["entries"] if e["name"] == "Live marker"), 0
                    )
                    arrivals[i].append((now, top))
                    if first:
                        first = False
                        connected += 1
                        if connected == viewers:
                            ready.set()
        except asyncio.CancelledError:
            writer.close()
            raise

    tasks = [asyncio.create_task(viewer(i)) for i in range(viewers)]
    t0 = time.perf_counter()
    await asyncio.wait_for(ready.wait(), 120)
    print(f"{viewers} viewers connected in {time.perf_counter() - t0:.1f} s")
    conn = await Conn(port).open()
    sent: list[float] = []
    for k in range(1, rounds + 1):
        body = json.dumps(
            {
                "learner": "live-marker",
                "assignment": "live",
                "task": f"t{k}",
                "points": 1000,
                "max_points": 1000,
                "idempotency_key": f"live-{k:06d}",
                "learner_name": "Live marker",
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            **signed_headers(KEY, body, datetime.now(UTC)),
        }
        sent.append(time.perf_counter())
        status, _ = await conn.request("POST", f"/api/cohorts/{COHORT}/awards", body, headers)
        assert status == 201, status
        await asyncio.sleep(1.0)
    conn.close()
    await asyncio.sleep(1.0)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    within: list[int] = []
    delays: list[float] = []
    for k, t_sent in enumerate(sent, start=1):
        ok = 0
        for arr in arrivals:
            got = next((t for t, total in arr if total >= 1000 * k), None)
            if got is not None:
                delays.append(got - t_sent)
                ok += got - t_sent <= 1.0
        within.append(ok)
    out = {
        "viewers": viewers,
        "min_updated_within_1s": min(within),
        "p50_ms": round(pct(delays, 50), 1),
        "p99_ms": round(pct(delays, 99), 1),
        "max_ms": round(1000 * max(delays), 1),
    }
    print(
        f"{'live viewers':<28} {min(within)}/{viewers} updated within 1 s on every one of "
        f"{rounds} awards   delivery p50 {out['p50_ms']} ms   p99 {out['p99_ms']} ms   "
        f"max {out['max_ms']} ms"
    )
    return out


def seed(db_url: str) -> None:
    """A cohort like the m22 fixture: 300 learners, 40 tasks in 10 modules, 5,000 awards."""
    store = Store.open(db_url, sqlite_synchronous="OFF")
    cohort = store.create_cohort(COHORT).cohort
    rnd = random.Random(7)
    for n in range(5000):
        task = rnd.randrange(40)
        store.award(
            cohort,
            learner=f"learner{rnd.randrange(300):03d}",
            assignment=f"m{task // 4:02d}",
            task=f"t{task % 4}",
            module=f"m{task // 4:02d}",
            points=rnd.randrange(11),
            max_points=10,
            key=f"seed-{n:06d}",
        )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed phase")
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5, help="awards sent to the live viewers")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="dojo-bench-")
    db_url = args.db or f"sqlite:///{tmp}/bench.sqlite3"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    print(
        f"leaderboard benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"database {db_url.split(':')[0]}, uvicorn http={http} loop={loop}"
    )
    t0 = time.perf_counter()
    seed(db_url)
    print(f"seeded 300 learners, 40 tasks, 5,000 awards in {time.perf_counter() - t0:.1f} s")

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dojo.leaderboard", "serve", "--db", db_url, "--port", str(port)],
        env={**os.environ, "DOJO_GRADER_KEY": KEY},
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://{HOST}:{port}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        results: dict[str, object] = {}
        awarder = Awarder()
        asyncio.run(closed_loop(port, 8, 1.0, read_request))  # warm-up
        results["board_reads"] = report(
            "board reads", *asyncio.run(closed_loop(port, 16, args.seconds, read_request))
        )
        results["award_writes"] = report(
            "award writes",
            *asyncio.run(closed_loop(port, 16, args.seconds, lambda: ("POST", *awarder.next()))),
        )
        results["board_reads_while_awarding_20_per_s"] = report(
            "board reads + 20 awards/s", *asyncio.run(mixed(port, args.seconds, 20))
        )
        results["live"] = asyncio.run(live_viewers(port, args.viewers, args.rounds))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
