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
        for row in read_patterns(patterns):
            kind = row.get("kind")
            if kind not in ("security", "case", "other_crime"):
                raise ValueError(f"{patterns}: kind expected security/case/other_crime, got {kind!r}")
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
        doc.user_data["bulletin_relevance"] = score
        doc.cats[RELEVANCE_CAT] = 1.0 if case and score >= self.threshold else 0.0
        return doc
