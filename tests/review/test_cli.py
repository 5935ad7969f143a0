"""`bulletin review`: the real server (waitress) in a child process, its guards, --suggest-patterns."""

from __future__ import annotations

import json
import urllib.request

from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.corrections import Correction
from bulletin.store import Store
from tests.review.archive import PIPELINE

ENV = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None, "BULLETIN_REVIEW_TOKEN": None}


def test_the_review_command_serves_the_page_on_loopback(server, ids):
    with urllib.request.urlopen(server, timeout=5) as response:
        page = response.read().decode()
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "reviewing as <b>ana</b>" in page
    with urllib.request.urlopen(f"{server}article/{ids['feng']}", timeout=5) as response:
        assert "Engineer surnamed Feng" in response.read().decode()
    with urllib.request.urlopen(f"{server}static/review/review.js", timeout=5) as response:
        assert b"keydown" in response.read()


def test_binding_beyond_loopback_refuses_a_short_token(db, ids):
    env = {**ENV, "BULLETIN_REVIEW_TOKEN": "s3cret-token"}
    result = CliRunner().invoke(cli, ["--db", str(db), "review", "--host", "0.0.0.0"], env=env)  # noqa: S104
    assert result.exit_code == 1
    assert "review.token: 12 characters; binding 0.0.0.0 needs at least 32" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_review_of_a_missing_archive_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "review"], env=ENV)
    assert result.exit_code == 1
    assert "no archive there yet" in result.stderr


def _add(store: Store, article_id: int, kind: str, value: dict[str, object]) -> None:
    version = store.review_state(article_id).version
    store.add_correction(article_id, version, Correction("add", kind, None, None, value, "ana"), PIPELINE)


def test_suggest_patterns_lists_wording_added_in_several_articles(db, ids):
    with Store.open(db) as store:
        for name, words in (
            ("feng", "paid him a monthly consultancy fee of 5,000 yuan"),
            ("cole", "promised a consultancy fee of 20,000 dollars"),
            ("zhao", "gave him a laptop"),
        ):
            value = {"label": "financial_inducement", "evidence": words, "start": 0, "end": len(words)}
            _add(store, ids[name], "tactic", value)
    result = CliRunner().invoke(cli, ["--db", str(db), "review", "--suggest-patterns", "--json"], env=ENV)
    assert result.exit_code == 0, result.stderr
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert found[0] == {
        "kind": "tactic",
        "label": "financial_inducement",
        "pattern": [{"LOWER": "consultancy"}, {"LOWER": "fee"}, {"LOWER": "of"}, {"LIKE_NUM": True}],
        "why": "missed",
        "articles": 2,
        "phrase": "consultancy fee of #",
    }
    phrases = {f["phrase"] for f in found}
    assert "laptop" not in phrases  # one article only
    assert "consultancy" not in phrases  # inside a longer candidate seen as often
    assert "candidate patterns" in result.stderr
