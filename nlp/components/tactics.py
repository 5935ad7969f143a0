"""bulletin_tactics: keep the tactic cues that narrate the case, drop general warnings, add the
tactics the trained classifier is confident of."""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc, Span, SpanGroup

from nlp.components.common import (
    CLUSTERS_KEY,
    MENTIONS_KEY,
    SUBJECTS_KEY,
    TACTIC_CUES_KEY,
    TACTICS_KEY,
    check_config,
    in_ranges,
    noise_ranges,
    read_patterns,
)
from nlp.components.cues import CUE_LABEL, CUE_RECORD, cue_words, mention_ranges
from nlp.components.roles import FEATURE_MODES, FeatureClassifier

logger = logging.getLogger(__name__)

# Where one clause of a sentence ends: "received payments, and the court ordered ...".
_CLAUSE_BREAK = re.compile(r";|,\s+(?:and|but|while|whereas|although|though)\b|\s+(?:but|while|whereas)\s+")


@Language.factory(
    "bulletin_tactics",
    default_config={
        "filters": "tactic_filters.jsonl",
        "cues_key": TACTIC_CUES_KEY,
        "per_label": 1,
        "classifier": "",
        "classifier_threshold": 0.9,
        "cue_classifier": "",
        "cue_threshold": 0.4,
        "features": "both",
    },
)
def make_tactics(
    nlp: Language,
    name: str,
    filters: str,
    cues_key: str,
    per_label: int,
    classifier: str,
    classifier_threshold: float,
    cue_classifier: str,
    cue_threshold: float,
    features: str,
) -> TacticFilter:
    return TacticFilter(
        name,
        filters=filters,
        cues_key=cues_key,
        per_label=per_label,
        classifier=classifier,
        classifier_threshold=classifier_threshold,
        cue_classifier=cue_classifier,
        cue_threshold=cue_threshold,
        features=features,
    )


class TacticFilter:
    """Read cue spans (written by a span_ruler under cues_key) and write the kept ones,
    at most per_label per taxonomy label, to doc.spans["bulletin_tactics"].

    A cue is kept when the rule filters pass it (general warnings, exclusions, required
    context, negation, a recruiter as the actor) and, with a cue classifier (cue_classifier,
    a textcat over each cue's feature words, nlp/components/cues.py), when that classifier
    gives at least cue_threshold that its sentence narrates the case's method rather than
    naming its topic: the rules propose, the classifier vetoes. (Held out over the training
    articles, letting the classifier also overrule the rules' rejections scored no better
    than the rules alone; the veto scored best: training/README.md.)

    With a classifier (a multi-label textcat trained on whole articles, training/tactics.cfg),
    a tactic no cue found is added when the classifier gives the article at least
    classifier_threshold for it; its evidence is the sentence the same classifier scores
    highest for that tactic (span_id "classifier"). Rules catch what they were written for;
    the classifier adds recall on wording they were not. The threshold is high because a
    bag-of-words model scores a short text near 0.5 for every label (few features, the
    bias dominates): only a long, clear article gets past it.
    """

    def __init__(
        self,
        name: str,
        *,
        filters: str,
        cues_key: str,
        per_label: int,
        classifier: str = "",
        classifier_threshold: float = 0.9,
        cue_classifier: str = "",
        cue_threshold: float = 0.4,
        features: str = "both",
    ) -> None:
        check_config(name, "filters", filters, str)
        check_config(name, "cues_key", cues_key, str)
        check_config(name, "per_label", per_label, int)
        check_config(name, "classifier", classifier, str)
        check_config(name, "classifier_threshold", classifier_threshold, (int, float))
        check_config(name, "cue_classifier", cue_classifier, str)
        check_config(name, "cue_threshold", cue_threshold, (int, float))
        if features not in FEATURE_MODES:
            raise ValueError(f"{name}: config 'features' expected one of {FEATURE_MODES}, got {features!r}")
        if per_label < 1:
            raise ValueError(f"{name}: config 'per_label' expected an int >= 1, got {per_label}")
        if not 0 < classifier_threshold <= 1:
            raise ValueError(
                f"{name}: config 'classifier_threshold' expected a number in (0, 1], "
                f"got {classifier_threshold}"
            )
        self.name = name
        self.cues_key = cues_key
        self.per_label = per_label
        self.classifier = _load_classifier(classifier) if classifier else None
        self.classifier_threshold = float(classifier_threshold)
        self.cue_classifier = FeatureClassifier(cue_classifier, CUE_LABEL) if cue_classifier else None
        self.cue_threshold = float(cue_threshold)
        self.rule_features = features == "both"
        # Training (nlp/training.py): keep every cue's feature words in doc.user_data.
        self.record = False
        rows = read_patterns(filters)
        warnings = [r["regex"] for r in rows if r.get("kind") == "warning"]
        self.warning = re.compile("|".join(warnings), re.I) if warnings else None
        # (pattern, clause_only): a "scope": "clause" row looks only at the cue's own clause.
        self.exclude: dict[str, list[tuple[re.Pattern[str], bool]]] = {}
        for row in rows:
            if row.get("kind") == "exclude":
                scope = row.get("scope", "sentence")
                if scope not in ("sentence", "clause"):
                    raise ValueError(f"{filters}: scope expected sentence/clause, got {scope!r}")
                rx = re.compile(row["regex"], re.I)
                self.exclude.setdefault(row["label"], []).append((rx, scope == "clause"))
        # label -> (lemmas, window): a cue of this label counts only with one of these lemmas
        # within window tokens in its sentence ("met him online", not "posted online").
        self.context: dict[str, tuple[frozenset[str], int]] = {
            row["label"]: (frozenset(row["lemmas"]), int(row.get("window", 8)))
            for row in rows
            if row.get("kind") == "requires_context"
        }

    def __call__(self, doc: Doc) -> Doc:
        kept: list[Span] = []
        try:
            kept = self._filter(doc)
            kept.extend(self._classified(doc, {s.label_ for s in kept}))
        except Exception:
            logger.exception("bulletin_tactics failed on a %d-char doc", len(doc.text))
        doc.spans[TACTICS_KEY] = SpanGroup(doc, name=TACTICS_KEY, spans=kept)
        return doc

    def _filter(self, doc: Doc) -> list[Span]:
        if self.cues_key not in doc.spans:
            return []
        noise = noise_ranges(doc)
        mentions = list(doc.spans.get(MENTIONS_KEY, []))
        verdicts: dict[int, bool] = {}
        excluded: dict[tuple[int, str], bool] = {}
        candidates: list[tuple[Span, dict[str, bool]]] = []
        for span in sorted(doc.spans[self.cues_key], key=lambda s: (s.start, -len(s))):
            if in_ranges(span.start_char, span.end_char, noise):
                continue
            sent = span.sent if doc.has_annotation("SENT_START") else doc[:]
            if sent.start not in verdicts:
                verdicts[sent.start] = bool(self.warning and self.warning.search(sent.text))
            key = (sent.start, span.label_)
            if key not in excluded:
                excluded[key] = any(
                    rx.search(sent.text) for rx, clause in self.exclude.get(span.label_, []) if not clause
                )
            named_before = any(
                sent.start_char <= m.start_char and m.end_char <= span.start_char for m in mentions
            )
            votes = {
                "warning": verdicts[sent.start],
                "excluded": excluded[key],
                "clause": self._clause_excluded(sent, span),
                "context": not self._in_context(sent, span),
                # "did not receive any money", "denied being paid": not the tactic
                "negated": _negated(span),
                # "the handler persuaded Feng to ...": the recruiter is not a subject
                "actor": span.id_ == "subject_actor" and not named_before,
            }
            candidates.append((span, votes))
        passed = [i for i, (_, votes) in enumerate(candidates) if not any(votes.values())]
        if self.cue_classifier is not None or self.record:
            examples = self._cue_examples(doc, candidates)
            if self.record:
                doc.user_data[CUE_RECORD] = [
                    {"label": span.label_, "start": span.start_char, "words": words}
                    for (span, _), words in zip(candidates, examples, strict=True)
                ]
            if self.cue_classifier is not None:  # the veto: only what the rules passed is scored
                scores = self.cue_classifier.scores([examples[i] for i in passed])
                passed = [i for i, p in zip(passed, scores, strict=True) if p >= self.cue_threshold]
        return self._first_per_label([candidates[i][0] for i in passed])

    def _first_per_label(self, spans: list[Span]) -> list[Span]:
        counts: dict[str, int] = {}
        kept = []
        for span in spans:
            if counts.get(span.label_, 0) < self.per_label:
                counts[span.label_] = counts.get(span.label_, 0) + 1
                kept.append(span)
        return kept

    def _cue_examples(self, doc: Doc, candidates: list[tuple[Span, dict[str, bool]]]) -> list[list[str]]:
        """The cue classifier's feature words of each candidate cue."""
        if not candidates:
            return []
        subjects = {s.label_ for s in doc.spans.get(SUBJECTS_KEY, [])}
        clustered = list(doc.spans.get(CLUSTERS_KEY, []))
        defendants = mention_ranges(doc.spans.get(MENTIONS_KEY, [])) + mention_ranges(
            s for s in clustered if s.label_ in subjects
        )
        people = mention_ranges(s for s in clustered if s.label_ not in subjects)
        starts = [s.start for s in doc.sents] if doc.has_annotation("SENT_START") else [0]
        return [
            cue_words(
                span,
                defendants,
                people,
                (bisect_right(starts, span.start) - 1, len(starts)),
                votes if self.rule_features else None,
            )
            for span, votes in candidates
        ]

    def _in_context(self, sent: Span, span: Span) -> bool:
        """Whether a cue whose label requires context has one of its lemmas nearby."""
        if span.label_ not in self.context:
            return True
        lemmas, window = self.context[span.label_]
        lo, hi = max(sent.start, span.start - window), min(sent.end, span.end + window)
        doc = span.doc
        return any(tok.lemma_.lower() in lemmas or tok.lower_ in lemmas for tok in doc[lo:hi])

    def _classified(self, doc: Doc, found: set[str]) -> list[Span]:
        """Spans for the tactics the classifier is confident of and no cue found."""
        if self.classifier is None or not len(doc) or not doc.has_annotation("SENT_START"):
            return []
        scores = self._predict([doc])[0]
        wanted = [
            label for label, p in scores.items() if p >= self.classifier_threshold and label not in found
        ]
        if not wanted:
            return []
        noise = noise_ranges(doc)
        sents = [
            s
            for s in doc.sents
            if s.text.strip()
            and not in_ranges(s.start_char, s.end_char, noise)
            and not (self.warning and self.warning.search(s.text))
        ]
        if not sents:
            return []
        per_sent = self._predict([s.as_doc() for s in sents])
        out = []
        for label in wanted:
            best = max(range(len(sents)), key=lambda i: per_sent[i].get(label, 0.0))
            sent = sents[best]
            out.append(Span(doc, sent.start, sent.end, label=label, span_id="classifier"))
        return out

    def _predict(self, docs: list[Doc]) -> list[dict[str, float]]:
        """The classifier's scores per doc ({} for an empty doc, which TextCatBOW cannot take)."""
        if self.classifier is None:
            return [{} for _ in docs]
        usable = [d for d in docs if len(d)]
        scores = self.classifier.predict(usable) if usable else None
        labels = self.classifier.labels
        out, row = [], 0
        for d in docs:
            if len(d) and scores is not None:
                out.append({label: float(scores[row][i]) for i, label in enumerate(labels)})
                row += 1
            else:
                out.append({})
        return out

    def _clause_excluded(self, sent: Span, span: Span) -> bool:
        rows = [rx for rx, clause in self.exclude.get(span.label_, []) if clause]
        if not rows:
            return False
        text, start, end = sent.text, span.start_char - sent.start_char, span.end_char - sent.start_char
        cuts = [m for m in _CLAUSE_BREAK.finditer(text)]
        left = max((m.end() for m in cuts if m.end() <= start), default=0)
        right = min((m.start() for m in cuts if m.start() >= end), default=len(text))
        clause = text[left:right]
        return any(rx.search(clause) for rx in rows)


# Verbs that deny what their clause says ("denied receiving money", "refused the payment").
_DENIAL_LEMMAS = frozenset({"deny", "refuse", "reject", "decline"})


def _negated(span: Span) -> bool:
    """Whether the parse negates the cue: a ``neg`` ("not", "never") on the verb that governs
    it, "no" as the determiner of its noun ("no money"), or a verb of denial above it."""
    verb = span.root
    for _ in range(3):
        if verb.pos_ in ("VERB", "AUX") or verb.head is verb:
            break
        verb = verb.head
    if any(child.dep_ == "neg" or child.lower_ == "never" for child in verb.children):
        return True
    if any(child.lower_ == "no" and child.dep_ == "det" for token in span for child in token.children):
        return True
    above = verb
    for _ in range(2):
        if above.head is above:
            break
        above = above.head
        if above.lemma_.lower() in _DENIAL_LEMMAS:
            return True
    return verb.lemma_.lower() in _DENIAL_LEMMAS


@lru_cache(maxsize=4)
def _load_classifier(path: str) -> TextCategorizer:
    """The textcat_multilabel of the pipeline at path, loaded once per process."""
    try:
        pipeline = spacy.load(path)
    except (OSError, ValueError) as exc:
        message = f"bulletin_tactics: classifier {path} is not loadable: {exc}"
        raise ValueError(message.splitlines()[0]) from exc
    pipe = pipeline.get_pipe("textcat_multilabel")
    if not isinstance(pipe, TextCategorizer):
        raise ValueError(f"bulletin_tactics: {path} has no textcat_multilabel component")
    return pipe
