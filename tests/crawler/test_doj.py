"""Real crawls of the Justice Department sample site: the JSON API, RSS and the bot challenge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from bulletin.store import Store
from tests.conftest import Bulletin, make_bulletin
from tests.crawler.oracle import check, stored_by_path

pytestmark = pytest.mark.slow


@dataclass
class Crawled:
    """The module's crawl: its archive and what it printed."""

    bulletin: Bulletin
    output: str

    def store(self) -> Store:
        return self.bulletin.store()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer) -> Crawled:
    bulletin = make_bulletin(tmp_path_factory.mktemp("doj"), sample_server)
    return Crawled(bulletin, bulletin.run("crawl", "doj").stdout)


def test_every_expected_release_is_stored(
    crawled: Crawled, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    with crawled.store() as store:
        assert check(store, sample_server.base("doj"), expected["doj"]["article"]) == []


def test_challenge_page_is_reported_blocked_not_stored(
    crawled: Crawled, expected: dict[str, Any], sample_server: SampleServer
) -> None:
    [awkward] = expected["doj"]["awkward"]
    with crawled.store() as store:
        stored = stored_by_path(store, sample_server.base("doj"))
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    assert awkward["path"] not in stored
    assert stats.dropped.get("challenge") == 1
    assert stats.blocked
    assert "doj [blocked]" in crawled.output


def test_only_relevant_keeps_security_cases(
    tmp_path: Any, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", "doj", "--only-relevant")
    with bulletin.store() as store:
        stored = stored_by_path(store, sample_server.base("doj"))
        [stats] = store.run_stats(store.runs(1)[0]["id"])
    relevant = {e["path"] for e in expected["doj"]["article"] if e["relevant"]}
    assert set(stored) == relevant
    # An irrelevant release reached by both the API and RSS is dropped twice (nothing is stored).
    assert stats.dropped["irrelevant"] >= len(expected["doj"]["article"]) - len(relevant)


def test_since_and_until_keep_only_releases_in_the_range(
    tmp_path: Any, sample_server: SampleServer, expected: dict[str, Any]
) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", "doj", "--since", "2025-03-01", "--until", "2025-03-05")
    with bulletin.store() as store:
        stored = stored_by_path(store, sample_server.base("doj"))
    want = {
        e["path"] for e in expected["doj"]["article"] if "2025-03-01" <= e["published"][:10] <= "2025-03-05"
    }
    assert want
    assert set(stored) == want
    assert all(
        a.published_at is not None and "2025-03-01" <= a.published_at.date().isoformat() <= "2025-03-05"
        for a in stored.values()
    )


def test_irrelevant_releases_are_not_requested_again_while_only_relevant(
    tmp_path: Any, sample_server: SampleServer
) -> None:
    bulletin = make_bulletin(tmp_path, sample_server)
    bulletin.run("crawl", "doj", "--only-relevant")
    bulletin.run("crawl", "doj", "--only-relevant")
    with bulletin.store() as store:
        first, second = reversed([store.run_stats(r["id"])[0] for r in store.runs(2)])
    # The second run still reads the API and RSS, but requests no detail page it has
    # already judged: stored ones are skipped, irrelevant ones are passed over.
    assert second.new == 0
    assert second.requested < first.requested
    assert second.skipped > first.skipped
    bulletin.run("crawl", "doj", "--only-relevant", "--refresh")
    with bulletin.store() as store:
        refreshed_run = store.run_stats(store.runs(1)[0]["id"])[0]
    # --refresh asks for every detail page again, passed-over ones included. (The first run
    # may have asked for fewer: a release met in the API before its RSS link is not
    # requested twice, and which comes first depends on the order callbacks run in.)
    assert refreshed_run.skipped == 0
    assert refreshed_run.requested >= first.requested
    assert refreshed_run.requested > second.requested
