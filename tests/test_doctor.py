"""`bulletin doctor` against real parts: the model, a temp archive, the loopback sample sites, aiosmtpd."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.config import load_settings
from bulletin.doctor import FAIL, OK, check_config
from bulletin.sample_server import SampleServer
from bulletin.store import MIGRATIONS, Store
from tests.smtp import Inbox, free_port, smtp_on_loopback


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with smtp_on_loopback() as server:
        yield server


def write_config(tmp_path: Path, server: SampleServer, extra: str = "") -> Path:
    db = tmp_path / "archive.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
path = "{db.as_posix()}"

[sources.globaltimes]
base_url = "{server.base("globaltimes")}"

[sources.chinadaily]
base_url = "{server.base("chinadaily")}"

[sources.doj]
enabled = false

[sources.prosecutors]
kind = "generic"
feeds = ["{server.base("generic")}/feed.xml"]
{extra}
""",
        encoding="utf-8",
    )
    return config


def doctor(config: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(
        cli,
        ["doctor", "--config", str(config), "--timeout", "2", *args],
        env={"BULLETIN_SMTP_PASSWORD": None},
    )
    return result.exit_code, result.stdout.splitlines()


def line(lines: list[str], what: str) -> str:
    [found] = [entry for entry in lines if entry[6:].startswith(what + ":")]
    return found


def test_a_healthy_setup_passes_with_one_line_per_check(
    tmp_path: Path, sample_server: SampleServer, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    config = write_config(
        tmp_path,
        sample_server,
        f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "watch@example.org"
recipients = ["desk@example.org"]
""",
    )
    with Store.open(tmp_path / "archive.db"):
        pass
    code, lines = doctor(config)
    assert code == 0, lines
    assert line(lines, "config").startswith("ok    config: ")
    assert line(lines, "model").startswith("ok    model: ")
    assert line(lines, f"archive {tmp_path / 'archive.db'}") == (
        f"ok    archive {tmp_path / 'archive.db'}: writable, schema version {len(MIGRATIONS)} (latest)"
    )
    assert line(lines, "source globaltimes").startswith(
        f"ok    source globaltimes: {sample_server.base('globaltimes')}/: HTTP 200"
    )
    assert line(lines, "source chinadaily").startswith("ok    source chinadaily: ")
    assert line(lines, "source prosecutors").startswith(
        f"ok    source prosecutors: {sample_server.base('generic')}/feed.xml"
    )
    assert not [entry for entry in lines if "source doj" in entry]  # disabled: not checked
    assert line(lines, f"smtp 127.0.0.1:{port}") == (
        f"ok    smtp 127.0.0.1:{port}: answers EHLO (none); 1 recipients; no mail sent"
    )
    assert inbox.messages == []
    assert lines[-1] == "doctor: all good: 7 ok, 0 warnings, 0 failed, 0 skipped"


def test_an_unreachable_source_fails_its_line_and_the_exit_code(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    dead = free_port()
    config = write_config(
        tmp_path, sample_server, f'\n[sources.gone]\nkind = "generic"\nbase_url = "http://127.0.0.1:{dead}"\n'
    )
    code, lines = doctor(config)
    assert code == 1
    assert line(lines, "source gone").startswith(
        f"FAIL  source gone: http://127.0.0.1:{dead}/: unreachable ("
    )
    assert line(lines, "source globaltimes").startswith("ok    ")
    # No archive yet: a warning (the first crawl creates it), not a failure, and none is created.
    assert line(lines, f"archive {tmp_path / 'archive.db'}").startswith("warn  ")
    assert "does not exist yet" in line(lines, f"archive {tmp_path / 'archive.db'}")
    assert not (tmp_path / "archive.db").exists()
    assert line(lines, "smtp").startswith("skip  smtp: sending not configured")
    assert lines[-1] == "doctor: problems found: 5 ok, 1 warnings, 1 failed, 1 skipped"


def test_a_server_error_and_a_broken_archive_fail(tmp_path: Path, sample_server: SampleServer) -> None:
    config = write_config(
        tmp_path,
        sample_server,
        f"""
[sources.broken]
kind = "generic"
feeds = ["{sample_server.base("globaltimes")}/page/202503/1330810.shtml"]

[sources.slow]
kind = "generic"
listings = ["{sample_server.base("globaltimes")}/page/202503/1330820.shtml"]
""",
    )
    (tmp_path / "archive.db").write_bytes(b"not a database at all" * 50)
    code, lines = doctor(config)
    assert code == 1
    assert line(lines, "source broken").endswith("/page/202503/1330810.shtml: HTTP 500 (server error)")
    assert line(lines, "source slow").startswith("FAIL  ")
    assert "timed out" in line(lines, "source slow")  # the short timeout, not the page's 6 s
    assert line(lines, f"archive {tmp_path / 'archive.db'}").startswith("FAIL  ")
    assert "not a usable SQLite database" in line(lines, f"archive {tmp_path / 'archive.db'}")


def test_an_old_archive_is_reported_as_migrated_on_next_open_not_migrated_by_doctor(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    db = tmp_path / "archive.db"
    # An archive made by the previous release: every migration but the last.
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for version, script in enumerate(MIGRATIONS[:-1], start=1):
            conn.executescript(script)
            conn.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (version,))
    conn.close()
    code, lines = doctor(write_config(tmp_path, sample_server))
    assert code == 0
    assert line(lines, f"archive {db}").startswith(
        f"warn  archive {db}: writable; schema version {len(MIGRATIONS) - 1}"
    )
    with Store.open(db) as store:
        assert store.schema_version == len(MIGRATIONS)  # reopening by a command migrates it


def test_smtp_settings_are_checked_before_connecting(tmp_path: Path, sample_server: SampleServer) -> None:
    config = write_config(
        tmp_path,
        sample_server,
        f"""
[smtp]
host = "127.0.0.1"
port = {free_port()}
sender = "nobody"
recipients = []
user = "watch"
""",
    )
    code, lines = doctor(config)
    assert code == 1
    smtp = line(lines, "smtp 127.0.0.1")
    assert smtp.startswith("FAIL  ")
    # (An unknown smtp.security is refused when the config loads: tests/faults/test_config_faults.py.)
    assert "smtp.sender is not an address: 'nobody'" in smtp
    assert "smtp.recipients is empty" in smtp
    assert "smtp.user is set but BULLETIN_SMTP_PASSWORD is not" in smtp


def test_smtp_without_starttls_or_without_a_server_fails(
    tmp_path: Path, sample_server: SampleServer, smtp_server: tuple[Inbox, int]
) -> None:
    _, port = smtp_server
    smtp = 'sender = "watch@example.org"\nrecipients = ["desk@example.org"]\n'
    config = write_config(
        tmp_path, sample_server, f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "starttls"\n{smtp}'
    )
    code, lines = doctor(config)
    assert code == 1
    assert line(lines, f"smtp 127.0.0.1:{port}").endswith(
        "server does not offer STARTTLS (set smtp.security)"
    )

    dead = free_port()
    config = write_config(
        tmp_path, sample_server, f'[smtp]\nhost = "127.0.0.1"\nport = {dead}\nsecurity = "none"\n{smtp}'
    )
    code, lines = doctor(config)
    assert code == 1
    assert line(lines, f"smtp 127.0.0.1:{dead}").startswith(
        f"FAIL  smtp 127.0.0.1:{dead}: no SMTP conversation: "
    )


def test_a_missing_model_fails_its_line(tmp_path: Path, sample_server: SampleServer) -> None:
    code, lines = doctor(write_config(tmp_path, sample_server), "--model", "no_such_model")
    assert code == 1
    assert line(lines, "model").startswith("FAIL  model: ")
    assert "no_such_model" in line(lines, "model")


def test_config_fails_while_the_contact_is_the_placeholder_and_a_source_is_real() -> None:
    shipped = check_config(load_settings(env={}))
    assert shipped.status == FAIL
    assert "crawl.contact:" in shipped.detail
    assert "www.globaltimes.cn" in shipped.detail
    real = check_config(load_settings(env={"BULLETIN_CRAWL_CONTACT": "desk@newsroom.net"}))
    assert real.status == OK, real.detail


def test_watchlists_that_cannot_deliver_are_warned_of(
    tmp_path: Path, sample_server: SampleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bulletin.watchlists import Watchlist, save_watchlist

    config = write_config(tmp_path, sample_server)
    with Store.open(tmp_path / "archive.db"):
        pass
    _, lines = doctor(config)
    assert not [entry for entry in lines if entry[6:].startswith("watchlists:")]  # none: no line
    with Store.open(tmp_path / "archive.db") as store:
        save_watchlist(store, Watchlist("desk", {"people": ["Feng"]}, webhook="https://hooks.example.org/x"))
        save_watchlist(store, Watchlist("mail", {"keywords": ["espionage"]}, emails=("a@example.org",)))
    monkeypatch.delenv("BULLETIN_WEBHOOK_SECRET", raising=False)
    code, lines = doctor(config)
    assert code == 0  # a warning, not a failure
    assert line(lines, "watchlists") == (
        "warn  watchlists: 2 watchlists; desk post to a webhook but BULLETIN_WEBHOOK_SECRET is not set: "
        "nothing is posted; mail mail alerts but smtp.host is empty: nothing is mailed"
    )
    monkeypatch.setenv("BULLETIN_WEBHOOK_SECRET", "s" * 32)
    _, lines = doctor(config)
    assert "BULLETIN_WEBHOOK_SECRET" not in line(lines, "watchlists")
