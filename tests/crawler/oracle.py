"""Compare what a crawl stored with tests/fixtures/sites/expected.toml."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bulletin.records import Article
from bulletin.store import Store


def stored_by_path(store: Store, base: str) -> dict[str, Article]:
    return {a.url.removeprefix(base): a for a in store.articles() if a.url.startswith(base)}


def mismatches(article: Article, entry: dict[str, Any]) -> list[str]:
    """Every way a stored article differs from its oracle entry."""
    problems = []
    words = article.text.split()
    if article.title != entry["title"]:
        problems.append(f"title {article.title!r} != {entry['title']!r}")
    if "published" in entry:
        want = datetime.fromisoformat(entry["published"])
        got = article.published_at
        if len(entry["published"]) == 10:  # a date only (DOJ): compare the day where it was published
            if got is None or got.date() != want.date():
                problems.append(f"published {got} != {entry['published']}")
        elif got is None or got != want or got.utcoffset() != want.utcoffset():
            problems.append(f"published {got} != {entry['published']}")
    if entry.get("byline") != article.byline and "byline" in entry:
        problems.append(f"byline {article.byline!r} != {entry['byline']!r}")
    if "section" in entry and article.section != entry["section"]:
        problems.append(f"section {article.section!r} != {entry['section']!r}")
    if " ".join(words[:8]) != entry["first_words"]:
        problems.append(f"first words {' '.join(words[:8])!r} != {entry['first_words']!r}")
    if "last_words" in entry and " ".join(words[-8:]) != entry["last_words"]:
        problems.append(f"last words {' '.join(words[-8:])!r} != {entry['last_words']!r}")
    contains = entry.get("contains", [])
    for needle in [contains] if isinstance(contains, str) else contains:
        if needle not in article.text:
            problems.append(f"text lacks {needle!r}")
    for needle in entry.get("not_contains", []):
        if needle in article.text:
            problems.append(f"text still has {needle!r}")
    return problems


def check(store: Store, base: str, entries: list[dict[str, Any]], route: str | None = None) -> list[str]:
    """Problems with the expected articles (those reachable by ``route``, if given)."""
    stored = stored_by_path(store, base)
    problems = []
    for entry in entries:
        if route and not any(v.startswith(route) for v in entry.get("via", [])):
            continue
        article = stored.get(entry["path"])
        if article is None:
            problems.append(f"{entry['path']}: not stored")
            continue
        problems += [f"{entry['path']}: {p}" for p in mismatches(article, entry)]
    return problems
