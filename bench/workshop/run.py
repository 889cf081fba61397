"""Benchmark: a workshop where 100 learners submit within one minute.

Starts a real workshop (leaderboard + workshop service + grading workers, sandboxed grading
with hidden checks) on a one-assignment drill course, lets N simulated learners join, and has
each submit once at a random moment within the window (a third honest, a third partial, a
third cheating). Prints, for the time from submit to the score being on the board (the
learner's status answer carries their board total), p50 / p90 / p99 / max, and submissions
graded per minute, with the core count and worker count.

    python bench/workshop/run.py [--learners 100] [--window 60] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.workshop.conftest import CHEAT, HONEST, PARTIAL, answered, make_drill_course  # noqa: E402

from dojo.workshop import WorkshopClient, start_workshop, stop_workshop  # noqa: E402

EXPECTED = {HONEST: 10, PARTIAL: 6, CHEAT: 0}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the finally: stop the services
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument(
        "--window", type=float, default=60.0, help="Seconds over which submissions arrive."
    )
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory(prefix="dojo-bench-workshop-") as scratch:
        course = make_drill_course(Path(scratch) / "course")
        notebooks = {
            answer: answered(course, answer, Path(scratch) / name)
            for name, answer in (("honest", HONEST), ("partial", PARTIAL), ("cheat", CHEAT))
        }
        session = start_workshop(
            course, "bench", workers=args.workers, detach=False, submit_rate=10
        )
        workers = args.workers or os.cpu_count() or 1
        try:
            clients = []
            for index in range(args.learners):
                client = WorkshopClient(session.url, timeout=60)
                client.join(session.join_code, f"learner {index:03d}")
                clients.append(client)
            answers = [(HONEST, PARTIAL, CHEAT)[i % 3] for i in range(args.learners)]
            offsets = sorted(random.uniform(0, args.window) for _ in range(args.learners))
            latencies: list[float] = []
            wrong: list[str] = []
            lock = threading.Lock()
            start = time.monotonic()

            def learner(index: int) -> None:
                time.sleep(max(0.0, start + offsets[index] - time.monotonic()))
                client, answer = clients[index], answers[index]
                sent_at = time.monotonic()
                sub = client.submit(notebooks[answer])["id"]
                status = client.wait(sub, timeout=3600, poll=0.25)  # the learner's own client
                board = status.raw.get("board") or {}
                took = time.monotonic() - sent_at
                status = status.raw
                score = (status.get("result") or {}).get("score")
                with lock:
                    latencies.append(took)
                    if score != EXPECTED[answer] or board.get("total") != EXPECTED[answer]:
                        wrong.append(
                            f"learner {index}: {status['status']} score {score} board {board}"
                        )

            with ThreadPoolExecutor(args.learners) as pool:
                jobs = [pool.submit(learner, index) for index in range(args.learners)]
                while not all(job.done() for job in jobs):
                    time.sleep(30)
                    with lock:
                        done = sorted(latencies)
                    if done:
                        print(
                            f"  {time.monotonic() - start:4.0f} s: {len(done)} on the board, "
                            f"p50 so far {statistics.median(done):.1f} s",
                            flush=True,
                        )
                for job in jobs:
                    job.result()
            elapsed = time.monotonic() - start
            first_submit, last_done = offsets[0], elapsed
        finally:
            for client in locals().get("clients", []):
                client.close()
            stop_workshop(course, "bench", out=Path(scratch) / "export")
    print(
        f"workshop benchmark: {args.learners} learners submitting within {args.window:g} s; "
        f"{os.cpu_count()} cores, {workers} grading workers"
    )
    print(
        f"  submit -> score on the board: p50 {statistics.median(latencies):.1f} s, "
        f"p90 {percentile(latencies, 0.9):.1f} s, p99 {percentile(latencies, 0.99):.1f} s, "
        f"max {max(latencies):.1f} s"
    )
    print(
        f"  graded: {len(latencies)} in {last_done - first_submit:.0f} s "
        f"= {60 * len(latencies) / (last_done - first_submit):.1f} submissions per minute"
    )
    print(f"  wrong scores: {len(wrong)}" + "".join(f"\n    {w}" for w in wrong[:5]))
    load = os.getloadavg()
    print(f"  load average at the end: {load[0]:.1f} (other work on the machine slows grading)")


if __name__ == "__main__":
    main()
