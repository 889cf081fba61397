"""DynamoDB Time to Live: expired items are deleted as the fake clock moves.

moto stores the TTL setting and never expires anything. The sweeper (``cloud.ttl``) is a clock
poller: when a table with TTL enabled changes size it scans it, gives every item with a TTL a
deletion time ``expiry + lag`` (rounded up to the second) and deletes it when the clock gets
there, if its TTL attribute is still in the past (an extended TTL is rescheduled). A TTL
shortened by an update that does not change the item count is noticed at the old time.
Each deletion writes a ``REMOVE`` stream
record marked as a service deletion (``userIdentity {"type": "Service", "principalId":
"dynamodb.amazonaws.com"}``), which stream mappings deliver like any other record.

As on AWS, only Number attributes holding epoch seconds count, and items whose TTL is more than
five years in the past are ignored. The lag is seeded per item, so runs repeat:

* ``"minutes"`` (default): uniform between 0 and 5 minutes;
* ``"aws"``: AWS's documented spread ("typically within 48 hours"; observed median about 30
  minutes): log-normal around 30 minutes, capped at 48 hours;
* ``"immediate"``, a number of seconds, or a ``(low, high)`` range in seconds.
"""

from __future__ import annotations

import heapq
import math
import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._cloud import LocalCloud

__all__ = ["SERVICE_IDENTITY", "TtlSweeper"]

_EPS = 1e-6  # due within a microsecond counts as due (see dojo.cloud._clock)

SERVICE_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
"""The ``userIdentity`` of a stream record for an item TTL deleted."""

_FIVE_YEARS = 5 * 365 * 86400.0
_CAP = 48 * 3600.0


class TtlSweeper:
    """Deletes expired DynamoDB items on the fake clock (``cloud.ttl``).

    Attributes:
        lag: How long after expiry an item goes (see the module docstring).
        deleted: How many items TTL has deleted in this cloud.
    """

    def __init__(self, cloud: LocalCloud, lag: Any = "minutes") -> None:
        self.cloud = cloud
        self.lag = lag
        self.deleted = 0
        self._heap: list[tuple[float, int, tuple[str, str, str], Any, Any]] = []
        self._scheduled: dict[tuple[tuple[str, str, str], Any, Any], float] = {}
        self._scans: dict[tuple[str, str, str], tuple[str, int]] = {}
        self._seq = 0
        cloud.clock.add_poller(self)

    def configure(self, lag: Any) -> None:
        """Set the lag for items not yet scheduled (``"minutes"``, ``"aws"``, seconds, range)."""
        self._delay(("", "", ""), "probe", 0.0, lag)  # validate now, not at the first sweep
        self.lag = lag
        self._heap.clear()
        self._scheduled.clear()
        self._scans.clear()

    def _delay(
        self, table: tuple[str, str, str], key: Any, expiry: float, lag: Any = None
    ) -> float:
        lag = self.lag if lag is None else lag
        rng = random.Random(f"{self.cloud.seed}:{table}:{key}:{expiry}")
        if lag == "immediate":
            return 0.0
        if lag == "minutes":
            return rng.uniform(0.0, 300.0)
        if lag == "aws":
            return min(_CAP, rng.lognormvariate(math.log(1800.0), 1.0))
        if isinstance(lag, (int, float)) and lag >= 0:
            return float(lag)
        if isinstance(lag, tuple) and len(lag) == 2 and 0 <= lag[0] <= lag[1]:
            return rng.uniform(float(lag[0]), float(lag[1]))
        raise ValueError(
            f"TTL lag {lag!r} is not one of 'minutes', 'aws', 'immediate', a number of seconds "
            "or a (low, high) range"
        )

    # -- moto's tables -----------------------------------------------------------------------
    @staticmethod
    def _tables() -> list[tuple[tuple[str, str, str], Any]]:
        from moto.dynamodb.models import dynamodb_backends

        found = []
        for account, regions in list(dynamodb_backends.items()):
            for region, backend in list(regions.items()):
                for name, table in list(backend.tables.items()):
                    ttl = getattr(table, "ttl", None) or {}
                    if ttl.get("TimeToLiveStatus") == "ENABLED" and ttl.get("AttributeName"):
                        found.append(((account, region, name), table))
        return found

    @staticmethod
    def _items(table: Any) -> list[tuple[Any, Any, Any]]:
        out = []
        for hash_key, value in list(table.items.items()):
            if table.range_key_attr is None:
                out.append((hash_key, None, value))
            else:
                out.extend((hash_key, range_key, item) for range_key, item in list(value.items()))
        return out

    @staticmethod
    def _expiry(item: Any, attribute: str) -> float | None:
        value = item.attrs.get(attribute)
        if value is None or value.type != "N":
            return None
        try:
            return float(value.value)
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _signature(table: Any) -> tuple[str, int]:
        # O(1) for hash-only tables (one item per partition), O(partitions) otherwise.
        size = len(table.items) if table.range_key_attr is None else len(table)
        return str(table.ttl.get("AttributeName")), size

    def _schedule(
        self,
        table_id: tuple[str, str, str],
        hash_key: Any,
        range_key: Any,
        expiry: float,
        now: float,
    ) -> None:
        key = (hash_key.value, getattr(range_key, "value", None))
        # Whole seconds: deletions due in the same second go together (fewer clock stops).
        due = max(math.ceil(now), math.ceil(expiry + self._delay(table_id, key, expiry)))
        entry = (table_id, hash_key, range_key)
        self._scheduled[entry] = due
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, table_id, hash_key, range_key))

    def _scan(self, now: float) -> None:
        """Schedule every item with a TTL, in tables that changed since the last scan.

        Items are scheduled at ``expiry + lag`` whether or not they have expired yet, so the
        clock stops when a deletion is due without rescanning; a table is rescanned only when
        its item count (or TTL attribute) changes other than by the sweeper's own deletions.
        """
        for table_id, table in self._tables():
            signature = self._signature(table)
            if self._scans.get(table_id) == signature:
                continue
            self._scans[table_id] = signature
            attribute = table.ttl["AttributeName"]
            for hash_key, range_key, item in self._items(table):
                expiry = self._expiry(item, attribute)
                if expiry is None or now - expiry > _FIVE_YEARS:
                    continue
                if (table_id, hash_key, range_key) in self._scheduled:
                    continue
                self._schedule(table_id, hash_key, range_key, expiry, now)

    # -- poller --------------------------------------------------------------------------------
    def _top(self) -> float | None:
        while self._heap:
            due, _, table_id, hash_key, range_key = self._heap[0]
            if self._scheduled.get((table_id, hash_key, range_key)) == due:
                return due
            heapq.heappop(self._heap)  # superseded
        return None

    def next_wakeup(self, now: float) -> float | None:
        self._scan(now)
        due = self._top()
        return due if due is not None and due > now + _EPS else None

    def poll(self, now: float) -> bool:
        self._scan(now)
        by_table: dict[tuple[str, str, str], int] = {}
        while (due := self._top()) is not None and due <= now + _EPS:
            _, _, table_id, hash_key, range_key = heapq.heappop(self._heap)
            del self._scheduled[(table_id, hash_key, range_key)]
            if self._delete(table_id, hash_key, range_key, now):
                by_table[table_id] = by_table.get(table_id, 0) + 1
        for table_id, table in self._tables():
            if table_id in by_table:  # our own deletions do not call for a rescan
                self._scans[table_id] = self._signature(table)
        for (_account, _region, name), count in by_table.items():
            self.cloud.trace.record(
                "dynamodb:ttl",
                f"dynamodb:{name}",
                "delivery",
                f"TTL deleted {count} expired item{'s' if count != 1 else ''}",
                "ok",
                deleted=count,
            )
        return bool(by_table)

    def _delete(
        self, table_id: tuple[str, str, str], hash_key: Any, range_key: Any, now: float
    ) -> bool:
        from moto.dynamodb.models import dynamodb_backends

        account, region, name = table_id
        table = dynamodb_backends[account][region].tables.get(name)
        if table is None:
            return False
        try:
            item = (
                table.items[hash_key][range_key] if range_key is not None else table.items[hash_key]
            )
        except KeyError:
            return False
        expiry = self._expiry(item, table.ttl.get("AttributeName", ""))
        if expiry is None:  # TTL attribute removed meanwhile
            return False
        if expiry > now + _EPS:  # TTL extended meanwhile: schedule the new expiry
            self._schedule(table_id, hash_key, range_key, expiry, now)
            return False
        shard = table.stream_shard
        before = len(shard.items) if shard is not None else 0
        table.delete_item(hash_key, range_key)
        if shard is not None and len(shard.items) > before:
            # The wire shape of GetRecords; Lambda events get it as {"type", "principalId"}.
            shard.items[-1].record["userIdentity"] = {
                "Type": SERVICE_IDENTITY["type"],
                "PrincipalId": SERVICE_IDENTITY["principalId"],
            }
        self.deleted += 1
        return True

    def __repr__(self) -> str:
        return f"<DynamoDB TTL sweeper lag={self.lag!r} deleted={self.deleted}>"
