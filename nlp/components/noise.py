"""bulletin_noise: mark copy that is not article prose (image lines, captions, trailers)."""

from __future__ import annotations

import logging
import re

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup

from nlp.components.common import NOISE_KEY, char_span, check_config, read_patterns

logger = logging.getLogger(__name__)


@Language.factory(
    "bulletin_noise",
    default_config={"patterns": "noise.jsonl"},
)
def make_noise(nlp: Language, name: str, patterns: str) -> NoiseMarker:
    return NoiseMarker(name, patterns=patterns)


class NoiseMarker:
    """Write the character ranges of noise lines to doc.spans["bulletin_noise"].

    The text itself is never changed, because every offset we report must point into the
    text we were given; later components skip spans that overlap these ranges.
    """

    def __init__(self, name: str, *, patterns: str) -> None:
        check_config(name, "patterns", patterns, str)
        self.name = name
        rows = read_patterns(patterns)
        self.line_res = [re.compile(r["regex"], re.I) for r in rows if r.get("kind") == "line"]

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        text = doc.text
        pos = 0
        for line in text.splitlines(keepends=True):
            body = line.strip()
            if body and any(r.search(body) for r in self.line_res):
                span = char_span(doc, pos, pos + len(line.rstrip("\r\n")), label="noise")
                if span is not None:
                    spans.append(span)
            pos += len(line)
        doc.spans[NOISE_KEY] = SpanGroup(doc, name=NOISE_KEY, spans=spans)
        return doc
