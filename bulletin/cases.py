"""Link stories into case files: one prosecution across many reports (issue 12).

A story joins an existing case when its subjects match the case's: the same full name (in
any word order), or a surname plus facts they share (employer or agency, place, the law
cited, the sentence, the tactic, what the reports say the person is, a stage recalled with
its date), less what sets them apart (other employers, places or trades; a second sentencing).
What is read of each story is bulletin/case_facts.py. The score is kept on the link; a case
scored between the candidate and the link threshold (``data/cases.toml``) becomes a
candidate link for an analyst.

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

import gc
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bulletin.case_facts import (
    Person,
    Rules,
    StoryFacts,
    case_facts_keyed,
    common_names,
    load_rules,
    name_keys,
    name_match,
    person,
    record_names,
    story_facts,
    story_keys,
    surname_words,
)
from bulletin.case_people import describe, story_texts
from bulletin.errors import BulletinError
from bulletin.records import STAGE_LABELS, CaseCorrection, CaseLink, CaseSummary
from bulletin.store import Store

# What the reading of a story (bulletin/case_facts.py) gives callers of linking.
__all__ = [
    "Person",
    "Rules",
    "StoryFacts",
    "common_names",
    "confirm_candidate",
    "link_stories",
    "load_rules",
    "merge_cases",
    "name_match",
    "pair_score",
    "person",
    "reject_candidate",
    "relink",
    "score",
    "split_case",
    "story_facts",
]

logger = logging.getLogger(__name__)


@dataclass
class _Case:
    """A case while linking: its stories, and what they say taken together."""

    id: int
    stories: list[StoryFacts] = field(default_factory=list)
    people: dict[frozenset[str], Person] = field(default_factory=dict)
    facts: set[tuple[str, str]] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    trades: set[str] = field(default_factory=set)
    events: dict[str, set[str]] = field(default_factory=dict)  # stage -> its dates
    last: datetime | None = None
    top: int = -1  # the furthest stage rank of its reports
    surnames: set[str] = field(default_factory=set)
    keyed: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)

    def add(self, story: StoryFacts) -> set[str]:
        """Take the story in; return the blocking keys the case gains (kept incrementally:
        recomputing every key of a large case for each story it takes is quadratic)."""
        self.stories.append(story)
        new_people = [p for p in story.people if p.words not in self.people]
        for p in new_people:
            self.people[p.words] = p
        self.facts |= story.facts
        self.roles |= story.roles
        self.trades |= story.trades
        for label, when in story.events:
            self.events.setdefault(label, set()).add(when)
        if self.last is None or story.moment > self.last:
            self.last = story.moment
        self.top = max(self.top, story.rank)
        new_surnames = surname_words(new_people) - self.surnames
        new_keyed = case_facts_keyed(story) - self.keyed
        self.surnames |= new_surnames
        self.keyed |= new_keyed
        gained = {k for p in new_people for k in name_keys(p)}
        gained |= {f"s:{s}|{f}" for s in new_surnames for f in self.keyed}
        gained |= {f"s:{s}|{f}" for s in self.surnames - new_surnames for f in new_keyed}
        gained -= self.keys
        self.keys |= gained
        return gained


@dataclass(frozen=True, slots=True)
class Linking:
    """The result of linking: every case with its summary, and every link."""

    cases: tuple[CaseSummary, ...]
    links: tuple[CaseLink, ...]
    comparisons: int = 0


_FACT_KINDS = ("org", "place", "law", "penalty", "tactic")


def _months(when: str) -> int | None:
    """An ISO date's month count ("2024-04-09" and "2024-04" are 2024 * 12 + 3); None for a year."""
    if len(when) < 7 or not when[:4].isdigit() or not when[5:7].isdigit():
        return None
    return int(when[:4]) * 12 + int(when[5:7]) - 1


_ONCE = frozenset({"detention", "conviction", "sentencing", "release"})


def _clash(story: StoryFacts, case: _Case) -> str:
    """The story's own stage is one the case already has, at another time: two sentencings
    months apart are two prosecutions. Empty when there is no such clash. A charge and an
    appeal do not count: a case is charged again (complaint, indictment, superseding
    indictment) and appealed more than once, months apart."""
    if story.stage not in _ONCE or story.stage not in case.events:
        return ""
    own = str(story.stage_date or story.moment.date().isoformat())
    mine = _months(own)
    for when in case.events[story.stage]:
        if when.startswith(own) or own.startswith(when):
            return ""
        theirs = _months(when)
        if mine is None or theirs is None:
            if own[:4] == when[:4]:
                return ""
        elif abs(mine - theirs) <= 2:
            return ""
    return f"{story.stage} of {own}, the case's of {', '.join(sorted(case.events[story.stage]))}"


def score(
    story: StoryFacts, case: _Case, rules: Rules, common: frozenset[frozenset[str]] = frozenset()
) -> tuple[float, tuple[str, ...]]:
    """How well a story matches a case, 0..1, and what matched (or told them apart)."""
    w = rules.weights
    best, reason = 0.0, ""
    matched = 0
    for p in story.people:
        top = 0.0
        for q in case.people.values():
            m = name_match(p, q, rules, common)
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
    shared: dict[str, list[str]] = {}
    for kind, value in story.facts & case.facts:
        shared.setdefault(kind, []).append(value)
    for kind in _FACT_KINDS:
        if kind in shared:
            values = sorted(shared[kind])
            total += min(w[kind] * len(values), w[f"{kind}_cap"])
            reasons.append(f"{kind}: {', '.join(values)}")
    conflicts = 0
    if "org" not in shared:
        mine, theirs = _employers(story.facts), _employers(case.facts)
        if mine and theirs:
            conflicts += 1
            total += w["org_conflict"]
            reasons.append(f"other organisations: {', '.join(sorted(mine))} vs {', '.join(sorted(theirs))}")
    if "place" not in shared:
        mine, theirs = _places(story.facts), _places(case.facts)
        if mine and theirs:
            conflicts += 1
            total += w["place_conflict"]
            reasons.append(f"other places: {', '.join(sorted(mine))} vs {', '.join(sorted(theirs))}")
    roles = sorted(story.roles & case.roles)
    if roles:
        total += min(w["role"] * len(roles), w["role_cap"])
        reasons.append(f"role: {', '.join(roles)}")
    trades = sorted(story.trades & case.trades)
    if trades:
        total += min(w["trade"] * len(trades), w["trade_cap"])
        reasons.append(f"trade: {', '.join(trades)}")
    elif story.trades and case.trades:
        conflicts += 1
        total += w["trade_conflict"]
        reasons.append(f"other trade: {', '.join(sorted(story.trades))} vs {', '.join(sorted(case.trades))}")
    for label, when in sorted(story.recalls):
        dates = case.events.get(label, ())
        hit = next((d for d in sorted(dates) if d.startswith(when) or when.startswith(d)), None)
        if hit is not None:
            total += w["recall"]
            reasons.append(f"recalls the {label} of {when} (the case's of {hit})")
            break
    clash = _clash(story, case)
    if clash:
        total += w["clash"]
        reasons.append(clash)
    if story.rank >= 0 and case.top >= 0 and case.last is not None:
        # Coming next in time counts only where nothing the two say sets them apart.
        gap = (story.moment - case.last).days
        if story.rank > case.top and 0 <= gap <= rules.follow_days and not conflicts:
            total += w["follows"]
            reasons.append(f"{story.stage} after the case's {STAGE_LABELS[case.top]}")
        elif story.rank < case.top:
            total += w["regress"]
            reasons.append(f"{story.stage}, the case already at {STAGE_LABELS[case.top]}")
    return round(max(0.0, min(total, 1.0)), 3), tuple(reasons)


def _as_story(case: _Case) -> StoryFacts:
    """Everything a case's stories say, as one report (its people once each, in their
    longest form), to score a case against another."""
    names: list[Person] = []
    for story in case.stories:
        for p in story.people:
            same = next((i for i, n in enumerate(names) if n.words <= p.words or p.words <= n.words), None)
            if same is None:
                names.append(p)
            elif len(p.words) > len(names[same].words):
                names[same] = p
    first = case.stories[0]
    return StoryFacts(
        story_id=first.story_id,
        moment=first.moment,
        title=first.title,
        people=tuple(names),
        facts=frozenset(case.facts),
        roles=frozenset(case.roles),
        trades=frozenset(case.trades),
        recalls=frozenset(r for s in case.stories for r in s.recalls),
    )


# Organisations that are where a case is tried, not whom the person works for.
_VENUES = ("court", "procuratorate", "prosecutor", "attorney", "jury", "police", "bureau")


def _employers(facts: Iterable[tuple[str, str]]) -> set[str]:
    return {v for k, v in facts if k == "org" and not any(word in v for word in _VENUES)}


def _places(facts: Iterable[tuple[str, str]]) -> set[str]:
    return {v for k, v in facts if k == "place"}


def _bridgeable(a: _Case, b: _Case) -> bool:
    """Whether a report that links to both cases may make them one: not when each names an
    employer (or a trade) and the two share none."""
    orgs_a, orgs_b = _employers(a.facts), _employers(b.facts)
    if orgs_a and orgs_b and not orgs_a & orgs_b:
        return False
    return not (a.trades and b.trades and not a.trades & b.trades)


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

    ordered = sorted(stories, key=lambda s: (s.moment, s.story_id))
    common = common_names(ordered)
    for story in ordered:
        sid = story.story_id
        forbidden = {find(case_of[p]) for p in different.get(sid, ()) if p in case_of}
        wanted = sorted(
            {find(case_of[p]) for p in same.get(sid, ()) if p in case_of} - forbidden,
            # The earliest-founded case takes the others in, so it keeps its founder's id.
            key=lambda c: (cases[c].stories[0].moment, c),
        )
        keys = story_keys(story)
        # A common full name ("Paul Smith") shares a block with many namesakes; with nothing
        # else in common it links only to a case it follows in time (see load_rules), so
        # through the name alone only the cases of the last `follow_days` are looked at.
        loose = {k for p in story.people if p.words in common for k in name_keys(p)}
        found = {find(c) for key in keys - loose for c in index.get(key, ())}
        horizon = story.moment - timedelta(days=rules.follow_days)
        for key in loose & keys:
            found.update(
                find(c) for c in index.get(key, ()) if (last := cases[find(c)].last) and last >= horizon
            )
        scored: list[tuple[float, int, tuple[str, ...]]] = []
        for case_id in sorted(found):
            if case_id in forbidden:
                continue
            comparisons += 1
            value, why = score(story, cases[case_id], rules, common)
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
            # The cases the story links to are one case: a report that matches two (a name the
            # first report garbled, a co-defendant reported apart) bridges them, unless they
            # name different employers or trades (then the story joins the best match only).
            # The earliest-founded takes the others in; the order of the input never matters.
            strong = [entry for entry in scored if entry[0] >= rules.link]
            if strong:
                best = cases[max(strong, key=lambda e: (e[0], -e[1]))[1]]
                strong = sorted(
                    (e for e in strong if e[1] == best.id or _bridgeable(cases[e[1]], best)),
                    key=lambda e: (cases[e[1]].stories[0].moment, e[1]),
                )
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

    # A second look, case against case: reports taken one at a time may have founded two
    # cases of one prosecution before a report put the name, the employer and the city
    # together ("Zhou" in Dalian, then "Zhou Wenbo" at a shipyard). Each case is scored as one
    # report of everything its stories say; the earlier-founded takes the later in.
    # Each pair is looked at once, from its earlier-founded case; two single-report cases
    # were compared already, report against case.
    founded = {c: (cases[c].stories[0].moment, c) for c in cases}
    for case_id in sorted(cases, key=founded.__getitem__):
        if case_id not in cases:
            continue
        whole = _as_story(cases[case_id])
        loose = {k for p in whole.people if p.words in common for k in name_keys(p)}
        keys = story_keys(whole)
        found = {find(c) for key in keys - loose for c in index.get(key, ())}
        last = cases[case_id].last or whole.moment
        for key in loose & keys:
            found.update(
                find(c)
                for c in index.get(key, ())
                if (cases[find(c)].stories[0].moment - last).days <= rules.follow_days
            )
        for other in sorted(found):
            if (
                other not in cases
                or case_id not in cases
                or founded[other] <= founded[case_id]
                or len(cases[case_id].stories) + len(cases[other].stories) < 3
            ):
                continue
            comparisons += 1
            value, why = score(whole, cases[other], rules, common)
            if value < rules.link or not _bridgeable(cases[case_id], cases[other]):
                continue
            first, later = sorted((case_id, other), key=lambda c: (cases[c].stories[0].moment, c))
            if conflict(members(later), first):
                continue
            chosen[later] = (value, ("merged: the two cases' reports together match", *why))
            absorb(first, later)

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
        title=gist(case, subjects, latest) or stories[0].title,
        subjects=subjects,
        stage=latest.stage if latest else None,
        stage_date=latest.stage_date if latest else None,
        first_published=stories[0].moment,
        last_published=stories[-1].moment,
        reports=len(stories),
        candidates=candidates,
    )


def _most_said(stories: Sequence[StoryFacts], kind: str) -> str:
    """The value of this kind of fact the most reports give (the earliest on a tie)."""
    counts: dict[str, int] = {}
    for story in stories:
        for k, v in sorted(story.facts):
            if k == kind:
                counts[v] = counts.get(v, 0) + 1
    return max(counts, key=lambda v: counts[v]) if counts else ""


def gist(case: _Case, subjects: Sequence[str], latest: StoryFacts | None) -> str:
    """A case in one line: who (and what the reports say they are), what, where, the latest
    stage: "Zhou Wenbo (shipyard technician) and 1 other · online approach · dalian ·
    sentencing 2025-06"."""
    if not subjects:
        return ""
    who = subjects[0]
    described = " ".join([*sorted(case.trades)[:1], *sorted(case.roles)[:1]])
    if described:
        who += f" ({described})"
    if len(subjects) > 1:
        who += f" and {len(subjects) - 1} other{'s' if len(subjects) > 2 else ''}"
    what = _most_said(case.stories, "tactic").replace("_", " ")
    where = _most_said(case.stories, "place")
    stage = ""
    if latest is not None and latest.stage:
        stage = f"{latest.stage} {latest.stage_date or latest.moment.date().isoformat()}"
    where = " ".join(w[:1].upper() + w[1:] for w in where.split())
    return " · ".join(part for part in (who, what, where, stage) if part)


@dataclass(frozen=True, slots=True)
class RelinkResult:
    cases: int
    stories: int
    candidates: int
    comparisons: int
    seconds: float


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Hold Python's cycle collector off while linking: linking allocates many small objects
    (none in reference cycles), and each full collection walks every object the process holds,
    so with it on a relink of 10x the stories took 50x the collector's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def relink(store: Store, rules: Rules | None = None) -> RelinkResult:
    """Link every relevant story of the archive into cases again and store the result."""
    with _no_cycle_collection():
        return _relink(store, rules)


def _relink(store: Store, rules: Rules | None = None) -> RelinkResult:
    start = time.monotonic()
    rules = rules or load_rules()
    inputs = store.case_inputs()
    texts = dict(story_texts(store))
    stories = [
        story_facts(
            sid, moment, record, rules, describe(texts.get(sid, ""), record_names(record), rules.vocabulary)
        )
        for sid, moment, record in inputs
    ]
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
