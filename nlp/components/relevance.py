"""bulletin_relevance: score whether a text reports a security case (doc.cats["SECURITY_CASE"])."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc
from spacy.util import minibatch

from nlp.components.common import PENALTIES_KEY, RELEVANCE_CAT, SUBJECTS_KEY, check_config, read_patterns
from nlp.components.subjects import FALLBACK_FLAG

logger = logging.getLogger(__name__)

FULL_VOTE_TOKENS = 300


@Language.factory(
    "bulletin_relevance",
    default_config={
        "patterns": "relevance.jsonl",
        "classifier": "",
        "threshold": 3.0,
        "classifier_label": "CASE",
        "classifier_weight": 1.5,
        "scale": 2.0,
    },
)
def make_relevance(
    nlp: Language,
    name: str,
    patterns: str,
    classifier: str,
    threshold: float,
    classifier_label: str,
    classifier_weight: float,
    scale: float,
) -> RelevanceScorer:
    return RelevanceScorer(
        name,
        patterns=patterns,
        classifier=classifier,
        threshold=threshold,
        classifier_label=classifier_label,
        classifier_weight=classifier_weight,
        scale=scale,
    )


class RelevanceScorer:
    """Weigh security cues against other-crime cues, plus the trained classifier's vote.

    The cue score adds the security phrases' weights and subtracts other crimes'; the
    trained bag-of-words textcat (doc.cats[classifier_label], when the pipeline has it) adds
    up to +/- classifier_weight, so it settles close calls without overruling clear ones. A
    case also needs a case event (charged, sentenced, arrested...) and no veto.

    doc.cats["SECURITY_CASE"] is a score in 0..1: a logistic of (score - threshold) / scale,
    scaled by 0.4 without a case event and again without any subject or penalty (either keeps
    it below the line), cut to a third by a veto, so 0.5 is the decision line
    and a reviewer can see how close the call was. doc.user_data["bulletin_relevance"]
    keeps the raw score.
    """

    def __init__(
        self,
        name: str,
        *,
        patterns: str,
        threshold: float,
        classifier: str = "",
        classifier_label: str = "CASE",
        classifier_weight: float = 1.5,
        scale: float = 2.0,
    ) -> None:
        check_config(name, "patterns", patterns, str)
        check_config(name, "threshold", threshold, (int, float))
        check_config(name, "classifier", classifier, str)
        check_config(name, "classifier_label", classifier_label, str)
        check_config(name, "classifier_weight", classifier_weight, (int, float))
        check_config(name, "scale", scale, (int, float))
        if scale <= 0:
            raise ValueError(f"{name}: config 'scale' expected a number > 0, got {scale}")
        self.name = name
        self.threshold = float(threshold)
        self.classifier_label = classifier_label
        self.classifier_weight = float(classifier_weight)
        self.scale = float(scale)
        # The trained textcat (a pipeline directory written by `spacy train`), or None.
        self.classifier = _load_classifier(classifier) if classifier else None
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

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size):
            self._classify(batch)
            yield from (self._score(doc) for doc in batch)

    def __call__(self, doc: Doc) -> Doc:
        self._classify([doc])
        return self._score(doc)

    def _classify(self, docs: list[Doc]) -> None:
        """Write the classifier's doc.cats; empty docs are skipped (TextCatBOW fails on them)."""
        if self.classifier is None:
            return
        usable = [doc for doc in docs if len(doc)]
        if usable:
            self.classifier.set_annotations(usable, self.classifier.predict(usable))

    def _score(self, doc: Doc) -> Doc:
        # Curly apostrophes (People\u2019s) read as straight ones; same length, same offsets.
        text = doc.text.replace("\u2019", "'")
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
        vote = doc.cats.get(self.classifier_label)
        if vote is not None:
            # A bag-of-words vote on a short text is mostly its bias: its weight grows with
            # the length, in full from FULL_VOTE_TOKENS tokens (a short news story).
            weight = self.classifier_weight * min(1.0, len(doc) / FULL_VOTE_TOKENS)
            score += weight * (2.0 * float(vote) - 1.0)
        vetoed = any(len(rx.findall(text)) >= n for n, rx in self.vetoes)
        doc.user_data["bulletin_relevance"] = score
        z = max(-50.0, min(50.0, (score - self.threshold) / self.scale))
        probability = 1.0 / (1.0 + math.exp(-z))
        if not case:
            probability *= 0.4
        if vetoed:
            probability /= 3.0
        someone = len(doc.spans.get(SUBJECTS_KEY, [])) and not doc.user_data.get(FALLBACK_FLAG)
        if not someone and not len(doc.spans.get(PENALTIES_KEY, [])):
            # Nobody charged, sentenced or recruited: an advisory, an explainer, a rules story
            # far more often than a case. Kept below the line, while the score still shows a
            # reviewer how case-like the text reads.
            probability *= 0.4
        doc.cats[RELEVANCE_CAT] = probability
        return doc


@lru_cache(maxsize=4)
def _load_classifier(path: str) -> TextCategorizer:
    """The textcat of the pipeline at path, loaded once per process."""
    try:
        pipeline = spacy.load(path)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"bulletin_relevance: classifier {path} is not loadable: {exc}".splitlines()[0]
        ) from exc
    pipe = pipeline.get_pipe("textcat")
    if not isinstance(pipe, TextCategorizer):
        raise ValueError(f"bulletin_relevance: {path} has no textcat component")
    return pipe
