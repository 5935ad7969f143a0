"""`bulletin show` and `bulletin export`: one article, or all of them, with their extraction records."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.exporting import PENALTY_COLUMNS, RECORD_KEYS, Selection, export
from bulletin.records import Article
from bulletin.store import Store
from tests.cli_archive import CASE_RECORD, CASE_TEXT, PIPELINE, build_archive
from tests.conftest import FIXTURES

ENV = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None}
METADATA = (
    "source",
    "story_id",
    "published_at",
    "fetched_at",
    "byline",
    "section",
    "lang",
    "topic_score",
    "pipeline_version",
    "extracted_at",
    "review_status",
    "text",
)


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", str(db), *args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_show_prints_an_article_with_its_extraction(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    code, out, _ = run(db, "show", str(ids["case"]))
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"article {ids['case']} (globaltimes), story {ids['case']}"
    assert "title:      Engineer surnamed Feng sentenced <script>alert(1)</script>" in lines
    assert "published:  2025-03-08T23:30:00+08:00" in lines
    assert f"extraction: relevant (pipeline {PIPELINE}, " in out
    assert "subjects:   Feng" in lines
    assert '  - financial_inducement: "offered a high consulting fee"' in lines
    assert '  - Feng: imprisonment 72 months ("sentenced to six years in prison")' in lines
    assert "  - Feng: fine 500000 CNY" in lines
    assert "  - Article 7 of the Counter-Espionage Law" in lines
    assert "  - PERSON: Feng" in lines
    assert lines[-1] == f"text:       {len(CASE_TEXT)} characters (--text to print it)"
    assert run(db, "show", str(ids["case"]), "--text")[1].splitlines()[-1] == CASE_TEXT


def test_show_finds_an_article_by_url_even_with_tracking_parameters(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    url = "https://www.globaltimes.cn/page/202503/1330012.shtml?utm_source=x#top"
    code, out, _ = run(db, "show", url, "--json")
    assert code == 0, out
    assert json.loads(out)["id"] == str(ids["case"])


def test_show_escapes_terminal_control_characters_from_scraped_text(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    _, out, _ = run(db, "show", str(ids["sport"]))
    assert "\x1b" not in out
    assert "title:      Table tennis final \\x1b[31mred\\x1b[0m" in out.splitlines()
    assert "extraction: not a security case" in out


def test_show_of_an_article_not_extracted_yet_says_so(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    _, out, _ = run(db, "show", str(ids["undated"]))
    assert "published:  unknown" in out
    assert "extraction: none yet (run `bulletin extract`)" in out


def test_show_of_an_unknown_article_is_a_one_line_error(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_archive(db)
    for ref in ("99", "https://example.org/never-stored"):
        code, out, err = run(db, "show", ref)
        assert code == 1
        assert out == ""
        assert err.strip() == f"bulletin: error: no article {ref!r} in {db}"


def test_show_json_is_the_export_record(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    _, shown, _ = run(db, "show", str(ids["case"]), "--json")
    _, exported, _ = run(db, "export")
    assert json.loads(shown) == json.loads(exported.splitlines()[0])


def test_jsonl_export_has_the_record_keys_then_the_metadata_for_every_article(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    code, out, err = run(db, "export", "--format", "jsonl")
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in records] == [str(ids["case"]), str(ids["sport"]), str(ids["undated"])]
    for record in records:
        assert tuple(record) == RECORD_KEYS + METADATA
    case, sport, undated = records
    assert {k: case[k] for k in CASE_RECORD} == CASE_RECORD
    assert case["published"] == "2025-03-08"  # the day the source printed, not the UTC day
    assert case["published_at"] == "2025-03-08T23:30:00+08:00"
    assert case["pipeline_version"] == PIPELINE
    assert case["text"] == CASE_TEXT
    assert sport["relevant"] is False
    assert undated["relevant"] is None  # not extracted: same keys, nulls and empty lists
    assert undated["pipeline_version"] is None
    assert undated["subjects"] == undated["penalties"] == []
    assert err.strip() == "exported 3 articles from 3 articles (2 extracted) as jsonl to stdout"


def test_csv_export_is_one_row_per_penalty(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)
    code, out, err = run(db, "export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == PENALTY_COLUMNS
    assert rows == [
        {
            "article_id": str(ids["case"]),
            "url": "https://www.globaltimes.cn/page/202503/1330012.shtml",
            "published": "2025-03-08",
            "person": "Feng",
            "kind": "imprisonment",
            "months": "72",
            "amount": "",
            "currency": "",
        },
        {
            "article_id": str(ids["case"]),
            "url": "https://www.globaltimes.cn/page/202503/1330012.shtml",
            "published": "2025-03-08",
            "person": "Feng",
            "kind": "fine",
            "months": "",
            "amount": "500000",
            "currency": "CNY",
        },
    ]
    assert err.strip() == "exported 2 penalties from 3 articles (2 extracted) as csv to stdout"


def test_since_and_until_select_by_publication_day_inclusive(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    ids = build_archive(db)

    def exported(*args: str) -> list[str]:
        return [json.loads(line)["id"] for line in run(db, "export", *args)[1].splitlines()]

    assert exported("--since", "2025-03-08") == [str(ids["case"]), str(ids["sport"])]
    assert exported("--since", "2025-03-09") == [str(ids["sport"])]
    assert exported("--until", "2025-03-08") == [str(ids["case"])]
    assert exported("--since", "2025-03-09", "--until", "2025-03-19") == []
    assert run(db, "export", "--since", "March")[0] == 2


def test_export_to_a_file_writes_it_whole(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_archive(db)
    out = tmp_path / "exports" / "penalties.csv"
    code, stdout, err = run(db, "export", "--format", "csv", "--out", str(out))
    assert code == 0, err
    assert stdout == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert not list(out.parent.glob("*.tmp"))
    assert err.strip().endswith(f"as csv to {out}")


def test_export_of_real_extraction_records(tmp_path: Path) -> None:
    """The stored records `bulletin extract` made come out with the spec's shape."""
    db = tmp_path / "a.db"
    seed = (FIXTURES / "articles" / "seed-000.txt").read_text(encoding="utf-8")
    with Store.open(db) as store:
        store.save_article(
            Article(
                source="globaltimes",
                url="https://gt.example/1",
                title="Spy case",
                text=seed,
                fetched_at=datetime.now(UTC),
            ),
            run_id=None,
            sig=None,
        )
    assert run(db, "extract")[0] == 0
    _, out, _ = run(db, "export")
    [record] = [json.loads(line) for line in out.splitlines()]
    assert record["relevant"] is True
    assert set(record["subjects"]) == {"Feng", "Jiang"}
    for tactic in record["tactics"]:
        assert seed[tactic["start"] : tactic["end"]] == tactic["evidence"]
    _, out, _ = run(db, "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["person"], r["kind"], r["months"]) for r in rows} >= {("Feng", "imprisonment", "72")}


def test_export_streams_instead_of_loading_the_archive(tmp_path: Path) -> None:
    """Memory stays flat as the archive grows: rows come from the cursor one at a time."""
    db = tmp_path / "big.db"
    text = "x " * 5000  # 10 kB per article
    with Store.open(db) as store:
        for n in range(2000):
            store.save_article(
                Article(
                    source="doj",
                    url=f"https://doj.example/{n}",
                    title=f"Release {n}",
                    text=text,
                    fetched_at=datetime.now(UTC),
                ),
                run_id=None,
                sig=None,
            )
    with Store.open(db) as store:

        class Discard(io.BytesIO):
            """A sink that keeps nothing, so only the export's own memory is measured."""

            def write(self, data: Any) -> int:
                return len(data)

        sink = Discard()
        tracemalloc.start()
        count = export(store, "jsonl", Selection(), sink)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert count.articles == 2000
    assert peak < 2_000_000  # the whole archive's text is 20 MB
