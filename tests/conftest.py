"""Shared fixtures: sample sites on loopback, a config pointing at them, the CLI in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulletin.sample_server import SampleServer
from bulletin.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
SITES = FIXTURES / "sites"
REPO = Path(__file__).parent.parent

# No test may reach the internet, not even through a proxy from the environment.
for _var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


# The PostgreSQL variant of the store tests runs against the server at $BULLETIN_TEST_PG
# (.ci/run starts a throwaway cluster and sets it, with BULLETIN_REQUIRE_PG=1 so that a
# missing server fails instead of skipping). Each test gets a schema of its own, dropped after.
PG_ENV = "BULLETIN_TEST_PG"


@pytest.fixture(scope="session")
def pg_server() -> str:
    url = os.environ.get(PG_ENV, "")
    if not url:
        if os.environ.get("BULLETIN_REQUIRE_PG"):
            pytest.fail(
                f"BULLETIN_REQUIRE_PG is set but {PG_ENV} is not: no PostgreSQL server to test against"
            )
        pytest.skip(
            f"PostgreSQL variant skipped: no server ({PG_ENV}=postgresql://… runs it; .ci/run starts one)"
        )
    return url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL schema (the archive's tables go there)."""
    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{joiner}options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's archive lives: a SQLite file, then a PostgreSQL schema (``--db`` either way)."""
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def memory_archive(request: pytest.FixtureRequest) -> str:
    """As ``archive``, with SQLite in memory: for tests that never reopen the archive."""
    return ":memory:" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def sample_server() -> Iterator[SampleServer]:
    with SampleServer(SITES) as server:
        yield server


def load_expected() -> dict[str, Any]:
    """The fixture sites' oracle (tests/fixtures/sites/expected.toml)."""
    with (SITES / "expected.toml").open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="session")
def expected() -> dict[str, Any]:
    return load_expected()


def sample_config(server: SampleServer, db: Path | str, extra: str = "") -> str:
    """A config with every source on the sample server and politeness off (loopback only)."""
    return f"""
[store]
path = "{db.as_posix() if isinstance(db, Path) else db}"

[crawl]
download_delay = 0.0
autothrottle = false
concurrency_per_domain = 8
timeout = 2.0
retries = 1
max_page_bytes = 1048576
progress_seconds = 0.0

[sources.globaltimes]
base_url = "{server.base("globaltimes")}"
search_url = "{server.base("globaltimes-search")}"
sections = ["china/", "china/politics/"]

[sources.chinadaily]
base_url = "{server.base("chinadaily")}"
search_url = "{server.base("chinadaily-search")}"
sections = ["china/", "world/"]
search_terms = ["espionage"]

[sources.doj]
base_url = "{server.base("doj")}"
only_relevant = false
max_pages = 5

[sources.prosecutors]
kind = "generic"
base_url = "{server.base("generic")}"
feeds = ["{server.base("generic")}/feed.xml"]
listings = ["{server.base("generic")}/news/index.html"]
link_pattern = "/news/[a-z0-9-]+$"
timezone = "Europe/London"
{extra}
"""


class Bulletin:
    """Runs ``python -m bulletin`` in a child process against one config and database."""

    def __init__(self, config: Path, db: Path | str, env: dict[str, str] | None = None):
        self.config = config
        self.db = db
        self.env = env or {}

    def run(self, *args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "bulletin", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            env={**os.environ, "BULLETIN_CONFIG": "", **self.env},
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"bulletin {' '.join(args)} exited {proc.returncode}\n{proc.stderr[-4000:]}")
        return proc

    def store(self) -> Store:
        return Store.open(self.db)


@pytest.fixture
def bulletin(tmp_path: Path, sample_server: SampleServer) -> Bulletin:
    db = tmp_path / "bulletin.db"
    config = tmp_path / "config.toml"
    config.write_text(sample_config(sample_server, db), encoding="utf-8")
    return Bulletin(config, db)


def make_bulletin(tmp: Path, server: SampleServer, extra: str = "", db: str = "") -> Bulletin:
    """A config for the sample sites in ``tmp``, its archive ``tmp/bulletin.db`` or ``db`` (a URL)."""
    archive: Path | str = db or tmp / "bulletin.db"
    config = tmp / "config.toml"
    config.write_text(sample_config(server, archive, extra), encoding="utf-8")
    return Bulletin(config, archive)
