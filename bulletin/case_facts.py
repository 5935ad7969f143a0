"""What case linking (bulletin/cases.py) reads of one story: its people's names, the facts
that tell cases apart (employer, place, law, sentence, tactic), what its text says the people
are (bulletin/case_people.py), the stages it gives and recalls, and the blocking keys it is
looked up by; with the weights and word lists of ``data/cases.toml``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from bulletin.case_people import Description, Vocabulary, vocabulary
from bulletin.errors import BulletinError
from bulletin.records import STAGE_LABELS, stage_of

_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof"})
_ORG_SUFFIXES = ("inc", "ltd", "llc", "corp", "co", "corporation", "company", "limited", "group")
_PUNCTUATION = ".,;:\"'()[]\u201c\u201d\u2018\u2019"
_PLACE_WORDS = (
    " special administrative region",
    " autonomous region",
    " municipality",
    " province",
    " prefecture",
    " county",
    " city",
)


@dataclass(frozen=True, slots=True)
class Rules:
    """The weights, thresholds and generic names of ``data/cases.toml``."""

    link: float
    candidate: float
    max_candidates: int
    weights: dict[str, float]
    generic: dict[str, frozenset[str]]
    aliases: dict[str, str]
    vocabulary: Vocabulary
    follow_days: int


@cache
def load_rules() -> Rules:
    data = tomllib.loads(resources.files("bulletin").joinpath("data/cases.toml").read_text("utf-8"))
    aliases = {_fold(k, {}): _fold(v, {}) for k, v in data["aliases"].items()}
    rules = Rules(
        link=float(data["thresholds"]["link"]),
        candidate=float(data["thresholds"]["candidate"]),
        max_candidates=int(data["thresholds"]["max_candidates"]),
        weights={k: float(v) for k, v in data["weights"].items()},
        # Folded like the names they are compared with ("U.S." and "u.s" are one).
        generic={k: frozenset(_fold(n, aliases) for n in v) for k, v in data["generic"].items()},
        aliases=aliases,
        vocabulary=vocabulary(data["descriptions"]),
        follow_days=int(data["weights"]["follow_days"]),
    )
    if not 0 < rules.candidate <= rules.link <= 1:
        raise BulletinError(
            f"data/cases.toml: expected 0 < candidate <= link <= 1, got {rules.candidate}, {rules.link}"
        )
    # Blocking never loses a link while a surname with what is no blocking key (the law, the
    # tactic, the timeline) stays below a link.
    unkeyed = sum(rules.weights[k] for k in ("surname", "law_cap", "tactic_cap", "follows"))
    # Nor while a common full name with them, but not the timeline, stays below a link: its
    # name-only blocks are looked at within `follow_days` only.
    stale = sum(rules.weights[k] for k in ("common_full_name", "law_cap", "tactic_cap"))
    if stale >= rules.link:
        raise BulletinError(
            "data/cases.toml: common_full_name + law_cap + tactic_cap must stay below the link "
            f"threshold, got {stale:.2f} >= {rules.link}"
        )
    if unkeyed >= rules.link:
        raise BulletinError(
            "data/cases.toml: surname + law_cap + tactic_cap + follows must stay below "
            f"the link threshold, got {unkeyed:.2f} >= {rules.link}"
        )
    return rules


@dataclass(frozen=True, slots=True)
class Person:
    """A subject's name as linking compares it: folded words, initials and honorifics dropped."""

    name: str
    words: frozenset[str]
    first: str
    last: str

    @property
    def full(self) -> bool:
        return len(self.words) >= 2


def person(name: str) -> Person | None:
    """The comparable form of a name, or None when nothing of it is left ("Mr.", "J.")."""
    words = []
    for raw in name.replace("-", " ").replace("\u2010", " ").split():
        word = raw.strip(_PUNCTUATION).casefold().removesuffix("'s").removesuffix("\u2019s")
        if len(word) > 1 and word not in _HONORIFICS:
            words.append(word)
    if not words:
        return None
    return Person(name.strip(), frozenset(words), words[0], words[-1])


def name_match(a: Person, b: Person, rules: Rules, common: frozenset[frozenset[str]] = frozenset()) -> float:
    """How well two names match: a full name (any order, one may add middle names), a
    surname against a name that starts or ends with it, else 0. Two full names that share
    only a surname ("Wang Wei", "Wang Lei") count for less than a bare surname, and a full
    name the archive makes common (``common_names``) for less than a rare one."""
    if a.full and b.full:
        shared = a.words & b.words
        if len(shared) >= 2 and (a.words <= b.words or b.words <= a.words):
            if a.words in common or b.words in common:
                return rules.weights["common_full_name"]
            return rules.weights["full_name"]
        if {a.first, a.last} & {b.first, b.last}:
            # The same surname with other given names: another person, perhaps of the same
            # case (two colleagues), or one name garbled ("Chun Ho Leung" for "Kelvin Leung").
            return rules.weights["surname_other_names"]
        return 0.0
    if a.full or b.full:
        short, long = (b, a) if a.full else (a, b)
        return rules.weights["surname"] if short.first in (long.first, long.last) else 0.0
    return rules.weights["surname"] if a.first == b.first else 0.0


def common_names(stories: Sequence[StoryFacts]) -> frozenset[frozenset[str]]:
    """The full names the archive would give more than one story by chance: "Wang Wei" or
    "Paul Smith", not "Kelvin Chun Ho Leung". A name's words are taken as drawn apart (a
    family name and a given name), each as often as the archive's full names use it, so the
    stories expected to carry the name by chance are n x the product of the words' shares
    (n, the stories' full names), counting only the words' uses in other names; at 1 or
    more the name says less (``common_full_name``)."""
    uses: dict[str, int] = {}
    names: dict[frozenset[str], int] = {}
    n = 0
    for story in stories:
        for p in story.people:
            if p.full:
                n += 1
                names[p.words] = names.get(p.words, 0) + 1
                for word in p.words:
                    uses[word] = uses.get(word, 0) + 1
    common = set()
    for words, own in names.items():
        # The words' uses in other names: a rare name's own reports make it no commoner.
        expected = float(n)
        for word in words:
            expected *= (uses[word] - own) / n
        if expected >= 1.0:
            common.add(words)
    return frozenset(common)


@dataclass(frozen=True, slots=True)
class StoryFacts:
    """What linking reads of one story: its people, the facts that tell cases apart, what
    the text says the people are, and the stages it gives."""

    story_id: int
    moment: datetime
    title: str
    people: tuple[Person, ...]
    facts: frozenset[tuple[str, str]]  # (kind, value): ("org", "pacific rim avionics")
    stage: str | None = None
    stage_date: str | None = None
    roles: frozenset[str] = frozenset()  # "technician" (bulletin/case_people.py)
    trades: frozenset[str] = frozenset()  # "shipyard"
    # (stage, date) of each stage the report gives, its own with the publication day when the
    # text gives no date: what a later report's recall is matched with.
    events: frozenset[tuple[str, str]] = frozenset()
    # Earlier stages the report tells with a date before its own month: "detained last year"
    # in a report of June 2025 is ("detention", "2024").
    recalls: frozenset[tuple[str, str]] = frozenset()

    @property
    def rank(self) -> int:
        """How far the story's stage is along the way (-1 when it gives none)."""
        return STAGE_LABELS.index(self.stage) if self.stage in STAGE_LABELS else -1


def _fold(text: str, aliases: dict[str, str]) -> str:
    """A place or organisation name as compared: folded, without "the", a possessive or an
    administrative word ("Shaanxi Province" is "shaanxi"), spelling variants made one."""
    folded = " ".join(text.casefold().replace("\u2019", "'").split()).strip(_PUNCTUATION + " ")
    folded = folded.removesuffix("'s")
    if folded in aliases:
        return aliases[folded]
    folded = folded.removeprefix("the ")
    for word in _PLACE_WORDS:
        if folded.endswith(word) and len(folded) > len(word):
            folded = folded.removesuffix(word)
            break
    return aliases.get(folded, folded)


def _org(text: str, rules: Rules) -> str:
    words = _fold(text, rules.aliases).split()
    while len(words) > 1 and words[-1].strip(".,") in _ORG_SUFFIXES:
        words.pop()
    return rules.aliases.get(" ".join(words), " ".join(words))


def _generic_place(value: str, rules: Rules) -> bool:
    # "South China", "Northwest China": regions of a country say no more than the country.
    return value in rules.generic["places"] or any(
        value.endswith(" " + p) for p in ("china", "united states")
    )


def story_facts(
    story_id: int,
    moment: datetime,
    record: dict[str, Any],
    rules: Rules | None = None,
    description: Description | None = None,
) -> StoryFacts:
    """The linking view of one story's extraction record (the spec's JSON), with what its
    text says its people are (``case_people.describe``) when given."""
    rules = rules or load_rules()
    people: dict[frozenset[str], Person] = {}
    for name in record_names(record):
        p = person(name)
        if p is not None and p.words not in people:
            people[p.words] = p
    name_words = {w for p in people.values() for w in p.words}
    facts: set[tuple[str, str]] = set()
    for entity in record.get("entities", ()):
        label, text = entity.get("label"), str(entity.get("text", ""))
        if label == "ORG":
            value = _org(text, rules)
            # A person the model took for an organisation ("HONOLULU - Kelvin Chun Ho Leung").
            named = len(set(value.split()) & name_words) >= min(2, len(value.split()))
            if (
                value
                and value not in rules.generic["orgs"]
                and not _generic_place(value, rules)
                and not named
            ):
                facts.add(("org", value))
        elif label in ("GPE", "LOC"):
            value = _fold(text, rules.aliases)
            if value and not _generic_place(value, rules):
                facts.add(("place", value))
    for law in record.get("laws", ()):
        value = _fold(str(law.get("law") or law.get("text") or ""), rules.aliases)
        if value and value not in rules.generic["laws"]:
            article = law.get("article")
            facts.add(("law", f"{value} article {article}" if article else value))
    for penalty in record.get("penalties", ()):
        term = penalty.get("months") or penalty.get("amount") or ("life" if penalty.get("for_life") else None)
        if penalty.get("kind") and term is not None:
            facts.add(("penalty", f"{penalty['kind']} {term}"))
    for tactic in record.get("tactics", ()):
        if tactic.get("label"):
            facts.add(("tactic", str(tactic["label"])))
    stage = stage_of(record)
    events: set[tuple[str, str]] = set()
    recalls: set[tuple[str, str]] = set()
    own_month = moment.date().isoformat()[:7]
    if stage is not None:
        events.add((stage["label"], str(stage.get("date") or moment.date().isoformat())))
        for event in stage.get("events", ()):
            if not isinstance(event, dict) or event.get("label") not in STAGE_LABELS:
                continue
            when = event.get("date")
            if not isinstance(when, str) or not when:
                continue
            events.add((event["label"], when))
            # A date before the report's own month is a stage it recalls, not its news.
            if event["label"] != stage["label"] and when[:7] < own_month:
                recalls.add((event["label"], when))
    description = description or Description()
    return StoryFacts(
        story_id=story_id,
        moment=moment,
        title=str(record.get("title") or ""),
        people=tuple(people.values()),
        facts=frozenset(facts),
        stage=stage["label"] if stage else None,
        stage_date=stage.get("date") if stage else None,
        roles=description.roles,
        trades=description.trades,
        events=frozenset(events),
        recalls=frozenset(recalls),
    )


def record_names(record: dict[str, Any]) -> list[str]:
    """The people a record names: its subjects, then whoever a penalty is given to."""
    names = [*record.get("subjects", ()), *(p.get("person") or "" for p in record.get("penalties", ()))]
    return [str(n) for n in names if n]


def name_keys(p: Person) -> set[str]:
    """A surname (first or last word) with each other word: two full names that match share
    one ("Chun Ho Leung" and "Kelvin Chun Ho Leung" share chun|leung; "Haoran Xu" and
    "Xu Haoran" haoran|xu)."""
    if not p.full:
        return set()
    return {f"p:{min(w, s)}|{max(w, s)}" for s in (p.first, p.last) for w in p.words if w != s}


# Facts that, with a surname, can reach a link; a law, a tactic or the timeline cannot (see
# load_rules), and as most cases cite one of a few laws, their blocks would be large.
_KEY_FACTS = frozenset({"org", "place", "penalty"})


def surname_words(people: Iterable[Person]) -> set[str]:
    return {s for p in people for s in (p.first, p.last)}


def _story_facts_keyed(story: StoryFacts) -> set[str]:
    """What a story looks cases up by, besides names: its key facts, its people's roles and
    trades, and the stages it recalls (by year)."""
    return (
        {f"{kind}:{value}" for kind, value in story.facts if kind in _KEY_FACTS}
        | {f"role:{r}" for r in story.roles}
        | {f"trade:{t}" for t in story.trades}
        | {f"event:{label}|{when[:4]}" for label, when in story.recalls}
    )


def case_facts_keyed(story: StoryFacts) -> set[str]:
    """What a story adds to its case's keys: as ``_story_facts_keyed``, with the stages it
    gives (which a later report may recall) instead of those it recalls."""
    return (
        {f"{kind}:{value}" for kind, value in story.facts if kind in _KEY_FACTS}
        | {f"role:{r}" for r in story.roles}
        | {f"trade:{t}" for t in story.trades}
        | {f"event:{label}|{when[:4]}" for label, when in story.events}
    )


def story_keys(story: StoryFacts) -> set[str]:
    """The blocking keys a story is looked up by: a full name's word pairs, and a surname
    with each fact: the least any link shares."""
    keyed = _story_facts_keyed(story)
    return {k for p in story.people for k in name_keys(p)} | {
        f"s:{s}|{f}" for s in surname_words(story.people) for f in keyed
    }
