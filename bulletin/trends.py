"""Trends over the archive: cases and sentencings per month; by jurisdiction, source, stage and
tactic; prison terms; the organisations and places named most; this period against the previous.

``trends(store, filters)`` returns plain JSON-able data (what `bulletin trends --json` prints and
an API serves); ``charts(data)`` lays it out as the bar charts the /trends page draws in SVG.
Counts are of stories judged a case (all outlets' copies of a report count once) and of case
files (``bulletin.cases``): a sentencing is a case file with a report giving that stage in the
month, so three outlets and two follow-ups of one sentencing count once.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bulletin.errors import BulletinError
from bulletin.records import STAGE_LABELS, stage_of
from bulletin.store import Store
from bulletin.watchlists import Story, fold, stories

# Where a case is tried, when the laws it cites do not say: the home of the source reporting it.
SOURCE_JURISDICTION = {"doj": "United States", "globaltimes": "China", "chinadaily": "China"}
_US_LAW = ("u.s.c", "usc", "united states code")
_PRC_LAW = (
    "people's republic of china",
    "criminal law",
    "counter-espionage",
    "counterespionage",
    "state secrets",
)
TERM_BUCKETS = (
    ("under 1 year", 0, 12),
    ("1-3 years", 12, 36),
    ("3-5 years", 36, 60),
    ("5-10 years", 60, 120),
    ("10-20 years", 120, 240),
    ("20 years or more", 240, 10**6),
)
BEYOND = {"life_imprisonment": "life", "death_with_reprieve": "death (reprieve)", "death_sentence": "death"}
TOP = 10
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class TrendFilters:
    """Which stories count: published within ``since``..``until`` (both days included), from
    ``source``, whose furthest ``stage`` is this one, giving ``tactic``."""

    since: date | None = None
    until: date | None = None
    source: str | None = None
    stage: str | None = None
    tactic: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise BulletinError(f"since {self.since} is after until {self.until}")
        if self.stage and self.stage not in STAGE_LABELS:
            raise BulletinError(f"stage {self.stage!r}: one of {', '.join(STAGE_LABELS)}")
        from digest.filters import TACTIC_WORDS

        if self.tactic and self.tactic not in TACTIC_WORDS:
            raise BulletinError(f"tactic {self.tactic[:40]!r}: one of {', '.join(TACTIC_WORDS)}")

    def to_json(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "source": self.source,
            "stage": self.stage,
            "tactic": self.tactic,
        }


def _day(story: Story) -> date | None:
    return story.published.astimezone(UTC).date() if story.published else None


def _stage(story: Story) -> str | None:
    stage = stage_of(story.record)
    return str(stage["label"]) if stage else None


def _tactics(story: Story) -> list[str]:
    return list(dict.fromkeys(str(t.get("label")) for t in story.record.get("tactics", [])))


def _stages(story: Story) -> set[str]:
    stage = stage_of(story.record) or {}
    labels = {str(e.get("label")) for e in stage.get("events", []) if isinstance(e, dict)}
    if stage.get("label"):
        labels.add(str(stage["label"]))
    return labels


def jurisdiction(story: Story) -> str:
    """Where the case is tried: the laws cited say it, else the source's home, else "unknown"."""
    laws = " ".join(str(law.get("text", "")).casefold() for law in story.record.get("laws", []))
    if any(word in laws for word in _US_LAW):
        return "United States"
    if any(word in laws for word in _PRC_LAW):
        return "China"
    for source in story.sources:
        if source in SOURCE_JURISDICTION:
            return SOURCE_JURISDICTION[source]
    return "unknown"


def _passes(story: Story, filters: TrendFilters, dates: bool = True) -> bool:
    day = _day(story)
    if dates and filters.since and (day is None or day < filters.since):
        return False
    if dates and filters.until and (day is None or day > filters.until):
        return False
    if filters.source and filters.source not in story.sources:
        return False
    if filters.stage and _stage(story) != filters.stage:
        return False
    return not (filters.tactic and filters.tactic not in _tactics(story))


def _months(first: date, last: date) -> list[str]:
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _names(story: Story, labels: set[str]) -> set[str]:
    out = set()
    for entity in story.record.get("entities", []):
        text = " ".join(str(entity.get("text", "")).split())
        if entity.get("label") in labels and len(fold(text)) > 1 and not fold(text).isdigit():
            out.add(text)
    return out


def _top(counts: Counter[str], written: dict[str, Counter[str]]) -> list[dict[str, Any]]:
    return [{"name": written[key].most_common(1)[0][0], "stories": n} for key, n in counts.most_common(TOP)]


def _named(found: list[Story], labels: set[str]) -> list[dict[str, Any]]:
    counts: Counter[str] = Counter()
    written: dict[str, Counter[str]] = defaultdict(Counter)
    for story in found:
        for name in {fold(n): n for n in _names(story, labels)}.items():
            counts[name[0]] += 1
            written[name[0]][name[1]] += 1
    return _top(counts, written)


def _terms(found: list[Story], case_of: dict[int, int]) -> list[dict[str, Any]]:
    """The longest sentence of each person in each case file, in buckets."""
    longest: dict[tuple[int, str], tuple[int, str]] = {}
    for story in found:
        case = case_of.get(story.story_id, story.story_id)
        for penalty in story.record.get("penalties", []):
            kind, months = penalty.get("kind"), penalty.get("months")
            person = fold(str(penalty.get("person") or "")) or f"#{story.story_id}"
            if kind in BEYOND:
                weight = 10**6 + list(BEYOND).index(str(kind))
                label = BEYOND[str(kind)]
            elif kind == "imprisonment" and isinstance(months, int | float) and months > 0:
                weight = int(months)
                label = next(name for name, low, high in TERM_BUCKETS if low <= months < high)
            else:
                continue
            key = (case, person.split()[-1] if person else person)
            if key not in longest or longest[key][0] < weight:
                longest[key] = (weight, label)
    counts = Counter(label for _, label in longest.values())
    labels = [name for name, _, _ in TERM_BUCKETS] + list(BEYOND.values())
    return [{"term": label, "people": counts.get(label, 0)} for label in labels]


def _count(found: list[Story], case_of: dict[int, int]) -> dict[str, int]:
    cases = {case_of.get(s.story_id, s.story_id) for s in found}
    sentenced = {case_of.get(s.story_id, s.story_id) for s in found if "sentencing" in _stages(s)}
    return {"reports": len(found), "cases": len(cases), "sentencings": len(sentenced)}


def trends(store: Store, filters: TrendFilters | None = None, today: date | None = None) -> dict[str, Any]:
    """The archive's trends under ``filters``, as JSON-able data (see the module docstring).

    "this period" is since..until when both are given, else the ``DEFAULT_DAYS`` days up to
    ``until`` (or ``today``); "the previous" is as long, just before it.
    """
    filters = filters or TrendFilters()
    today = today or datetime.now(UTC).date()
    case_of = _case_links(store)
    every = [s for s in stories(store, text=False) if _passes(s, filters, dates=False)]
    found = [s for s in every if _passes(s, filters)]
    days = sorted(d for d in map(_day, found) if d is not None)
    per_month: list[dict[str, Any]] = []
    if days:
        buckets: dict[str, list[Story]] = defaultdict(list)
        for story in found:
            day = _day(story)
            if day is not None:
                buckets[f"{day.year:04d}-{day.month:02d}"].append(story)
        first_report: dict[int, date] = {}
        for story in every:
            day = _day(story)
            case = case_of.get(story.story_id, story.story_id)
            if day is not None and (case not in first_report or day < first_report[case]):
                first_report[case] = day
        opened = Counter(f"{d.year:04d}-{d.month:02d}" for d in first_report.values())
        for month in _months(days[0], days[-1]):
            counts = _count(buckets.get(month, []), case_of)
            counts["new_cases"] = opened[month]
            per_month.append({"month": month, **counts})
    by: dict[str, Counter[str]] = {k: Counter() for k in ("jurisdiction", "source", "stage", "tactic")}
    for story in found:
        by["jurisdiction"][jurisdiction(story)] += 1
        for source in story.sources:
            by["source"][source] += 1
        by["stage"][_stage(story) or "none given"] += 1
        for tactic in _tactics(story):
            by["tactic"][tactic] += 1
    stage_order = {label: i for i, label in enumerate((*STAGE_LABELS, "none given"))}
    return {
        "filters": filters.to_json(),
        "totals": _count(found, case_of),
        "per_month": per_month,
        "by_jurisdiction": [{"name": k, "stories": n} for k, n in by["jurisdiction"].most_common()],
        "by_source": [{"name": k, "stories": n} for k, n in by["source"].most_common()],
        "by_stage": [
            {"name": k, "stories": by["stage"][k]} for k in sorted(by["stage"], key=lambda k: stage_order[k])
        ],
        "by_tactic": [{"name": k, "stories": n} for k, n in by["tactic"].most_common()],
        "prison_terms": _terms(found, case_of),
        "top_organisations": _named(found, {"ORG"}),
        "top_places": _named(found, {"GPE", "LOC"}),
        "compare": _compare(every, filters, today, case_of),
    }


def _compare(
    every: list[Story], filters: TrendFilters, today: date, case_of: dict[int, int]
) -> dict[str, Any]:
    if filters.since and filters.until:
        start, end = filters.since, filters.until
    else:
        end = filters.until or today
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    length = (end - start).days + 1
    before_start, before_end = start - timedelta(days=length), start - timedelta(days=1)

    def within(a: date, b: date) -> list[Story]:
        return [s for s in every if (d := _day(s)) is not None and a <= d <= b]

    current, previous = within(start, end), within(before_start, before_end)
    earlier = {fold(n) for s in every if (d := _day(s)) is not None and d < start for n in _names(s, {"ORG"})}
    new_orgs = sorted(
        {n for s in current for n in _names(s, {"ORG"}) if fold(n) not in earlier}, key=str.casefold
    )
    return {
        "period": {"since": start.isoformat(), "until": end.isoformat()},
        "previous_period": {"since": before_start.isoformat(), "until": before_end.isoformat()},
        "current": _count(current, case_of),
        "previous": _count(previous, case_of),
        "new_organisations": new_orgs[:TOP],
    }


def month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def trend_line(store: Store, day: date) -> str:
    """The digest's line: sentencings in ``day``'s month against the month before
    ("12 sentencings this month, 8 last month"), counted as ``trends`` counts them."""
    start, end = month_bounds(day)
    last_start = month_bounds(start - timedelta(days=1))[0]
    case_of = _case_links(store)
    every = [s for s in stories(store, text=False) if (d := _day(s)) is not None and last_start <= d <= end]
    now = _count([s for s in every if start <= (_day(s) or start) <= end], case_of)["sentencings"]
    before = _count([s for s in every if (_day(s) or end) < start], case_of)["sentencings"]
    return f"{now} sentencing{'s' if now != 1 else ''} this month, {before} last month"


def _case_links(store: Store) -> dict[int, int]:
    """Story id -> the case file it is linked to."""
    rows = store.conn.execute("SELECT story_id, case_id FROM case_links WHERE status = 'linked'")
    return {int(r[0]): int(r[1]) for r in rows}


# -- charts -----------------------------------------------------------------------------

CHART_WIDTH = 560
LABEL_RIGHT = 170
BAR_LEFT = 178
BAR_MAX = 300
ROW = 24
COLUMN_HEIGHT = 160
COLUMN_TOP = 24


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class BarChart:
    """A horizontal bar chart: one row per label, the count at the end of its bar."""

    key: str
    title: str
    unit: str
    rows: tuple[Bar, ...]
    width: int = CHART_WIDTH
    label_right: int = LABEL_RIGHT
    bar_left: int = BAR_LEFT

    @property
    def height(self) -> int:
        return ROW * len(self.rows) + 8


@dataclass(frozen=True, slots=True)
class Column:
    month: str
    reports: int
    sentencings: int
    x: int
    reports_height: int
    sentencings_height: int


@dataclass(frozen=True, slots=True)
class MonthChart:
    """Stories (reports) and sentencings per month as paired columns."""

    columns: tuple[Column, ...]
    step: int
    largest: int
    width: int = CHART_WIDTH
    top: int = COLUMN_TOP
    plot_height: int = COLUMN_HEIGHT

    @property
    def baseline(self) -> int:
        return self.top + self.plot_height

    @property
    def height(self) -> int:
        return self.baseline + 34


def _width(value: int, largest: int) -> int:
    return max(2, round(value / largest * BAR_MAX)) if value else 0


def bar_chart(key: str, title: str, unit: str, rows: list[tuple[str, int]]) -> BarChart:
    largest = max([n for _, n in rows] + [1])
    bars = tuple(Bar(label, n, 4 + ROW * i, _width(n, largest)) for i, (label, n) in enumerate(rows))
    return BarChart(key, title, unit, bars)


def month_chart(per_month: list[dict[str, Any]]) -> MonthChart:
    largest = max([m["reports"] for m in per_month] + [m["sentencings"] for m in per_month] + [1])
    step = max(8, (CHART_WIDTH - 40) // max(1, len(per_month)))
    columns = tuple(
        Column(
            m["month"],
            m["reports"],
            m["sentencings"],
            30 + step * i,
            round(m["reports"] / largest * COLUMN_HEIGHT),
            round(m["sentencings"] / largest * COLUMN_HEIGHT),
        )
        for i, m in enumerate(per_month)
    )
    return MonthChart(columns, step, largest)


def charts(data: dict[str, Any]) -> dict[str, Any]:
    """The charts of a ``trends`` result: ``months`` (a MonthChart) and the bar charts in page order."""
    from digest.filters import tactic_words

    def pairs(key: str, name: str = "name", value: str = "stories") -> list[tuple[str, int]]:
        return [(str(row[name]), int(row[value])) for row in data[key]]

    return {
        "months": month_chart(data["per_month"]),
        "bars": [
            bar_chart("jurisdiction", "Stories by jurisdiction", "stories", pairs("by_jurisdiction")),
            bar_chart("source", "Stories by source", "stories", pairs("by_source")),
            bar_chart("stage", "Stories by furthest stage", "stories", pairs("by_stage")),
            bar_chart(
                "tactic",
                "Stories by tactic",
                "stories",
                [(tactic_words(k), n) for k, n in pairs("by_tactic")],
            ),
            bar_chart(
                "terms",
                "Prison terms (each person's longest)",
                "people",
                pairs("prison_terms", "term", "people"),
            ),
            bar_chart("organisations", "Organisations named most", "stories", pairs("top_organisations")),
            bar_chart("places", "Places named most", "stories", pairs("top_places")),
        ],
    }
