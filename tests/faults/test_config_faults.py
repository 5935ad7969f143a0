"""Broken config: one line `file: key: problem` at load time, exit code 1, and nothing run or created."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bulletin.cli import cli

CASES = [
    # Scrapy reads a 0 size limit as "no limit": a 2 MB gzip response grew to 21 GB.
    (b"[crawl]\nmax_page_bytes = 0\n", "crawl.max_page_bytes: must be at least 1024"),
    (b"[crawl]\nconcurrency_per_domain = 0\n", "crawl.concurrency_per_domain: must be at least 1"),
    (b"[crawl]\nsimilarity_threshold = 7\n", "crawl.similarity_threshold: must be above 0 and at most 1"),
    (b"[crawl]\ntimeout = nan\n", "crawl.timeout: expected a number"),
    (b"[nlp]\nbatch_size = 0\n", "nlp.batch_size: must be at least 1"),
    (b"[smtp]\nport = 70000\n", "smtp.port: must be at least 1 and at most 65535"),
    (b"[digest]\ntimezone = 'Mars/Olympus'\n", "digest.timezone: unknown time zone 'Mars/Olympus'"),
    (b"[schedule]\ntimezone = 'Nowhere'\n", "schedule.timezone: unknown time zone"),
    (b"[schedule]\ncron = '61 * * * *'\n", "schedule.cron: not a crontab expression"),
    (b"[schedule]\ncron = 'daily'\n", "schedule.cron: not a crontab expression"),
    (b"[digest]\ntitle = '\xe9t\xe9'\n", "not valid TOML: not UTF-8 (byte 0xe9"),
    (b'[digest]\ntitle = "Digest\\r\\nBcc: x@y.org"\n', "digest.title: must be one line"),
    (b'[smtp]\nsender = "a@b.org\\r\\nBcc: c@d.org"\n', "smtp.sender: must be one line"),
    (b'[smtp]\nrecipients = ["a@b.org\\nBcc: c@d.org"]\n', "smtp.recipients: must be one line"),
    (b"[smtp]\nsecurity = 'tls'\n", "smtp.security: 'tls' is not one of starttls, ssl, none"),
    (b"[digest]\nformats = ['pdf']\n", "digest.formats: 'pdf' is not one of html"),
    (b"[sources.x]\nkind = 'generic'\nfeeds = ['feed.xml']\n", "sources.x.feeds: expected http(s) URLs"),
    (b"[sources.x]\nkind = 'generic'\nfeeds = ['http://[::1/feed']\n", "sources.x.feeds: expected http(s)"),
    (b"[sources.x]\nkind = 'generic'\nfeeds = ['http://h:99999/']\n", "sources.x.feeds: expected http(s)"),
    (b"[sources.x]\nkind = 'generic'\nlink_pattern = '('\n", "sources.x.link_pattern: not a valid regular"),
    (b"[sources.x]\nkind = 'generic'\ndomains = [1]\n", "sources.x.domains: expected a list of strings"),
    (b"[sources.doj]\nmax_pages = 0\n", "sources.doj.max_pages: must be at least 1"),
    (b"[sources.doj]\ntimezone = 'EST5EDT/x'\n", "sources.doj.timezone: unknown time zone"),
]


@pytest.mark.parametrize(("text", "message"), CASES)
def test_broken_config_is_one_line_before_anything_runs(tmp_path: Path, text: bytes, message: str) -> None:
    config = tmp_path / "config.toml"
    db = tmp_path / "bulletin.db"
    config.write_bytes(f'[store]\npath = "{db.as_posix()}"\n'.encode() + text)
    result = CliRunner().invoke(cli, ["--config", str(config), "crawl"], env={"BULLETIN_CONFIG": ""})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"bulletin: error: {config}: ")
    assert message in line
    assert not db.exists()  # nothing ran: not even the archive was created
