"""Live updates: server-sent events that push a board (or a learner's progress) after each change.

After a write, :meth:`Live.changed` schedules one recomputation per distinct board that someone is
watching (bursts of awards within ``interval`` seconds are coalesced) and hands the same bytes to
every viewer of that board. Viewers are never asked to poll, so 500 open pages cost one board
computation per change, not 500 requests. Frozen boards do not change, so nothing is pushed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio

from dojo.leaderboard._boards import Boards

__all__ = ["Live", "Subscriber"]

# ("board", cohort, module, window, limit) or ("learner", cohort, public_id)
ViewKey = tuple[Any, ...]


@dataclass(eq=False)
class Subscriber:
    """One open stream: holds the latest board not yet sent."""

    key: ViewKey
    latest: bytes | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, data: bytes) -> None:
        """Replace the pending board (a slow viewer skips intermediate states)."""
        self.latest = data
        self.ready.set()

    def take(self) -> bytes | None:
        """Return and clear the pending board."""
        data, self.latest = self.latest, None
        self.ready.clear()
        return data


class Live:
    """Fan-out of board changes to open streams (lives on the server's event loop).

    Args:
        boards: Where boards come from.
        interval: Seconds to wait after a change before pushing, to coalesce bursts.
    """

    def __init__(self, boards: Boards, interval: float) -> None:
        self.boards = boards
        self.interval = interval
        self._subs: dict[ViewKey, set[Subscriber]] = {}
        self._last: dict[ViewKey, bytes] = {}
        self._pending: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def viewers(self) -> int:
        """How many streams are open."""
        return sum(len(s) for s in self._subs.values())

    async def subscribe(self, key: ViewKey) -> Subscriber:
        """Open a stream for a board; the current board is queued as its first message."""
        sub = Subscriber(key)
        self._subs.setdefault(key, set()).add(sub)
        data = await self._render(key)
        self._last[key] = data
        sub.offer(data)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Close a stream."""
        subs = self._subs.get(sub.key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.key]
                self._last.pop(sub.key, None)

    def changed(self, cohort: str) -> None:
        """Note that a cohort changed; push fresh boards to its viewers shortly."""
        if cohort in self._pending:
            return
        self._pending.add(cohort)
        task = asyncio.get_running_loop().create_task(self._push(cohort))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _render(self, key: ViewKey) -> bytes:
        kind, cohort_name, *args = key
        cohort = await anyio.to_thread.run_sync(self.boards.cohort, cohort_name)
        if kind == "learner":
            return await anyio.to_thread.run_sync(self.boards.learner_bytes, cohort, *args)
        return await anyio.to_thread.run_sync(self.boards.board_bytes, cohort, *args)

    async def _push(self, cohort: str) -> None:
        await asyncio.sleep(self.interval)
        self._pending.discard(cohort)
        for key in [k for k in self._subs if k[1] == cohort]:
            try:
                data = await self._render(key)
            except LookupError:
                continue
            if data == self._last.get(key):
                continue  # e.g. a frozen board: nothing new to show
            self._last[key] = data
            for sub in list(self._subs.get(key, ())):
                sub.offer(data)

    async def stream(self, sub: Subscriber, heartbeat: float) -> AsyncIterator[bytes]:
        """Yield server-sent-event frames for one subscriber until the client goes away."""
        try:
            yield b"retry: 1000\n\n"
            while True:
                try:
                    await asyncio.wait_for(sub.ready.wait(), heartbeat)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                data = sub.take()
                if data is not None:
                    yield b"event: " + sub.key[0].encode() + b"\ndata: " + data + b"\n\n"
        finally:
            self.unsubscribe(sub)
