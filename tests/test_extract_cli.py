"""`bulletin extract`: input formats, JSON Lines out, and the stored-articles mode."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.inputs import read_input
from bulletin.records import Article
from bulletin.store import Store
from tests.conftest import FIXTURES

SEED = (FIXTURES / "articles" / "seed-000.txt").read_text(encoding="utf-8")


def test_plain_text_html_and_json_lines_are_recognised(tmp_path: Path) -> None:
    plain = tmp_path / "case.txt"
    plain.write_text(SEED, encoding="utf-8")
    assert list(read_input(str(plain))) == [{"id": "case", "text": SEED}]

    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Spy case</title></head><body><nav>Home</nav>"
        + "".join(f"<p>{p}</p>" for p in SEED.split("\n")[2:6])
        + "</body></html>",
        encoding="utf-8",
    )
    [item] = read_input(str(page))
    assert item["title"] == "Spy case"
    assert "surnamed Feng" in item["text"]
    assert "<p>" not in item["text"]

    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": "a", "text": "one"}\nnot json\n{"id": "b"}\n{"id": "c", "text": "three"}\n')
    assert [i["id"] for i in read_input(str(lines))] == ["a", "c"]  # bad lines skipped, logged


def test_stdin_is_read_with_a_dash() -> None:
    stdin = io.BytesIO(b'{"id": "x", "text": "Nothing to see."}\n')
    assert list(read_input("-", stdin)) == [{"id": "x", "text": "Nothing to see."}]


def test_extract_input_writes_one_valid_record_per_article(tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        json.dumps({"id": "seed", "text": SEED, "url": "https://example.org/x", "published": "2025-04-27"})
        + "\n"
        + json.dumps({"id": "empty", "text": ""})
        + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["extract", "--input", str(lines)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["seed", "empty"]
    seed, empty = records
    assert seed["relevant"] is True
    assert seed["published"] == "2025-04-27"
    assert set(seed["subjects"]) == {"Feng", "Jiang"}
    for finding in seed["entities"] + seed["tactics"]:
        text = finding.get("evidence", finding.get("text"))
        assert SEED[finding["start"] : finding["end"]] == text
    assert empty["relevant"] is False
    assert empty["subjects"] == empty["penalties"] == []


def test_stored_articles_are_extracted_once_until_redo(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store.open(db) as store:
        for n in range(2):
            store.save_article(
                Article(
                    source="globaltimes",
                    url=f"https://gt.example/{n}",
                    title="Spy case",
                    text=SEED,
                    fetched_at=datetime.now(UTC),
                ),
                run_id=None,
                sig=None,
            )
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", str(db), "extract"])
    assert first.exit_code == 0, first.output
    assert "extracted 2 stored articles (2 relevant)" in first.output
    assert "extracted 0 stored" in runner.invoke(cli, ["--db", str(db), "extract"]).output
    assert "extracted 2 stored" in runner.invoke(cli, ["--db", str(db), "extract", "--redo"]).output
    with Store.open(db) as store:
        record = store.extraction(1)
    assert record is not None
    assert set(record["subjects"]) == {"Feng", "Jiang"}


def test_missing_model_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), "extract", "--model", "no_such_model"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("bulletin: error:")
    assert "no_such_model" in result.output


def test_input_in_another_encoding_is_decoded_not_rejected(tmp_path: Path) -> None:
    page = tmp_path / "gbk.txt"
    text = "国家安全机关 A man surnamed Wang was sentenced to ten years in prison for espionage."
    page.write_bytes(text.encode("gb18030"))
    [item] = read_input(str(page))
    assert "surnamed Wang" in item["text"]
    assert "\ufffd" not in item["text"]


def test_unreadable_input_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", "--input", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"bulletin: error: {tmp_path / 'missing.txt'}: cannot read: No such file or directory"
    )


@pytest.mark.slow
def test_worker_processes_give_the_same_records(tmp_path: Path) -> None:
    """--processes 2 (spaCy's n_process) changes the speed, not one byte of the records."""
    source = FIXTURES / "final" / "input.jsonl"
    env = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None}
    outs = []
    for processes in ("1", "2"):
        result = CliRunner().invoke(
            cli, ["extract", "--input", str(source), "--processes", processes], env=env
        )
        assert result.exit_code == 0, result.stderr
        outs.append(result.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == len(source.read_text(encoding="utf-8").splitlines())

    db = tmp_path / "a.db"
    with Store.open(db) as store:
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines()[:8]):
            item = json.loads(line)
            article = Article(
                source="test",
                url=f"https://example.org/{n}",
                title=item.get("title") or f"article {n}",
                text=item["text"],
                fetched_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
            store.save_article(article, run_id=None, sig=None)
    stored = []
    for processes in ("2", "1"):
        result = CliRunner().invoke(
            cli, ["--db", str(db), "extract", "--redo", "--processes", processes], env=env
        )
        assert result.exit_code == 0, result.stderr
        with Store.open(db) as store:
            stored.append([store.extraction(i) for i in range(1, 9)])
    assert stored[0] == stored[1]
    assert all(record is not None for record in stored[0])


def test_processes_out_of_range_is_refused() -> None:
    result = CliRunner().invoke(cli, ["extract", "--input", "-", "--processes", "0"], input="")
    assert result.exit_code == 2
    assert "--processes" in result.stderr
