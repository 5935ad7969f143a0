"""The CLI's own behaviour: one-line errors, read-only commands, tables, --json, option placement."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from bulletin.cli import cli, summary_table
from bulletin.crawl import health
from bulletin.records import Article, CrawlStats
from bulletin.store import Store
from tests.cli_archive import build_archive
from tests.conftest import FIXTURES, REPO

ENV = {"BULLETIN_CONFIG": "", "BULLETIN_DB": None}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_broken_config_is_one_line_and_exit_1(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[crawl]\ntimeout = 'never'\n", encoding="utf-8")
    for args in (["--config", str(config), "sources"], ["sources", "--config", str(config)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"bulletin: error: {config}: crawl.timeout: expected int or float, got 'never'"
        )


@pytest.mark.parametrize(
    "command",
    [["sources"], ["runs"], ["runs", "--crawls"], ["show", "1"], ["export"], ["digest", "--out", "digests"]],
)
def test_a_read_only_command_refuses_a_missing_archive_instead_of_creating_it(
    tmp_path: Path, command: list[str]
) -> None:
    db = tmp_path / "nowhere" / "a.db"
    code, out, err = invoke("--db", str(db), *command)
    assert code == 1
    assert out == ""
    assert err.strip() == (
        f"bulletin: error: {db}: no archive there yet (run `bulletin crawl` to create it, "
        "or pass the --config/--db of an existing one)"
    )
    assert not db.exists()
    assert not db.parent.exists()


def test_a_writing_command_still_creates_the_archive(tmp_path: Path) -> None:
    db = tmp_path / "new" / "a.db"
    code, out, _ = invoke("--db", str(db), "extract")  # nothing stored: nothing to extract
    assert code == 0, out
    assert "extracted 0 stored articles" in out
    with Store.open(db, create=False) as store:
        assert store.count_articles() == 0


def test_sources_table_has_a_header_and_one_line_per_source(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_archive(db)
    code, out, _ = invoke("--db", str(db), "sources")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == [
        "source",
        "kind",
        "enabled",
        "articles",
        "relevant",
        "last",
        "crawl",
        "health",
    ]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"globaltimes", "chinadaily", "doj"}
    assert rows["globaltimes"][:4] == ["globaltimes", "globaltimes", "yes", "1"]
    assert " ".join(rows["doj"]).endswith("never crawled")
    assert all(line == line.rstrip() for line in lines)  # no padding off a terminal


def test_sources_json_is_one_object_per_source(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_archive(db)
    with Store.open(db) as store:
        run = store.start_run("bulletin crawl doj")
        store.record_source_stats(
            run, CrawlStats("doj", requested=4, found=2, new=2, dropped={"challenge": 1})
        )
        store.finish_run(run)
    code, out, _ = invoke("--db", str(db), "sources", "--json")
    assert code == 0, out
    rows = {row["source"]: row for row in json.loads(out)}
    assert rows["doj"]["articles"] == 1
    assert rows["doj"]["enabled"] is True
    assert rows["doj"]["health"] == "ok"
    assert rows["doj"]["last_run"]["dropped"] == {"challenge": 1}
    assert rows["chinadaily"]["last_run"] is None
    assert rows["chinadaily"]["health"] == "never crawled"


def test_suspect_bodies_and_rejected_dates_are_kept_and_shown_by_sources(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_archive(db)
    with Store.open(db) as store:
        run = store.start_run("bulletin crawl chinadaily")
        store.record_source_stats(
            run,
            CrawlStats("chinadaily", requested=9, found=4, new=4, body_suspect=2, rejected_dates={"page": 1}),
        )
        store.finish_run(run)
    code, out, _ = invoke("--db", str(db), "sources", "--json")
    assert code == 0, out
    row = {row["source"]: row for row in json.loads(out)}["chinadaily"]
    assert row["last_run"]["body_suspect"] == 2
    assert row["last_run"]["rejected_dates"] == {"page": 1}
    assert row["health"] == "suspect: 2 bodies lack the page's description"


def test_runs_lists_pipeline_and_crawl_runs_as_tables_and_json(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store.open(db) as store:
        crawl_run = store.start_run("bulletin crawl doj")
        store.record_source_stats(
            crawl_run, CrawlStats("doj", requested=3, new=2, error_kinds={"timeout": 1})
        )
        store.finish_run(crawl_run)
        run = store.start_pipeline_run("schedule", "daily:2026-11-26")
        store.finish_pipeline_run(
            run,
            "finished with problems",
            crawl_run_id=crawl_run,
            extracted=2,
            cases=1,
            problems=["doj: timeout"],
        )
    code, out, _ = invoke("--db", str(db), "runs")
    assert code == 0, out
    header, row = out.splitlines()
    assert header.split()[:4] == ["run", "started", "trigger", "status"]
    assert row.split()[0] == str(run)
    assert "schedule" in row
    assert "daily:2026-11-26" in row
    assert row.endswith("doj: timeout")

    code, out, _ = invoke("--db", str(db), "runs", "--json")
    [record] = json.loads(out)
    assert record["status"] == "finished with problems"
    assert record["problems"] == ["doj: timeout"]
    assert record["cases"] == 1

    code, out, _ = invoke("--db", str(db), "runs", "--crawls")
    first, header, source = out.splitlines()
    assert first.startswith(f"crawl {crawl_run} ")
    assert first.endswith("finished  bulletin crawl doj")
    assert header.split()[0] == "source"
    assert source.split()[:3] == ["doj", "3", "2"]
    assert source.endswith("1 (timeout 1)")

    code, out, _ = invoke("--db", str(db), "runs", "--crawls", "--json")
    [record] = json.loads(out)
    assert record["command"] == "bulletin crawl doj"
    assert record["sources"][0]["error_kinds"] == {"timeout": 1}


def test_config_and_db_mean_the_same_after_the_subcommand(tmp_path: Path) -> None:
    db, other = tmp_path / "a.db", tmp_path / "other.db"
    build_archive(db)
    with Store.open(other):
        pass  # an empty archive
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{db.as_posix()}"\n', encoding="utf-8")
    before = invoke("--config", str(config), "sources", "--json")
    after = invoke("sources", "--json", "--config", str(config))
    assert before == after
    assert before[0] == 0
    assert {r["source"]: r["articles"] for r in json.loads(before[1])}["globaltimes"] == 1
    # --db after the subcommand wins over the config, as before it does.
    _, out, _ = invoke("--config", str(config), "sources", "--json", "--db", str(other))
    assert {r["source"]: r["articles"] for r in json.loads(out)}["globaltimes"] == 0
    _, out, _ = invoke("--db", str(db), "sources", "--json", "--db", str(other))
    assert {r["source"]: r["articles"] for r in json.loads(out)}["globaltimes"] == 0
    help_text = invoke("sources", "--help")[1]
    assert "--config FILE" in help_text
    assert "--db FILE|URL" in help_text


def test_bad_date_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), "crawl", "doj", "--since", "yesterday"])
    assert result.exit_code == 2
    assert "expected YYYY-MM-DD" in result.output


def render(table: object) -> str:
    out = StringIO()
    Console(file=out, width=10_000, no_color=True).print(table)
    return out.getvalue()


def test_summary_table_breaks_drops_and_errors_down() -> None:
    table = summary_table(
        [
            CrawlStats(
                "doj",
                requested=10,
                new=3,
                dropped={"challenge": 1, "irrelevant": 2},
                error_kinds={"timeout": 1},
                errors=1,
                blocked=True,
            )
        ]
    )
    header, row = render(table).splitlines()
    assert header.split() == ["source", "requested", "new", "updated", "dups", "skipped", "dropped", "errors"]
    assert "doj [blocked]" in row  # rich markup is not applied to cell text
    assert "3 (challenge 1, irrelevant 2)" in row
    assert "1 (timeout 1)" in row
    # Numbers are right-aligned under their header.
    assert row.index(" 10 ") + 3 == header.index("requested") + len("requested")


def test_health_reports_changed_markup_as_broken() -> None:
    assert health(None) == "never crawled"
    assert health(CrawlStats("x", requested=20, found=10, new=10)) == "ok"
    assert health(CrawlStats("x", requested=20, found=10, dropped={"not_article": 9})).startswith("broken")
    assert health(CrawlStats("x", requested=5, found=0)) == "broken: no articles found"
    assert health(CrawlStats("x", requested=10, found=2, new=2, errors=6)).startswith("failing")
    assert health(CrawlStats("x", requested=2, found=0, dropped={"challenge": 1}, blocked=True)) == (
        "blocked (bot challenge)"
    )


def test_health_shows_suspect_bodies_and_rejected_dates() -> None:
    assert health(CrawlStats("x", requested=20, found=10, new=10, body_suspect=2)) == (
        "suspect: 2 bodies lack the page's description"
    )
    assert health(CrawlStats("x", requested=20, found=10, new=10, rejected_dates={"page": 1})) == (
        "ok, 1 impossible dates rejected"
    )


def _two_articles(db: Path) -> None:
    text = (FIXTURES / "articles" / "seed-000.txt").read_text(encoding="utf-8")
    with Store.open(db) as store:
        for n in range(2):
            store.save_article(
                Article(
                    source="globaltimes",
                    url=f"https://gt.example/{n}",
                    title="Spy case",
                    text=text,
                    fetched_at=datetime.now(UTC),
                ),
                run_id=None,
                sig=None,
            )


def test_extract_off_a_terminal_logs_progress_lines_and_draws_no_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bulletin.extracting

    db = tmp_path / "a.db"
    _two_articles(db)
    monkeypatch.setattr(bulletin.extracting, "PROGRESS_SECONDS", 0.0)
    with caplog.at_level("INFO", logger="bulletin.extracting"):
        result = CliRunner().invoke(cli, ["--db", str(db), "extract"], env=ENV)
    assert result.exit_code == 0, result.output
    assert "extracted 2 stored articles" in result.stdout
    assert "━" not in result.stderr
    assert any(r.getMessage().startswith("extracted 2/2 (100%)") for r in caplog.records)


def test_extract_on_a_terminal_draws_a_progress_bar_on_stderr(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _two_articles(db)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulletin", "--db", str(db), "extract"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": "", "COLUMNS": "100"},
    )
    os.close(follower)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(leader, 4096)
            except OSError:  # EIO once the child has closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=180)
    reader.join(timeout=10)
    os.close(leader)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, terminal[-2000:]
    assert "extracting" in terminal
    assert "2/2" in terminal
    assert "━" in terminal
    assert "extracted 2 stored articles" in out.decode()  # the summary stays on stdout
