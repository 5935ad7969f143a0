"""Link stories into case files: one prosecution across many reports (issue 12).

A story joins an existing case when its subjects match the case's: the same full name (in
any word order), or a surname plus facts they share (employer or agency, place, the law
cited, the sentence). The score is kept on the link; a case scored between the candidate
and the link threshold (``data/cases.toml``) becomes a candidate link for an analyst.

Linking is a pure function of the stored extraction records and the analyst's
corrections: stories are taken in time order (then by id), each compared only with the
cases that share a blocking key with it (a surname together with one fact, or a first and
last name), so relinking the whole archive is near-linear and always gives the same
cases. A case is named by its earliest story's id. An analyst's merge, split, confirmation
or rejection is stored as a correction about pairs of stories ("same" or "different"),
which every relink obeys, so it survives relinking and new reports.

The functions the CLI and the review page call are ``relink``, ``merge_cases``,
``split_case``, ``confirm_candidate`` and ``reject_candidate``; each correction relinks
at once and returns the case the stories are in afterwards.
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from bulletin.errors import BulletinError
from bulletin.records import CaseCorrection, CaseLink, CaseSummary, stage_of
from bulletin.store import Store

logger = logging.getLogger(__name__)

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
    )
    if not 0 < rules.candidate <= rules.link <= 1:
        raise BulletinError(
            f"data/cases.toml: expected 0 < candidate <= link <= 1, got {rules.candidate}, {rules.link}"
        )
    # Blocking is lossless only while a surname with laws alone stays below a candidate.
    if rules.weights["surname"] + rules.weights["law_cap"] >= rules.candidate:
        raise BulletinError("data/cases.toml: surname + law_cap must stay below the candidate threshold")
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


def name_match(a: Person, b: Person, rules: Rules) -> float:
    """How well two names match: a full name (any order, one may add middle names), a
    surname against a name that starts or ends with it, else 0. Two full names that share
    only a surname ("Wang Wei", "Wang Lei") count for less than a bare surname."""
    if a.full and b.full:
        shared = a.words & b.words
        if len(shared) >= 2 and (a.words <= b.words or b.words <= a.words):
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


@dataclass(frozen=True, slots=True)
class StoryFacts:
    """What linking reads of one story: its people and the facts that tell cases apart."""

    story_id: int
    moment: datetime
    title: str
    people: tuple[Person, ...]
    facts: frozenset[tuple[str, str]]  # (kind, value): ("org", "pacific rim avionics")
    stage: str | None = None
    stage_date: str | None = None


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
    story_id: int, moment: datetime, record: dict[str, Any], rules: Rules | None = None
) -> StoryFacts:
    """The linking view of one story's extraction record (the spec's JSON)."""
    rules = rules or load_rules()
    names = [*record.get("subjects", ()), *(p.get("person") or "" for p in record.get("penalties", ()))]
    people: dict[frozenset[str], Person] = {}
    for name in names:
        p = person(str(name))
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
    stage = stage_of(record)
    return StoryFacts(
        story_id=story_id,
        moment=moment,
        title=str(record.get("title") or ""),
        people=tuple(people.values()),
        facts=frozenset(facts),
        stage=stage["label"] if stage else None,
        stage_date=stage.get("date") if stage else None,
    )


def _name_keys(p: Person) -> set[str]:
    """A surname (first or last word) with each other word: two full names that match share
    one ("Chun Ho Leung" and "Kelvin Chun Ho Leung" share chun|leung; "Haoran Xu" and
    "Xu Haoran" haoran|xu)."""
    if not p.full:
        return set()
    return {f"p:{min(w, s)}|{max(w, s)}" for s in (p.first, p.last) for w in p.words if w != s}


# Facts that, with a surname, can reach the candidate threshold; a law cannot (see cases.toml),
# and as most cases cite one of a few laws, its blocks would be large.
_KEY_FACTS = frozenset({"org", "place", "penalty"})


def _fact_keys(people: Iterable[Person], facts: Iterable[tuple[str, str]]) -> set[str]:
    """A surname with each fact: the least any link or candidate needs to share."""
    surnames = {s for p in people for s in (p.first, p.last)}
    return {f"s:{s}|{kind}:{value}" for s in surnames for kind, value in facts if kind in _KEY_FACTS}


@dataclass
class _Case:
    id: int
    stories: list[StoryFacts] = field(default_factory=list)
    people: dict[frozenset[str], Person] = field(default_factory=dict)
    facts: set[tuple[str, str]] = field(default_factory=set)

    def keys(self) -> set[str]:
        return {k for p in self.people.values() for k in _name_keys(p)} | _fact_keys(
            self.people.values(), self.facts
        )

    def add(self, story: StoryFacts) -> set[str]:
        """Take the story in; return the blocking keys the case gains."""
        before = self.keys()
        self.stories.append(story)
        for p in story.people:
            self.people.setdefault(p.words, p)
        self.facts |= story.facts
        return self.keys() - before


@dataclass(frozen=True, slots=True)
class Linking:
    """The result of linking: every case with its summary, and every link."""

    cases: tuple[CaseSummary, ...]
    links: tuple[CaseLink, ...]
    comparisons: int = 0


def score(story: StoryFacts, case: _Case, rules: Rules) -> tuple[float, tuple[str, ...]]:
    """How well a story matches a case, 0..1, and what matched."""
    w = rules.weights
    best, reason = 0.0, ""
    matched = 0
    for p in story.people:
        top = 0.0
        for q in case.people.values():
            m = name_match(p, q, rules)
            if m > top:
                top = m
                if m > best:
                    best, reason = m, f"name: {p.name} ~ {q.name}"
        matched += top > 0
    if best == 0:
        return 0.0, ()
    reasons = [reason]
    total = best
    if matched >= 2:
        total += w["co_subject"]
        reasons.append(f"{matched} people in common")
    shared = story.facts & case.facts
    for kind in ("org", "place", "law", "penalty"):
        values = sorted(v for k, v in shared if k == kind)
        if values:
            total += min(w[kind] * len(values), w[f"{kind}_cap"])
            reasons.append(f"{kind}: {', '.join(values)}")
    return round(min(total, 1.0), 3), tuple(reasons)


def _constraints(corrections: Sequence[CaseCorrection]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The analyst's pairs in force (of a pair, the correction made last wins): same, different."""
    latest: dict[tuple[int, int], str] = {}
    for c in corrections:  # in the order they were made
        if c.story_a != c.story_b:
            latest[(min(c.story_a, c.story_b), max(c.story_a, c.story_b))] = c.kind
    same: dict[int, set[int]] = {}
    different: dict[int, set[int]] = {}
    for (a, b), kind in latest.items():
        table = same if kind == "same" else different
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return same, different


def link_stories(
    stories: Iterable[StoryFacts], corrections: Sequence[CaseCorrection] = (), rules: Rules | None = None
) -> Linking:
    """Link stories into cases: deterministic, whatever order the stories come in."""
    rules = rules or load_rules()
    same, different = _constraints(corrections)
    cases: dict[int, _Case] = {}
    parent: dict[int, int] = {}
    case_of: dict[int, int] = {}
    index: dict[str, set[int]] = {}
    chosen: dict[int, tuple[float, tuple[str, ...]]] = {}
    candidates: list[tuple[int, int, float, tuple[str, ...]]] = []
    comparisons = 0

    def find(case_id: int) -> int:
        while parent[case_id] != case_id:
            parent[case_id] = parent[parent[case_id]]
            case_id = parent[case_id]
        return case_id

    def members(case_id: int) -> set[int]:
        return {s.story_id for s in cases[case_id].stories}

    def conflict(story_ids: set[int], case_id: int) -> bool:
        inside = members(case_id)
        return any(different.get(s, set()) & inside for s in story_ids)

    def absorb(target: int, other: int) -> None:
        parent[other] = target
        for story in cases.pop(other).stories:
            for key in cases[target].add(story):
                index.setdefault(key, set()).add(target)

    for story in sorted(stories, key=lambda s: (s.moment, s.story_id)):
        sid = story.story_id
        forbidden = {find(case_of[p]) for p in different.get(sid, ()) if p in case_of}
        wanted = sorted(
            {find(case_of[p]) for p in same.get(sid, ()) if p in case_of} - forbidden,
            # The earliest-founded case takes the others in, so it keeps its founder's id.
            key=lambda c: (cases[c].stories[0].moment, c),
        )
        keys = {k for p in story.people for k in _name_keys(p)} | _fact_keys(story.people, story.facts)
        scored: list[tuple[float, int, tuple[str, ...]]] = []
        for case_id in sorted({find(c) for key in keys for c in index.get(key, ())}):
            if case_id in forbidden:
                continue
            comparisons += 1
            value, why = score(story, cases[case_id], rules)
            if value >= rules.candidate:
                scored.append((value, case_id, why))
        target: int | None = None
        if wanted:
            target = wanted[0]
            for other in wanted[1:]:
                if conflict(members(other), target):
                    logger.warning("case %d not merged into %d: an analyst split them", other, target)
                else:
                    absorb(target, other)
            partners = sorted(p for p in same.get(sid, ()) if p in case_of and find(case_of[p]) == target)
            chosen[sid] = (1.0, (f"analyst: same case as story {partners[0]}",))
        else:
            # Every case the story links to is one case: a report that matches two (a name the
            # first report garbled, a co-defendant reported apart) bridges them. The earliest-
            # founded takes the others in; the order of the input never matters.
            strong = sorted(
                (entry for entry in scored if entry[0] >= rules.link),
                key=lambda e: (cases[e[1]].stories[0].moment, e[1]),
            )
            if strong:
                target = strong[0][1]
                chosen[sid] = (strong[0][0], strong[0][2])
                for value, other, why in strong[1:]:
                    if conflict(members(other), target):
                        continue
                    chosen[other] = (value, (f"joined through story {sid}", *why))
                    absorb(target, other)
        if target is None:
            target = sid
            cases[sid] = _Case(sid)
            parent[sid] = sid
            chosen[sid] = (1.0, ("first report of the case",))
        case_of[sid] = target
        for key in cases[target].add(story):
            index.setdefault(key, set()).add(target)
        candidates.extend((sid, case_id, value, why) for value, case_id, why in scored if case_id != target)

    links = [
        CaseLink(sid, find(case_of[sid]), "linked", value, why)
        for sid, (value, why) in sorted(chosen.items())
    ]
    best_candidate: dict[tuple[int, int], tuple[float, tuple[str, ...]]] = {}
    for sid, case_id, value, why in candidates:
        pair = (sid, find(case_id))
        if pair[1] != find(case_of[sid]) and value > best_candidate.get(pair, (-1.0, ()))[0]:
            best_candidate[pair] = (value, why)
    # Each story's best few candidates (highest score, then earliest case): a common name would
    # otherwise put a story before the analyst once for every namesake's case.
    by_story: dict[int, list[tuple[float, int, tuple[str, ...]]]] = {}
    for (sid, case_id), (value, why) in best_candidate.items():
        by_story.setdefault(sid, []).append((value, case_id, why))
    best_candidate = {
        (sid, case_id): (value, why)
        for sid, found in by_story.items()
        for value, case_id, why in sorted(found, key=lambda f: (-f[0], f[1]))[: rules.max_candidates]
    }
    links += [CaseLink(s, c, "candidate", v, w) for (s, c), (v, w) in sorted(best_candidate.items())]
    waiting: dict[int, int] = {}
    for _, case_id in best_candidate:
        waiting[case_id] = waiting.get(case_id, 0) + 1
    summaries = [_summary(case, waiting.get(case.id, 0)) for case in cases.values()]
    return Linking(tuple(sorted(summaries, key=lambda c: c.id)), tuple(links), comparisons)


def _summary(case: _Case, candidates: int) -> CaseSummary:
    stories = sorted(case.stories, key=lambda s: (s.moment, s.story_id))
    names: list[Person] = []
    for story in stories:
        for p in story.people:
            same = next((i for i, n in enumerate(names) if n.words <= p.words or p.words <= n.words), None)
            if same is None:
                names.append(p)
            elif len(p.words) > len(names[same].words):
                names[same] = p
    staged = [s for s in stories if s.stage]
    latest = staged[-1] if staged else None
    subjects = tuple(p.name for p in names)
    return CaseSummary(
        id=case.id,
        title=", ".join(subjects) if subjects else stories[0].title,
        subjects=subjects,
        stage=latest.stage if latest else None,
        stage_date=latest.stage_date if latest else None,
        first_published=stories[0].moment,
        last_published=stories[-1].moment,
        reports=len(stories),
        candidates=candidates,
    )


@dataclass(frozen=True, slots=True)
class RelinkResult:
    cases: int
    stories: int
    candidates: int
    comparisons: int
    seconds: float


def relink(store: Store, rules: Rules | None = None) -> RelinkResult:
    """Link every relevant story of the archive into cases again and store the result."""
    start = time.monotonic()
    rules = rules or load_rules()
    stories = [story_facts(sid, moment, record, rules) for sid, moment, record in store.case_inputs()]
    result = link_stories(stories, store.case_corrections(), rules)
    store.save_case_links(result.cases, result.links)
    seconds = time.monotonic() - start
    candidates = sum(1 for k in result.links if k.status == "candidate")
    logger.info(
        "linked %d stories into %d cases (%d candidate links) in %.2f s",
        len(stories),
        len(result.cases),
        candidates,
        seconds,
    )
    return RelinkResult(len(result.cases), len(stories), candidates, result.comparisons, seconds)


# -- an analyst's corrections: each is stored, then the archive is relinked -------------


def _members(store: Store, case_id: int) -> list[int]:
    case = store.case_file(case_id)
    if case is None:
        raise BulletinError(f"no case {case_id} (see `bulletin cases`)")
    return [r.story_id for r in case.reports]


def _correct(store: Store, corrections: list[CaseCorrection]) -> None:
    store.add_case_corrections(corrections)
    relink(store)


def merge_cases(store: Store, case_a: int, case_b: int, note: str = "") -> int:
    """Make two cases one (and keep them one across relinking); returns the merged case's id."""
    a, b = _members(store, case_a), _members(store, case_b)
    if case_a == case_b:
        return case_a
    corrections = [CaseCorrection("same", case_a, case_b, "merge", note)]
    # A split or rejection between stories of the two no longer holds.
    _, different = _constraints(store.case_corrections())
    corrections += [
        CaseCorrection("same", x, y, "merge", note) for x in a for y in b if y in different.get(x, set())
    ]
    _correct(store, corrections)
    return store.story_case(case_a) or case_a


def split_case(store: Store, case_id: int, story_ids: Sequence[int], note: str = "") -> int:
    """Take these stories out of a case into a case of their own; returns the new case's id."""
    inside = _members(store, case_id)
    moving = sorted(set(story_ids))
    strays = [s for s in moving if s not in inside]
    if strays:
        raise BulletinError(f"case {case_id} has no stor{'y' if len(strays) == 1 else 'ies'} {strays}")
    staying = [s for s in inside if s not in moving]
    if not moving or not staying:
        raise BulletinError("a split needs some of the case's stories to move and some to stay")
    corrections = [CaseCorrection("different", m, s, "split", note) for m in moving for s in staying]
    corrections += [CaseCorrection("same", moving[0], m, "split", note) for m in moving[1:]]
    _correct(store, corrections)
    return store.story_case(moving[0]) or moving[0]


def confirm_candidate(store: Store, story_id: int, case_id: int, note: str = "") -> int:
    """An analyst says the story does belong to the case; returns the case it is in now."""
    _members(store, case_id)
    _correct(store, [CaseCorrection("same", story_id, case_id, "confirm", note)])
    return store.story_case(story_id) or case_id


def reject_candidate(store: Store, story_id: int, case_id: int, note: str = "") -> int:
    """An analyst says the story is not the case; returns the case the story is in now."""
    _members(store, case_id)
    _correct(store, [CaseCorrection("different", story_id, case_id, "reject", note)])
    return store.story_case(story_id) or story_id


@dataclass(frozen=True, slots=True)
class PairScore:
    """Precision and recall of links over pairs of stories: a pair is right when both say
    "one case" (or both say "two")."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def pair_score(predicted: dict[str, int], gold: dict[str, str]) -> PairScore:
    """Score the case each story was put in (``predicted``: story -> case) against the gold
    case of each (story -> label); stories missing from ``predicted`` are each their own case."""
    stories = sorted(gold)
    tp = fp = fn = 0
    for i, a in enumerate(stories):
        for b in stories[i + 1 :]:
            same_gold = gold[a] == gold[b]
            same_pred = a in predicted and b in predicted and predicted[a] == predicted[b]
            tp += same_gold and same_pred
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
    return PairScore(tp, fp, fn)
