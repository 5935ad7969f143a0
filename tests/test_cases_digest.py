"""The digest's "updates to known cases": a later report of a case is an update, not a new case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup

from bulletin.cases import relink
from bulletin.digesting import build_digest
from bulletin.periods import Period
from bulletin.records import Article, Digest
from bulletin.store import Store
from digest.render import digest_context, render_digest
from tests import case_series

HOSTILE = "Honolulu Man Indicted <script>alert(1)</script> & charged"
# Publication days 2024-10-04 to 2024-10-05: the sentencing report, and a second outlet's.
OCTOBER = Period(
    "custom",
    "custom:2024-10-04:2024-10-05",
    datetime(2024, 10, 4, tzinfo=UTC),
    datetime(2024, 10, 6, tzinfo=UTC),
)


@pytest.fixture
def store(memory_archive: str) -> Iterator[Store]:
    store = Store.open(memory_archive)
    ids = case_series.build(store, only={"leung-1", "leung-2", "leung-3", "leung-4", "xu-1"})
    store.conn.execute("UPDATE articles SET title = ? WHERE id = ?", (HOSTILE, ids["leung-2"]))
    # Another outlet's own report of the same sentencing, a day later: its own story.
    item = next(i for i in case_series.items() if i["id"] == "leung-4")
    moment = datetime(2024, 10, 5, 8, tzinfo=UTC)
    saved = store.save_article(
        Article(
            source="pacificwire",
            url="https://pacificwire.example.net/fictional/leung-sentenced",
            title="Former avionics engineer gets 15 years",
            text=item["text"],
            fetched_at=moment,
            published_at=moment,
        ),
        None,
        None,
    )
    store.save_extraction(
        saved.id, case_series.PIPELINE, {**case_series.records()["leung-4"], "id": str(saved.id)}
    )
    relink(store)
    yield store
    store.close()


@pytest.fixture
def digest(store: Store) -> Digest:
    return build_digest(store, OCTOBER, failed_sources=[], now=datetime(2024, 10, 7, tzinfo=UTC))


def test_a_sentencing_of_a_known_case_is_an_update_with_its_earlier_stages(digest: Digest) -> None:
    context = digest_context(digest)
    assert context["new_cases"] == ()
    updates = context["updates"]
    assert len(updates) == 2
    first = updates[-1]  # newest first: the earlier of the two is last
    assert first.case.headline.startswith("Hong Kong-born engineer jailed")
    assert first.stage == "sentencing 2024-10-02"
    assert [(e.when, e.stage) for e in first.earlier] == [
        ("2023-03-14", "charge"),
        ("2023-05-31", "charge"),
        ("2024-01-18", "conviction"),
    ]
    # The second outlet's report has the first sentencing report among its earlier ones.
    assert [e.stage for e in updates[0].earlier][-1] == "sentencing"


def test_the_sentences_table_counts_a_person_once_per_sentence(digest: Digest) -> None:
    context = digest_context(digest)
    rows = [(row.person, row.words) for row in context["sentences"]]
    assert len(rows) == len(set(rows))
    # Two reports of the one sentencing in the window: the term is listed once, for one person.
    # (The extraction credits it to "Hong Kong-born", the appositive; the count is what is tested.)
    assert sum("15 years" in words for _, words in rows) == 1, rows
    assert context["people_sentenced"] == 1


def test_html_shows_updates_apart_from_new_cases_and_escapes_scraped_text(digest: Digest) -> None:
    html = render_digest(digest, "html")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find(id="updates") is not None
    assert "No new cases" in soup.get_text()
    earlier = soup.select("ul.earlier li")
    assert len(earlier) == 3 + 4
    texts = [" ".join(li.get_text().split()) for li in earlier]
    assert texts[0].startswith("2023-03-14 charge: Former Defense Contractor Engineer Arrested")
    assert any(HOSTILE in t for t in texts)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; charged" in html
    assert [td.get_text() for td in soup.select("td.stage")] == ["sentencing 2024-10-02"] * 2
    links = {a["href"] for li in earlier for a in li.find_all("a")}
    assert "https://www.justice.gov/opa/pr/fictional-honolulu-engineer-arrested" in links


def test_text_markdown_and_atom_carry_the_updates(digest: Digest) -> None:
    text = render_digest(digest, "txt")
    assert "0 new cases and 2 updates to known cases" in text
    section = text.split("UPDATES TO KNOWN CASES")[1]
    assert "Earlier:   2023-03-14 charge: Former Defense Contractor Engineer Arrested" in section
    assert "2024-01-18 conviction: Ex-avionics engineer admits" in section
    markdown = render_digest(digest, "md")
    updates = markdown.split("## Updates to known cases")[1]
    assert "  - 2023-03-14 charge: Former Defense Contractor Engineer Arrested" in updates
    assert "<script>" not in markdown
    atom = render_digest(digest, "atom")
    soup = BeautifulSoup(atom, "xml")
    titles = [t.get_text() for t in soup.select("entry > title")]
    assert titles == [
        "Update: Former avionics engineer gets 15 years",
        "Update: Hong Kong-born engineer jailed for 15 years in US radar spy case",
    ]
    content = BeautifulSoup(soup.select("entry > content")[1].get_text(), "html.parser")
    assert "Earlier in this case" in content.get_text()
    assert HOSTILE in content.get_text()
    assert "<script>" not in soup.select("entry > content")[1].get_text().replace("&lt;", "")


def test_the_first_report_of_a_case_is_a_new_case(store: Store) -> None:
    may = Period(
        "custom", "custom:2023-05-10", datetime(2023, 5, 10, tzinfo=UTC), datetime(2023, 5, 11, tzinfo=UTC)
    )
    context = digest_context(
        build_digest(store, may, failed_sources=[], now=datetime(2024, 10, 7, tzinfo=UTC))
    )
    assert [v.case.headline for v in context["new_cases"]] == [
        "MSS discloses case of aerospace engineer who sold research data to foreign spy agency"
    ]
    assert context["updates"] == ()
    assert "UPDATES TO KNOWN CASES" not in render_digest(
        build_digest(store, may, [], datetime(2024, 10, 7, tzinfo=UTC)), "txt"
    )
