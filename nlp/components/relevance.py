"""bulletin_relevance: decide whether a text reports a security case (doc.cats["SECURITY_CASE"])."""

from __future__ import annotations

import logging
import re

from spacy.language import Language
from spacy.tokens import Doc

from nlp.components.common import RELEVANCE_CAT, check_config, read_patterns

logger = logging.getLogger(__name__)


@Language.factory(
    "bulletin_relevance",
    default_config={"patterns": "relevance.jsonl", "threshold": 3.0},
)
def make_relevance(nlp: Language, name: str, patterns: str, threshold: float) -> RelevanceScorer:
    return RelevanceScorer(name, patterns=patterns, threshold=threshold)


class RelevanceScorer:
    """Weigh security cues against other-crime cues; a case also needs a case event.

    doc.cats["SECURITY_CASE"] is 1.0 or 0.0 and doc.user_data["bulletin_relevance"] keeps
    the score, so a reviewer can see how close the call was.
    """

    def __init__(self, name: str, *, patterns: str, threshold: float) -> None:
        check_config(name, "patterns", patterns, str)
        check_config(name, "threshold", threshold, (int, float))
        self.name = name
        self.threshold = float(threshold)
        self.cues: list[tuple[str, float, re.Pattern[str]]] = []
        # Vetoes: a text shape that is never a case report (a Q&A explainer, a scam by fake
        # officers), however many security words it carries. (min_hits, pattern) pairs.
        self.vetoes: list[tuple[int, re.Pattern[str]]] = []
        for row in read_patterns(patterns):
            kind = row.get("kind")
            if kind == "veto":
                flags = 0 if row.get("case_sensitive") else re.I
                self.vetoes.append((int(row.get("min_hits", 1)), re.compile(row["regex"], flags)))
                continue
            if kind not in ("security", "case", "other_crime"):
                raise ValueError(f"{patterns}: kind expected security/case/other_crime/veto, got {kind!r}")
            self.cues.append((kind, float(row.get("weight", 1.0)), re.compile(row["regex"], re.I)))

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        score = 0.0
        case = False
        for kind, weight, rx in self.cues:
            hits = len(rx.findall(text))
            if not hits:
                continue
            if kind == "case":
                case = True
            else:
                # Repeated cues add a little, so one long article does not swamp the threshold.
                score += weight * min(hits, 3) ** 0.5
        vetoed = any(len(rx.findall(text)) >= n for n, rx in self.vetoes)
        doc.user_data["bulletin_relevance"] = score
        doc.cats[RELEVANCE_CAT] = 1.0 if case and not vetoed and score >= self.threshold else 0.0
        return doc
