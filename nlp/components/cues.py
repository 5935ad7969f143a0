"""Features of one tactic cue in its sentence: does this sentence narrate the method, or only
mention its topic?

A cue ("paid", "photographed", "met online") is found by the tactic span_ruler; whether the
case used that method depends on who did what to whom in the cue's sentence: "Liu photographed
the documents and sold them" narrates insider_exploitation, "the photographs showed a naval
base" does not, and "spy agencies often lure students with money" is a general warning. The
cue classifier (`nlp/models/cues`, nlp/configs/cues.cfg) scores a bag of feature words per cue:
the cue and its label, the verb that governs it with its tense and modality, who that verb's
subject is (a subject of the case, another person, an organisation, a pronoun), the other
content words of the sentence, whether the sentence names a subject of the case, where it
stands in the article, and the rule filters' votes (``rule_*``, left out with
``features="trained"``). Like nlp/components/roles.py, the words are built as a Doc from a
list, never through a tokenizer, so training and extraction see the same examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from spacy.tokens import Span, Token

from nlp.components.roles import bucket

CUE_LABEL = "NARRATED"
CUE_OTHER = "NOT_NARRATED"
# doc.user_data key of the recorded cue examples (training).
CUE_RECORD = "bulletin_cue_features"

_CONTENT = frozenset({"NOUN", "VERB", "ADJ", "PROPN", "NUM"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj"})
# Words that make a statement general rather than about this case.
_GENERIC = frozenset(
    {
        "often",
        "usually",
        "typically",
        "commonly",
        "frequently",
        "increasingly",
        "some",
        "many",
        "various",
        "public",
        "remind",
        "warn",
        "urge",
        "advise",
        "should",
        "must",
        "always",
        "never",
        "any",
        "anyone",
        "people",
        "citizen",
    }
)
_MAX_WORDS = 40


def _verb(token: Token) -> Token:
    """The verb that governs token (itself when it is one), at most three steps up."""
    verb = token
    for _ in range(3):
        if verb.pos_ in ("VERB", "AUX") or verb.head is verb:
            break
        verb = verb.head
    return verb


def _who(token: Token, defendants: Sequence[tuple[int, int]], people: Sequence[tuple[int, int]]) -> str:
    """What kind of actor a subject token is."""
    start, end = token.idx, token.idx + len(token)
    if any(s < end and start < e for s, e in defendants):
        return "defendant"
    if any(s < end and start < e for s, e in people) or token.ent_type_ == "PERSON":
        return "person"
    if token.pos_ == "PRON":
        return "pron"
    if token.ent_type_ in ("ORG", "NORP", "GPE"):
        return "org"
    return token.lemma_.lower()


def cue_words(
    span: Span,
    defendants: Sequence[tuple[int, int]],
    people: Sequence[tuple[int, int]],
    sentence_index: tuple[int, int],
    votes: dict[str, bool] | None,
) -> list[str]:
    """Feature words of one cue span: defendants and people are the character ranges of the
    mentions of the case's subjects and of everyone else; sentence_index is (the cue's
    sentence's position, the number of sentences); votes the rule filters' verdicts."""
    label = span.label_
    sent = span.sent
    words = [f"label={label}", f"cue={'_'.join(t.lower_ for t in span)}"]
    verb = _verb(span.root)
    lemma = verb.lemma_.lower()
    words += [f"verb={lemma}", f"{label}:verb={lemma}", f"tag={verb.tag_}", f"cdep={span.root.dep_}"]
    subjects = [c for c in verb.children if c.dep_ in _SUBJECT_DEPS]
    for child in subjects[:2]:
        who = _who(child, defendants, people)
        words += [f"vsubj={who}", f"{label}:vsubj={who}", f"vsubjdep={child.dep_}"]
    if not subjects:
        words.append("vsubj=none")
    for child in verb.children:
        if child.tag_ == "MD":
            words.append(f"modal={child.lower_}")
        elif child.dep_ == "agent":
            for obj in child.children:
                words.append(f"agent={_who(obj, defendants, people)}")
        elif child.dep_ == "neg":
            words.append("neg")
    s_start, s_end = sent.start_char, sent.end_char
    words.append(f"sent_def={int(any(s_start <= s < s_end for s, _ in defendants))}")
    words.append(f"sent_person={int(any(s_start <= s < s_end for s, _ in people))}")
    words.append(f"doc_def={int(bool(defendants))}")
    position, count = sentence_index
    words.append(f"pos={bucket(position * 10 // max(1, count), (0, 2, 5, 7))}")
    if position == 0:
        words.append("first_sent")
    if any(t.lower_ in ('"', "“", "”") for t in sent):
        words.append("quoted")
    inside = {t.i for t in span}
    content = [
        t.lemma_.lower()
        for t in sent
        if t.pos_ in _CONTENT and not t.is_stop and t.i not in inside and t.is_alpha
    ]
    words += [f"w={w}" for w in content[:_MAX_WORDS]]
    words += sorted({f"g={t.lemma_.lower()}" for t in sent if t.lemma_.lower() in _GENERIC})
    if votes is not None:
        words += [f"rule_{name}" for name, vote in sorted(votes.items()) if vote]
    return words


def mention_ranges(spans: Iterable[Span]) -> list[tuple[int, int]]:
    return [(s.start_char, s.end_char) for s in spans]
