"""Watchlists: named sets of rules an analyst follows, kept in the archive, and what they match.

A watchlist matches a story (all outlets' copies of one report, judged a security case)
when one of its *subject* rules matches (people, organisations, places, keywords), and every
kind of *filter* rule it has matches too (sources, tactics, minimum stage, minimum sentence);
a watchlist of filters only matches every story that passes them. Each match says which rule
matched and where: the evidence span in the story's text. Matching reads the effective
extraction record (the analysts' corrections applied) and the text of the story's lead copy,
whose offsets the record's spans use. Names are compared folded (case and diacritics) in any
word order, so "Zhao Minghui" finds "Minghui Zhao" and "ZHAO Mínghuì".

Alerts (raising them once, delivering them) are ``bulletin.alerts``; this module only reads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bulletin.corrections import apply as apply_corrections
from bulletin.errors import BulletinError
from bulletin.records import STAGE_LABELS, stage_of
from bulletin.store import Store

# Rule kinds, in the order a watchlist shows them. Subject rules say what to follow; filter
# rules narrow it down.
SUBJECT_RULES = ("people", "orgs", "places", "keywords")
LIST_FILTERS = ("sources", "tactics")
RULE_KINDS = (*SUBJECT_RULES, *LIST_FILTERS, "min_stage", "min_sentence")
# One word of a rule, as the CLI and the page name it.
RULE_WORDS = {
    "people": "person",
    "orgs": "organisation",
    "places": "place",
    "keywords": "keyword",
    "sources": "source",
    "tactics": "tactic",
    "min_stage": "minimum stage",
    "min_sentence": "minimum sentence",
}
# Limits on what a watchlist may hold: no rule an article could match is longer, and a
# watchlist of thousands of rules is a mistake (or an attack on the review page).
MAX_NAME = 80
MAX_RULE = 200
MAX_RULES = 200
MAX_MONTHS = 1200
ORG_LABELS = frozenset({"ORG"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Penalties that are a prison term; life and death count as longer than any term.
PRISON = "imprisonment"
BEYOND_TERMS = frozenset({"life_imprisonment", "death_sentence", "death_with_reprieve"})
CONTEXT = 90  # characters of text shown either side of a match
_NAME = re.compile(r"^[\w][\w .\-]*$")
_EMAIL = re.compile(r"^[^@\s,<>\"]+@[^@\s,<>\"]+\.[^@\s,<>\"]+$")


@dataclass(frozen=True, slots=True)
class Watchlist:
    """A named set of rules, with where its alerts go (mail addresses, a webhook URL)."""

    name: str
    rules: dict[str, Any]
    emails: tuple[str, ...] = ()
    webhook: str = ""
    id: int | None = None
    created_at: datetime | None = None
    checked_until: datetime | None = None

    def rule_lines(self) -> list[str]:
        """Each rule in words: "person: Zhao Minghui", "minimum sentence: 60 months"."""
        lines = []
        for kind in RULE_KINDS:
            value = self.rules.get(kind)
            if kind == "min_sentence" and value:
                lines.append(f"{RULE_WORDS[kind]}: {value} months")
            elif kind == "min_stage" and value:
                lines.append(f"{RULE_WORDS[kind]}: {value}")
            elif isinstance(value, list):
                lines += [f"{RULE_WORDS[kind]}: {item}" for item in value]
        return lines


@dataclass(frozen=True, slots=True)
class Evidence:
    """The text around a match: ``before`` + ``match`` + ``after`` (plain text, never markup)."""

    before: str
    match: str
    after: str

    def to_json(self) -> dict[str, str]:
        return {"before": self.before, "match": self.match, "after": self.after}

    def line(self) -> str:
        return f"{self.before}[{self.match}]{self.after}"


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule of a watchlist that matched a story: ``rule`` in words, where, and the evidence."""

    rule: str
    where: str  # "subject", "penalty", "organisation", "place", "text", "tactic", "stage", "source"
    matched: str
    evidence: Evidence | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "where": self.where, "matched": self.matched}
        out["evidence"] = self.evidence.to_json() if self.evidence else None
        return out


@dataclass(frozen=True, slots=True)
class Story:
    """What matching and trends read of one story: its lead copy's text and effective record."""

    story_id: int
    article_id: int
    title: str
    url: str
    text: str
    published: datetime | None
    sources: tuple[str, ...]
    urls: tuple[str, ...]
    record: dict[str, Any]
    changed_at: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """A story a watchlist matched, with every rule that matched it."""

    watchlist: str
    story: Story
    rules: tuple[RuleMatch, ...]

    @property
    def version(self) -> str:
        """What the watchlist saw of the story: an alert is raised once per version, so a
        re-extraction that finds the same things raises none, and a new stage or sentence does."""
        seen = sorted({(m.rule, fold(m.matched)) for m in self.rules})
        stage = (stage_of(self.story.record) or {}).get("label")
        payload = json.dumps([seen, stage], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        stage = stage_of(self.story.record)
        return {
            "watchlist": self.watchlist,
            "story_id": self.story.story_id,
            "article_id": self.story.article_id,
            "version": self.version,
            "title": self.story.title,
            "url": self.story.url,
            "urls": list(self.story.urls),
            "sources": list(self.story.sources),
            "published": self.story.published.isoformat() if self.story.published else None,
            "subjects": list(self.story.record.get("subjects", [])),
            "stage": stage.get("label") if stage else None,
            "matches": [m.to_json() for m in self.rules],
        }


# -- folding and finding -------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, no diacritics, words separated by single spaces: how rules compare text."""
    return " ".join(_fold_chars(text)[0].split())


def _fold_chars(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded character by character (non-word characters become spaces), with the
    offset in ``text`` of each folded character (None when they are the same: ASCII text), so
    a match maps back to the original span."""
    if text.isascii():
        return _ASCII_NON_WORD.sub(" ", text.lower()), None
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        base = _fold_char(char)
        out.append(base)
        where.extend([i] * len(base))
    return "".join(out), where


_ASCII_NON_WORD = re.compile(r"[^0-9a-z]")


@functools.lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c if c.isalnum() else " " for c in base)


def _phrase(words: Sequence[str], prefix: bool = False) -> re.Pattern[str]:
    body = r"\s+".join(re.escape(w) for w in words)
    end = r"\w*" if prefix else r"(?!\w)"
    return re.compile(r"(?<!\w)" + body + end)


class Text:
    """A text searched folded, with matches given as offsets into the original."""

    def __init__(self, text: str):
        self.text = text
        self.folded, self.where = _fold_chars(text)

    def find(self, pattern: re.Pattern[str]) -> tuple[int, int] | None:
        found = pattern.search(self.folded)
        if found is None:
            return None
        if self.where is None:
            return found.start(), found.end()
        return self.where[found.start()], self.where[found.end() - 1] + 1

    def evidence(self, start: int, end: int) -> Evidence | None:
        if not 0 <= start < end <= len(self.text):
            return None
        before = ("…" if start > CONTEXT else "") + _squash(self.text[max(0, start - CONTEXT) : start])
        after = _squash(self.text[end : end + CONTEXT]) + ("…" if end + CONTEXT < len(self.text) else "")
        return Evidence(before.lstrip(), _squash(self.text[start:end]).strip(), after.rstrip())


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _squash(text: str) -> str:
    """Runs of whitespace as one space (kept at the edges), control characters dropped."""
    return re.sub(r"\s+", " ", _CONTROL.sub("", text))


def _name_words(name: str) -> list[str]:
    return [w for w in fold(name).split() if len(w) > 1 and w not in {"mr", "mrs", "ms", "dr", "miss"}]


def name_variants(name: str) -> list[list[str]]:
    """The word orders a name is written in: as given, surname first or last (reversed), and
    for longer names the last word moved to the front or the first to the back."""
    words = _name_words(name)
    variants = [words, words[::-1]]
    if len(words) > 2:
        variants += [[words[-1], *words[:-1]], [*words[1:], words[0]]]
    out: list[list[str]] = []
    for v in variants:
        if v and v not in out:
            out.append(v)
    return out


def same_person(rule: str, name: str) -> bool:
    """Does ``name`` (a subject the extraction found) name the person of a rule? Every word of
    the rule in it, in any order ("Kelvin Leung" in "Kelvin Chun Ho Leung"), or, for a name of
    two words or more, every word of it in the rule; a bare surname in a report is not enough."""
    want, have = set(_name_words(rule)), set(_name_words(name))
    if not want or not have:
        return False
    return want <= have or (len(have) >= 2 and have <= want)


# -- rules ---------------------------------------------------------------------------


def clean_rules(raw: dict[str, Any], sources: Iterable[str] = ()) -> dict[str, Any]:
    """Rules checked and normalised, or a BulletinError saying which one is wrong and why."""
    from digest.filters import TACTIC_WORDS

    rules: dict[str, Any] = {}
    total = 0
    for kind in (*SUBJECT_RULES, *LIST_FILTERS):
        items: list[str] = []
        for value in raw.get(kind) or []:
            value = " ".join(str(value).split())
            if not value:
                continue
            if len(value) > MAX_RULE:
                raise BulletinError(f"{RULE_WORDS[kind]}: {len(value)} characters; at most {MAX_RULE}")
            if kind in SUBJECT_RULES and not fold(value.rstrip("*")):
                raise BulletinError(f"{RULE_WORDS[kind]} {value!r}: no letters or digits to match")
            if kind == "tactics" and value not in TACTIC_WORDS:
                raise BulletinError(f"tactic {value!r}: one of {', '.join(TACTIC_WORDS)}")
            if value not in items:
                items.append(value)
        total += len(items)
        if items:
            rules[kind] = items
    if total > MAX_RULES:
        raise BulletinError(f"{total} rules; a watchlist holds at most {MAX_RULES}")
    stage = raw.get("min_stage")
    if stage:
        if stage not in STAGE_LABELS:
            raise BulletinError(f"minimum stage {stage!r}: one of {', '.join(STAGE_LABELS)}")
        rules["min_stage"] = stage
    months = raw.get("min_sentence")
    if months not in (None, "", 0):
        months = parse_months(str(months))
        rules["min_sentence"] = months
    if not rules:
        raise BulletinError("a watchlist needs at least one rule")
    return rules


def parse_months(value: str) -> int:
    """A prison term as months: ``60``, ``60m``, ``5y``, ``5y6m``."""
    text = value.strip().lower().replace(" ", "")
    found = re.fullmatch(r"(?:(\d+)y)?(?:(\d+)m?)?", text)
    if not text or found is None or not any(found.groups()):
        raise BulletinError(f"minimum sentence {value[:40]!r}: months (60), or years and months (5y, 5y6m)")
    months = int(found.group(1) or 0) * 12 + int(found.group(2) or 0)
    if not 0 < months <= MAX_MONTHS:
        raise BulletinError(f"minimum sentence {value[:40]!r}: between 1 month and {MAX_MONTHS // 12} years")
    return months


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or not _NAME.match(name):
        raise BulletinError(
            f"watchlist name {name[:MAX_NAME]!r}: 1 to {MAX_NAME} letters, digits, spaces, '.', '-' or '_'"
        )
    return name


def check_emails(emails: Iterable[str]) -> tuple[str, ...]:
    out = []
    for email in emails:
        email = email.strip()
        if not email:
            continue
        if len(email) > MAX_RULE or not _EMAIL.match(email):
            raise BulletinError(f"{email[:60]!r} is not an e-mail address")
        if email not in out:
            out.append(email)
    return tuple(out)


def check_webhook(url: str) -> str:
    from urllib.parse import urlsplit

    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if len(url) > 2000 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BulletinError(f"webhook {url[:80]!r}: an http(s) URL")
    return url


# -- the archive ---------------------------------------------------------------------


def _now(store: Store) -> str:
    return store.clock().astimezone(UTC).isoformat()


def _watchlist(row: Any) -> Watchlist:
    return Watchlist(
        name=row["name"],
        rules=json.loads(row["rules"]),
        emails=tuple(json.loads(row["emails"])),
        webhook=row["webhook"],
        id=int(row["id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        checked_until=datetime.fromisoformat(row["checked_until"]),
    )


def watchlists(store: Store) -> list[Watchlist]:
    rows = store.conn.execute("SELECT * FROM watchlists ORDER BY name").fetchall()
    return [_watchlist(r) for r in rows]


def get_watchlist(store: Store, name: str) -> Watchlist:
    row = store.conn.execute("SELECT * FROM watchlists WHERE name = ?", (name,)).fetchone()
    if row is None:
        known = ", ".join(w.name for w in watchlists(store)) or "none yet"
        raise BulletinError(f"no watchlist {name[:MAX_NAME]!r} (watchlists: {known})")
    return _watchlist(row)


def save_watchlist(store: Store, watchlist: Watchlist, replace_id: int | None = None) -> Watchlist:
    """Create a watchlist (``replace_id`` None) or replace the one with that id; its alerts stay.

    A new watchlist alerts on what changes in the archive from now on; `bulletin watch test`
    shows what it would have matched before.
    """
    name = check_name(watchlist.name)
    rules = clean_rules(watchlist.rules)
    emails = check_emails(watchlist.emails)
    webhook = check_webhook(watchlist.webhook)
    clash = store.conn.execute("SELECT id FROM watchlists WHERE name = ?", (name,)).fetchone()
    if clash is not None and int(clash["id"]) != replace_id:
        raise BulletinError(f"a watchlist named {name!r} exists already")
    now = _now(store)
    with store.transaction():
        if replace_id is None:
            store.conn.execute(
                "INSERT INTO watchlists (name, rules, emails, webhook, created_at, checked_until)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, json.dumps(rules, ensure_ascii=False), json.dumps(list(emails)), webhook, now, now),
            )
        else:
            store.conn.execute(
                "UPDATE watchlists SET name = ?, rules = ?, emails = ?, webhook = ? WHERE id = ?",
                (name, json.dumps(rules, ensure_ascii=False), json.dumps(list(emails)), webhook, replace_id),
            )
    return get_watchlist(store, name)


def remove_watchlist(store: Store, name: str) -> int:
    """Remove a watchlist and its alerts; return how many alerts went with it."""
    found = get_watchlist(store, name)
    with store.transaction():
        gone = store.conn.execute(
            "SELECT count(*) FROM watch_alerts WHERE watchlist_id = ?", (found.id,)
        ).fetchone()[0]
        store.conn.execute("DELETE FROM watch_alerts WHERE watchlist_id = ?", (found.id,))
        store.conn.execute("DELETE FROM watchlists WHERE id = ?", (found.id,))
    return int(gone)


def changed_stories(store: Store, since: str) -> list[int]:
    """Stories with a copy stored, updated, extracted or reviewed at ``since`` or later."""
    rows = store.conn.execute(
        """
        SELECT DISTINCT a.story_id FROM articles a
        LEFT JOIN extractions e ON e.article_id = a.id
        LEFT JOIN reviews r ON r.article_id = a.id
        WHERE a.first_stored_at >= ? OR a.updated_at >= ? OR e.extracted_at >= ? OR r.updated_at >= ?
        ORDER BY a.story_id
        """,
        (since, since, since, since),
    ).fetchall()
    return [int(r[0]) for r in rows]


def stories(store: Store, story_ids: Iterable[int] | None = None, text: bool = True) -> Iterator[Story]:
    """The stories judged a security case (all of them, or those of ``story_ids``), in story order.

    The lead copy is the one an analyst reviewed, else the earliest published with an
    extraction, as the digest takes it; its record has the corrections applied.
    """
    ids = None if story_ids is None else sorted(set(story_ids))
    chunks: Iterable[list[int] | None] = (
        [None] if ids is None else (ids[i : i + 500] for i in range(0, len(ids), 500))
    )
    body = "a.text" if text else "'' AS text"
    for chunk in chunks:
        if chunk is not None and not chunk:
            continue
        where = "" if chunk is None else f"WHERE a.story_id IN ({', '.join('?' * len(chunk))})"
        rows = store.conn.execute(
            f"""
            SELECT a.id, a.story_id, a.source, a.url, a.title, a.published_at, a.fetched_at, {body},
                e.record, e.extracted_at, r.updated_at AS reviewed_at
            FROM articles a LEFT JOIN extractions e ON e.article_id = a.id
            LEFT JOIN reviews r ON r.article_id = a.id
            {where}
            ORDER BY a.story_id, a.published_utc IS NULL, a.published_utc, a.url
            """,
            tuple(chunk or ()),
        ).fetchall()
        group: list[Any] = []
        for row in rows:
            if group and group[0]["story_id"] != row["story_id"]:
                story = _story(store, group)
                if story is not None:
                    yield story
                group = []
            group.append(row)
        if group:
            story = _story(store, group)
            if story is not None:
                yield story


def _story(store: Store, copies: list[Any]) -> Story | None:
    extracted = [c for c in copies if c["record"] is not None]
    lead = next((c for c in extracted if c["reviewed_at"] is not None), None) or next(iter(extracted), None)
    if lead is None:
        return None
    record = json.loads(lead["record"])
    if lead["reviewed_at"] is not None:
        record = apply_corrections(record, store.corrections(int(lead["id"]))).record
    if not record.get("relevant"):
        return None
    first = copies[0]
    moment = first["published_at"] or first["fetched_at"]
    return Story(
        story_id=int(first["story_id"]),
        article_id=int(lead["id"]),
        title=first["title"],
        url=first["url"],
        text=lead["text"],
        published=_aware(moment),
        sources=tuple(dict.fromkeys(c["source"] for c in copies)),
        urls=tuple(c["url"] for c in copies),
        record=record,
        changed_at=max(str(c["extracted_at"] or "") for c in copies),
    )


def _aware(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- matching ------------------------------------------------------------------------


class _Context:
    """A story as matching reads it; its text is folded once, when a rule first searches it."""

    def __init__(self, story: Story):
        self.story = story

    @functools.cached_property
    def text(self) -> Text:
        return Text(self.story.text)

    @functools.cached_property
    def title(self) -> Text:
        return Text(self.story.title)

    def search(self, pattern: re.Pattern[str]) -> tuple[str, Evidence | None] | None:
        """The first match in the text (with its evidence), else in the title."""
        span = self.text.find(pattern)
        if span is not None:
            return self.story.text[span[0] : span[1]], self.text.evidence(*span)
        span = self.title.find(pattern)
        if span is not None:
            return self.story.title[span[0] : span[1]], self.title.evidence(*span)
        return None

    def evidence(self, item: dict[str, Any]) -> Evidence | None:
        start, end = item.get("start"), item.get("end")
        if isinstance(start, int) and isinstance(end, int):
            return self.text.evidence(start, end)
        return None


def match_story(watchlist: Watchlist, story: Story) -> Match | None:
    """The rules of ``watchlist`` that match ``story``, or None when it does not match."""
    ctx = _Context(story)
    rules = watchlist.rules
    found: list[RuleMatch] = []
    for person in rules.get("people", []):
        found += _person(ctx, person)
    for org in rules.get("orgs", []):
        found += _named(ctx, "organisation", org, ORG_LABELS)
    for place in rules.get("places", []):
        found += _named(ctx, "place", place, PLACE_LABELS)
    for keyword in rules.get("keywords", []):
        words = fold(keyword.rstrip("*")).split()
        hit = ctx.search(_phrase(words, prefix=keyword.endswith("*")))
        if hit is not None:
            found.append(RuleMatch(f"keyword: {keyword}", "text", hit[0], hit[1]))
    if any(rules.get(kind) for kind in SUBJECT_RULES) and not found:
        return None
    for check in (_sources, _tactics, _stage, _sentence):
        hits = check(ctx, rules)
        if hits is None:
            continue
        if not hits:
            return None
        found += hits
    return Match(watchlist.name, story, tuple(found)) if found else None


def _person(ctx: _Context, rule: str) -> list[RuleMatch]:
    label = f"person: {rule}"
    record = ctx.story.record
    for name in record.get("subjects", []):
        if same_person(rule, str(name)):
            return [RuleMatch(label, "subject", str(name), _name_evidence(ctx, str(name)))]
    for penalty in record.get("penalties", []):
        name = str(penalty.get("person") or "")
        if name and same_person(rule, name):
            return [RuleMatch(label, "penalty", name, ctx.evidence(penalty))]
    for entity in record.get("entities", []):
        if entity.get("label") == "PERSON" and same_person(rule, str(entity.get("text", ""))):
            return [RuleMatch(label, "person named", str(entity.get("text")), ctx.evidence(entity))]
    for words in name_variants(rule):
        hit = ctx.search(_phrase(words))
        if hit is not None:
            return [RuleMatch(label, "text", hit[0], hit[1])]
    return []


def _name_evidence(ctx: _Context, name: str) -> Evidence | None:
    """Where a subject's name is in the text: in any of its word orders, else as a person named."""
    for words in name_variants(name):
        hit = ctx.search(_phrase(words))
        if hit is not None:
            return hit[1]
    for entity in ctx.story.record.get("entities", []):
        if entity.get("label") == "PERSON" and same_person(name, str(entity.get("text", ""))):
            return ctx.evidence(entity)
    return None


def _named(ctx: _Context, word: str, rule: str, labels: frozenset[str]) -> list[RuleMatch]:
    """An organisation or place rule: an entity of that kind containing the rule's words,
    else the words anywhere in the text."""
    label = f"{word}: {rule}"
    pattern = _phrase(fold(rule).split())
    for entity in ctx.story.record.get("entities", []):
        if entity.get("label") in labels and pattern.search(fold(str(entity.get("text", "")))):
            return [RuleMatch(label, f"{word} named", str(entity.get("text")), ctx.evidence(entity))]
    hit = ctx.search(pattern)
    return [RuleMatch(label, "text", hit[0], hit[1])] if hit else []


def _sources(ctx: _Context, rules: dict[str, Any]) -> list[RuleMatch] | None:
    wanted = rules.get("sources")
    if not wanted:
        return None
    return [RuleMatch(f"source: {s}", "source", s) for s in wanted if s in ctx.story.sources]


def _tactics(ctx: _Context, rules: dict[str, Any]) -> list[RuleMatch] | None:
    wanted = rules.get("tactics")
    if not wanted:
        return None
    out = []
    for tactic in wanted:
        item = next((t for t in ctx.story.record.get("tactics", []) if t.get("label") == tactic), None)
        if item is not None:
            out.append(
                RuleMatch(f"tactic: {tactic}", "tactic", str(item.get("evidence", "")), ctx.evidence(item))
            )
    return out


def _stage(ctx: _Context, rules: dict[str, Any]) -> list[RuleMatch] | None:
    wanted = rules.get("min_stage")
    if not wanted:
        return None
    stage = stage_of(ctx.story.record)
    if stage is None or STAGE_LABELS.index(stage["label"]) < STAGE_LABELS.index(wanted):
        return []
    return [RuleMatch(f"minimum stage: {wanted}", "stage", str(stage["label"]), ctx.evidence(stage))]


def _sentence(ctx: _Context, rules: dict[str, Any]) -> list[RuleMatch] | None:
    wanted = rules.get("min_sentence")
    if not wanted:
        return None
    for penalty in ctx.story.record.get("penalties", []):
        months = penalty.get("months")
        kind = penalty.get("kind")
        if kind in BEYOND_TERMS or (kind == PRISON and isinstance(months, int | float) and months >= wanted):
            what = kind.replace("_", " ") if kind in BEYOND_TERMS else f"{int(months)} months"
            who = f"{penalty.get('person')}: " if penalty.get("person") else ""
            return [
                RuleMatch(f"minimum sentence: {wanted} months", "penalty", who + what, ctx.evidence(penalty))
            ]
    return []


def scan(store: Store, watchlist: Watchlist) -> Iterator[Match]:
    """What ``watchlist`` matches over the whole archive (alerting nobody), in story order."""
    for story in stories(store):
        match = match_story(watchlist, story)
        if match is not None:
            yield match


def matches(store: Store, name: str, limit: int = 100) -> list[dict[str, Any]]:
    """A watchlist's matches over the archive as JSON-able dicts, newest first: what an API serves."""
    found = list(scan(store, get_watchlist(store, name)))
    found.sort(key=lambda m: m.story.published or datetime.min.replace(tzinfo=UTC), reverse=True)
    return [m.to_json() for m in found[:limit]]
