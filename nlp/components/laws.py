"""bulletin_laws: collect law citations, widen them to their article, normalise name and article."""

from __future__ import annotations

import logging
import re

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from nlp.components.common import (
    LAWS_KEY,
    char_span,
    check_config,
    in_ranges,
    noise_ranges,
    set_payload,
)

logger = logging.getLogger(__name__)

_ARTICLE_BEFORE = re.compile(
    r"(?P<art>\b(?i:Articles?|Sections?|Paragraph|Clause)\s+\d+[\w()]*"
    r"(?:\s*(?:,|and|,\s*and)\s*\d+[\w()]*)*)\s+of\s+(?:the\s+|China's\s+)?$"
)
_PRC_AFTER = re.compile(r"^\s+of\s+the\s+People['\u2019]s\s+Republic\s+of\s+China|^\s+\(PRC\)")
_LAW_WORD = re.compile(r"\b(?:Law|Act|Code|Regulations?|Ordinance)\b|\bU\.?S\.?C\b")
_YEAR_AFTER = re.compile(r"^,?\s+(?:of\s+)?(?P<year>(?:1[89]|20)\d\d)\b")
_NORMALISE = re.compile(
    r"^(?:the\s+|China's\s+|PRC\s+)|\s+of\s+the\s+People['\u2019]s\s+Republic\s+of\s+China$"
)


@Language.factory("bulletin_laws", default_config={"max_prefix": 80})
def make_laws(nlp: Language, name: str, max_prefix: int) -> LawCollector:
    return LawCollector(name, max_prefix=max_prefix)


class LawCollector:
    """Write one span per law citation to doc.spans["bulletin_laws"]; span._.bulletin holds
    {"law": name, "article": "7"} (article only when cited)."""

    def __init__(self, name: str, *, max_prefix: int) -> None:
        check_config(name, "max_prefix", max_prefix, int)
        self.name = name
        self.max_prefix = max_prefix

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        try:
            spans = self._collect(doc)
        except Exception:
            logger.exception("bulletin_laws failed on a %d-char doc", len(doc.text))
        doc.spans[LAWS_KEY] = SpanGroup(doc, name=LAWS_KEY, spans=spans)
        return doc

    def _collect(self, doc: Doc) -> list[Span]:
        text = doc.text
        noise = noise_ranges(doc)
        out: list[Span] = []
        taken: list[tuple[int, int]] = []
        for ent in doc.ents:
            if ent.label_ != "LAW" or not _LAW_WORD.search(ent.text):
                continue
            start, end = ent.start_char, ent.end_char
            if in_ranges(start, end, noise) or in_ranges(start, end, taken):
                continue
            article = None
            inner = re.match(r"(?:Articles?|Sections?)\s+(?P<n>\d+[\w()]*)\s+of\s+(?:the\s+)?", ent.text)
            name = ent.text
            if inner:
                article = inner.group("n")
                name = ent.text[inner.end() :]
            else:
                m = _ARTICLE_BEFORE.search(text[max(0, start - self.max_prefix) : start])
                if m:
                    start -= len(m.group(0))
                    number = re.search(r"\d+[\w()]*", m.group("art"))
                    article = number.group(0) if number else m.group("art")
            tail = _PRC_AFTER.match(text[end : end + 60])
            if tail:
                end += tail.end()
            law = _NORMALISE.sub("", _NORMALISE.sub("", name.strip())).strip()
            year = _YEAR_AFTER.match(text[end : end + 12])
            if year and not re.search(r"\d{4}$", law):
                end += year.end()
                law = f"{law} {year.group('year')}"
            span = char_span(doc, start, end, label="LAW")
            if span is None:
                continue
            set_payload(span, {"law": law, **({"article": article} if article else {})})
            out.append(span)
            taken.append((start, end))
        return out
