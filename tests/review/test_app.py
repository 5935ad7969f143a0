"""The review page through Flask's test client, one temporary archive per test."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from bulletin.corrections import Effective, apply
from bulletin.digesting import build_digest
from bulletin.periods import period_for
from bulletin.review import create_app
from bulletin.store import Store
from digest.render import render_digest
from tests.review.archive import COLE, FENG, HOSTILE, PIPELINE, feng_record, span
from tests.review.conftest import Page

# A report of the cases published in November 2026, where the test articles are.
NOVEMBER = period_for(
    "custom", "UTC", datetime(2026, 12, 1, tzinfo=UTC), None, date(2026, 11, 1), date(2026, 11, 30)
)


def _effective(db: Path, article_id: int) -> Effective:
    with Store.open(db) as store:
        stored = store.stored_extraction(article_id)
        assert stored is not None
        return apply(stored.record, store.corrections(article_id))


def _queue_ids(client: FlaskClient, query: str = "") -> list[int]:
    page = client.get("/" + query).get_data(as_text=True)
    return [int(i) for i in re.findall(r'<tr class="row[^"]*" data-href="/article/(\d+)', page)]


def test_queue_puts_the_uncertain_first_and_shows_progress(client, ids):
    # Zhao: relevance 0.62 (near the line); Feng: subject without... no, Feng is complete;
    # Cole: a subject with no penalty; the match: the rest, newest first.
    assert _queue_ids(client) == [ids["zhao"], ids["cole"], ids["match"], ids["feng"]]
    page = client.get("/").get_data(as_text=True)
    assert '<b id="progress">0 / 4</b>' in page


def test_queue_filters(client, ids):
    assert _queue_ids(client, "?source=doj") == [ids["cole"]]
    assert _queue_ids(client, "?tactic=financial_inducement") == [ids["feng"]]
    assert _queue_ids(client, "?subject=cole") == [ids["cole"]]
    assert _queue_ids(client, "?since=2026-11-22&until=2026-11-23") == [ids["cole"], ids["match"]]
    assert _queue_ids(client, "?status=reviewed") == []


def test_accepting_every_item_reviews_the_article_and_advances(client, ids, db):
    page = Page(client, ids["feng"])
    keys = page.item_keys()
    assert keys[0] == "relevance"
    for n, key in enumerate(keys):
        response = page.post("decide", key=key, action="accept")
        assert response.status_code == 302
        if n < len(keys) - 1:
            assert response.headers["Location"].startswith(f"/article/{ids['feng']}")
            page = Page(client, ids["feng"])
    # The last accept went on to the next article to review, the first of the queue.
    assert response.headers["Location"] == f"/article/{ids['zhao']}"
    with Store.open(db) as store:
        state = store.review_state(ids["feng"])
        assert (state.status, state.version, state.reviewer) == ("reviewed", len(keys), "ana")
    assert "1 / 4" in client.get("/").get_data(as_text=True)
    assert _queue_ids(client, "?status=reviewed") == [ids["feng"]]


def test_reject_removes_the_item_from_the_effective_record_only(client, ids, db):
    page = Page(client, ids["feng"])
    tactic = next(k for k in page.item_keys() if k.startswith("tactic:"))
    assert page.post("decide", key=tactic, action="reject").status_code == 302
    assert _effective(db, ids["feng"]).record["tactics"] == []
    with Store.open(db) as store:
        machine = store.stored_extraction(ids["feng"])
        assert machine is not None
        assert machine.record["tactics"]  # the machine's record is intact
    assert "<s>tactic: offered him a high consulting fee</s>" in Page(client, ids["feng"]).html


def test_edit_a_penalty_and_the_digest_shows_it(client, ids, db):
    page = Page(client, ids["feng"])
    prison = next(k for k in page.item_keys() if k.startswith("penalty:feng:imprisonment"))
    response = page.post(
        "edit", key=prison, person="Feng", penalty_kind="imprisonment", months="84", amount="", currency=""
    )
    assert response.status_code == 302
    penalty = _effective(db, ids["feng"]).record["penalties"][0]
    assert penalty["months"] == 84
    assert penalty["evidence"] == "sentenced to six years in prison"
    with Store.open(db) as store:
        text = render_digest(build_digest(store, NOVEMBER), "txt")
    assert "Feng: 7 years in prison" in text
    assert "6 years" not in text


def test_move_a_span_and_add_a_missing_item(client, ids, db):
    page = Page(client, ids["cole"])
    start, end = span(COLE, "recruited online")
    tactic = next(k for k in page.item_keys() if k.startswith("tactic:"))
    response = page.post("edit", key=tactic, label="online_approach", start=str(start), end=str(end))
    assert response.status_code == 302
    o0, o1 = span(COLE, "Ohio")
    response = Page(client, ids["cole"]).post("add", kind="entity", label="GPE", start=str(o0), end=str(o1))
    assert response.status_code == 302
    record = _effective(db, ids["cole"]).record
    assert record["tactics"] == [
        {"label": "online_approach", "evidence": "recruited online", "start": start, "end": end}
    ]
    assert record["entities"] == [{"text": "Ohio", "label": "GPE", "start": o0, "end": o1}]


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        (
            "edit",
            {"person": "Feng", "penalty_kind": "imprisonment", "months": "-3"},
            "months cannot be negative",
        ),
        ("edit", {"person": "Feng", "penalty_kind": "hanging", "months": "3"}, "is not one of"),
        ("edit", {"person": "Feng", "penalty_kind": "imprisonment", "months": "six"}, "is not a number"),
        ("edit", {"person": "Feng", "penalty_kind": "fine", "amount": "500"}, "needs its currency"),
        ("edit", {"penalty_kind": "imprisonment", "start": "10", "end": "99999"}, "outside the article"),
        ("add", {"kind": "tactic", "label": "mind_control", "start": "0", "end": "5"}, "is not one of"),
        ("add", {"kind": "tactic", "label": "online_approach"}, "select the tactic"),
        ("add", {"kind": "weather", "start": "0", "end": "5"}, "unknown kind"),
        ("decide", {"key": "tactic:nothing:1-2", "action": "accept"}, "no item"),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(client, ids, db, action, fields, message):
    page = Page(client, ids["feng"])
    prison = next(k for k in page.item_keys() if k.startswith("penalty:feng:imprisonment"))
    response = page.post(action, **({"key": prison} | fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with Store.open(db) as store:
        assert store.corrections(ids["feng"]) == []
        assert store.review_state(ids["feng"]).version == 0


def test_every_post_needs_the_csrf_token(client, ids, db):
    page = Page(client, ids["feng"])
    response = client.post(
        f"/article/{ids['feng']}/decide", data={"version": "0", "key": "relevance", "action": "accept"}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    page.token = "forged"
    assert page.post("decide", key="relevance", action="accept").status_code == 400
    with Store.open(db) as store:
        assert store.corrections(ids["feng"]) == []


def test_the_second_of_two_reviewers_sees_the_first_change(db, ids):
    first = Page(create_app(str(db), "ana").test_client(), ids["feng"])
    second = Page(create_app(str(db), "ben").test_client(), ids["feng"])
    tactic = next(k for k in first.item_keys() if k.startswith("tactic:"))
    assert first.post("decide", key=tactic, action="reject").status_code == 302
    response = second.post("decide", key=tactic, action="accept")
    assert response.status_code == 409
    assert "changed by ana" in response.get_data(as_text=True)
    with Store.open(db) as store:
        assert [(c.action, c.reviewer) for c in store.corrections(ids["feng"])] == [("reject", "ana")]


def test_undo_withdraws_the_last_correction(client, ids, db):
    page = Page(client, ids["feng"])
    tactic = next(k for k in page.item_keys() if k.startswith("tactic:"))
    page.post("decide", key=tactic, action="reject")
    Page(client, ids["feng"]).post("undo")
    assert _effective(db, ids["feng"]).record["tactics"] == feng_record()["tactics"]
    with Store.open(db) as store:
        assert store.corrections(ids["feng"]) == []
        assert store.review_state(ids["feng"]).version == 2


def test_verdict_marks_an_article_not_a_case(client, ids, db):
    Page(client, ids["zhao"]).post("verdict", relevant="0")
    assert _effective(db, ids["zhao"]).record["relevant"] is False
    with Store.open(db) as store:
        assert store.review_state(ids["zhao"]).status == "reviewed"
        assert ids["zhao"] not in [case.story_id for case in build_digest(store, NOVEMBER).cases]


def test_re_extraction_keeps_corrections_and_flags_conflicts(client, ids, db, monkeypatch):
    from bulletin import extracting

    page = Page(client, ids["feng"])
    tactic = next(k for k in page.item_keys() if k.startswith("tactic:"))
    page.post("decide", key=tactic, action="accept")
    newer = {"id": str(ids["feng"]), **feng_record()}
    newer["tactics"] = []
    count = extracting.Count()
    with Store.open(db) as store:
        store.save_extraction(ids["feng"], PIPELINE + "-next", newer)
        extracting._recheck(store, ids["feng"], newer, count)
    assert count.conflicts == 1
    assert _queue_ids(client, "?status=conflicts") == [ids["feng"]]
    html = Page(client, ids["feng"]).html
    assert "Corrections in conflict with the current extraction" in html
    assert _effective(db, ids["feng"]).record["tactics"] == feng_record()["tactics"]


def test_scraped_text_is_escaped_and_no_script_can_run(client, ids):
    response = client.get(f"/article/{ids['zhao']}")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert "<script>" not in client.get("/").get_data(as_text=True).replace(
        '<script src="/static/review/review.js" defer></script>', ""
    )
    assert HOSTILE[:20].replace('"', "&#34;")[:10] in html


def test_a_token_is_needed_on_every_request_when_set(db, ids):
    client = create_app(str(db), "ana", token="s3cret-token").test_client()
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    # The token is exchanged for a flag in the session, and the URL loses it.
    response = client.get("/?token=s3cret-token&status=pending")
    assert response.status_code == 303
    assert response.headers["Location"] == "/?status=pending"
    assert client.get(f"/article/{ids['feng']}").status_code == 200  # the session now carries it
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert "s3cret-token" not in cookie.value
    assert "s3cret-token" not in base64.urlsafe_b64decode(cookie.value.split(".")[0] + "==").decode()
    other = create_app(str(db), "ana", token="s3cret-token").test_client()
    assert other.get(f"/article/{ids['feng']}").status_code == 403
    assert other.get("/", headers={"X-Review-Token": "s3cret-token"}).status_code == 200


def test_atom_updated_moves_after_a_review(client, ids, db):
    def updated() -> datetime:
        with Store.open(db) as store:
            moment = {c.story_id: c.updated_at for c in build_digest(store, NOVEMBER).cases}[ids["feng"]]
        assert moment is not None
        return moment

    before = updated()
    Page(client, ids["feng"]).post("decide", key="relevance", action="accept")
    assert updated() > before


def test_offsets_in_the_page_match_the_text(client, ids):
    """Every segment's data-o is where its text starts, so a selection maps to true offsets."""
    import html as htmllib

    page = Page(client, ids["feng"]).html
    for offset, text in re.findall(r'<span class="seg[^"]*" data-o="(\d+)"[^>]*>([^<]*)</span>', page):
        assert FENG[int(offset) : int(offset) + len(htmllib.unescape(text))] == htmllib.unescape(text)
