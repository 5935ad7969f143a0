"""The read-only JSON API (issue 20, part 5): its OpenAPI description is valid OpenAPI 3.1, and
every endpoint's responses, good and bad, match what it describes; the token guards it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import bulletin.api_workbench  # noqa: F401  (its endpoints are in ENDPOINTS once imported)
from bulletin.api import ENDPOINTS
from bulletin.cases import relink
from bulletin.exporting import Selection, article_record
from bulletin.review import create_app
from bulletin.store import Store
from bulletin.watchlists import Watchlist, save_watchlist
from tests.review.archive import build

TOKEN = "t" * 40


@pytest.fixture
def ids(archive: str) -> dict[str, int]:
    found = build(archive)  # type: ignore[arg-type]  # a file or a URL, as the review tests
    with Store.open(archive) as store:
        relink(store)
    return found


@pytest.fixture
def client(archive: str, ids: dict[str, int]) -> FlaskClient:
    return create_app(archive, "ana").test_client()


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


class Checker:
    """Calls an endpoint and checks the response against the description: its status is one
    the operation lists, and its body matches that status's schema."""

    def __init__(self, client: FlaskClient, spec: dict[str, Any]):
        self.client = client
        self.spec = spec
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:bulletin-api", Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        self.checked: set[str] = set()

    def get(self, template: str, url: str, status: int = 200, headers: dict[str, str] | None = None) -> Any:
        response = self.client.get(url, headers=headers or {})
        assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/json"
        operation = self.spec["paths"][template]["get"]
        described = operation["responses"][str(status)]
        ref = described["content"]["application/json"]["schema"]["$ref"]
        jsonschema.Draft202012Validator(
            {"$ref": "urn:bulletin-api" + ref},
            registry=self.registry,
            format_checker=jsonschema.FormatChecker(),
        ).validate(response.get_json())
        self.checked.add(f"{template} {status}")
        return response.get_json()


@pytest.fixture
def api(client: FlaskClient, spec: dict[str, Any]) -> Checker:
    return Checker(client, spec)


def test_the_description_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert {"/api/articles", "/api/search", "/api/cases", "/api/cases/{case_id}"} <= set(spec["paths"])
    assert {e.path for e in ENDPOINTS} == {p.removeprefix("/api") for p in spec["paths"]}


def test_articles_page_with_a_cursor_in_export_shapes(
    api: Checker, archive: str, ids: dict[str, int]
) -> None:
    first = api.get("/api/articles", "/api/articles?limit=3")
    assert [a["id"] for a in first["items"]] == [str(i) for i in sorted(ids.values())[:3]]
    assert first["next_cursor"] == first["items"][-1]["id"]
    rest = api.get("/api/articles", f"/api/articles?limit=3&cursor={first['next_cursor']}")
    assert [a["id"] for a in rest["items"]] == [str(sorted(ids.values())[3])]
    assert rest["next_cursor"] is None
    with Store.open(archive) as store:
        exported = [article_record(*row) for row in Selection().rows(store)]
    assert first["items"] + rest["items"] == exported  # the same records as `bulletin export`


def test_articles_filters(api: Checker, ids: dict[str, int]) -> None:
    chinadaily = api.get("/api/articles", "/api/articles?source=chinadaily")
    assert [a["id"] for a in chinadaily["items"]] == [str(ids["zhao"]), str(ids["match"])]
    day = api.get("/api/articles", "/api/articles?since=2026-11-21&until=2026-11-21")
    assert [a["id"] for a in day["items"]] == [str(ids["zhao"])]
    assert api.get("/api/articles", "/api/articles?stage=sentencing")["items"] == []


def test_search_endpoint(api: Checker, ids: dict[str, int]) -> None:
    found = api.get("/api/search", "/api/search?q=sentenc*&limit=1")
    assert found["total"] == 2
    assert len(found["hits"]) == 1
    hit = found["hits"][0]
    assert [hit["snippet"][a:b].lower() for a, b in hit["highlights"]] == ["sentenced"]
    page2 = api.get("/api/search", "/api/search?q=sentenc*&limit=1&offset=1")
    assert page2["hits"][0]["id"] != hit["id"]
    person = api.get("/api/search", "/api/search?person=Thomas%20Cole")
    assert [h["id"] for h in person["hits"]] == [str(ids["cole"])]
    filtered = api.get("/api/search", "/api/search?q=sentenc*&source=chinadaily&tactic=online_approach")
    assert filtered["total"] == 0


def test_cases_list_and_one_case(api: Checker, ids: dict[str, int]) -> None:
    listed = api.get("/api/cases", "/api/cases?limit=2")
    assert listed["total"] == 3
    assert len(listed["items"]) == 2
    rest = api.get("/api/cases", "/api/cases?limit=2&offset=2")
    assert len(rest["items"]) == 1
    one = api.get("/api/cases/{case_id}", f"/api/cases/{ids['feng']}")
    assert one["subjects"] == ["Feng"]
    assert one["timeline"][0]["story_id"] == ids["feng"]
    assert api.get("/api/cases", "/api/cases?since=2026-11-22")["total"] == 1


def test_trends_as_the_cli_prints_them(api: Checker, ids: dict[str, int], archive: str) -> None:
    from bulletin.trends import TrendFilters, trends

    got = api.get("/api/trends", "/api/trends?since=2026-01-01&until=2026-12-31")
    with Store.open(archive) as store:
        expected = trends(store, TrendFilters(since=date(2026, 1, 1), until=date(2026, 12, 31)))
    assert got == json.loads(json.dumps(expected))
    assert got["totals"]["reports"] >= 3
    assert sum(row["stories"] for row in got["by_source"]) >= 3
    only = api.get("/api/trends", "/api/trends?tactic=financial_inducement")
    assert only["filters"]["tactic"] == "financial_inducement"


def test_watchlists_and_their_matches_without_their_addresses(
    api: Checker, ids: dict[str, int], archive: str
) -> None:
    with Store.open(archive) as store:
        save_watchlist(
            store,
            Watchlist(
                "feng-desk",
                {"people": ["Feng"]},
                emails=("desk@example.org",),
                webhook="https://hooks.example.org/secret-token",
            ),
        )
    listed = api.get("/api/watchlists", "/api/watchlists")
    assert [w["name"] for w in listed["items"]] == ["feng-desk"]
    assert listed["items"][0]["rules"] == {"people": ["Feng"]}
    assert "secret-token" not in json.dumps(listed)
    assert "desk@example.org" not in json.dumps(listed)
    found = api.get("/api/watchlists/{name}/matches", "/api/watchlists/feng-desk/matches")
    assert [m["story_id"] for m in found["items"]] == [ids["feng"]]
    assert found["items"][0]["matches"][0]["where"] == "subject"
    api.get("/api/watchlists/{name}/matches", "/api/watchlists/nobody/matches", 404)


@pytest.mark.parametrize(
    ("template", "url", "status"),
    [
        ("/api/trends", "/api/trends?tactic=astrology", 400),
        ("/api/trends", "/api/trends?since=2026-12-01&until=2026-01-01", 400),
        ("/api/watchlists/{name}/matches", "/api/watchlists/" + "x" * 300 + "/matches", 400),
        ("/api/articles", "/api/articles?limit=0", 400),
        ("/api/articles", "/api/articles?limit=abc", 400),
        ("/api/articles", "/api/articles?since=2026-13-01", 400),
        ("/api/articles", "/api/articles?cursor=-1", 400),
        ("/api/articles", "/api/articles?stage=arrested", 400),
        ("/api/articles", "/api/articles?source=" + "x" * 500, 400),
        ("/api/search", "/api/search?q=%22unclosed", 400),
        ("/api/search", "/api/search", 400),
        ("/api/search", "/api/search?q=" + "word%20" * 200, 400),
        ("/api/cases", "/api/cases?offset=99999999999", 400),
        ("/api/cases/{case_id}", "/api/cases/999999", 404),
        ("/api/cases/{case_id}", "/api/cases/abc", 400),
    ],
)
def test_bad_requests_get_one_line_of_json_as_described(
    api: Checker, template: str, url: str, status: int
) -> None:
    body = api.get(template, url, status)
    assert "\n" not in body["error"]


def test_every_endpoint_is_exercised() -> None:
    # A guard against an endpoint added without tests: add its tests above, then its path here.
    tested = {"/articles", "/search", "/cases", "/cases/{case_id}", "/trends", "/watchlists"}
    tested |= {"/watchlists/{name}/matches"}
    assert {e.path for e in ENDPOINTS} - tested == set(), "an endpoint without tests in this module"


def test_unknown_api_paths_are_json_404(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert "openapi.json" in response.get_json()["error"]
    assert client.get("/nothing-here").mimetype == "text/html"


def test_the_token_guards_the_api_as_the_page(archive: str, ids: dict[str, int]) -> None:
    app = create_app(archive, "ana", token=TOKEN)
    client = app.test_client()
    spec = client.get("/api/openapi.json", headers={"X-Review-Token": TOKEN}).get_json()
    api = Checker(client, spec)
    refused = api.get("/api/articles", "/api/articles", 403)
    assert "token" in refused["error"]
    api.get("/api/articles", "/api/articles", 403, headers={"X-Review-Token": "wrong" * 10})
    assert api.get("/api/articles", "/api/articles?limit=1", headers={"X-Review-Token": TOKEN})["items"]
    # ?token= works on every call, with no redirect and no session (a script has no cookie jar).
    fresh = app.test_client(use_cookies=False)
    by_query = fresh.get(f"/api/cases?token={TOKEN}")
    assert by_query.status_code == 200
    assert fresh.get("/api/cases").status_code == 403


def test_off_loopback_the_api_needs_a_long_token(archive: str, ids: dict[str, int]) -> None:
    from bulletin.errors import ConfigError

    with pytest.raises(ConfigError):
        create_app(archive, "ana", token="short", host="0.0.0.0")  # noqa: S104 (not bound: refused first)
