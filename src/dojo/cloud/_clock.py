"""The fake clock and the scheduler of due work.

One clock drives everything time-dependent in the local cloud: SQS visibility and delays (moto reads
the patched ``time``), async-invoke retries, stream-mapping retries, batching windows and the
keep-alive of Lambda execution environments. It is built on time-machine, so ``time.time()``,
``datetime.now()`` and friends see the fake time in every thread of the process, handlers
included. Time never moves by itself (``tick=False``): it moves only when you call
:meth:`Clock.advance`, which runs every piece of due work in timestamp order.

Part II extends the scheduler (schedules, TTL sweeps): anything with a due time goes through
:meth:`Clock.call_at`, anything that polls (an event source mapping) registers a :class:`Poller`.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import time_machine

from ._errors import LocalCloudError
from ._lifecycle import StartStop

__all__ = ["DEFAULT_START", "Clock", "Poller", "ScheduledWork"]

DEFAULT_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
"""Where a new clock starts unless told otherwise (fixed, so runs are repeatable)."""

# time-machine keeps microseconds; a due time moved to may read back one float step earlier, so
# "due" means within a microsecond (otherwise advance() could stop just short of work forever).
_EPSILON = 1e-6


class Poller(Protocol):
    """Something that looks for work every time the cloud runs (an event source mapping)."""

    def poll(self, now: float) -> bool:
        """Deliver what is due at ``now``; return True if anything happened."""

    def next_wakeup(self, now: float) -> float | None:
        """The earliest future time at which :meth:`poll` may have work, or None."""


@dataclass(order=True)
class ScheduledWork:
    """One piece of work due at a point in (fake) time."""

    due: float
    seq: int
    label: str = field(compare=False)
    action: Callable[[], Any] = field(compare=False, repr=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Drop this work; it will not run."""
        self.cancelled = True


def _to_datetime(value: dt.datetime | str | float | None) -> dt.datetime:
    if value is None:
        return DEFAULT_START
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        return _to_datetime(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)


def _refuse_conflicting_time_libraries() -> None:
    freezegun_api = sys.modules.get("freezegun.api")
    if freezegun_api is not None and getattr(freezegun_api, "freeze_factories", None):
        raise LocalCloudError(
            "freezegun is active in this process; the local cloud's clock is built on "
            "time-machine and the two would fight over time. Stop freezegun first."
        )


class Clock(StartStop):
    """A fake clock built on time-machine, with a scheduler of due work.

    Use it as a context manager, a decorator or with :meth:`start`/:meth:`stop`. Inside a
    :class:`~dojo.cloud.LocalCloud` you get one as ``cloud.clock``.

    Args:
        start: Where time starts (datetime, ISO string or epoch seconds). Defaults to
            2025-01-01T00:00:00Z so that runs are repeatable.
        max_steps: Safety limit for :meth:`run_until_idle` (an event loop that never settles,
            such as a function that triggers itself, raises instead of hanging).

    Example:
        >>> with Clock("2025-01-01T00:00:00Z") as clock:
        ...     clock.advance(90)
        ...     clock.now().isoformat()
        '2025-01-01T00:01:30+00:00'
    """

    def __init__(self, start: dt.datetime | str | float | None = None, *, max_steps: int = 200_000):
        self._start_at = _to_datetime(start)
        self._travel: Any = None
        self._traveller: Any = None
        self._heap: list[ScheduledWork] = []
        self._seq = itertools.count()
        self._pollers: list[Poller] = []
        self.max_steps = max_steps
        self._running = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Clock:
        """Freeze time at the start instant; returns the clock."""
        if self._travel is not None:
            raise LocalCloudError("This clock is already running.")
        _refuse_conflicting_time_libraries()
        self._travel = time_machine.travel(self._start_at, tick=False)
        self._traveller = self._travel.start()
        return self

    def stop(self) -> None:
        """Give real time back to the process and drop pending work."""
        if self._travel is not None:
            self._travel.stop()
        self._travel = self._traveller = None
        self._heap.clear()
        self._pollers.clear()

    @property
    def running(self) -> bool:
        """Whether the clock is currently controlling time."""
        return self._travel is not None

    # -- reading ---------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The current fake time as an aware UTC datetime."""
        return dt.datetime.now(dt.UTC)

    def time(self) -> float:
        """The current fake time in epoch seconds."""
        import time

        return time.time()

    # -- moving ----------------------------------------------------------------------------
    def _require_running(self) -> None:
        if self._traveller is None:
            raise LocalCloudError("The clock is not running; use it inside `with clock:`.")

    def _move_to(self, when: float) -> None:
        self._require_running()
        if when > self.time():
            self._traveller.move_to(dt.datetime.fromtimestamp(when, tz=dt.UTC))

    def shift(self, seconds: float) -> None:
        """Move time forward without running any due work (used by ``sim_sleep``)."""
        self._require_running()
        if seconds < 0:
            raise ValueError(f"Time only moves forward; got shift({seconds}).")
        if seconds:
            self._traveller.shift(dt.timedelta(seconds=seconds))

    def advance(self, seconds: float) -> int:
        """Move time forward by ``seconds``, running all work that falls due, in time order.

        Args:
            seconds: How far to move (must not be negative).

        Returns:
            How many pieces of work ran.
        """
        if seconds < 0:
            raise ValueError(f"Time only moves forward; got advance({seconds}).")
        self._require_running()
        target = self.time() + seconds
        ran = self.run_until_idle()
        while True:
            nxt = self._next_due(self.time())
            if nxt is None or nxt > target:
                break
            self._move_to(nxt)
            ran += self.run_until_idle()
        self._move_to(target)
        ran += self.run_until_idle()
        return ran

    def advance_to(self, when: dt.datetime | str | float) -> int:
        """Move time forward to an absolute instant (see :meth:`advance`)."""
        return self.advance(max(0.0, _to_datetime(when).timestamp() - self.time()))

    sleep = advance

    # -- scheduling ------------------------------------------------------------------------
    def call_at(self, when: float, action: Callable[[], Any], label: str = "") -> ScheduledWork:
        """Run ``action`` when the clock reaches ``when`` (epoch seconds)."""
        work = ScheduledWork(
            when, next(self._seq), label or getattr(action, "__name__", "work"), action
        )
        heapq.heappush(self._heap, work)
        return work

    def call_later(self, delay: float, action: Callable[[], Any], label: str = "") -> ScheduledWork:
        """Run ``action`` after ``delay`` seconds of fake time."""
        return self.call_at(self.time() + delay, action, label)

    def add_poller(self, poller: Poller) -> None:
        """Register something that polls for work on every run."""
        if poller not in self._pollers:
            self._pollers.append(poller)

    def remove_poller(self, poller: Poller) -> None:
        """Stop polling ``poller``."""
        if poller in self._pollers:
            self._pollers.remove(poller)

    @property
    def pending(self) -> list[ScheduledWork]:
        """Scheduled work not yet run, in due order."""
        return sorted(w for w in self._heap if not w.cancelled)

    def _next_due(self, now: float) -> float | None:
        candidates = [w.due for w in self._heap if not w.cancelled and w.due > now + _EPSILON]
        for poller in list(self._pollers):
            wake = poller.next_wakeup(now)
            if wake is not None and wake > now + _EPSILON:
                candidates.append(wake)
        return min(candidates) if candidates else None

    def run_until_idle(self) -> int:
        """Run everything that is due now, until nothing more happens.

        Returns:
            How many pieces of work (scheduled items and poller deliveries) ran.

        Raises:
            LocalCloudError: if work keeps producing work beyond ``max_steps``.
        """
        if self._running:  # re-entrant call from inside a handler: the outer loop will finish
            return 0
        self._running = True
        ran = 0
        try:
            while True:
                progressed = False
                now = self.time()
                while self._heap and self._heap[0].due <= now + _EPSILON:
                    work = heapq.heappop(self._heap)
                    if work.cancelled:
                        continue
                    work.action()
                    ran += 1
                    progressed = True
                    self._check_steps(ran, work.label)
                    now = self.time()
                for poller in list(self._pollers):
                    if poller.poll(self.time()):
                        ran += 1
                        progressed = True
                        self._check_steps(ran, repr(poller))
                if not progressed:
                    return ran
        finally:
            self._running = False

    def _check_steps(self, ran: int, label: str) -> None:
        if ran > self.max_steps:
            raise LocalCloudError(
                f"run_until_idle ran {ran} pieces of work without settling (last: {label}). "
                "This usually means an event loop, such as a function that triggers itself "
                "through S3 or a queue; AWS stops such recursive loops too."
            )

    def __repr__(self) -> str:
        state = self.now().isoformat() if self.running else "stopped"
        return f"<Clock {state} pending={len(self.pending)}>"
