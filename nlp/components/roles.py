"""Features and trained classifiers for the two decisions made over person clusters.

Who is a defendant (the **role** of a cluster) and whose sentence a penalty is (the
**attribution** of a penalty to a cluster) are made by two small trained `textcat` pipelines
(`nlp/models/roles`, `nlp/models/attribution`; `training/roles.cfg`, `training/attribution.cfg`).
Each example is a bag of feature words read off the parse and the context: the dependency
relation of each mention and the lemma it hangs from ("dep=nsubjpass head=sentence"), its
appositions and titles, the words around it, and, for a (penalty, person) pair, where the
person stands relative to the penalty, what lies between them and how the parse links them.
The rule components' own votes (``rule=...`` words) are features too, so the model learns how
far to trust each rule; `features="trained"` leaves them out (the ablation in the README).

The feature words are built as a `Doc` from a list of words, never through a tokenizer, so
training (`training/make_corpus.py`) and extraction see exactly the same examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc, Token

# The positive label of each classifier (the other is its negation).
ROLE_LABEL = "DEFENDANT"
ROLE_OTHER = "OTHER"
LINK_LABEL = "LINK"
LINK_OTHER = "NOLINK"
FEATURE_MODES = ("both", "trained")
# Features the doc-level record keeps for training and explanation (doc.user_data keys).
ROLE_RECORD = "bulletin_role_features"
LINK_RECORD = "bulletin_link_features"
_MAX_MENTIONS = 8
_CLIMB = ("compound", "flat", "amod", "nmod", "conj", "appos")


def bucket(value: int, edges: Sequence[int]) -> str:
    """The first edge value is at most, as a word ("<=2"), or "more"."""
    for edge in edges:
        if value <= edge:
            return f"<={edge}"
    return "more"


def _root(doc: Doc, start: int, end: int) -> Token | None:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    return span.root


def _governor(token: Token) -> tuple[Token, list[str]]:
    """Up through the parts of a name phrase to the token that plays the clause role."""
    seen: list[str] = []
    for _ in range(4):
        if token.dep_ not in _CLIMB or token.head == token:
            break
        seen.append(token.dep_)
        token = token.head
    return token, seen


def mention_words(doc: Doc, start: int, end: int, prefix: str = "") -> list[str]:
    """Feature words of one mention: its clause role, the word it hangs from, appositions,
    possessors, the sentence's main verb and the words right around it."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return []
    token = span.root
    words: list[str] = []
    gov, climbed = _governor(token)
    head = gov.head
    words += [f"{prefix}dep={gov.dep_}", f"{prefix}head={head.lemma_.lower()}"]
    words.append(f"{prefix}dh={gov.dep_}_{head.lemma_.lower()}")
    if head.head != head and head.dep_ in ("xcomp", "conj", "ccomp", "advcl", "relcl", "prep", "agent"):
        words.append(f"{prefix}hh={head.dep_}_{head.head.lemma_.lower()}")
    words += [f"{prefix}up={dep}" for dep in climbed]
    for child in list(gov.children) + ([gov.head] if gov.dep_ == "appos" else []):
        if child.dep_ == "appos" or child == gov.head:
            words.append(f"{prefix}appos={child.lemma_.lower()}")
        elif child.dep_ == "poss":
            words.append(f"{prefix}poss={child.lower_}")
        elif child.dep_ in ("compound", "amod") and child.i < token.i and child.ent_type_ != "PERSON":
            words.append(f"{prefix}title={child.lemma_.lower()}")
        elif child.dep_ == "relcl":
            words.append(f"{prefix}relcl={child.lemma_.lower()}")
    sent = token.sent
    words.append(f"{prefix}sroot={sent.root.lemma_.lower()}")
    for offset in (1, 2, 3):
        i = span.start - offset
        if i >= sent.start:
            words.append(f"{prefix}L{offset}={doc[i].lower_}")
        j = span.end - 1 + offset
        if j < sent.end:
            words.append(f"{prefix}R{offset}={doc[j].lower_}")
    if span.start == sent.start:
        words.append(f"{prefix}sent_start")
    return words


def role_words(
    doc: Doc,
    mentions: Sequence[tuple[int, int, str]],
    name: str,
    rule_counts: dict[str, int] | None,
) -> list[str]:
    """Feature words of one person cluster: its mentions' contexts (names first, then
    pronouns and role nouns bound to it), how often and how early it is named, the shape of
    its name, and the rule votes when given."""
    words = [f"nwords={min(len(name.split()), 4)}"]
    names = [m for m in mentions if m[2] == "name"]
    words.append(f"nnames={bucket(len(names), (1, 2, 4))}")
    words.append(f"nrefs={bucket(len(mentions) - len(names), (0, 1, 3))}")
    first = min((m[0] for m in mentions), default=0)
    length = doc[-1].idx + len(doc[-1]) if len(doc) else 1  # doc.text builds the whole string
    words.append(f"first={bucket(first * 10 // max(1, length), (0, 1, 3, 6))}")
    for start, end, kind in sorted(mentions)[:_MAX_MENTIONS]:
        words.append(f"kind={kind}")
        words += mention_words(doc, start, end)
    if rule_counts is not None:
        for key, value in sorted(rule_counts.items()):
            words.append(f"rule_{key}={bucket(value, (0, 1))}")
    return words


def pair_words(
    doc: Doc,
    hit: tuple[int, int],
    mention: tuple[int, int, str],
    between_people: int,
    between_hits: int,
    sentences_back: int,
    defendant: bool,
    rule_chosen: bool | None,
) -> list[str]:
    """Feature words of one (penalty, person) pair: the person's nearest mention to the
    penalty, where it stands, what separates them and how the parse links them."""
    start, end, kind = mention
    hit_start, hit_end = hit
    where = "after" if sentences_back < 0 else bucket(sentences_back, (0, 1, 2, 4))
    words = [f"kind={kind}", f"defendant={int(defendant)}", f"back={where}"]
    after = start >= hit_end
    words.append("pos=after" if after else "pos=before")
    gap = start - hit_end if after else hit_start - end
    words.append(f"gap={bucket(gap, (10, 30, 60, 120, 250))}")
    words.append(f"bpeople={bucket(between_people, (0, 1, 2))}")
    words.append(f"bhits={bucket(between_hits, (0, 1))}")
    words += mention_words(doc, start, end, prefix="m_")
    person = _root(doc, start, end)
    penalty = _root(doc, hit_start, hit_end)
    if person is not None and penalty is not None:
        gov, _ = _governor(person)
        ancestors = {t.i: n for n, t in enumerate(penalty.ancestors, 1)}
        verb = next((t for t in [penalty, *penalty.ancestors] if t.pos_ in ("VERB", "AUX")), None)
        if verb is not None:
            words.append(f"pverb={verb.lemma_.lower()}")
            if gov.head == verb:
                words.append(f"sameverb={gov.dep_}")
        if gov.head.i in ancestors:
            words.append(f"path={bucket(ancestors[gov.head.i], (1, 2, 3))}")
        elif person.sent == penalty.sent:
            words.append("path=none")
        lo, hi = (end, hit_start) if not after else (hit_end, start)
        between = doc.char_span(lo, hi, alignment_mode="contract")
        if between is not None and 0 < len(between) <= 8:
            words += [f"B={t.lower_}" for t in between if not t.is_space]
        elif between is not None and len(between) > 8:
            words.append("B=long")
        for tok in penalty.sent:
            if tok.lower_ in ("respectively", "each", "both", "all", "two", "three"):
                words.append(f"sw={tok.lower_}")
    if rule_chosen is not None:
        words.append(f"rule={int(rule_chosen)}")
    return words


def feature_doc(vocab: spacy.vocab.Vocab, words: Iterable[str]) -> Doc:
    """The example a classifier sees: the feature words as tokens (an empty bag gets one word)."""
    listed = list(words) or ["none"]
    return Doc(vocab, words=listed, spaces=[True] * len(listed))


class FeatureClassifier:
    """A trained textcat read from a folder, scoring bags of feature words for one label."""

    def __init__(self, path: str, label: str) -> None:
        self.path = path
        self.label = label
        self.nlp, self.textcat = _load(path, _stamp(path))
        if label not in self.textcat.labels:
            raise ValueError(f"classifier {path} has no label {label!r} (it has {self.textcat.labels})")

    def scores(self, examples: Sequence[list[str]]) -> list[float]:
        if not examples:
            return []
        docs = [feature_doc(self.nlp.vocab, words) for words in examples]
        self.textcat.set_annotations(docs, self.textcat.predict(docs))
        return [float(doc.cats.get(self.label, 0.0)) for doc in docs]


def _stamp(path: str) -> int:
    """When the model at path was written: `bulletin train` replaces a folder in place, and a
    process that loads it again must not get the one it cached before."""
    weights = Path(path) / "textcat" / "model"
    return weights.stat().st_mtime_ns if weights.exists() else 0


@lru_cache(maxsize=8)
def _load(path: str, stamp: int) -> tuple[Language, TextCategorizer]:
    try:
        pipeline = spacy.load(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"classifier {path} is not loadable: {exc}".splitlines()[0]) from exc
    pipe = pipeline.get_pipe("textcat")
    if not isinstance(pipe, TextCategorizer):
        raise ValueError(f"classifier {path} has no textcat component")
    return pipeline, pipe
