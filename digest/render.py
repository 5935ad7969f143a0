"""Render a ``Digest`` record as HTML, plain text, Markdown or Atom with the bundled or user templates."""

from __future__ import annotations

import importlib.resources
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jinja2

from bulletin.records import Case, Digest
from digest.chart import TacticChart, case_tactics, tactic_chart
from digest.filters import FILTERS, iso_date, oneline, person_penalties, tactic_words

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


@dataclass(frozen=True, slots=True)
class TacticView:
    label: str
    words: str
    evidence: str  # every evidence span for the label, joined; "" when none was recorded
    note: int  # footnote number, unique across the digest


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case as the templates show it: numbered, with grouped penalties and numbered evidence."""

    number: int
    anchor: str
    case: Case
    subjects: tuple[str, ...]
    tactics: tuple[TacticView, ...]
    sentences: tuple[tuple[str, str], ...]  # (person, penalty words)
    laws: tuple[str, ...]


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
    person: str
    case: CaseView
    words: str


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


def render_digest(digest: Digest, fmt: str, env: jinja2.Environment | None = None) -> str:
    """The digest in ``fmt`` (one of ``FORMATS``) as a string."""
    if fmt not in TEMPLATES:
        raise ValueError(f"unknown digest format {fmt!r} (one of {', '.join(FORMATS)})")
    env = env or make_env()
    template = env.get_template(TEMPLATES[fmt])
    # Autoescaped output comes as many small Markup pieces, and Markup (unlike str) is tracked by
    # the garbage collector. Template.render keeps them all alive until the final join, which sets
    # off full collections that made 10,000 cases 16x slower than 1,000; plain str copies keep
    # rendering linear.
    return "".join([str(piece) for piece in template.generate(**digest_context(digest))])


def digest_context(digest: Digest) -> dict[str, Any]:
    """The variables every digest template receives."""
    cases = _case_views(digest.cases)
    chart: TacticChart = tactic_chart(digest.cases, digest.previous)
    last_day = (digest.end - timedelta(microseconds=1)).date()
    label = (
        iso_date(digest.start)
        if digest.start.date() == last_day
        else f"{iso_date(digest.start)} to {last_day.isoformat()}"
    )
    sentences = [SentenceRow(person, view, words) for view in cases for person, words in view.sentences]
    return {
        "digest": digest,
        "title": f"Bulletin Watch {digest.period} digest",
        "period_label": label,
        "start_date": iso_date(digest.start),
        "end_date": iso_date(digest.end),
        "feed_id": f"{TAG}:digest/{digest.period}/{iso_date(digest.start)}/{iso_date(digest.end)}",
        "tag": TAG,
        "cases": cases,
        "previous_count": len(digest.previous),
        "outlets": sorted({oneline(link.source) for case in digest.cases for link in case.links}),
        "sentences": sentences,
        "people_sentenced": len(sentences),
        "reviewed_count": sum(1 for case in digest.cases if case.reviewed),
        "chart": chart,
        "index": _entity_index(cases),
        "failed_sources": [oneline(s) for s in digest.failed_sources],
    }


def _case_views(cases: Sequence[Case]) -> tuple[CaseView, ...]:
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
        views.append(
            CaseView(
                number=number,
                anchor=f"case-{case.story_id}",
                case=case,
                subjects=tuple(dict.fromkeys(oneline(s) for s in extraction.subjects if s.strip())),
                tactics=tuple(tactics),
                sentences=tuple(person_penalties(extraction.penalties)),
                laws=tuple(dict.fromkeys(oneline(f.text) for f in extraction.laws if f.text.strip())),
            )
        )
    return tuple(views)


def _entity_index(cases: Sequence[CaseView]) -> tuple[IndexGroup, ...]:
    """Organizations, places and groups, each with the cases that mention it; empty groups left out."""
    groups = []
    for label, heading in INDEX_LABELS:
        names: dict[str, str] = {}
        mentions: dict[str, dict[int, CaseView]] = {}
        for view in cases:
            for entity in view.case.extraction.entities:
                if entity.label != label:
                    continue
                name = oneline(entity.text)
                if name.lower().startswith("the "):
                    name = name[4:]
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


def _clip(text: str) -> str:
    return text if len(text) <= EVIDENCE_CHARS else text[: EVIDENCE_CHARS - 1].rstrip() + "…"
