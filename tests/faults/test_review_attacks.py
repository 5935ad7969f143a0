"""The review page as served (``bulletin review``: waitress in a child process) under attack on
loopback: a rebinding Host, a cross-origin POST, an oversized body, too many fields, an over-long
name, and a token that must leave the URL and never sit in the cookie."""

from __future__ import annotations

import base64
import contextlib
import html
import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bulletin.store import Store
from tests.conftest import REPO
from tests.review.archive import build
from tests.review.conftest import free_port, wait_for


@dataclass
class Served:
    port: int
    ids: dict[str, int]
    db: Path
    proc: subprocess.Popen[str]


def serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    db = tmp_path / "bulletin.db"
    ids = build(db)
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BULLETIN_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulletin", "--db", str(db), "review", "--port", str(port), *args],
        env={**clean, "BULLETIN_CONFIG": "", **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    wait_for(f"http://127.0.0.1:{port}/", proc)
    return Served(port, ids, db, proc)


def stop(served: Served) -> str:
    """Stop the server; what it printed on stderr."""
    served.proc.terminate()
    _, err = served.proc.communicate(timeout=10)
    return err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = serve(tmp_path, "--reviewer", "ana")
    try:
        yield server
    finally:
        stop(server)


def request(
    port: int, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers)
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        if method == "POST":
            conn.putheader("Content-Type", "application/x-www-form-urlencoded")
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        # The server may answer and close before taking it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def form(served: Served) -> tuple[str, dict[str, str]]:
    """The session cookie and the verdict form's fields, as a browser gets them from the page."""
    status, headers, page = request(served.port, "GET", f"/article/{served.ids['zhao']}")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert token is not None
    assert version is not None
    return cookie, {"csrf_token": token.group(1), "version": version.group(1), "at": "0", "q": ""}


def corrections(served: Served) -> int:
    with Store.open(served.db) as store:
        return sum(len(store.corrections(article_id)) for article_id in served.ids.values())


def test_a_foreign_host_gets_400_before_any_route(served: Served) -> None:
    evil = f"evil.example:{served.port}"
    status, _, page = request(served.port, "GET", f"/article/{served.ids['zhao']}", Host=evil)
    assert status == 400
    assert "Zhao" not in page
    cookie, fields = form(served)
    path = f"/article/{served.ids['zhao']}/verdict"
    body = urlencode({**fields, "relevant": "0"}).encode()
    status, _, _ = request(served.port, "POST", path, body, Host=evil, Cookie=cookie)
    assert status == 400
    for good in (f"127.0.0.1:{served.port}", f"localhost:{served.port}", "LOCALHOST"):
        assert request(served.port, "GET", "/", Host=good)[0] == 200, good
    assert corrections(served) == 0


def test_a_post_from_another_origin_is_refused_and_the_page_own_is_saved(served: Served) -> None:
    cookie, fields = form(served)
    path = f"/article/{served.ids['zhao']}/verdict"
    body = urlencode({**fields, "relevant": "0"}).encode()
    for header, value in (
        ("Origin", "http://evil.example"),
        ("Origin", "null"),
        ("Referer", "http://evil.example/x"),
    ):
        status, _, _ = request(served.port, "POST", path, body, Cookie=cookie, **{header: value})
        assert status == 403, (header, value)
    assert corrections(served) == 0
    own = f"http://127.0.0.1:{served.port}"
    status, _, _ = request(served.port, "POST", path, body, Cookie=cookie, Origin=own)
    assert status in (302, 303)
    assert corrections(served) == 1


def test_an_oversized_body_too_many_fields_and_a_long_name_are_refused(served: Served) -> None:
    cookie, fields = form(served)
    path = f"/article/{served.ids['zhao']}/add"
    huge = urlencode({**fields, "kind": "subject", "name": "x" * (50 << 20)}).encode()
    status, _, _ = request(served.port, "POST", path, huge, Cookie=cookie)
    assert status == 413
    many = (urlencode(fields) + "&" + "&".join(f"f{n}=" for n in range(20_000))).encode()
    assert len(many) < 256 * 1024  # under the size limit: refused for the number of fields
    status, _, _ = request(served.port, "POST", path, many, Cookie=cookie)
    assert status == 413
    long_name = urlencode({**fields, "kind": "subject", "name": "Zhao " * 60}).encode()
    status, _, page = request(served.port, "POST", path, long_name, Cookie=cookie)
    assert status == 400
    [line] = [line for line in page.splitlines() if 'class="error"' in line]
    assert "'name' is 300 characters long; at most 200 are taken" in html.unescape(line)
    assert corrections(served) == 0
    # The server is still up and answering.
    assert request(served.port, "GET", "/")[0] == 200


def test_a_generated_token_is_printed_once_exchanged_and_never_in_the_cookie(tmp_path: Path) -> None:
    server = serve(tmp_path, "--host", "0.0.0.0", "--reviewer", "ana")  # noqa: S104 (the test's own port)
    try:
        assert request(server.port, "GET", "/")[0] == 403
        path = "/?status=pending"
        # The startup line is the only place the token shows.
        line = ""
        while "review page:" not in line:
            assert server.proc.stderr is not None
            line = server.proc.stderr.readline()
        token = re.search(r"\?token=([\w-]+)", line)
        assert token is not None
        assert len(token.group(1)) >= 32
        status, headers, _ = request(server.port, "GET", f"{path}&token={token.group(1)}")
        assert status == 303
        assert headers["Location"] == path  # the URL loses it
        cookie = headers["Set-Cookie"].split(";")[0]
        payload = cookie.split("=", 1)[1].split(".")[0]
        assert token.group(1) not in base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
        assert request(server.port, "GET", path, Cookie=cookie)[0] == 200
    finally:
        rest = stop(server)
    assert token.group(1) not in rest


def test_a_configured_token_is_never_printed(tmp_path: Path) -> None:
    secret = "k" * 40
    server = serve(tmp_path, "--host", "0.0.0.0", env={"BULLETIN_REVIEW_TOKEN": secret})  # noqa: S104
    try:
        assert request(server.port, "GET", "/", X_Review_Token=secret)[0] == 200
    finally:
        err = stop(server)
    assert "review page:" in err
    assert secret not in err
