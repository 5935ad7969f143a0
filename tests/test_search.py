"""Full-text search (issue 20, part 1): the query parser, both engines, the index kept in step
with the store's writes, the migration that fills it, the CLI and the review page's search."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.corrections import Correction
from bulletin.records import Article
from bulletin.review import create_app
from bulletin.search import Filters, SearchError, Term, as_html, as_text, parse, search
from bulletin.store import MIGRATIONS, Store
from tests.review.archive import BASE, PIPELINE, build, records

ZURICH = Article(
    source="generic",
    url="https://news.example/zurich",
    title="Engineer détained in Zürich over export of navigation chips",
    text=(
        "Prosecutors in Zürich said Zoë Müller, 38, was detained on Friday. "
        "She is accused of passing navigation-chip designs to a handler. Müller denies it."
    ),
    fetched_at=BASE,
    published_at=datetime(2026, 10, 2, 8, 0, tzinfo=UTC),
)
ZURICH_RECORD = {
    "relevant": True,
    "subjects": ["Zoë Müller"],
    "entities": [{"text": "Zürich", "label": "GPE", "start": 16, "end": 22}],
    "tactics": [],
    "penalties": [],
    "laws": [],
    "stage": {"label": "detention", "evidence": "was detained on Friday", "start": 40, "end": 62},
}


def ids_of(store: Store, query: str, **filters: object) -> list[int]:
    return [hit.article_id for hit in search(store, query, Filters(**filters)).hits]  # type: ignore[arg-type]


@pytest.fixture
def store(archive: str) -> Iterator[Store]:
    build(archive)  # type: ignore[arg-type]  # a file or a URL, as the review tests
    with Store.open(archive, clock=lambda: BASE) as opened:
        saved = opened.save_article(ZURICH, run_id=None, sig=None)
        opened.save_extraction(saved.id, PIPELINE, ZURICH_RECORD)
        yield opened


# -- the parser --------------------------------------------------------------------------


def test_words_phrases_and_prefixes_are_parsed_into_terms() -> None:
    assert parse('Feng "consulting fee" espion* Zürich') == (
        Term(("feng",)),
        Term(("consulting", "fee")),
        Term(("espion",), prefix=True),
        Term(("zurich",)),
    )
    assert parse('"navigation chi"*') == (Term(("navigation", "chi"), prefix=True),)
    # A word the index splits is a phrase of its parts, as the tokenizer made it.
    assert parse("Zhou's") == (Term(("zhou", "s")),)
    assert parse("x", person="Thomas Cole")[-1] == Term(("thomas", "cole"), column="subjects")


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(feng zhao)",
        "title: feng",
        "feng OR zhao",
        "feng AND",
        "NOT feng",
        "-feng",
        "^feng",
        "(feng",
        "feng)",
        "{title}: feng",
        "'; DROP TABLE articles; --",
        "feng*zhao",
        "**feng",
        "feng + zhao",
        "ÄÖÜ ß 北京",
        "feng\x00zhao",
        ":feng:",
    ],
)
def test_engine_syntax_typed_by_a_user_is_only_words(query: str, memory_archive: str) -> None:
    with Store.open(memory_archive) as store:
        results = search(store, query)  # never an FTS syntax error: the words, AND-ed
    assert results.total == 0
    for term in results.terms:
        assert all(word.isalnum() for word in term.words)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"consulting fee', "unclosed quote"),
        ("", "nothing to search for"),
        ("  ::: -- ** ", "nothing to search for"),
        ("word " * 120, "too long"),
        (" ".join(f"w{i}" for i in range(40)), "at most 32"),
    ],
)
def test_what_cannot_be_parsed_is_one_line(query: str, message: str) -> None:
    with pytest.raises(SearchError, match=message) as caught:
        parse(query)
    assert "\n" not in str(caught.value)


# -- both engines ------------------------------------------------------------------------


def test_words_are_found_in_title_body_and_extracted_fields(store: Store) -> None:
    assert ids_of(store, "espionage") == [1]
    assert sorted(ids_of(store, "sentenc*")) == [1, 2]
    # Penalty kinds and tactic labels are searchable words though the text never says them.
    assert sorted(ids_of(store, "imprisonment")) == [1, 2]
    assert ids_of(store, '"financial inducement"') == [1]
    # An organisation the extraction tagged.
    assert 1 in ids_of(store, '"ministry of state security"')


def test_phrases_keep_their_order_and_all_words_must_match(store: Store) -> None:
    assert ids_of(store, '"consulting fee"') == [1]
    assert ids_of(store, '"fee consulting"') == []
    assert ids_of(store, "consulting zhao") == []


def test_case_and_diacritics_do_not_matter(store: Store) -> None:
    zurich = ids_of(store, "zurich")
    assert len(zurich) == 1
    assert ids_of(store, "ZÜRICH") == zurich
    assert ids_of(store, '"zoe muller"') == zurich
    assert ids_of(store, "detained", person="Zoe Müller") == zurich


def test_the_title_outranks_a_mention_in_the_body(store: Store) -> None:
    # "espionage" is in Feng's title and body; Cole's article never says it: add one that
    # only mentions it in passing, at the end of a long body.
    article = replace(
        records()[2][0],
        url="https://www.justice.gov/opa/pr/other",
        title="Court roundup",
        text="A long report about other matters. " * 30 + "Unrelated to espionage.",
    )
    store.save_article(article, run_id=None, sig=None)
    hits = search(store, "espionage").hits
    assert hits[0].title == "Engineer surnamed Feng sentenced for espionage"
    assert len(hits) == 2
    assert hits[0].score > hits[1].score


def test_filters_narrow_the_matches(store: Store) -> None:
    everything = ids_of(store, "sentenc* OR detained OR arrested")  # OR is a word here: no match
    assert everything == []
    assert ids_of(store, "sentenc*", source="chinadaily") == [2]
    assert ids_of(store, "sentenc*", since=date(2026, 11, 21)) == [2]
    assert ids_of(store, "sentenc*", until=date(2026, 11, 20)) == [1]
    assert ids_of(store, "sentenc*", tactic="financial_inducement") == [1]
    assert ids_of(store, "sentenc*", tactic="financial") == []  # a label, never part of one
    assert len(ids_of(store, "detained", stage="detention")) == 1
    assert ids_of(store, "detained", stage="sentencing") == []
    assert ids_of(store, "", person="feng") == [1]
    assert ids_of(store, "", person="cole") == [3]


def test_snippets_mark_the_matches_and_pages_follow_the_rank(store: Store) -> None:
    results = search(store, "sentenc*", limit=1)
    assert results.total == 2
    assert len(results.hits) == 1
    second = search(store, "sentenc*", limit=1, offset=1).hits
    assert second[0].article_id != results.hits[0].article_id
    # The total is the same on every page, counted or not (a short last page needs no count).
    assert [search(store, "sentenc*", limit=5, offset=k).total for k in (0, 1, 2, 9)] == [2, 2, 2, 2]
    assert search(store, "nowhere").total == 0
    hit = next(h for h in search(store, '"consulting fee" feng').hits)
    assert "**consulting fee**" in as_text(hit.snippet)
    assert "**Feng**" in as_text(hit.title_marks)
    assert hit.to_json()["highlights"]
    text = hit.to_json()["snippet"]
    assert [text[a:b] for a, b in hit.to_json()["highlights"]][:1] in (["Feng"], ["consulting fee"])


def test_scraped_markup_in_a_snippet_comes_out_escaped(store: Store) -> None:
    hit = search(store, "zhao").hits[0]
    html = str(as_html(hit.title_marks)) + str(as_html(hit.snippet))
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>Zhao</mark>" in html


def test_the_index_follows_every_write(store: Store) -> None:
    feng = ids_of(store, "espionage")[0]
    # The article changes on the site: the old words go, the new ones come.
    article = replace(records()[0][0], text="A former engineer surnamed Feng was released on parole.")
    assert store.save_article(article, run_id=None, sig=None).status == "updated"
    assert ids_of(store, "parole") == [feng]
    assert ids_of(store, "beijing") == []
    # A new extraction names someone else.
    record = {**records()[0][1], "subjects": ["Feng Jianguo"]}
    store.save_extraction(feng, PIPELINE, record)
    assert ids_of(store, "", person="Jianguo") == [feng]
    # An analyst adds a subject the machine missed; undoing it takes it out again.
    version = store.review_state(feng).version
    store.add_correction(
        feng, version, Correction("add", "subject", value={"name": "Wu Haiyan"}, reviewer="ana"), PIPELINE
    )
    assert ids_of(store, "", person="Wu Haiyan") == [feng]
    store.undo_correction(feng, store.review_state(feng).version, "ana")
    assert ids_of(store, "", person="Wu Haiyan") == []
    if not store.postgres:
        check = store.conn.execute("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')")
        assert check is not None  # raises when the index and its content disagree


def test_an_existing_archive_gains_a_filled_index_by_migration(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    (article, record), *_ = records()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for version, script in enumerate(MIGRATIONS[:-1], start=1):
            conn.executescript(script)
            conn.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (version,))
        conn.execute(
            "INSERT INTO articles (id, url, source, title, published_at, text, content_hash, fetched_at)"
            " VALUES (7, ?, ?, ?, ?, ?, 'h', ?)",
            (article.url, article.source, article.title, "2026-11-20", article.text, BASE.isoformat()),
        )
        conn.execute(
            "INSERT INTO extractions (article_id, pipeline_version, relevant, record, extracted_at)"
            " VALUES (7, ?, 1, ?, ?)",
            (PIPELINE, json.dumps(record), BASE.isoformat()),
        )
    conn.close()
    with Store.open(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert ids_of(store, '"consulting fee"') == [7]
        assert ids_of(store, "", person="feng") == [7]


# -- the CLI -----------------------------------------------------------------------------


def test_cli_search_prints_ranked_marked_hits_and_a_summary(archive: str) -> None:
    build(archive)  # type: ignore[arg-type]  # a file or a URL, as the review tests
    runner = CliRunner()
    result = runner.invoke(cli, ["search", "--db", archive, "sentenc*", "--source", "chinadaily"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("  1. [2] Zhao jailed")
    assert any("was **sentenced** to ten years" in line for line in lines)
    assert result.stderr.strip().splitlines()[-1].startswith("1-1 of 1 articles match sentenc* in ")
    as_json = runner.invoke(cli, ["search", "--db", archive, "--person", "Thomas Cole", "--json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["total"] == 1
    assert data["hits"][0]["subjects"] == ["Thomas Cole"]


def test_cli_search_refuses_a_bad_query_with_one_line(archive: str) -> None:
    build(archive)  # type: ignore[arg-type]  # a file or a URL, as the review tests
    result = CliRunner().invoke(cli, ["search", "--db", archive, '"unclosed phrase'])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "bulletin: error: unclosed quote in search query '\"unclosed phrase': close the phrase with \""
    ]


# -- the review page ---------------------------------------------------------------------


def test_review_page_has_the_search_box_and_person_links(archive: str) -> None:
    ids = build(archive)  # type: ignore[arg-type]  # a file or a URL, as the review tests
    client = create_app(archive, "ana").test_client()
    for page, scope in (("/", "articles"), ("/cases", "cases")):
        html = client.get(page).get_data(as_text=True)
        assert 'action="/search"' in html
        assert f'name="scope" value="{scope}"' in html
    article = client.get(f"/article/{ids['cole']}").get_data(as_text=True)
    assert 'href="/search?person=Thomas+Cole"' in article
    found = client.get("/search?person=Thomas+Cole")
    assert found.status_code == 200
    assert f'href="/article/{ids["cole"]}"' in found.get_data(as_text=True)


def test_review_search_escapes_scraped_text_and_marks_matches(archive: str) -> None:
    ids = build(archive)  # type: ignore[arg-type]  # a file or a URL, as the review tests
    client = create_app(archive, "ana").test_client()
    html = client.get("/search?q=zhao").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<mark>Zhao</mark> jailed &lt;script&gt;" in html
    assert f'href="/article/{ids["zhao"]}"' in html
    cases = client.get("/search?q=sentenc*&scope=cases").get_data(as_text=True)
    assert cases.count('class="case-group"') == 2  # no case files yet: each story on its own
    bad = client.get("/search?q=%22oops")
    assert bad.status_code == 400
    assert "unclosed quote" in bad.get_data(as_text=True)
    long = client.get("/search?q=" + "a" * 5000)
    assert long.status_code == 400


def test_a_huge_article_is_stored_and_found(memory_archive: str) -> None:
    (article, _), *_ = records()
    # A 3 MB page of distinct words: more than PostgreSQL takes in one tsvector.
    text = "Espionage trial opens. " + " ".join(f"w{i:07d}" for i in range(330_000))
    with Store.open(memory_archive) as store:
        saved = store.save_article(replace(article, text=text), run_id=None, sig=None)
        assert ids_of(store, "espionage trial") == [saved.id]
