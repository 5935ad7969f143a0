"""The digest is mailed once: a 421 on QUIT is a sent message, a send killed mid-way is never
repeated silently, and a resend carries the same Message-ID."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.store import Store
from tests.conftest import REPO
from tests.faults.conftest import bulletin, hostile_config, wait_for
from tests.faults.smtp_faults import FaultySMTP, faulty_smtp

DAY = "2026-11-30"


@pytest.fixture
def smtp() -> Iterator[FaultySMTP]:
    with faulty_smtp() as server:
        yield server


def mail_config(tmp: Path, port: int) -> Path:
    config = hostile_config(
        tmp,
        "",
        f"""
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "watch@example.org"
recipients = ["analyst@example.org"]
timeout = 20.0
""",
    )
    Store.open(tmp / "bulletin.db").close()  # an (empty) archive to render from
    return config


def ledger(tmp: Path) -> dict[str, object] | None:
    with Store.open(tmp / "bulletin.db") as store:
        return store.sent_digest(f"daily:{DAY}")


def test_a_421_on_quit_after_the_message_was_accepted_counts_as_sent(
    tmp_path: Path, smtp: FaultySMTP
) -> None:
    smtp.quit_reply = "421 closing, try later"
    config = mail_config(tmp_path, smtp.port)
    first = bulletin("--config", str(config), "digest", "--date", DAY, "--send")
    assert first.returncode == 0, first.stderr
    assert f"sent daily:{DAY}" in first.stderr
    again = bulletin("--config", str(config), "digest", "--date", DAY, "--send")
    assert again.returncode == 0, again.stderr
    assert "already sent" in again.stderr
    assert len(smtp.messages) == 1
    row = ledger(tmp_path)
    assert row is not None
    assert row["status"] == "sent"


def test_a_send_killed_mid_way_is_not_repeated_without_resend(tmp_path: Path, smtp: FaultySMTP) -> None:
    smtp.hang_after_data = True
    config = mail_config(tmp_path, smtp.port)
    sending = subprocess.Popen(
        [sys.executable, "-m", "bulletin", "--config", str(config), "digest", "--date", DAY, "--send"],
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(smtp.received.is_set, 60)  # the server has the message...
    finally:
        sending.kill()  # ...and the sender dies before the server confirms it
        sending.wait(30)
    smtp.hang_after_data = False
    row = ledger(tmp_path)
    assert row is not None
    assert row["status"] == "sending"

    rerun = bulletin("--config", str(config), "digest", "--date", DAY, "--send")
    assert rerun.returncode == 1
    [line] = [line for line in rerun.stderr.splitlines() if line.startswith("bulletin: error:")]
    assert "may have been delivered" in line
    assert "--resend" in line
    assert len(smtp.messages) == 1

    resent = bulletin("--config", str(config), "digest", "--date", DAY, "--resend")
    assert resent.returncode == 0, resent.stderr
    assert len(smtp.messages) == 2
    first, second = smtp.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert f"daily.{DAY}" in first["Message-ID"]
    row = ledger(tmp_path)
    assert row is not None
    assert row["status"] == "sent"


def test_a_refused_send_leaves_no_ledger_row_and_the_next_run_sends(tmp_path: Path, smtp: FaultySMTP) -> None:
    smtp.refuse_rcpt = True
    config = mail_config(tmp_path, smtp.port)
    refused = bulletin("--config", str(config), "digest", "--date", DAY, "--send")
    assert refused.returncode == 1
    assert "may have been delivered" not in refused.stderr
    assert ledger(tmp_path) is None
    smtp.refuse_rcpt = False
    sent = bulletin("--config", str(config), "digest", "--date", DAY, "--send")
    assert sent.returncode == 0, sent.stderr
    assert len(smtp.messages) == 1
