"""Read a date as bulletins write it ("in April 2023", "on Tuesday", "last year") from its tokens.

A date is read in two steps: ``date_parts`` takes what the words say (a year, a month, a
day, a weekday, or a step back from the publication day such as "last year"), and
``resolve`` turns those parts into an ISO date as precise as the text is, given the day
the article was published: "2023-04-11", "2023-04" or "2023". A duration ("six years")
has no parts, so it is never taken for a date.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

logger = logging.getLogger(__name__)

MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_ORDINAL_ENDS = ("st", "nd", "rd", "th")
_FIRST_YEAR, _LAST_YEAR = 1950, 2100


@dataclass(frozen=True, slots=True)
class DateParts:
    """What a date's words say. ``back`` is a step back from the publication day:
    ("year", 1) for "last year", ("month", 0) for "this month", ("day", 1) for "yesterday"."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    back_unit: str | None = None
    back: int = 0

    @property
    def empty(self) -> bool:
        return self.year is None and self.month is None and self.weekday is None and self.back_unit is None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and not (k == "back" and v == 0)}


def _day_number(word: str) -> int | None:
    word = word.rstrip(".,")
    for end in _ORDINAL_ENDS:
        if word.endswith(end) and word[: -len(end)].isdigit():
            word = word[: -len(end)]
            break
    if word.isdigit() and 1 <= int(word) <= 31 and len(word) <= 2:
        return int(word)
    return None


def date_parts(words: Iterable[str]) -> DateParts:
    """The parts of a date from its words (a DATE entity's tokens, lower-cased or not)."""
    tokens = [w.casefold().strip(",") for w in words]
    tokens = [t for t in tokens if t]
    year = month = day = weekday = None
    month_at = -2
    back_unit: str | None = None
    back = 0
    numbers: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        bare = token.rstrip(".")
        before = tokens[index - 1] if index else ""
        if bare in MONTHS and month is None:
            # "may" is a month only beside a number ("May 5", "in May 2023", "5 May").
            near = [t for t in tokens[max(0, index - 1) : index + 2] if t != token]
            if bare == "may" and not any(_day_number(t) or t.isdigit() for t in near) and len(tokens) > 1:
                continue
            month, month_at = MONTHS[bare], index
        elif bare in WEEKDAYS:
            weekday = WEEKDAYS[bare]
        elif bare.isdigit() and len(bare) == 4 and _FIRST_YEAR <= int(bare) < _LAST_YEAR:
            year = int(bare)
        elif bare in ("yesterday", "today", "tonight"):
            back_unit, back = "day", 1 if bare == "yesterday" else 0
        elif bare in ("year", "month") and before in ("last", "this", "past", "previous"):
            back_unit, back = bare, 0 if before == "this" else 1
        elif (number := _day_number(bare)) is not None:
            numbers.append((index, number))
    # A day is the number right beside the month ("May 5", "5 May", "the 5th of May"), never
    # a number elsewhere in the entity ("January to 10 years").
    for index, number in numbers:
        if index in (month_at - 1, month_at + 1) or (index == month_at - 2 and tokens[month_at - 1] == "of"):
            day = number
            break
    if year is None and month is None and weekday is None and back_unit is None:
        return DateParts()
    if weekday is not None and (month is not None or year is not None):
        weekday = None  # "Tuesday, May 7, 2024": the calendar date says it all
    return DateParts(year, month, day, weekday, back_unit, back)


def resolve(parts: DateParts, published: date | None) -> str | None:
    """The ISO date (as precise as the parts) the parts name, for an article of ``published``.

    None when the parts need the publication day and there is none, or name no date.
    """
    if parts.empty:
        return None
    if parts.year is not None:
        if parts.month is None:
            return f"{parts.year:04d}"
        return _ymd(parts.year, parts.month, parts.day)
    if published is None:
        return None
    if parts.month is not None:
        if parts.back_unit == "year":  # "in April last year", "in May this year"
            return _ymd(published.year - parts.back, parts.month, parts.day)
        # A month without a year is the latest one on or before publication.
        year = published.year if parts.month <= published.month else published.year - 1
        return _ymd(year, parts.month, parts.day)
    if parts.weekday is not None:
        # "pleaded guilty on Tuesday" in a release of that week: the latest such day.
        return (published - timedelta(days=(published.weekday() - parts.weekday) % 7)).isoformat()
    if parts.back_unit == "day":
        return (published - timedelta(days=parts.back)).isoformat()
    if parts.back_unit == "year":
        return f"{published.year - parts.back:04d}"
    if parts.back_unit == "month":
        month = published.month - parts.back
        year = published.year
        if month < 1:
            month, year = month + 12, year - 1
        return f"{year:04d}-{month:02d}"
    return None


def _ymd(year: int, month: int, day: int | None) -> str | None:
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return f"{year:04d}-{month:02d}"
