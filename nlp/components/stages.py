"""bulletin_stages: find the legal stages a report gives (arrest, charge, plea, sentence, appeal, release)."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, SpanGroup, Token

from bulletin.records import STAGE_LABELS
from nlp.components.common import (
    PENALTIES_KEY,
    STAGES_KEY,
    check_config,
    in_ranges,
    noise_ranges,
    read_patterns,
    set_payload,
    terms,
)
from nlp.dates import date_parts

logger = logging.getLogger(__name__)

# In the order a prosecution goes through them: a report's stage is the furthest it gives.
STAGES = STAGE_LABELS
# A date is read from the anchor's own phrases, never across into another clause.
_CLAUSES = frozenset({"relcl", "advcl", "ccomp", "xcomp", "conj", "acl", "parataxis", "csubj", "csubjpass"})
_TIME_DEPS = frozenset({"prep", "npadvmod", "tmod", "obl", "advmod", "nmod", "pobj", "dep", "appos", "pcomp"})
# Clauses through which "expected to plead guilty", "if convicted" reach a governor.
_UP_DEPS = frozenset({"xcomp", "ccomp", "advcl", "acl", "relcl", "pcomp", "conj"})
_PERSON_PRONOUNS = frozenset({"he", "she", "they", "him", "her", "them", "who"})
_NOUN_HEAD_DEPS = frozenset({"dobj", "nsubj", "nsubjpass", "attr", "pobj", "compound"})
# How far (tokens) from its cue a date may sit when the parse attaches none.
_NEAR = 3


@Language.factory("bulletin_stages", default_config={"patterns": "stages.jsonl"})
def make_stages(nlp: Language, name: str, patterns: str) -> StageFinder:
    return StageFinder(nlp, name, patterns=patterns)


class StageFinder:
    """Write one span per stage event to doc.spans["bulletin_stages"].

    The span is the evidence (the cue, widened to the date attached to it); its label is
    the stage (one of ``STAGES``); its payload (common.get_payload) is ``{"date": parts,
    "date_start": ..., "date_end": ...}`` with the date's ``nlp.dates.DateParts`` as a dict
    (empty when the text gives no date). Penalties already found count as a sentencing.
    Needs a tagger and parser: on a doc without them it writes an empty group.
    """

    def __init__(self, nlp: Language, name: str, *, patterns: str) -> None:
        check_config(name, "patterns", patterns, str)
        self.name = name
        rows = read_patterns(patterns)
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.rules: dict[str, dict[str, Any]] = {}
        for number, row in enumerate(rows):
            if "pattern" not in row:
                continue
            if row.get("label") not in STAGES:
                got = row.get("label")
                raise ValueError(f"{name}: pattern {number} expected a label in {STAGES}, got {got!r}")
            key = f"{row['label']}#{number}"
            self.matcher.add(key, [row["pattern"]])
            self.rules[key] = row
        self.not_yet = frozenset(terms(rows, "not_yet"))
        self.not_released = frozenset(terms(rows, "not_released"))
        self.statute = frozenset(terms(rows, "statute"))

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        try:
            if doc.has_annotation("DEP") and doc.has_annotation("POS") and doc.has_annotation("LEMMA"):
                spans = self._find(doc)
        except Exception:
            logger.exception("bulletin_stages failed on a %d-char doc", len(doc.text))
        doc.spans[STAGES_KEY] = SpanGroup(doc, name=STAGES_KEY, spans=spans)
        return doc

    def _find(self, doc: Doc) -> list[Span]:
        noise = noise_ranges(doc)
        found: list[Span] = []
        taken: set[tuple[int, int]] = set()
        sentence_lemmas: dict[int, frozenset[str]] = {}
        for match_id, start, end in self.matcher(doc):
            row = self.rules[doc.vocab.strings[match_id]]
            match = doc[start:end]
            if in_ranges(match.start_char, match.end_char, noise):
                continue
            anchor = match[min(int(row.get("anchor", 0)), len(match) - 1)]
            sent = anchor.sent
            lemmas = sentence_lemmas.get(sent.start)
            if lemmas is None:
                lemmas = sentence_lemmas[sent.start] = frozenset(t.lemma_.casefold() for t in sent)
            if lemmas & self.statute:
                continue
            if row.get("requires") and not lemmas & set(row["requires"]):
                continue
            if start > 0 and doc[start - 1].lower_ in row.get("not_after", ()):
                continue
            if self._not_yet(anchor, match):
                continue
            if row.get("person") and not self._person_released(anchor):
                continue
            if (start, end) in taken:
                continue
            taken.add((start, end))
            found.append(self._event(doc, match, anchor, row["label"]))
        sentenced = {s.sent.start for s in found if s.label_ == "sentencing"}
        for penalty in doc.spans.get(PENALTIES_KEY, []):
            if penalty.sent.start in sentenced or in_ranges(penalty.start_char, penalty.end_char, noise):
                continue
            sentenced.add(penalty.sent.start)
            anchor = penalty.root
            for _ in range(4):
                if anchor.pos_ in ("VERB", "AUX") or anchor.head is anchor:
                    break
                anchor = anchor.head
            if self._not_yet(anchor, penalty):  # "agreed to forfeit the money"
                continue
            found.append(self._event(doc, penalty, anchor, "sentencing"))
        found.sort(key=lambda s: (s.start, s.end))
        return found

    def _event(self, doc: Doc, match: Span, anchor: Token, label: str) -> Span:
        when = _attached_date(doc, anchor, match)
        start, end = match.start, match.end
        payload: dict[str, Any] = {"date": {}}
        if when is not None:
            parts = date_parts(t.text for t in when)
            if not parts.empty:
                payload = {"date": parts.to_json(), "date_start": when.start_char, "date_end": when.end_char}
                start, end = min(start, when.start), max(end, when.end)
        span = Span(doc, start, end, label=label)
        set_payload(span, payload)
        return span

    def _not_yet(self, anchor: Token, match: Span) -> bool:
        """Whether the stage is only announced, possible or denied: "will be sentenced",
        "expected to plead guilty", "if convicted", "was not charged", "those who ... are arrested"."""
        token = anchor
        for _ in range(3):
            for child in token.children:
                if child.i in range(match.start, match.end):
                    continue
                if child.dep_ == "neg":
                    return True
                if child.dep_ in ("aux", "auxpass", "mark", "advmod", "nsubj", "nsubjpass") and (
                    child.lemma_.casefold() in self.not_yet
                ):
                    return True
            if token.dep_ not in _UP_DEPS or token.head is token:
                return False
            token = token.head
            if token.lemma_.casefold() in self.not_yet:
                return True
        return False

    def _person_released(self, anchor: Token) -> bool:
        """Whether a person is released ("he was released from prison", "freed Lee"), not a
        statement, a video or someone on bail."""
        near = [*anchor.children, *(g for c in anchor.children for g in c.children)]
        if any(t.lemma_.casefold() in self.not_released for t in near):
            return False
        for child in anchor.children:
            if child.dep_ not in ("nsubjpass", "nsubj", "dobj"):
                continue
            if child.lower_ in _PERSON_PRONOUNS or child.ent_type_ == "PERSON" or child.pos_ == "PROPN":
                return True
            if any(t.ent_type_ == "PERSON" for t in child.subtree):
                return True
        return False


_STATUTE_NOUNS = frozenset({"act", "law", "ordinance", "code", "regulations", "order"})


def _attached_date(doc: Doc, anchor: Token, match: Span) -> Span | None:
    """The DATE entity in the anchor's own phrases ("arrested in April 2023", "pleaded guilty on
    Tuesday"); for a noun cue in its verb's ("took coercive measures against him in March"); for
    the second of two verbs in the first's ("was arrested on Monday and charged"). When the
    parse attaches none (a garbled parse: "A judge on Wednesday sentenced Leung"), the nearest
    date within ``_NEAR`` tokens of the cue in its sentence."""
    roots = [anchor]
    noun = anchor.pos_ in ("NOUN", "PROPN", "ADJ") and anchor.dep_ in _NOUN_HEAD_DEPS
    if (noun or anchor.dep_ == "conj") and anchor.head is not anchor:
        roots.append(anchor.head)
    found = _tree_date(doc, roots)
    if found is not None:
        return found
    sent = anchor.sent
    near = []
    for ent in sent.ents:
        if ent.label_ != "DATE" or date_parts(t.text for t in ent).empty or _statute_year(doc, ent):
            continue
        gap = match.start - ent.end if ent.end <= match.start else ent.start - match.end
        if 0 <= gap <= _NEAR:
            near.append((gap, ent.start, ent))
    return min(near, key=lambda n: (n[0], n[1]))[2] if near else None


def _tree_date(doc: Doc, roots: list[Token]) -> Span | None:
    for root in roots:
        queue = deque(c for c in root.children if c.dep_ in _TIME_DEPS or c.ent_type_ == "DATE")
        seen: set[int] = set()
        while queue:
            token = queue.popleft()
            if token.i in seen:
                continue
            seen.add(token.i)
            if token.ent_type_ == "DATE":
                ent = _entity_at(doc, token)
                if (
                    ent is not None
                    and not date_parts(t.text for t in ent).empty
                    and not _statute_year(doc, ent)
                ):
                    return ent
            queue.extend(c for c in token.children if c.dep_ not in _CLAUSES)
    return None


def _statute_year(doc: Doc, ent: Span) -> bool:
    """A year that is part of a statute's name ("Official Secrets Act 1989"), not a stage date."""
    return ent.start > 0 and doc[ent.start - 1].lower_ in _STATUTE_NOUNS and len(ent) == 1


def _entity_at(doc: Doc, token: Token) -> Span | None:
    start = token.i
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    end = token.i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[start:end]
