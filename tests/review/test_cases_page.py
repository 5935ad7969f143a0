"""The review page's case files: list, timeline, and merge / split / confirm / reject as an analyst."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from bulletin.cases import relink
from bulletin.review import create_app
from bulletin.store import Store
from tests import case_series
from tests.review.conftest import Page


@pytest.fixture
def series(tmp_path: Path) -> tuple[Path, dict[str, int], FlaskClient]:
    db = tmp_path / "cases.db"
    with Store.open(db) as store:
        ids = case_series.build(store)
        relink(store)
    return db, ids, create_app(str(db), "ana").test_client()


def _token(client: FlaskClient, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_case_list_and_timeline(series):
    db, ids, client = series
    page = client.get("/cases").get_data(as_text=True)
    with Store.open(db) as store:
        assert page.count('<tr class="row') == len(store.case_summaries()) > 1
    case = client.get(f"/case/{ids['leung-1']}").get_data(as_text=True)
    assert case.count("not this case: split it off") == 4  # the Leung series: four reports, one case
    article = Page(client, ids["leung-3"]).html
    assert f'href="/case/{ids["leung-1"]}">case #{ids["leung-1"]}</a>' in article


def test_merge_split_confirm_reject_through_the_page(series):
    db, ids, client = series
    drone, sailor, electronics = ids["wang-drone"], ids["wang-sailor"], ids["wang-electronics"]
    token = _token(client, f"/case/{drone}")
    response = client.post(f"/case/{drone}/merge", data={"csrf_token": token, "other": str(sailor)})
    assert response.status_code == 302
    with Store.open(db) as store:
        assert store.story_case(sailor) == drone
    response = client.post(f"/case/{drone}/split", data={"csrf_token": token, "story": str(sailor)})
    assert response.headers["Location"] == f"/case/{sailor}"
    client.post(f"/case/{drone}/confirm", data={"csrf_token": token, "story": str(electronics)})
    with Store.open(db) as store:
        assert store.story_case(electronics) == drone
        assert store.story_case(sailor) == sailor
    client.post(f"/case/{drone}/reject", data={"csrf_token": token, "story": str(electronics)})
    with Store.open(db) as store:
        assert store.story_case(electronics) == electronics
        relink(store)  # the analyst's decisions survive relinking
        assert store.story_case(electronics) == electronics
        assert store.story_case(sailor) == sailor


def test_bad_case_requests_change_nothing(series):
    db, ids, client = series
    drone = ids["wang-drone"]
    token = _token(client, f"/case/{drone}")
    response = client.post(f"/case/{drone}/merge", data={"csrf_token": token, "other": "nine"})
    assert response.status_code == 400
    assert "is not a case number" in response.get_data(as_text=True)
    response = client.post(f"/case/{drone}/split", data={"csrf_token": token, "story": str(drone)})
    assert response.status_code == 400
    assert client.post(f"/case/{drone}/merge", data={"other": "1"}).status_code == 400  # no CSRF token
    with Store.open(db) as store:
        assert store.case_corrections() == []


def test_marking_a_story_not_a_case_takes_it_out_of_its_case_file(series):
    db, ids, client = series
    story = ids["leung-2"]
    Page(client, story).post("verdict", relevant="0")
    with Store.open(db) as store:
        assert store.story_case(story) is None
        case = store.case_file(ids["leung-1"])
        assert case is not None
        assert story not in [r.story_id for r in case.reports]


def test_the_case_list_gives_each_case_a_gist(series):
    _, _, client = series
    page = client.get("/cases").get_data(as_text=True)
    assert "Gist: who · what · where · latest stage" in page
    # Who, what the reports say he is, where, and the latest stage with its date.
    assert "Xu Haoran (aerospace engineer)" in page
    assert "appeal 2025-01-06" in page


def test_a_candidate_is_shown_beside_the_case_report_with_what_matched(series):
    _, ids, client = series
    page = client.get(f"/case/{ids['wang-drone']}").get_data(as_text=True)
    section = page[page.index(f'id="candidate-{ids["wang-electronics"]}"') :]
    section = section[: section.index("</section>")]
    assert f"Candidate report (story {ids['wang-electronics']})" in section
    assert f"This case's report (story {ids['wang-drone']})" in section
    assert "<li>name: Wang Jun ~ Wang</li>" in section
    assert "other trade: electronics vs drone" in section


def test_merge_by_finding_the_other_case(series):
    db, ids, client = series
    drone, sailor = ids["wang-drone"], ids["wang-sailor"]
    page = client.get(f"/case/{drone}?find=jason+wang").get_data(as_text=True)
    found = page[page.index('<ul class="found">') :]
    found = found[: found.index("</ul>")]
    assert f'<input type="hidden" name="other" value="{sailor}">' in found
    assert found.count("<li>") == 1
    nothing = client.get(f"/case/{drone}?find=%3Cscript%3Ezhou").get_data(as_text=True)
    assert "No other case matches “&lt;script&gt;zhou”" in nothing
    assert len(client.get(f"/case/{drone}?find=" + "x" * 5000).get_data(as_text=True)) < 200_000
    token = _token(client, f"/case/{drone}")
    client.post(f"/case/{drone}/merge", data={"csrf_token": token, "other": str(sailor)})
    with Store.open(db) as store:
        assert store.story_case(sailor) == drone


def test_an_analyst_sets_a_reports_stage_and_the_case_follows(series):
    db, ids, client = series
    story = ids["wang-electronics"]
    page = Page(client, story)
    assert '<option value="sentencing" selected>sentencing</option>' in page.html
    assert page.post("stage", stage="appeal", stage_date="2024-05").status_code == 302
    with Store.open(db) as store:
        case = store.case_file(story)
        assert case is not None
        assert (case.summary.stage, case.summary.stage_date) == ("appeal", "2024-05")
        assert "appeal 2024-05" in case.summary.title
        from bulletin.stage_edits import stage_and_case

        stage, in_case = stage_and_case(store, story, story)
        assert stage == "appeal 2024-05 (set by an analyst)"
        assert in_case.startswith(f"#{story}: Wang Jun")
    # Kept like the other corrections: after a relink, and on the page.
    with Store.open(db) as store:
        relink(store)
        assert store.case_file(story).summary.stage == "appeal"  # type: ignore[union-attr]
    again = Page(client, story)
    assert '<option value="appeal" selected>appeal</option>' in again.html
    assert '<span class="tag">appeal 2024-05</span>' in client.get(f"/case/{story}").get_data(as_text=True)
    # Bad input: one clear error, nothing kept; a page older than the review is refused.
    bad = again.post("stage", stage="verdict", stage_date="")
    assert bad.status_code == 400
    assert "stage: expected one of detention" in bad.get_data(as_text=True)
    assert again.post("stage", stage="appeal", stage_date="May 2024").status_code == 400
    assert page.post("stage", stage="release", stage_date="").status_code == 409
    with Store.open(db) as store:
        assert store.case_file(story).summary.stage == "appeal"  # type: ignore[union-attr]
    # No stage at all.
    assert Page(client, story).post("stage", stage="", stage_date="").status_code == 302
    with Store.open(db) as store:
        assert store.case_file(story).summary.stage is None  # type: ignore[union-attr]
