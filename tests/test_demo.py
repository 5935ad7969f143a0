"""The README's main-job command, end to end on the bundled sample sites."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.demo import bulletin_command, follow_up_commands
from bulletin.store import Store
from tests.cli_archive import build_archive
from tests.conftest import REPO


def test_the_follow_up_commands_read_the_demo_archive_as_printed(tmp_path: Path) -> None:
    db = tmp_path / "demo" / "bulletin.db"
    ids = build_archive(db)
    config = tmp_path / "demo" / "demo-config.toml"
    config.write_text(f'[store]\npath = "{db.as_posix()}"\n', encoding="utf-8")
    commands = follow_up_commands(config, ids["case"])
    assert commands[0] == f"{bulletin_command()} sources --config {shlex.quote(str(config))}"
    exe = shlex.split(bulletin_command())
    for command in commands:
        words = shlex.split(command)
        assert words[: len(exe)] == exe
        result = CliRunner().invoke(cli, words[len(exe) :], env={"BULLETIN_CONFIG": "", "BULLETIN_DB": None})
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "demo" / "articles.jsonl").read_text(encoding="utf-8").count("\n") == 3
    assert (tmp_path / "demo" / "penalties.csv").read_text(encoding="utf-8").startswith("article_id,")
    # Without the config, the same command refuses the (missing) default archive.
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "default.db"), "sources"])
    assert result.exit_code == 1


def test_bulletin_command_names_this_installation() -> None:
    exe = bulletin_command()
    first = shlex.split(exe)[0]
    assert exe == "bulletin" or Path(first).is_file() or shutil.which(first)


@pytest.mark.slow
def test_demo_crawls_every_sample_source_into_its_archive(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "bulletin", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with Store.open(out / "bulletin.db") as store:
        counts = {
            row["source"]: row["articles"]
            for row in store.source_overview(["globaltimes", "chinadaily", "doj", "sample-generic"])
        }
    assert all(n > 0 for n in counts.values()), counts
    assert "demo archive:" in proc.stdout
    assert "health" in proc.stdout  # `bulletin sources` ran
    # The printed follow-up commands work when pasted into a shell, as printed.
    printed = [
        line.strip() for line in proc.stdout.splitlines() if line.startswith("  ") and "--config" in line
    ]
    assert any(" sources --config " in line for line in printed), proc.stdout[-2000:]
    assert any(" show " in line for line in printed)
    for command in printed:
        shell = subprocess.run(  # noqa: S602 (the demo's own output, run as a user would)
            command, shell=True, cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert shell.returncode == 0, (command, shell.stderr[-2000:])
    with Store.open(out / "bulletin.db") as store:
        urls = sorted(a.url for a in store.articles())
        [first_run] = [r["id"] for r in store.runs(1)]
        stats = store.run_stats(first_run)
    # The sample sites' own pages lose no text and give no impossible date.
    assert [(s.source, s.body_suspect, s.rejected_dates) for s in stats] == [(s.source, 0, {}) for s in stats]
    # The demo's config keeps every file in the demo's folder.
    assert str(out / "digest") in (out / "demo-config.toml").read_text(encoding="utf-8")
    # A second `make demo` serves the sites on the same ports: it adds nothing.
    again = subprocess.run(
        [sys.executable, "-m", "bulletin", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    with Store.open(out / "bulletin.db") as store:
        assert sorted(a.url for a in store.articles()) == urls
