"""Watchlists: rules, matching with evidence, and alerts raised once and delivered by mail,
by a signed webhook (a real HTTP server on loopback) and in an Atom feed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from bulletin.alerts import SECRET_ENV, check_alerts, feed_name
from bulletin.cli import cli
from bulletin.config import load_settings
from bulletin.errors import BulletinError
from bulletin.store import Store
from bulletin.watchlists import (
    Watchlist,
    fold,
    get_watchlist,
    parse_months,
    same_person,
    save_watchlist,
    scan,
    stories,
)
from tests import watch_archive
from tests.smtp import Inbox, smtp_on_loopback

SECRET = "s3cret-for-the-test-receiver"


@pytest.fixture
def store(memory_archive: str) -> Iterator[Store]:
    with Store.open(memory_archive) as opened:
        yield opened


def watch(store: Store, name: str, **rules: Any) -> Watchlist:
    emails = rules.pop("emails", ())
    webhook = rules.pop("webhook", "")
    return save_watchlist(store, Watchlist(name, rules, tuple(emails), webhook))


def matched(store: Store, name: str) -> dict[int, list[str]]:
    return {m.story.story_id: [r.rule for r in m.rules] for m in scan(store, get_watchlist(store, name))}


# -- matching ---------------------------------------------------------------------------


def test_names_fold_case_diacritics_and_word_order() -> None:
    assert fold("ZHAO Mínghuì") == "zhao minghui"
    assert same_person("Zhao Minghui", "Minghui Zhao")
    assert same_person("zhao mínghuì", "Mr. Zhao Minghui")
    assert same_person("Kelvin Leung", "Kelvin Chun Ho Leung")
    assert same_person("Kelvin Chun Ho Leung", "Kelvin Leung")
    assert not same_person("Zhao Minghui", "Zhao")  # a bare surname in a report is not him
    assert not same_person("Wang Wei", "Wang Lei")


def test_person_rule_matches_surname_first_and_given_first_with_evidence(store: Store) -> None:
    ids = watch_archive.build(store)
    watch(store, "zhao", people=["ZHAO Mínghuì"])
    [match] = scan(store, get_watchlist(store, "zhao"))
    assert match.story.story_id == ids["zhao"]
    [rule] = match.rules
    assert (rule.rule, rule.where, rule.matched) == ("person: ZHAO Mínghuì", "subject", "Zhao Minghui")
    # The subject is written given-name first in the text: the evidence is found there.
    assert rule.evidence is not None
    assert rule.evidence.match == "Minghui Zhao"
    assert rule.evidence.before.endswith("BEIJING - ")
    assert rule.evidence.after.startswith(", an engineer at Pacific Rim Avionics")


def test_subject_rules_are_any_of_and_filters_all_of(store: Store) -> None:
    ids = watch_archive.build(store)
    watch(store, "orgs", orgs=["pacific rim"], places=["Boston"])
    assert set(matched(store, "orgs")) == {ids["zhao"], ids["leung"]}
    watch(store, "long", min_sentence="5y")
    assert matched(store, "long") == {ids["zhao"]: ["minimum sentence: 60 months"]}
    watch(
        store, "sentenced-online", min_stage="sentencing", tactics=["online_approach", "financial_inducement"]
    )
    assert set(matched(store, "sentenced-online")) == {ids["zhao"], ids["wang"]}
    watch(store, "doj-charged", sources=["doj"], min_stage="charge")
    assert set(matched(store, "doj-charged")) == {ids["leung"]}
    # A subject rule narrowed by a filter: the shipyard keyword, but only from Global Times.
    watch(store, "shipyard-gt", keywords=["shipyard"], sources=["globaltimes"])
    assert matched(store, "shipyard-gt") == {}
    watch(store, "prefix", keywords=["photo*"])
    assert set(matched(store, "prefix")) == {ids["wang"]}
    watch(store, "words", keywords=["foreign agent"])  # a phrase, whole words only
    assert set(matched(store, "words")) == {ids["zhao"]}


def test_a_story_not_judged_a_case_never_matches(store: Store) -> None:
    text = "Minghui Zhao won a chess tournament in Dalian."
    watch_archive.put(
        store,
        "https://example.org/chess",
        "Chess",
        text,
        {"relevant": False, "subjects": []},
        watch_archive.T0,
    )
    watch(store, "zhao", people=["Zhao Minghui"])
    assert matched(store, "zhao") == {}


@pytest.mark.parametrize(
    ("rules", "error"),
    [
        ({}, "at least one rule"),
        ({"tactics": ["bribery"]}, "tactic 'bribery': one of"),
        ({"min_stage": "trial"}, "minimum stage 'trial'"),
        ({"min_sentence": "forever"}, "minimum sentence 'forever'"),
        ({"keywords": ["x" * 201]}, "201 characters; at most 200"),
        ({"keywords": ["!!!"]}, "no letters or digits"),
    ],
)
def test_bad_rules_are_refused_with_one_line(store: Store, rules: dict[str, Any], error: str) -> None:
    with pytest.raises(BulletinError, match=error):
        watch(store, "bad", **rules)
    assert store.conn.execute("SELECT count(*) FROM watchlists").fetchone()[0] == 0


def test_sentence_terms() -> None:
    assert [parse_months(v) for v in ("60", "60m", "5y", "5y6m", "1 y")] == [60, 60, 60, 66, 12]


# -- alerts -----------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on loopback: answers each POST with the next status in ``statuses``
    (then 200), keeping what it got."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.requests.append((dict(self.headers.items()), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver([500])
    yield server
    server.close()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_on_loopback() as server:
        yield server


def settings_for(db: str, out: Path, port: int = 0) -> Any:
    return load_settings(
        None,
        overrides={
            "store.path": db,
            "digest.out_dir": str(out),
            "smtp.host": "127.0.0.1" if port else "",
            "smtp.port": port or 25,
            "smtp.security": "none",
            "smtp.sender": "watch@example.org",
        },
    )


def verified(headers: dict[str, str], body: bytes) -> bool:
    """What the README tells a receiver to do with a delivery."""
    timestamp = headers["X-Bulletin-Timestamp"]
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Bulletin-Signature"], "sha256=" + expected)


def test_an_alert_is_mailed_once_and_posted_once_signed_after_a_500(
    store: Store,
    smtp: tuple[Inbox, int],
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    inbox, port = smtp
    settings = settings_for(store.path, tmp_path, port)
    store.clock = lambda: watch_archive.T0 - timedelta(days=1)
    watch(store, "zhao", people=["Zhao Minghui"], emails=["desk@example.org"], webhook=receiver.url)
    ids = watch_archive.build(store)
    waits: list[float] = []

    result = check_alerts(settings, store, sleep=waits.append)
    assert (result.raised, result.mailed, result.posted, result.waiting) == (1, 1, 1, 0)
    [message] = inbox.messages
    assert message["Subject"] == "Watchlist zhao: 1 new match"
    assert message["To"] == "desk@example.org"
    parts = {p.get_content_type(): p.get_content() for p in message.iter_parts()}
    assert "person: Zhao Minghui (subject" in parts["text/plain"]
    assert "BEIJING - [Minghui Zhao], an engineer" in parts["text/plain"]
    assert "<mark>Minghui Zhao</mark>" in parts["text/html"]
    # The webhook answered 500 first: retried after a back-off, then delivered.
    assert [status for _, _, status in receiver.requests] == [500, 200]
    assert waits == [0.5]
    headers, body, _ = receiver.requests[-1]
    assert verified(headers, body)
    assert not verified({**headers, "X-Bulletin-Timestamp": "1"}, body)
    payload = json.loads(body)
    assert payload["event"] == "watchlist.alert"
    assert payload["delivery"] == headers["X-Bulletin-Delivery"]
    alert = payload["alert"]
    assert (alert["watchlist"], alert["story_id"], alert["stage"]) == ("zhao", ids["zhao"], "sentencing")
    assert alert["matches"][0]["evidence"]["match"] == "Minghui Zhao"

    # A rerun (the same extraction, or nothing new) raises nothing and sends nothing.
    store.clock = lambda: watch_archive.T0 + timedelta(days=5)
    again = check_alerts(settings, store, sleep=waits.append)
    assert (again.raised, again.mailed, again.posted) == (0, 0, 0)
    assert len(inbox.messages) == 1
    assert len(receiver.requests) == 2
    # Re-extracting the story with the same findings is no new version: still nothing.
    [story] = stories(store, [ids["zhao"]])
    store.save_extraction(story.article_id, "redo", {**story.record, "id": str(story.article_id)})
    assert check_alerts(settings, store, sleep=waits.append).raised == 0
    # An update that changes what matched (an appeal now) is a new version: one new alert.
    store.clock = lambda: watch_archive.T0 + timedelta(days=6)
    appeal = {**story.record, "stage": {"label": "appeal", "evidence": "sentenced", "start": 0, "end": 1}}
    store.save_extraction(story.article_id, "redo", appeal)
    updated = check_alerts(settings, store, sleep=waits.append)
    assert (updated.raised, updated.mailed, updated.posted) == (1, 1, 1)
    assert len(inbox.messages) == 2


def test_a_failed_delivery_is_retried_on_the_next_run_and_a_4xx_is_not(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    settings = settings_for(store.path, tmp_path)
    down = Receiver([503, 503, 503])
    refusing = Receiver([401])
    try:
        store.clock = lambda: watch_archive.T0 - timedelta(days=1)
        watch(store, "zhao", people=["Zhao Minghui"], webhook=down.url)
        watch(store, "wang", people=["Wang Lei"], webhook=refusing.url)
        watch_archive.build(store)
        waits: list[float] = []
        first = check_alerts(settings, store, sleep=waits.append)
        assert (first.raised, first.posted, first.waiting) == (2, 0, 1)
        assert waits == [0.5, 1.0]  # back-off doubles; three attempts per run
        assert any("failed after 3 attempts (HTTP 503" in p for p in first.problems)
        assert any("refused alert" in p and "HTTP 401" in p for p in first.problems)
        second = check_alerts(settings, store, sleep=waits.append)
        assert (second.raised, second.posted, second.waiting) == (0, 1, 0)
        assert [s for _, _, s in down.requests] == [503, 503, 503, 200]
        assert [s for _, _, s in refusing.requests] == [401]  # refused: never sent again
        assert check_alerts(settings, store, sleep=waits.append).posted == 0
    finally:
        down.close()
        refusing.close()


def test_without_the_secret_nothing_is_posted_unsigned(
    store: Store, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    store.clock = lambda: watch_archive.T0 - timedelta(days=1)
    watch(store, "zhao", people=["Zhao Minghui"], webhook=receiver.url)
    watch_archive.build(store)
    result = check_alerts(settings_for(store.path, tmp_path), store)
    assert (result.raised, result.posted, result.waiting) == (1, 0, 1)
    assert receiver.requests == []
    assert SECRET_ENV in result.problems[0]


def test_a_new_watchlist_alerts_only_on_what_changes_after_it(store: Store, tmp_path: Path) -> None:
    watch_archive.build(store)
    store.clock = lambda: watch_archive.T0 + timedelta(days=10)
    watch(store, "zhao", people=["Zhao Minghui"])
    assert check_alerts(settings_for(store.path, tmp_path), store).raised == 0
    assert len(list(scan(store, get_watchlist(store, "zhao")))) == 1  # `watch test` still sees it


def test_the_feed_is_atom_with_the_evidence_escaped(store: Store, tmp_path: Path) -> None:
    store.clock = lambda: watch_archive.T0 - timedelta(days=1)
    watch(store, "leung", people=["Kelvin Leung"], keywords=["script"])
    watch_archive.build(store)
    result = check_alerts(settings_for(store.path, tmp_path), store)
    assert result.raised == 1
    path = tmp_path / feed_name(get_watchlist(store, "leung"))
    assert str(path) in result.feeds
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/script&gt; was in his notes." in text
    atom = "{http://www.w3.org/2005/Atom}"
    root = ElementTree.fromstring(text)  # noqa: S314 (our own output)
    [entry] = root.findall(f"{atom}entry")
    assert entry.findtext(f"{atom}title") == "Man charged <b>as agent</b>"
    assert entry.find(f"{atom}link").get("href") == "https://www.justice.gov/opa/pr/3"  # type: ignore[union-attr]
    summary = entry.findtext(f"{atom}summary") or ""
    assert "person: Kelvin Leung: Kelvin Chun Ho Leung" in summary
    assert "keyword: script: script" in summary


def test_cli_add_list_test_remove(tmp_path: Path) -> None:
    db = str(tmp_path / "archive.db")
    with Store.open(db) as store:
        ids = watch_archive.build(store)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", db, *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "added watchlist aviation: organisation: Pacific Rim Avionics" in run(
        "watch", "add", "aviation", "--org", "Pacific Rim Avionics", "--email", "desk@example.org"
    )
    assert "updated watchlist aviation" in run("watch", "add", "aviation", "--min-sentence", "5y")
    listed = json.loads(run("watch", "list", "--json"))
    assert listed[0]["rules"] == {"orgs": ["Pacific Rim Avionics"], "min_sentence": 60}
    assert listed[0]["emails"] == ["desk@example.org"]
    output = run("watch", "test", "aviation")
    assert f"story {ids['zhao']} 2026-03-02 Engineer jailed for selling drawings" in output
    assert "organisation: Pacific Rim Avionics (organisation named): " in output
    assert "at [Pacific Rim Avionics] in Dalian" in output
    assert output.rstrip().endswith("watchlist aviation matches 1 stories in the archive (nothing alerted)")
    found = json.loads(run("watch", "test", "aviation", "--json"))
    assert [m["story_id"] for m in found] == [ids["zhao"]]
    run("watch", "remove", "aviation", "--min-sentence", "x")
    assert json.loads(run("watch", "list", "--json"))[0]["rules"] == {"orgs": ["Pacific Rim Avionics"]}
    assert "removed watchlist aviation and its 0 alerts" in run("watch", "remove", "aviation")
    bad = runner.invoke(cli, ["--db", db, "watch", "test", "aviation"])
    assert bad.exit_code == 1
    assert bad.output.strip() == "bulletin: error: no watchlist 'aviation' (watchlists: none yet)"
    bad = runner.invoke(
        cli, ["--db", db, "watch", "add", "x", "--keyword", "x", "--webhook", "file:///etc/passwd"]
    )
    assert bad.exit_code == 1
    assert "an http(s) URL" in bad.output


def test_evidence_offsets_survive_folding_accented_text(store: Store) -> None:
    text = "Der Ingenieur MÍNGHUÌ Zhào \u2013 aus Dalian \u2013 wurde verurteilt."
    rec = watch_archive.record(text, subjects=["Zhào Mínghuì"])
    watch_archive.put(store, "https://example.org/de", "Urteil", text, rec, watch_archive.T0)
    watch(store, "zhao", people=["zhao minghui"], keywords=["aus dalian"])
    [match] = scan(store, get_watchlist(store, "zhao"))
    person, keyword = match.rules
    assert person.evidence is not None
    assert (person.matched, person.evidence.match) == ("Zhào Mínghuì", "MÍNGHUÌ Zhào")
    assert person.evidence.before == "Der Ingenieur "
    assert keyword.evidence is not None
    assert keyword.evidence.match == "aus Dalian"
    assert keyword.evidence.after == " \u2013 wurde verurteilt."


def test_bulletin_extract_raises_the_alerts_once(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    """The whole path: stored article -> `bulletin extract` (the real pipeline) -> one mail;
    `extract --redo` finds the same and mails nothing more."""
    from datetime import UTC, datetime

    from bulletin.records import Article
    from tests.conftest import FIXTURES

    inbox, port = smtp
    db = str(tmp_path / "a.db")
    env = {
        "BULLETIN_CONFIG": "",
        "BULLETIN_SMTP_HOST": "127.0.0.1",
        "BULLETIN_SMTP_PORT": str(port),
        "BULLETIN_SMTP_SECURITY": "none",
        "BULLETIN_SMTP_SENDER": "watch@example.org",
        "BULLETIN_DIGEST_OUT_DIR": str(tmp_path / "out"),
    }
    runner = CliRunner(env=env)
    added = runner.invoke(
        cli, ["--db", db, "watch", "add", "feng", "--person", "Feng", "--email", "d@example.org"]
    )
    assert added.exit_code == 0, added.output
    with Store.open(db) as store:
        store.save_article(
            Article(
                source="globaltimes",
                url="https://gt.example/1",
                title="Spy case",
                text=(FIXTURES / "articles" / "seed-000.txt").read_text(encoding="utf-8"),
                fetched_at=datetime.now(UTC),
            ),
            run_id=None,
            sig=None,
        )
    first = runner.invoke(cli, ["--db", db, "extract"])
    assert first.exit_code == 0, first.output
    assert "checked 1 changed stories against 1 watchlists: 1 new alerts, 1 mailed, 0 posted" in first.output
    [message] = inbox.messages
    assert message["Subject"] == "Watchlist feng: 1 new match"
    assert (tmp_path / "out" / "watch-feng.atom").is_file()
    again = runner.invoke(cli, ["--db", db, "extract", "--redo"])
    assert again.exit_code == 0, again.output
    assert "1 changed stories against 1 watchlists: 0 new alerts, 0 mailed" in again.output
    assert len(inbox.messages) == 1


def test_two_checks_side_by_side_mail_an_alert_once(store: Store, tmp_path: Path) -> None:
    """A check claims the pending mail in one statement: one beside it (a worker's) gets none."""
    from bulletin.alerts import _claim

    store.clock = lambda: watch_archive.T0 - timedelta(days=1)
    watch(store, "zhao", people=["Zhao Minghui"], emails=["desk@example.org"])
    watch_archive.build(store)
    check_alerts(settings_for(store.path, tmp_path), store)  # no SMTP: raised, left pending
    pending = [
        int(r[0]) for r in store.conn.execute("SELECT id FROM watch_alerts WHERE mail_status = 'pending'")
    ]
    assert len(pending) == 1
    assert _claim(store, pending) == pending
    assert _claim(store, pending) == []


def test_mail_that_failed_is_sent_on_the_next_run(store: Store, tmp_path: Path) -> None:
    from tests.smtp import free_port

    store.clock = lambda: watch_archive.T0 - timedelta(days=1)
    watch(store, "zhao", people=["Zhao Minghui"], emails=["desk@example.org"])
    watch(store, "wang", people=["Wang Lei"], emails=["desk@example.org"])
    watch_archive.build(store)
    down = check_alerts(settings_for(store.path, tmp_path, free_port()), store)
    assert (down.raised, down.mailed) == (2, 0)
    # One failure for the first watchlist; the second waits for the next run without trying.
    assert len([p for p in down.problems if "alerts not mailed" in p and "tried again next run" in p]) == 1
    states = [r[0] for r in store.conn.execute("SELECT mail_status FROM watch_alerts ORDER BY id")]
    assert states == ["pending", "pending"]
    with smtp_on_loopback() as (inbox, port):
        up = check_alerts(settings_for(store.path, tmp_path, port), store)
    assert (up.raised, up.mailed) == (0, 2)
    assert sorted(m["Subject"] for m in inbox.messages) == [
        "Watchlist wang: 1 new match",
        "Watchlist zhao: 1 new match",
    ]
