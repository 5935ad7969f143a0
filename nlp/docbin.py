"""Extraction records as spaCy training data: one ``Doc`` per article in a ``DocBin``.

``bulletin export --format spacy`` writes the reviewed articles this way, so the analysts'
corrections can train or test a component with ``spacy train`` / ``spacy evaluate``:

- ``doc.ents``: the record's entities (overlaps resolved longest-first by ``filter_spans``);
- ``doc.spans``: ``subjects`` (each mention of a subject's name, label ``SUBJECT``),
  ``tactics`` (label = tactic), ``penalties`` (label = penalty kind) and ``laws``;
- ``doc.cats``: ``CASE``/``OTHER`` and one 0/1 category per tactic label, the categories the
  shipped relevance and tactics classifiers are trained on (``training/make_corpus.py``);
- ``doc.user_data["record"]``: the whole record, penalty terms and amounts included.

Offsets that do not fall on token boundaries are widened to the tokens they touch; an
offset outside the text is left out and counted. No ``Doc`` leaves ``nlp/``: callers get bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

TACTIC_LABELS = (
    "financial_inducement",
    "emotional_manipulation",
    "blackmail_coercion",
    "contract_packaging",
    "project_collaboration",
    "online_approach",
    "false_identity",
    "insider_exploitation",
    "covert_communication",
    "proxy_recruitment",
    "voluntary_offer",
)
SPAN_GROUPS = ("subjects", "tactics", "penalties", "laws")


@dataclass
class DocBinCount:
    docs: int = 0
    spans: int = 0
    skipped_spans: int = 0  # offsets outside the text or over no token


def _span(doc: Doc, start: Any, end: Any, label: str, count: DocBinCount) -> Span | None:
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(doc.text)):
        count.skipped_spans += 1
        return None
    span = doc.char_span(start, end, label=label, alignment_mode="expand")
    if span is None or not span.text.strip():
        count.skipped_spans += 1
        return None
    count.spans += 1
    return span


def _mentions(doc: Doc, name: str) -> list[tuple[int, int]]:
    """Character offsets of a subject's name in the text: the full name, else its last word."""
    for needle in dict.fromkeys((name, name.split()[-1] if name.split() else name)):
        found, at = [], doc.text.find(needle)
        while needle and at != -1:
            found.append((at, at + len(needle)))
            at = doc.text.find(needle, at + len(needle))
        if found:
            return found
    return []


def record_doc(nlp: Language, text: str, record: Mapping[str, Any], count: DocBinCount) -> Doc:
    """The ``Doc`` of one article with its record's findings as entities, span groups and cats."""
    doc = nlp.make_doc(text)
    ents = [
        _span(doc, e.get("start"), e.get("end"), str(e.get("label", "")), count)
        for e in record.get("entities", ())
    ]
    doc.ents = filter_spans([s for s in ents if s is not None])
    groups: dict[str, list[Span | None]] = {name: [] for name in SPAN_GROUPS}
    for name in record.get("subjects", ()):
        groups["subjects"] += [_span(doc, s, e, "SUBJECT", count) for s, e in _mentions(doc, str(name))]
    for tactic in record.get("tactics", ()):
        groups["tactics"].append(
            _span(doc, tactic.get("start"), tactic.get("end"), str(tactic["label"]), count)
        )
    for penalty in record.get("penalties", ()):
        if "start" in penalty:
            groups["penalties"].append(
                _span(doc, penalty.get("start"), penalty.get("end"), str(penalty.get("kind", "")), count)
            )
    for law in record.get("laws", ()):
        groups["laws"].append(_span(doc, law.get("start"), law.get("end"), "LAW", count))
    for name, spans in groups.items():
        doc.spans[name] = [s for s in spans if s is not None]
    relevant = bool(record.get("relevant"))
    labels = {t.get("label") for t in record.get("tactics", ())}
    doc.cats = {"CASE": float(relevant), "OTHER": float(not relevant)}
    doc.cats.update({label: float(label in labels) for label in TACTIC_LABELS})
    doc.user_data["record"] = dict(record)
    return doc


def docbin_bytes(
    examples: Iterable[tuple[str, Mapping[str, Any]]], count: DocBinCount | None = None
) -> bytes:
    """A serialised ``DocBin`` of (text, record) pairs, tokenised as the pipeline tokenises."""
    count = count if count is not None else DocBinCount()
    nlp = spacy.blank("en")
    docbin = DocBin(store_user_data=True)
    for text, record in examples:
        docbin.add(record_doc(nlp, text, record, count))
        count.docs += 1
    return docbin.to_bytes()
