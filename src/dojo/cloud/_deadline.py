"""The time budget of a running handler: deadlines, the watchdog and simulated sleep.

A handler runs on the caller's thread while one watchdog thread watches its deadline
(``Timeout`` minus the simulated time consumed with :func:`sim_sleep`). At the deadline the
watchdog raises :class:`TimedOut` in the handler's thread; it derives from BaseException, so
``except Exception`` in user code cannot swallow it. CPython delivers it at the next Python
instruction, so pure-Python loops stop at once but a call blocked in C (``time.sleep``, network
I/O) stops only when it returns. Mode ``"thread"`` instead runs the handler in a worker thread
and returns on time even then (a thread switch per invoke); the abandoned thread is asked to stop
the same way. Nested invocations each have their own deadline: an outer deadline passes through
an inner invocation to the invocation it belongs to.
"""

from __future__ import annotations

import ctypes
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ._active import active, current_invocation, set_current_invocation

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["Invocation", "TimedOut", "run_with_deadline", "sim_sleep"]


class TimedOut(BaseException):
    """Raised inside a handler whose simulated time ran past its Timeout."""


class Invocation:
    """The state of one running handler (thread-local while it runs)."""

    def __init__(
        self, function_name: str, request_id: str, timeout_s: float, cloud: LocalCloud | None
    ):
        self.function_name = function_name
        self.request_id = request_id
        self.timeout_s = timeout_s
        self.cloud = cloud
        self.start_real = time.perf_counter()
        self.sim_elapsed = 0.0
        self.fired = False  # set when this invocation's deadline raised TimedOut

    def deadline(self) -> float:
        """The ``perf_counter`` value at which this invocation times out."""
        return self.start_real + self.timeout_s - self.sim_elapsed

    def elapsed_s(self) -> float:
        return (time.perf_counter() - self.start_real) + self.sim_elapsed

    def remaining_ms(self) -> float:
        return (self.timeout_s - self.elapsed_s()) * 1000.0

    def sim_sleep(self, seconds: float) -> None:
        self.sim_elapsed += seconds
        if self.cloud is not None and self.cloud.clock.running:
            self.cloud.clock.shift(seconds)
        if self.remaining_ms() <= 0:
            self.fired = True
            raise TimedOut()
        _WATCHDOG.poke()  # the deadline moved earlier


class _Watchdog:
    """One daemon thread that raises TimedOut in threads whose handler ran past its deadline.

    The handler runs on the caller's thread (no thread switch per invoke, debuggers and
    Ctrl-C work); the exception arrives at the handler's next Python instruction, so a call
    blocked in C (``time.sleep``, a socket read) is stopped only when it returns.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[int, Invocation]] = {}
        self._tokens: Iterator[int] = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, invocation: Invocation) -> int:
        with self._cond:
            token = next(self._tokens)
            self._armed[token] = (threading.get_ident(), invocation)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="dojo-lambda-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def poke(self) -> None:
        with self._cond:
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._armed:
                    self._cond.wait()
                    continue
                token, (thread_id, invocation) = min(
                    self._armed.items(), key=lambda kv: kv[1][1].deadline()
                )
                wait = invocation.deadline() - time.perf_counter()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                del self._armed[token]
                invocation.fired = True
                _raise_in_thread(thread_id)


_WATCHDOG = _Watchdog()


def _raise_in_thread(thread_id: int) -> None:
    """Raise TimedOut in another thread (CPython delivers it at that thread's next bytecode)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(TimedOut)
    )


def _stop_thread(thread: threading.Thread) -> None:
    """Ask an abandoned handler thread to stop (pure-Python loops stop at once)."""
    if thread.ident is not None:
        _raise_in_thread(thread.ident)


def sim_sleep(seconds: float) -> None:
    """Sleep in simulated time.

    Inside a handler, the seconds move the cloud's clock and count toward the function's
    ``Timeout`` (a handler that sleeps past it fails with "Task timed out"). Outside a handler
    but inside a cloud, it moves the clock without running due work. Outside any cloud it is
    ``time.sleep``.

    Args:
        seconds: How long to sleep (not negative).
    """
    if seconds < 0:
        raise ValueError(f"sim_sleep() needs seconds >= 0, got {seconds}")
    invocation = current_invocation()
    if invocation is not None:
        invocation.sim_sleep(seconds)
        return
    cloud = active()
    if cloud is not None:
        cloud.clock.shift(seconds)
    else:
        time.sleep(seconds)


def run_with_deadline(
    call: Callable[[], None], invocation: Invocation, mode: bool | str
) -> tuple[bool, BaseException | None]:
    """Run ``call`` within the invocation's time budget.

    Args:
        call: Runs the handler (and stores its result itself).
        invocation: The running invocation (its deadline and thread-local identity).
        mode: True (watchdog), ``"thread"`` (worker thread) or False (no enforcement beyond
            simulated time and the duration measured afterwards).

    Returns:
        (timed_out, error): whether the deadline passed, and the exception the handler raised.
    """
    if mode == "thread":
        return _run_in_worker(call, invocation)
    timed_out = False
    error: BaseException | None = None
    outer = current_invocation()
    set_current_invocation(invocation)
    token = _WATCHDOG.arm(invocation) if mode else None
    try:
        try:
            call()
        except TimedOut:
            if not invocation.fired:
                raise  # an outer invocation's deadline: let it reach that invocation
            timed_out = True
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            error = exc
        finally:
            if token is not None:
                _WATCHDOG.disarm(token)
    except TimedOut:  # delivered between the handler's return and disarm
        if not invocation.fired:
            raise
        timed_out = True
    finally:
        set_current_invocation(outer)
    # A handler that returns after its Timeout has timed out, whether or not the watchdog got
    # to interrupt it (it cannot while a C call such as time.sleep runs, or on a loaded machine).
    if invocation.remaining_ms() <= 0:
        timed_out = True
    return timed_out, error


def _run_in_worker(
    call: Callable[[], None], invocation: Invocation
) -> tuple[bool, BaseException | None]:
    box: dict[str, Any] = {"timed_out": False, "error": None}

    def target() -> None:
        set_current_invocation(invocation)
        try:
            call()
        except TimedOut:
            box["timed_out"] = True
        except BaseException as exc:
            box["error"] = exc
        finally:
            set_current_invocation(None)

    thread = threading.Thread(target=target, name=f"lambda:{invocation.function_name}", daemon=True)
    thread.start()
    while True:
        thread.join(max(0.0, invocation.remaining_ms() / 1000.0))
        if not thread.is_alive():
            return bool(box["timed_out"]), box["error"]
        if invocation.remaining_ms() <= 0:
            invocation.fired = True
            _stop_thread(thread)
            return True, None
