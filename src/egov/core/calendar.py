"""The working-day calendar: one place that answers "when is N units after t".

Rules (reference §8, DESIGN.md "Calendar"):

* Working days are Monday to Friday, minus public holidays from ``holidays`` (VN, with the days the
  Prime Minister moves: "Day off (substituted from ...)"), plus the Saturdays worked to compensate,
  plus the overrides an admin records (``CalendarDay``). A Saturday-morning day (for the whole calendar
  or one date) is a working day whose hours end at noon.
* Receipt: a dossier received on a working day before the cut-off (15:00) is received that day;
  received later, or on a day off, it counts as received on the next working day
  (Decree 61/2018 art. 18.2-3; Law on Civil Status art. 5.3).
* Periods in days do not count the day of receipt (Civil Code art. 147): N working days end at the
  close of the N-th working day after the receipt day. N calendar days end on the N-th day after it,
  moved to the next working day when that is a day off (Civil Code art. 148.5).
* Working hours are counted inside the working periods only (default 07:30-11:30, 13:00-17:00).
* "Same day" is due at the close of the receipt day (so after 15:00, at the close of the next working day).

Times come in aware (any zone), are computed in Asia/Ho_Chi_Minh and go out aware in that zone.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import holidays

from .choices import CalendarDayKind, TimeUnit

LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
_MAX_SCAN_DAYS = 3 * 366


@lru_cache(maxsize=64)
def _national_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """The days off listed under ``year`` and the days worked in exchange for them (in any year)."""
    vn = holidays.country_holidays("VN", years=year, language="en_US")
    days_off = frozenset(vn.keys())
    worked: set[dt.date] = set()
    for name in vn.values():
        for match in _SUBSTITUTED.finditer(name):
            month, day, yr = (int(g) for g in match.groups())
            worked.add(dt.date(yr, month, day))
    return days_off, frozenset(worked)


@lru_cache(maxsize=64)
def national_days(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Public holidays of ``year`` and the Saturdays/Sundays of ``year`` worked in exchange for a moved day off.

    A swap can cross New Year: 02/01/2015 was taken off in exchange for Saturday 27/12/2014, and
    31/12/2018 for Saturday 05/01/2019, so the neighbouring years' substitutions are read too.
    """
    days_off = _national_year(year)[0]
    worked = frozenset(
        day
        for other in range(max(dt.MINYEAR, year - 1), min(dt.MAXYEAR, year + 1) + 1)
        for day in _national_year(other)[1]
        if day.year == year
    )
    return days_off, worked


@dataclass(frozen=True)
class WorkingCalendar:
    """An immutable snapshot of a ``Calendar`` row and its overrides, safe to share between threads."""

    morning: tuple[dt.time, dt.time] = (dt.time(7, 30), dt.time(11, 30))
    afternoon: tuple[dt.time, dt.time] = (dt.time(13, 0), dt.time(17, 0))
    saturday_morning: bool = False
    cutoff: dt.time = dt.time(15, 0)
    use_national_holidays: bool = True
    overrides: dict[dt.date, str] = field(default_factory=dict)

    # ---- days -------------------------------------------------------------------------------
    def periods(self, day: dt.date) -> tuple[tuple[dt.time, dt.time], ...]:
        """The working periods of ``day`` (empty on a day off)."""
        kind = self.overrides.get(day)
        if kind == CalendarDayKind.HOLIDAY:
            return ()
        if kind == CalendarDayKind.WORKING_DAY:
            return (self.morning, self.afternoon)
        if kind == CalendarDayKind.MORNING_ONLY:
            return (self.morning,)
        if self.use_national_holidays:
            days_off, worked = national_days(day.year)
            if day in days_off:
                return ()
            if day in worked:
                return (self.morning, self.afternoon)
        weekday = day.weekday()
        if weekday < 5:
            return (self.morning, self.afternoon)
        if weekday == 5 and self.saturday_morning:
            return (self.morning,)
        return ()

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.periods(day))

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day within three years; check the calendar overrides")

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def close_of(self, day: dt.date) -> dt.datetime:
        """The end of the last working period of ``day``."""
        periods = self.periods(day)
        end = periods[-1][1] if periods else self.afternoon[1]
        return dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)

    def opening_of(self, day: dt.date) -> dt.datetime:
        periods = self.periods(day)
        start = periods[0][0] if periods else self.morning[0]
        return dt.datetime.combine(day, start, tzinfo=LOCAL_TZ)

    def hours_per_day(self) -> Decimal:
        return _hours(self.morning) + _hours(self.afternoon)

    # ---- receipt ----------------------------------------------------------------------------
    def receipt_day(self, received_at: dt.datetime) -> dt.date:
        """The day a dossier counts as received: after the cut-off (or the day's close, if earlier) or on a
        day off, the next working day (Decree 61/2018 art. 18.2-3)."""
        local = _local(received_at)
        periods = self.periods(local.date())
        # On a morning-only day the office closes before the cut-off; a dossier received after the
        # close would otherwise be "due today" at a time already past.
        if periods and local.time() < min(self.cutoff, periods[-1][1]):
            return local.date()
        return self.next_working_day(local.date())

    # ---- periods ----------------------------------------------------------------------------
    def due(self, start: dt.datetime, amount: Decimal | int | float | str, unit: str) -> dt.datetime:
        """When a period of ``amount`` ``unit`` that starts at ``start`` ends."""
        amount = Decimal(str(amount))
        if amount < 0:
            raise ValueError("amount must not be negative")
        if unit == TimeUnit.WORKING_HOURS:
            return self.add_working_hours(start, amount)
        day = self.receipt_day(start)
        if unit == TimeUnit.SAME_DAY:
            return self.close_of(day)
        whole = int(amount)
        fraction = amount - whole
        if unit == TimeUnit.WORKING_DAYS:
            for _ in range(whole):
                day = self.next_working_day(day)
            if fraction:
                return self.add_working_hours(
                    self.opening_of(self.next_working_day(day)), fraction * self.hours_per_day()
                )
            return self.close_of(day)
        if unit == TimeUnit.DAYS:
            if fraction:
                whole += 1  # a part of a calendar day is counted as a whole day
            return self.close_of(self.working_day_on_or_after(day + dt.timedelta(days=whole)))
        raise ValueError(f"unknown time unit {unit!r}")

    def add_working_hours(self, start: dt.datetime, hours: Decimal | int | float | str) -> dt.datetime:
        """``start`` plus ``hours`` of working time, counted only inside the working periods."""
        remaining = dt.timedelta(hours=float(Decimal(str(hours))))
        if remaining < dt.timedelta(0):
            raise ValueError("hours must not be negative")
        cursor = _local(start)
        day = cursor.date()
        for _ in range(_MAX_SCAN_DAYS):
            for begin, end in self.periods(day):
                period_start = dt.datetime.combine(day, begin, tzinfo=LOCAL_TZ)
                period_end = dt.datetime.combine(day, end, tzinfo=LOCAL_TZ)
                if cursor >= period_end:
                    continue
                cursor = max(cursor, period_start)
                available = period_end - cursor
                if remaining <= available:
                    # A period that ends exactly at a break ends there, not at the next opening.
                    return cursor + remaining
                remaining -= available
                cursor = period_end
            day += dt.timedelta(days=1)
            cursor = max(cursor, dt.datetime.combine(day, dt.time(0), tzinfo=LOCAL_TZ))
        raise ValueError("period too long for the calendar")

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        """Working time from ``start`` to ``end`` in hours (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_hours_between(end, start)
        a, b = _local(start), _local(end)
        total = dt.timedelta(0)
        day = a.date()
        while day <= b.date():
            for begin, finish in self.periods(day):
                lo = max(a, dt.datetime.combine(day, begin, tzinfo=LOCAL_TZ))
                hi = min(b, dt.datetime.combine(day, finish, tzinfo=LOCAL_TZ))
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return Decimal(total.total_seconds()) / Decimal(3600)


def _hours(period: tuple[dt.time, dt.time]) -> Decimal:
    start, end = period
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return Decimal(minutes) / Decimal(60)


def _local(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)


# ---- loading from the database --------------------------------------------------------------
_CACHE_SECONDS = 30.0
_cache: dict[int | None, tuple[float, WorkingCalendar]] = {}
_cache_lock = threading.Lock()
# Bumped by every invalidation, so a snapshot loaded before a change is not stored after it.
_generation = 0


def get_calendar(calendar_id: int | None = None) -> WorkingCalendar:
    """The default calendar (or ``calendar_id``), cached for a few seconds per process.

    Overrides changed through ``calendar_day_set`` clear this process's cache at once; other
    worker processes see them within ``_CACHE_SECONDS``.
    """
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(calendar_id)
        if hit and now - hit[0] < _CACHE_SECONDS:
            return hit[1]
        generation = _generation
    snapshot = _load(calendar_id)
    with _cache_lock:
        if generation == _generation:
            _cache[calendar_id] = (now, snapshot)
    return snapshot


def invalidate_calendar_cache() -> None:
    global _generation
    with _cache_lock:
        _generation += 1
        _cache.clear()


def _load(calendar_id: int | None) -> WorkingCalendar:
    from .models import Calendar

    qs = Calendar.objects.all()
    row = qs.filter(pk=calendar_id).first() if calendar_id else qs.filter(is_default=True).first()
    if row is None:
        return WorkingCalendar()
    return WorkingCalendar(
        morning=(row.morning_start, row.morning_end),
        afternoon=(row.afternoon_start, row.afternoon_end),
        saturday_morning=row.saturday_morning,
        cutoff=row.cutoff,
        use_national_holidays=row.use_national_holidays,
        overrides={d.date: d.kind for d in row.days.all()},
    )


def warm_up(today: dt.date | None = None) -> None:
    """Load the national holidays of this year and the next into the per-process cache.

    The ``holidays`` package imports and builds a country's calendar on first use (about half a second),
    so a web worker that has not computed a deadline yet would make the first reception it serves wait;
    ``config/wsgi.py`` calls this once per server process instead.
    """
    year = (today or dt.date.today()).year
    for y in (year, year + 1):
        national_days(y)
