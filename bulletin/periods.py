"""Digest periods: a daily or weekly calendar period, or any since/until range, in one time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bulletin.errors import BulletinError


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` with a stable ``key`` (the digest ledger's and the file names' key)."""

    kind: str  # daily, weekly or custom
    key: str
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return day_span(self.start, self.end)

    def previous(self) -> tuple[datetime, datetime]:
        """The period of the same length just before this one (for comparisons)."""
        return self.start - (self.end - self.start), self.start


def last_day(end: datetime) -> date:
    """The last calendar day of a period ending (exclusively) at ``end``."""
    return (end - timedelta(microseconds=1)).date()


def day_span(start: datetime, end: datetime) -> str:
    """``[start, end)`` in inclusive calendar days: "2026-11-26", "2026-11-23 to 2026-11-29".

    The one formatter for a period's days: file names aside, every title, subject and
    "period" line says the same days.
    """
    first, last = start.date(), last_day(end)
    return first.isoformat() if last <= first else f"{first.isoformat()} to {last.isoformat()}"


def period_for(
    kind: str,
    zone: str,
    now: datetime,
    day: date | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Period:
    """The period to render.

    ``since``/``until`` (inclusive days) give a custom range. Otherwise ``day`` picks the
    daily period of that day or the weekly period (Monday to Sunday) containing it; with
    neither, the last complete day or week before ``now`` — what a morning digest covers.
    """
    tz = ZoneInfo(zone)
    if since or until:
        if not (since and until):
            raise BulletinError("give both --since and --until")
        if until < since:
            raise BulletinError(f"--until {until} is before --since {since}")
        return Period(
            "custom", f"custom:{since}..{until}", _midnight(since, tz), _midnight(until + timedelta(1), tz)
        )
    today = now.astimezone(tz).date()
    if kind == "daily":
        day = day or today - timedelta(days=1)
        return Period("daily", f"daily:{day}", _midnight(day, tz), _midnight(day + timedelta(1), tz))
    if kind == "weekly":
        day = day or today - timedelta(days=7)
        monday = day - timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return Period(
            "weekly",
            f"weekly:{year}-W{week:02d}",
            _midnight(monday, tz),
            _midnight(monday + timedelta(7), tz),
        )
    raise BulletinError(f"unknown period {kind!r}: daily or weekly")


def key_day(key: str) -> tuple[str, date]:
    """The kind and a day of a daily or weekly period's key (``period_for`` inverted)."""
    kind, _, rest = key.partition(":")
    try:
        if kind == "daily":
            return kind, date.fromisoformat(rest)
        if kind == "weekly":
            year, _, week = rest.partition("-W")
            return kind, date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        pass
    raise BulletinError(f"not a daily or weekly period: {key!r}")


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)
