"""The typed records passed between stages: crawl -> store -> extract -> digest.

Every record is a frozen, slotted dataclass. A stage adds to a record with
``dataclasses.replace`` and hands the new record forward; nobody mutates a record
they were given. Scrapy accepts dataclass instances as items, so the crawler yields
``Article`` directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def content_hash(text: str) -> str:
    """Hash of the whitespace-normalised, case-folded text: equal for equal stories."""
    normal = " ".join(text.split()).casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Article:
    """One article as crawled and stored.

    ``url`` is always canonical (see ``bulletin.urls.canonical_url``). ``published_at``
    and ``fetched_at`` are timezone-aware. ``raw_html`` is the page as fetched (empty when
    the article came from an API that carries the full text).
    """

    source: str
    url: str
    title: str
    text: str = field(repr=False)
    fetched_at: datetime
    published_at: datetime | None = None
    byline: str | None = None
    section: str | None = None
    lang: str = "en"
    raw_html: str = field(default="", repr=False)
    relevant: bool | None = None
    relevance: float | None = None
    id: int | None = None
    story_id: int | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)


@dataclass(frozen=True, slots=True)
class Finding:
    """One extracted fact with its evidence span in the article text."""

    kind: str  # "entity", "subject", "tactic", "penalty", "law"
    label: str
    text: str
    start_char: int
    end_char: int
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CrawlStats:
    """What one crawl run did for one source (one row of the summary table)."""

    source: str
    requested: int = 0
    found: int = 0  # article pages or API records considered, whatever became of them
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)
    blocked: bool = False
    # Pages whose declared encoding was wrong, by how they were read instead (utf-8, gb18030, detected).
    redecoded: dict[str, int] = field(default_factory=dict)
    # Article bodies that did not contain the page's own description (the lead's start):
    # text may have been lost (crawler.base.BulletinSpider.checked_body).
    body_suspect: int = 0
    # Dates a page gave that cannot be its publication time (in the future, before the
    # site existed), by where they were read; the next date source was tried instead.
    rejected_dates: dict[str, int] = field(default_factory=dict)

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


@dataclass(frozen=True, slots=True)
class Extraction:
    """The structured case pulled out of one article: the output record of the spec.

    ``to_json`` gives the keys of the spec's extraction record, plus ``relevance`` (0..1): absent
    optional fields are omitted, except the top-level ``url``, ``title``, ``published``.
    ``subjects`` are names; ``entities``, ``tactics`` and ``laws`` carry evidence spans
    as ``Finding``; ``penalties`` are dicts in the taxonomy's shape (``person``,
    ``kind``, ``months``…, ``evidence``, ``start``, ``end``). ``stages`` are the legal
    stages the report gives (``STAGES`` order, one finding each, attrs ``date`` and
    ``date_text`` when the text dates it); ``to_json`` writes them as ``stage``: the furthest
    one, with every one under ``events``.
    """

    id: str | None
    relevant: bool
    url: str | None = None
    title: str | None = None
    published: str | None = None
    subjects: tuple[str, ...] = ()
    entities: tuple[Finding, ...] = ()
    tactics: tuple[Finding, ...] = ()
    penalties: tuple[dict[str, Any], ...] = ()
    laws: tuple[Finding, ...] = ()
    stages: tuple[Finding, ...] = ()
    # How sure the relevance judgement is, 0..1 (0.5 is the line); None for older records.
    relevance: float | None = None
    pipeline_version: str = ""

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {}
        if self.id is not None:
            record["id"] = self.id
        record.update(
            relevant=self.relevant,
            url=self.url,
            title=self.title,
            published=self.published,
            subjects=list(self.subjects),
            entities=[
                {"text": f.text, "label": f.label, "start": f.start_char, "end": f.end_char}
                for f in self.entities
            ],
            tactics=[
                {"label": f.label, "evidence": f.text, "start": f.start_char, "end": f.end_char}
                for f in self.tactics
            ],
            penalties=[dict(p) for p in self.penalties],
            laws=[{"text": f.text, "start": f.start_char, "end": f.end_char, **f.attrs} for f in self.laws],
        )
        if self.stages:
            events = [_stage_json(f) for f in self.stages]
            record["stage"] = {**events[-1], "events": events}
        if self.relevance is not None:
            record["relevance"] = self.relevance
        return record


STAGE_LABELS = ("detention", "charge", "conviction", "sentencing", "appeal", "release")


def _stage_json(f: Finding) -> dict[str, Any]:
    return {"label": f.label, "evidence": f.text, "start": f.start_char, "end": f.end_char, **f.attrs}


def stage_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """The ``stage`` of an extraction record as JSON (None when it gives none or is malformed)."""
    stage = record.get("stage")
    return stage if isinstance(stage, dict) and stage.get("label") in STAGE_LABELS else None


def extraction_from_json(record: dict[str, Any], pipeline_version: str = "") -> Extraction:
    """Rebuild an ``Extraction`` from its spec JSON (as stored, or as written by `bulletin extract`)."""

    def finding(kind: str, item: dict[str, Any], text_key: str, label: str) -> Finding:
        extra = {k: v for k, v in item.items() if k not in {text_key, "label", "start", "end"}}
        return Finding(kind, label, item.get(text_key, ""), item.get("start", -1), item.get("end", -1), extra)

    return Extraction(
        id=record.get("id"),
        relevant=bool(record.get("relevant")),
        url=record.get("url"),
        title=record.get("title"),
        published=record.get("published"),
        subjects=tuple(record.get("subjects", ())),
        entities=tuple(finding("entity", e, "text", e.get("label", "")) for e in record.get("entities", ())),
        tactics=tuple(
            finding("tactic", t, "evidence", t.get("label", "")) for t in record.get("tactics", ())
        ),
        penalties=tuple(dict(p) for p in record.get("penalties", ())),
        laws=tuple(finding("law", law, "text", "LAW") for law in record.get("laws", ())),
        stages=tuple(
            finding("stage", e, "evidence", e.get("label", ""))
            for e in (stage_of(record) or {}).get("events", ())
            if isinstance(e, dict)
        ),
        relevance=record.get("relevance"),
        pipeline_version=pipeline_version,
    )


@dataclass(frozen=True, slots=True)
class SourceLink:
    """One outlet's copy of a story."""

    source: str
    url: str
    title: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class Case:
    """One story (all outlets' copies of it) with its extraction: the unit of the digest.

    ``extraction`` is the reviewed record when an analyst has corrected it
    (``reviewed``), else the machine's. ``published_at`` is the earliest copy's time;
    ``first_stored_at`` when the story first reached the archive; ``updated_at`` the last
    change to it (a copy stored or updated, a new extraction).
    """

    story_id: int
    headline: str
    published_at: datetime | None
    links: tuple[SourceLink, ...]
    extraction: Extraction
    reviewed: bool = False
    first_stored_at: datetime | None = None
    updated_at: datetime | None = None
    # The case file the story belongs to (issue 12), and its reports published before this
    # one: a story with history is an update to a known case, not a new case.
    case_id: int | None = None
    history: tuple[CaseReport, ...] = ()

    @property
    def canonical_url(self) -> str:
        """The URL that names the story: its earliest-published copy's (stable across rebuilds)."""
        return self.links[0].url if self.links else ""


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything a digest shows, for one period ``[start, end)``.

    Cases are selected by publication time within the period, or, when ``stored_from``
    and ``stored_until`` are set (daily and weekly digests), by the time they reached the
    archive within that window. ``previous`` holds the cases of the window or period just
    before, for comparisons; ``failed_sources`` names sources whose last crawl in the
    window or period failed.
    """

    period: str  # "daily", "weekly" or "custom"
    start: datetime
    end: datetime
    generated_at: datetime
    cases: tuple[Case, ...] = ()
    previous: tuple[Case, ...] = ()
    failed_sources: tuple[str, ...] = ()
    # Stories judged not a case but close to the line (relevance score >= digest.near_line).
    near_line: tuple[Case, ...] = ()
    stored_from: datetime | None = None
    stored_until: datetime | None = None
    # The trend line: "12 sentencings this month, 8 last month" (bulletin.trends.trend_line).
    trend: str = ""


@dataclass(frozen=True, slots=True)
class CaseLink:
    """A story's place in a case file (issue 12): ``linked`` (the case it belongs to, one per
    story) or ``candidate`` (a case it may belong to, for an analyst to confirm or reject).

    ``score`` is how well the story matched the case when it was linked (1.0 for the story
    that founded the case and for an analyst's decision); ``reasons`` say what matched.
    """

    story_id: int
    case_id: int
    status: str  # "linked" or "candidate"
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseCorrection:
    """An analyst's decision about two stories, kept across relinking: ``same`` (one case) or
    ``different`` (never one case). ``action`` says what made it (merge, split, confirm,
    reject); for a pair, the latest correction wins."""

    kind: str  # "same" or "different"
    story_a: int
    story_b: int
    action: str
    note: str = ""
    made_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One case file: the stories that report one prosecution, identified by its founding story.

    ``id`` is the story id of the case's earliest report, so it is stable across relinking
    as long as no earlier report is added. ``stage`` is the latest report's stage (with its
    ``stage_date`` when the text gave one); ``published`` spans the reports.
    """

    id: int
    title: str
    subjects: tuple[str, ...]
    stage: str | None
    stage_date: str | None
    first_published: datetime | None
    last_published: datetime | None
    reports: int
    candidates: int = 0


@dataclass(frozen=True, slots=True)
class CaseReport:
    """One report in a case file's timeline: a story (all its copies), its stage, its link."""

    story_id: int
    headline: str
    published_at: datetime | None
    links: tuple[SourceLink, ...]
    stage: str | None = None
    stage_date: str | None = None
    stage_evidence: str = ""
    # Every stage the report gives, as the record's stage events (label, date, evidence...).
    events: tuple[dict[str, Any], ...] = ()
    status: str = "linked"
    score: float = 1.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case with its timeline: the linked reports in time order, and the candidate reports."""

    summary: CaseSummary
    reports: tuple[CaseReport, ...]
    candidates: tuple[CaseReport, ...] = ()
