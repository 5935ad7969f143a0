"""Render a ``Digest`` record as HTML, plain text, Markdown or Atom with the bundled or user templates."""

from __future__ import annotations

import importlib.resources
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

import jinja2

from bulletin.periods import day_span, last_day
from bulletin.records import Case, CaseReport, Digest, SourceLink
from digest.chart import TacticChart, case_tactics, tactic_chart
from digest.filters import (
    FILTERS,
    exact_time,
    iso_date,
    oneline,
    person_penalties,
    sentences_only,
    tactic_words,
    tag_uri,
    time_range,
)

logger = logging.getLogger(__name__)

FORMATS = ("html", "txt", "md", "atom")
TEMPLATES = {
    "html": "digest/digest.html",
    "txt": "digest/digest.txt",
    "md": "digest/digest.md",
    "atom": "digest/digest.xml",
}
# The tag URI authority is fixed: entry ids must never change once a reader has seen them.
TAG = "tag:bulletin-watch,2026"
INDEX_LABELS = (("ORG", "Organizations"), ("GPE", "Places"), ("NORP", "Nationalities and groups"))
EVIDENCE_CHARS = 240
# Index names that are no organisation or place: honorifics before a name, a possessive
# after it, and "王某" ("a man surnamed Wang"), how Chinese copy names an anonymised person.
_HONORIFIC = re.compile(r"^(?:mr|mrs|ms|miss|dr|prof)\.?\s+", re.IGNORECASE)
_POSSESSIVE = re.compile("['\u2019]s$")
_ANONYMISED = re.compile(r"[\u4e00-\u9fff]{1,2}某")


@dataclass(frozen=True, slots=True)
class TacticView:
    label: str
    words: str
    evidence: str  # every evidence span for the label, joined; "" when none was recorded
    note: int  # footnote number, unique across the digest


@dataclass(frozen=True, slots=True)
class EarlierView:
    """One earlier report of a known case, shown as one line under its update."""

    when: str  # the stage's date when the text gave one, else the report's publication day
    stage: str  # the stage label, or "report" when the report gave none
    headline: str
    links: tuple[SourceLink, ...]


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as the templates show it: numbered, with grouped penalties and numbered evidence."""

    number: int
    anchor: str
    case: Case
    subjects: tuple[str, ...]
    tactics: tuple[TacticView, ...]
    sentences: tuple[tuple[str, str], ...]  # (person, penalty words): sentences handed down only
    laws: tuple[str, ...]
    entry_id: str  # the Atom entry id: a tag URI of the story's canonical URL
    archived: str  # when the story reached the archive, in the digest's zone; "" for reports
    # The report's legal stage ("sentencing 2024-10-02"; "" when none), and for an update to a
    # known case (issue 12) the case's earlier reports, one line each.
    stage: str = ""
    earlier: tuple[EarlierView, ...] = ()

    @property
    def case_key(self) -> int:
        """Whose people these are: the case file's, else the story's own."""
        return self.case.case_id if self.case.case_id is not None else self.case.story_id


@dataclass(frozen=True, slots=True)
class IndexEntry:
    name: str
    cases: tuple[CaseView, ...]


@dataclass(frozen=True, slots=True)
class IndexGroup:
    heading: str
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True, slots=True)
class SentenceRow:
    """One person's sentence. People are keyed per case file (else per story): two cases'
    "Feng" are two people, and two reports of one case's sentencing one."""

    person: str
    case: CaseView
    words: str
    identity: str = ""  # the person's fullest name in the case ("xu haoran" for "Xu"), folded

    @property
    def key(self) -> tuple[int, str]:
        return (self.case.case_key, self.identity or self.person.casefold())


@dataclass(frozen=True, slots=True)
class ContentsLine:
    """One case in the digest's table of contents: who, what sentence (else the stage), where."""

    view: CaseView
    who: str
    sentence: str  # names each person when their sentences differ: "Feng 6 years in prison; Jiang …"
    where: str
    per_person: bool = False

    @property
    def update(self) -> bool:
        return bool(self.view.earlier)

    @property
    def text(self) -> str:
        """The line without its number: "John Doe: 4 years in prison (United States)"."""
        line = self.sentence if self.per_person else f"{self.who}: {self.sentence}"
        return f"{line} ({self.where})" if self.where else line


def bundled_loader() -> jinja2.BaseLoader:
    """The shipped templates: ``bulletin/templates`` in a wheel, else the checkout's ``templates/``."""
    packaged = importlib.resources.files("bulletin") / "templates"
    if packaged.is_dir():
        return jinja2.PackageLoader("bulletin", "templates")
    return jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates")


def make_env(user_dir: Path | None = None) -> jinja2.Environment:
    """A Jinja environment where templates in ``user_dir`` override bundled ones of the same name."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(user_dir))
    loaders.append(bundled_loader())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "svg"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render_digest(digest: Digest, fmt: str, env: jinja2.Environment | None = None, **extra: Any) -> str:
    """The digest in ``fmt`` (one of ``FORMATS``) as a string.

    ``extra`` adds to the template variables: the stable feed passes ``stable=True`` and
    its ``feed_url``.
    """
    if fmt not in TEMPLATES:
        raise ValueError(f"unknown digest format {fmt!r} (one of {', '.join(FORMATS)})")
    env = env or make_env()
    template = env.get_template(TEMPLATES[fmt])
    # Autoescaped output comes as many small Markup pieces, and Markup (unlike str) is tracked by
    # the garbage collector. Template.render keeps them all alive until the final join, which sets
    # off full collections that made 10,000 cases 16x slower than 1,000; plain str copies keep
    # rendering linear.
    context = {**digest_context(digest), **extra}
    return "".join([str(piece) for piece in template.generate(**context)])


def selection_words(digest: Digest) -> str:
    """Which cases the digest holds, as words after "cases": "that reached the archive from
    2026-11-26 07:00 to 2026-11-27 07:02 (UTC+08:00)" (daily, weekly), "first published from
    2026-11-01 to 2026-11-30" (a since/until report)."""
    if digest.stored_from is not None and digest.stored_until is not None:
        return f"that reached the archive from {time_range(digest.stored_from, digest.stored_until)}"
    span = day_span(digest.start, digest.end)
    return f"first published {'from ' + span if ' to ' in span else 'on ' + span}"


def digest_context(digest: Digest) -> dict[str, Any]:
    """The variables every digest template receives."""
    arrival = digest.stored_from is not None and digest.stored_until is not None
    # Updates to known cases first (a case the reader follows moved on), then new cases, so
    # the numbers run down the page.
    ordered = [c for c in digest.cases if c.history] + [c for c in digest.cases if not c.history]
    cases = _case_views(ordered, digest.start.tzinfo if arrival else None)
    chart: TacticChart = tactic_chart(digest.cases, digest.previous)
    selection = selection_words(digest)
    sentences = _sentence_rows(cases)
    new_cases = tuple(view for view in cases if not view.earlier)
    updates = tuple(view for view in cases if view.earlier)
    return {
        "digest": digest,
        "title": f"Bulletin Watch {digest.period} digest",
        "period_label": day_span(digest.start, digest.end),
        "selection": selection,
        "start_date": iso_date(digest.start),
        "end_date": last_day(digest.end).isoformat(),  # inclusive, like the title
        # Unchanged since the first release (end exclusive): a feed id must never change.
        "feed_id": f"{TAG}:digest/{digest.period}/{iso_date(digest.start)}/{iso_date(digest.end)}",
        "stable_feed_id": f"{TAG}:feed",
        "stable": False,
        "feed_url": "",
        "tag": TAG,
        "cases": cases,
        "contents": _contents(cases),
        # New cases, and stories of cases reported before (issue 12): "updates to known cases".
        "new_cases": new_cases,
        "updates": updates,
        "previous_count": len(digest.previous),
        "outlets": sorted({oneline(link.source) for case in digest.cases for link in case.links}),
        "sentences": sentences,
        "people_sentenced": len({row.key for row in sentences}),
        "reviewed_count": sum(1 for case in digest.cases if case.reviewed),
        "chart": chart,
        "index": _entity_index(cases),
        "failed_sources": [oneline(s) for s in digest.failed_sources],
        "near_line": [
            {
                "headline": oneline(case.headline),
                "links": case.links,
                "score": f"{case.extraction.relevance or 0.0:.2f}",
            }
            for case in digest.near_line
        ],
    }


def _case_views(cases: Sequence[Case], zone: tzinfo | None) -> tuple[CaseView, ...]:
    views = []
    note = 0
    for number, case in enumerate(cases, start=1):
        extraction = case.extraction
        tactics = []
        for label in case_tactics(case):
            note += 1
            spans = dict.fromkeys(
                _clip(oneline(f.text)) for f in extraction.tactics if f.label == label and f.text.strip()
            )
            tactics.append(TacticView(label, tactic_words(label), " … ".join(spans), note))
        archived = ""
        if zone is not None and case.first_stored_at is not None:
            archived = exact_time(case.first_stored_at.astimezone(zone))
        views.append(
            CaseView(
                number=number,
                anchor=f"case-{case.story_id}",
                case=case,
                subjects=tuple(dict.fromkeys(oneline(s) for s in extraction.subjects if s.strip())),
                tactics=tuple(tactics),
                sentences=tuple(person_penalties(sentences_only(extraction.penalties))),
                laws=tuple(dict.fromkeys(oneline(f.text) for f in extraction.laws if f.text.strip())),
                # The row id is no name: it changes when the archive is rebuilt.
                entry_id=tag_uri(TAG, case.canonical_url)
                if case.canonical_url
                else f"{TAG}:story/{case.story_id}",
                archived=archived,
                stage=_stage_words(extraction.stages[-1].label, extraction.stages[-1].attrs.get("date"))
                if extraction.stages
                else "",
                earlier=tuple(_earlier(report) for report in case.history),
            )
        )
    return tuple(views)


def _stage_words(label: str | None, when: object) -> str:
    return oneline(f"{label or 'report'} {when}" if when else (label or "report"))


def _earlier(report: CaseReport) -> EarlierView:
    day = report.stage_date or (report.published_at.date().isoformat() if report.published_at else "")
    return EarlierView(
        oneline(day), oneline(report.stage or "report"), oneline(report.headline), report.links
    )


def _sentence_rows(views: Sequence[CaseView]) -> list[SentenceRow]:
    """The sentences table: a person once per sentence. Reports of one case file name the same
    person ("Xu", "Xu Haoran") and the same sentence more than once; they count once."""
    names: dict[int, set[str]] = {}
    for view in views:
        names.setdefault(view.case_key, set()).update(person.casefold() for person, _ in view.sentences)

    def identity(case_key: int, person: str) -> str:
        # The longest name of the case that contains this one's words, or is contained in them.
        words = set(person.casefold().split())
        related = [n for n in names[case_key] if words <= set(n.split()) or set(n.split()) <= words]
        return max(related, key=lambda n: (len(n.split()), n))

    rows: list[SentenceRow] = []
    seen: set[tuple[int, str, str]] = set()
    for view in views:
        for person, words in view.sentences:
            who = identity(view.case_key, person)
            if (view.case_key, who, words) in seen:
                continue
            seen.add((view.case_key, who, words))
            rows.append(SentenceRow(person, view, words, who))
    return rows


def _people(case: Case) -> set[str]:
    """The case's people, whole names and each word of them ("Peter Novak", "novak"), folded."""
    extraction = case.extraction
    names = [
        *extraction.subjects,
        *(f.text for f in extraction.entities if f.label == "PERSON"),
        *(str(p.get("person") or "") for p in extraction.penalties),
    ]
    folded = {oneline(n).casefold() for n in names}
    return {part for name in folded for part in (name, *name.split()) if len(part) > 1}


def _index_name(text: str, people: set[str]) -> str:
    """The name as the index shows it, or "" for what is no organisation or place: a person
    of the same case mislabelled, a single character, punctuation or a bare number."""
    name = oneline(text)
    if name.lower().startswith("the "):
        name = name[4:]
    bare = _POSSESSIVE.sub("", _HONORIFIC.sub("", name))
    if len(bare) < 2 or not any(ch.isalpha() for ch in bare):
        return ""
    if bare.casefold() in people or _ANONYMISED.fullmatch(bare):
        return ""
    return name


def _entity_index(cases: Sequence[CaseView]) -> tuple[IndexGroup, ...]:
    """Organizations, places and groups, each with the cases that mention it; empty groups left out."""
    people = {view.number: _people(view.case) for view in cases}
    groups = []
    for label, heading in INDEX_LABELS:
        names: dict[str, str] = {}
        mentions: dict[str, dict[int, CaseView]] = {}
        for view in cases:
            for entity in view.case.extraction.entities:
                if entity.label != label:
                    continue
                name = _index_name(entity.text, people[view.number])
                if not name:
                    continue
                key = name.casefold()
                names.setdefault(key, name)
                mentions.setdefault(key, {})[view.number] = view
        entries = tuple(
            IndexEntry(names[key], tuple(mentions[key][n] for n in sorted(mentions[key])))
            for key in sorted(names)
        )
        if entries:
            groups.append(IndexGroup(heading, entries))
    return tuple(groups)


def _contents(views: Sequence[CaseView]) -> tuple[ContentsLine, ...]:
    """The table of contents: one line per case, in the page's order."""
    lines = []
    for view in views:
        extraction = view.case.extraction
        who = ", ".join(view.subjects) or _clip(oneline(view.case.headline), 80)
        # The main penalty of each person (prison before fines and the rest: PENALTY_ORDER).
        sentences = [(person, words.split(" · ")[0]) for person, words in view.sentences]
        per_person = len({words for _, words in sentences}) > 1
        if per_person:
            sentence = "; ".join(f"{person} {words}" for person, words in sentences)
        else:
            sentence = sentences[0][1] if sentences else ""
        if not sentence:
            sentence = f"no sentence yet ({view.stage})" if view.stage else "no sentence reported"
        people = _people(view.case)
        places = dict.fromkeys(
            name
            for entity in extraction.entities
            if entity.label == "GPE" and (name := _index_name(entity.text, people))
        )
        lines.append(ContentsLine(view, who, sentence, ", ".join(list(places)[:2]), per_person))
    return tuple(lines)


def _clip(text: str, chars: int = EVIDENCE_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"
