"""The review page's watchlists: list, add, edit, remove, matches with evidence, and the feed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bulletin.review import create_app
from bulletin.store import Store
from bulletin.watchlists import watchlists
from tests import watch_archive


@pytest.fixture
def site(tmp_path: Path) -> tuple[str, dict[str, int], FlaskClient]:
    db = str(tmp_path / "watch.db")
    with Store.open(db) as store:
        ids = watch_archive.build(store)
    return db, ids, create_app(db, "ana").test_client()


def token(client: FlaskClient, url: str = "/watchlists/new") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_add_view_edit_remove(site: tuple[str, dict[str, int], FlaskClient]) -> None:
    db, ids, client = site
    assert "No watchlists yet" in client.get("/watchlists").get_data(as_text=True)
    form = {
        "csrf_token": token(client),
        "name": "boston",
        "people": "Leung Kelvin\n",
        "keywords": "script",
        "tactics": [],
        "min_stage": "charge",
        "emails": "desk@example.org",
        "webhook": "",
    }
    response = client.post("/watchlists/save", data=form)
    assert response.status_code == 302
    with Store.open(db) as store:
        [saved] = watchlists(store)
    assert saved.rules == {"people": ["Leung Kelvin"], "keywords": ["script"], "min_stage": "charge"}
    assert response.headers["Location"] == f"/watchlists/{saved.id}"
    page = client.get(f"/watchlists/{saved.id}").get_data(as_text=True)
    assert "1 story (no alert is raised for these)" in page
    assert f'href="/article/{ids["leung"]}">Man charged &lt;b&gt;as agent&lt;/b&gt;</a>' in page
    # The evidence is the text around the match, escaped: the article's <script> stays text.
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    edit = client.get(f"/watchlists/{saved.id}/edit").get_data(as_text=True)
    assert "Leung Kelvin</textarea>" in edit
    form.update(name="boston-2", people="", keywords="", places="Boston", min_stage="")
    assert client.post(f"/watchlists/{saved.id}/save", data=form).status_code == 302
    listing = client.get("/watchlists").get_data(as_text=True)
    assert "place: Boston" in listing
    assert "desk@example.org" in listing
    feed = client.get(f"/watchlists/{saved.id}/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    assert "<title>Bulletin Watch watchlist boston-2</title>" in feed.get_data(as_text=True)
    assert (
        client.post(f"/watchlists/{saved.id}/remove", data={"csrf_token": form["csrf_token"]}).status_code
        == 302
    )
    with Store.open(db) as store:
        assert watchlists(store) == []


def test_bad_input_is_one_line_and_keeps_nothing(site: tuple[str, dict[str, int], FlaskClient]) -> None:
    db, _, client = site
    csrf = token(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "x", "keywords": "spy", "min_sentence": "forever"}, "minimum sentence &#39;forever&#39;"),
        ({"name": "x", "tactics": ["nonsense"], "keywords": "spy"}, "tactic &#39;nonsense&#39;: one of"),
        ({"name": "x", "keywords": "spy", "webhook": "javascript:alert(1)"}, "an http(s) URL"),
        ({"name": "x", "keywords": "spy", "emails": "not-an-address"}, "is not an e-mail address"),
        (
            {"name": "x", "keywords": "k" * 50_000},
            "&#39;keywords&#39; is 50,000 characters long; at most 40,200",
        ),
        ({"name": "<b>", "keywords": "spy"}, "watchlist name &#39;&lt;b&gt;&#39;"),
        ({"name": "x"}, "a watchlist needs at least one rule"),
    ]
    for fields, error in cases:
        response = client.post("/watchlists/save", data={"csrf_token": csrf, **fields})
        assert response.status_code == 400, fields
        page = response.get_data(as_text=True)
        assert re.search(r'<p class="error" role="alert">[^<]*' + re.escape(error), page), (
            error,
            page[:2000],
        )
    with Store.open(db) as store:
        assert watchlists(store) == []


def test_a_post_from_another_origin_or_without_csrf_is_refused(
    site: tuple[str, dict[str, int], FlaskClient],
) -> None:
    db, _, client = site
    csrf = token(client)
    data = {"csrf_token": csrf, "name": "x", "keywords": "spy"}
    foreign = client.post("/watchlists/save", data=data, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert client.post("/watchlists/save", data={"name": "x", "keywords": "spy"}).status_code == 400
    with Store.open(db) as store:
        assert watchlists(store) == []
