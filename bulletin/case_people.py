"""What a report says a case's people are, read off the text around their mentions: the role
("technician", "researcher") and the trade ("shipyard", "aerospace") of "Zhou Wenbo, a
technician at a shipyard in Dalian" or "Zhou, a former shipyard technician detained last year".

The extraction record names the subjects but not what they do; case linking (bulletin/cases.py)
compares these descriptions between reports. A description is read only next to a mention of
the person: the apposition after the name (", a researcher at an aerospace institute in
Xi'an,"), the words right before it ("former shipyard technician Zhou"), and around "surnamed"
("an employee surnamed Wang at a drone manufacturer"). The words it knows are the
``[descriptions]`` tables of ``data/cases.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bulletin.store import Store

# An apposition is at most this many words; what follows is the sentence going on.
_APPOSITION_WORDS = 14
_BEFORE_WORDS = 4
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
# Words that end the run of modifiers before a name ("the court sentenced Zhou" is no description).
_BEFORE_STOP = frozenset(
    {"and", "or", "of", "by", "to", "with", "that", "on", "in", "at", "for", "from", "as", "said", "told"}
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"\u201d']?\s+(?=[A-Z\"\u201c])")
_CONJOINED = re.compile(r"\s+and\s+[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,3}")
_AGE = re.compile(r",\s*\d{1,3}\s*(?=,)")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The words a description is read with: role nouns, and trade words with their trade."""

    roles: frozenset[str]
    trades: dict[str, str]  # word -> trade ("shipbuilding" -> "shipyard")


@dataclass(frozen=True, slots=True)
class Description:
    """The roles and trades one report gives its people, and the text they were read from."""

    roles: frozenset[str] = frozenset()
    trades: frozenset[str] = frozenset()
    evidence: tuple[str, ...] = ()


def vocabulary(table: dict[str, object]) -> Vocabulary:
    """The ``[descriptions]`` table of cases.toml as a ``Vocabulary``."""
    roles = table.get("roles", [])
    trades = table.get("trades", {})
    if not isinstance(roles, list) or not isinstance(trades, dict):
        raise ValueError(
            f"[descriptions]: expected roles = [words] and a [descriptions.trades] table, got "
            f"{type(roles).__name__} and {type(trades).__name__}"
        )
    by_word = {str(word).casefold(): str(trade) for trade, words in trades.items() for word in words}
    return Vocabulary(frozenset(str(r).casefold() for r in roles), by_word)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _forms(names: Iterable[str]) -> list[str]:
    """Every way the text may name these people: the whole name, or its first or last word;
    the longest first, so "Zhou Wenbo" is one mention rather than "Zhou" and "Wenbo"."""
    forms: set[str] = set()
    for name in names:
        words = name.split()
        if not words:
            continue
        forms.add(" ".join(words))
        for word in (words[0], words[-1]):
            word = word.strip(".,;:")
            if len(word) > 1 and word[0].isupper():
                forms.add(word)
    return sorted(forms, key=lambda f: (-len(f), f))


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "-" or after.isalnum() or after == "-")


def _mentions(sentence: str, forms: Sequence[str]) -> list[tuple[int, int]]:
    """Where the sentence names one of these people, left to right, never overlapping.
    (A plain search: compiling a pattern per story was most of a relink's time.)"""
    found: list[tuple[int, int]] = []
    for form in forms:
        at = sentence.find(form)
        while at >= 0:
            end = at + len(form)
            if _bounded(sentence, at, end) and not any(s < end and at < e for s, e in found):
                found.append((at, end))
            at = sentence.find(form, at + 1)
    return sorted(found)


def _apposition(sentence: str, end: int) -> str:
    """The description set off after a name: ", a technician at a shipyard in Dalian," or
    " at a drone manufacturer in Shenzhen" (after "surnamed Wang")."""
    rest = sentence[end:]
    conjoined = _CONJOINED.match(rest)
    if conjoined:  # "Huang Tao and Deng Yu, engineers at ...": the description is both men's
        rest = rest[conjoined.end() :]
    age = _AGE.match(rest)
    if age:
        rest = rest[age.end() :]
    if rest.startswith(","):
        rest = rest[1:]
    elif not re.match(r"\s+(?:at|of|from|with)\s", rest):
        return ""
    words: list[str] = []
    for match in re.finditer(r"[^\s,;:()]+|[,;:()]", rest):
        piece = match.group()
        if piece in ",;:()" or len(words) >= _APPOSITION_WORDS:
            break
        words.append(piece)
    return " ".join(words)


def _modifiers(sentence: str, start: int) -> str:
    """The words right before a name that describe it: "former shipyard technician Zhou"."""
    before = sentence[:start].rstrip()
    if before.endswith("surnamed"):  # "an employee surnamed Wang": read what precedes "surnamed"
        before = before[: -len("surnamed")]
    words = before.split()
    run: list[str] = []
    for word in reversed(words):
        bare = word.strip("\"'\u201c\u201d").casefold()
        if word[-1:] in ",;:." or bare in _BEFORE_STOP or len(run) >= _BEFORE_WORDS:
            break
        run.append(bare)
    return " ".join(reversed(run))


def describe(text: str, names: Sequence[str], vocab: Vocabulary) -> Description:
    """The roles and trades the text gives next to any mention of these people."""
    forms = _forms(names)
    if not forms or not text or not any(f in text for f in forms):
        return Description()
    roles: set[str] = set()
    trades: set[str] = set()
    evidence: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        for start, end in _mentions(sentence, forms):
            found = False
            for window in (_modifiers(sentence, start), _apposition(sentence, end)):
                for raw in _WORD.findall(window):
                    word = raw.casefold().replace("\u2019", "'")
                    for form in {word, _singular(word)}:
                        if form in vocab.roles:
                            roles.add(form)
                            found = True
                        if form in vocab.trades:
                            trades.add(vocab.trades[form])
                            found = True
            if found and len(evidence) < 3:
                evidence.append(sentence.strip()[:200])
    return Description(frozenset(roles), frozenset(trades), tuple(dict.fromkeys(evidence)))


def story_texts(store: Store, story_ids: Iterable[int] | None = None) -> Iterator[tuple[int, str]]:
    """Each story's text as linking reads it: its earliest copy with an extraction record
    (the copy ``Store.case_inputs`` takes the record of)."""
    rows = store.conn.execute(
        """
        SELECT story_id, text FROM (
            SELECT a.story_id, a.text, row_number() OVER (
                PARTITION BY a.story_id ORDER BY a.published_utc IS NULL, a.published_utc, a.url
            ) AS rank
            FROM articles a JOIN extractions e ON e.article_id = a.id
        ) l WHERE l.rank = 1
        """
    ).fetchall()
    wanted = None if story_ids is None else set(story_ids)
    for story_id, text in rows:
        if wanted is None or int(story_id) in wanted:
            yield int(story_id), str(text or "")
