"""Schedule expressions as EventBridge and EventBridge Scheduler read them: rate(), cron(), at().

Pure functions, no moto: :func:`parse` validates an expression with AWS's rules (``rate(1 minute)``
is singular, ``rate(5 minutes)`` plural, the minimum is one minute; cron has six fields with ``?``
in one of the day fields) and returns a :class:`Schedule` whose :meth:`Schedule.next_after` gives
the next fire time. The same code backs the course's cron next-fire calculator.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

__all__ = ["Schedule", "ScheduleError", "parse"]

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {d: i + 1 for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}


class ScheduleError(ValueError):
    """An expression AWS would reject; the message says why."""


@dataclass(frozen=True)
class _Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: str
    months: frozenset[int]
    dow: str
    years: frozenset[int]

    def _dom_matches(self, day: dt.date) -> bool:
        spec = self.dom
        if spec == "?":
            return True
        last = calendar.monthrange(day.year, day.month)[1]
        for part in spec.split(","):
            if part == "L":
                if day.day == last:
                    return True
            elif part.endswith("W"):
                target = min(int(part[:-1]), last)
                weekday = dt.date(day.year, day.month, target).weekday()
                if weekday == 5:  # Saturday -> Friday before (or Monday after on the 1st)
                    target = target - 1 if target > 1 else target + 2
                elif weekday == 6:
                    target = target + 1 if target < last else target - 2
                if day.day == target:
                    return True
            elif day.day in _expand(part, 1, 31, {}):
                return True
        return False

    def _dow_matches(self, day: dt.date) -> bool:
        spec = self.dow
        if spec == "?":
            return True
        aws_dow = (day.weekday() + 1) % 7 + 1  # SUN=1 ... SAT=7
        for part in spec.split(","):
            if "#" in part:
                name, nth = part.split("#")
                if aws_dow == _value(name, _DAYS) and (day.day - 1) // 7 + 1 == int(nth):
                    return True
            elif part.endswith("L") and part != "L":
                last = calendar.monthrange(day.year, day.month)[1]
                if aws_dow == _value(part[:-1], _DAYS) and day.day + 7 > last:
                    return True
            elif part == "L":
                if aws_dow == 7:
                    return True
            elif aws_dow in _expand(part, 1, 7, _DAYS):
                return True
        return False

    def day_matches(self, day: dt.date) -> bool:
        return (
            day.year in self.years
            and day.month in self.months
            and self._dom_matches(day)
            and self._dow_matches(day)
        )


def _value(token: str, names: dict[str, int]) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise ScheduleError(f"{token!r} is not a number or a known name")
    return int(token)


def _expand(field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ScheduleError(f"step {step} must be at least 1")
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise ScheduleError(f"{part!r} is outside {low}-{high}")
        if end < start:  # wrap-around ranges such as FRI-MON
            values.update(range(start, high + 1, step))
            values.update(range(low, end + 1, step))
        else:
            values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule expression.

    Attributes:
        kind: ``rate``, ``cron`` or ``at``.
        expression: The text as given.
        period: Seconds between fires (rate only).
        at: The one-time instant, naive local time (at only).
    """

    kind: str
    expression: str
    period: float = 0.0
    at: dt.datetime | None = None
    cron: _Cron | None = None

    def next_after(
        self, after: float, *, anchor: float | None = None, tz: str = "UTC"
    ) -> float | None:
        """The first fire time strictly after ``after`` (epoch seconds), or None if no more.

        Args:
            after: Epoch seconds; the result is later than this.
            anchor: For ``rate``: when the schedule started (fires at anchor + k * period).
            tz: IANA time zone for ``cron`` and ``at`` (EventBridge rules always use UTC).
        """
        zone = ZoneInfo(tz)
        if self.kind == "rate":
            start = after if anchor is None else anchor
            if after < start + self.period:
                return start + self.period
            k = int((after - start) // self.period) + 1
            return start + k * self.period
        if self.kind == "at":
            assert self.at is not None
            when = self.at.replace(tzinfo=zone).timestamp()
            return when if when > after else None
        assert self.cron is not None
        local = dt.datetime.fromtimestamp(after, tz=zone)
        day = local.date()
        last_year = max(self.cron.years)
        while day.year <= last_year:
            if day.year not in self.cron.years:
                day = dt.date(day.year + 1, 1, 1)
                continue
            if self.cron.day_matches(day):
                for hour in sorted(self.cron.hours):
                    for minute in sorted(self.cron.minutes):
                        moment = dt.datetime(
                            day.year, day.month, day.day, hour, minute, tzinfo=zone
                        )
                        stamp = moment.timestamp()
                        if stamp > after:
                            return stamp
            day += dt.timedelta(days=1)
        return None


def parse(expression: str, *, allow_at: bool = False) -> Schedule:
    """Validate ``expression`` as AWS does and parse it.

    Args:
        expression: ``rate(5 minutes)``, ``cron(0 12 * * ? *)`` or (Scheduler only)
            ``at(2025-01-01T10:00:00)``.
        allow_at: Accept one-time ``at()`` expressions (EventBridge Scheduler, not rules).

    Raises:
        ScheduleError: with the reason AWS would give.
    """
    text = (expression or "").strip()
    match = _RATE.match(text)
    if match:
        value, unit = int(match.group(1)), match.group(2)
        if value < 1:
            raise ScheduleError(f"{text}: the rate must be a positive number")
        if value == 1 and unit.endswith("s"):
            raise ScheduleError(f"{text}: use the singular unit for 1 ({unit[:-1]})")
        if value > 1 and not unit.endswith("s"):
            raise ScheduleError(f"{text}: use the plural unit for {value} ({unit}s)")
        return Schedule("rate", text, period=float(value * _UNIT[unit.rstrip("s")]))
    match = _AT.match(text)
    if match:
        if not allow_at:
            raise ScheduleError(f"{text}: at() is for EventBridge Scheduler, not rules")
        try:
            when = dt.datetime.fromisoformat(match.group(1))
        except ValueError as exc:
            raise ScheduleError(f"{text}: {exc}") from None
        return Schedule("at", text, at=when)
    match = _CRON.match(text)
    if match:
        fields = match.group(1).split()
        if len(fields) != 6:
            raise ScheduleError(
                f"{text}: cron needs six fields (minutes hours day-of-month month day-of-week "
                f"year), got {len(fields)}"
            )
        minutes, hours, dom, month, dow, year = fields
        if (dom == "?") == (dow == "?"):
            raise ScheduleError(f"{text}: exactly one of day-of-month and day-of-week must be '?'")
        try:
            cron = _Cron(
                _expand(minutes, 0, 59, {}),
                _expand(hours, 0, 23, {}),
                dom,
                _expand(month, 1, 12, _MONTHS),
                dow,
                _expand(year, 1970, 2199, {}),
            )
            probe = dt.date(2025, 1, 1)
            cron._dom_matches(probe)
            cron._dow_matches(probe)
        except (ScheduleError, ValueError) as exc:
            raise ScheduleError(f"{text}: {exc}") from None
        return Schedule("cron", text, cron=cron)
    kinds = "rate(), cron() or at()" if allow_at else "rate() or cron()"
    raise ScheduleError(f"{text!r} is not a valid schedule expression; use {kinds}")
