from __future__ import annotations

import html
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bulletin.review import create_app
from tests.review.archive import build


@pytest.fixture
def db(archive: str) -> str:
    """The review archive: a SQLite file, then a PostgreSQL schema (``conftest.archive``)."""
    return archive


@pytest.fixture
def ids(db: Path) -> dict[str, int]:
    return build(db)


@pytest.fixture
def client(db: Path, ids: dict[str, int]) -> FlaskClient:
    app = create_app(str(db), "ana")
    return app.test_client()


class Page:
    """An article page as the browser got it: its text, CSRF token and review version."""

    def __init__(self, client: FlaskClient, article_id: int, query: str = ""):
        response = client.get(f"/article/{article_id}{query}")
        assert response.status_code == 200, response.status_code
        self.html = response.get_data(as_text=True)
        self.article_id = article_id
        self.client = client
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.html)
        version = re.search(r'name="version" value="(\d+)"', self.html)
        assert token is not None
        assert version is not None
        self.token, self.version = token.group(1), version.group(1)

    def item_keys(self) -> list[str]:
        return [html.unescape(k) for k in dict.fromkeys(re.findall(r'name="key" value="([^"]+)"', self.html))]

    def post(self, route: str, **fields: Any) -> Any:
        data = {"csrf_token": self.token, "version": self.version, "at": "0", "q": "", **fields}
        return self.client.post(f"/article/{self.article_id}/{route}", data=data)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, proc: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"bulletin review exited: {proc.communicate()}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@contextmanager
def review_server(db: Path | str) -> Iterator[str]:
    """`bulletin review` over db on a free loopback port, as a user starts it (waitress in a
    child process, none of the caller's BULLETIN_ settings); its URL while it runs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bulletin",
            "--db",
            str(db),
            "review",
            "--port",
            str(port),
            "--reviewer",
            "ana",
        ],
        env={**env, "BULLETIN_CONFIG": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.fixture
def server(db: Path, ids: dict[str, int]) -> Iterator[str]:
    """`bulletin review` on the review archive."""
    with review_server(db) as url:
        yield url
