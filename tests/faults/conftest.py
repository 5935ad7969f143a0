"""The fault suite's shared parts: a config whose only source is on the hostile server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs whole commands in child processes: all are slow (run by `make test`)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)


NO_SHIPPED_SOURCES = "".join(
    f"\n[sources.{name}]\nenabled = false\n" for name in ("globaltimes", "chinadaily", "doj")
)


def hostile_config(tmp: Path, source: str, extra: str = "", crawl: str = "", timeout: float = 60.0) -> Path:
    """A config with the shipped sources off and ``source`` (a [sources.x] table) as the only one."""
    config = tmp / "config.toml"
    config.write_text(
        f"""
[store]
path = "{(tmp / "bulletin.db").as_posix()}"

[crawl]
download_delay = 0.0
autothrottle = false
timeout = {timeout}
retries = 0
progress_seconds = 0.0
{crawl}

[digest]
out_dir = "{(tmp / "digests").as_posix()}"
formats = ["txt"]
{NO_SHIPPED_SOURCES}
{source}
{extra}
""",
        encoding="utf-8",
    )
    return config


def bulletin(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bulletin ARGS`` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "bulletin", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "BULLETIN_CONFIG": ""},
        check=False,
    )


def wait_for(predicate: Callable[[], object], seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return bool(predicate())
