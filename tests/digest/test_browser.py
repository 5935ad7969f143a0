"""The HTML digest in headless Chromium: it renders, logs nothing to the console, and requests nothing.

Chromium runs with a proxy on loopback that answers nothing and records every request, so any
fetch the page makes is caught; the page's own CSP also logs a console message for any blocked
load. Set BULLETIN_SCREENSHOT=/some/file.png to keep the screenshot for a look.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.render import render_digest

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs the chromium binary (Debian package chromium)"),
]

# The browser's own housekeeping, which no command-line flag fully silences; never the page's.
# Debian's Chromium 150 also opens www.google.com five times from a file:// page with every
# background-networking flag set (seen 2026-12-07; --disable-field-trial-config and disabling
# the network-time, optimization-guide and translate features did not stop it).
BROWSER_HOSTS = {"update.googleapis.com", "accounts.google.com", "clients2.google.com", "www.google.com"}


class RecordingProxy:
    """A loopback "proxy" that records the first line of each request and closes the connection."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        # A short accept timeout lets the thread notice ``stop`` (closing the socket does not wake it).
        self.server.settimeout(0.1)
        self.requests: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
                except OSError:
                    self.requests.append("(unreadable)")

    def page_requests(self) -> list[str]:
        return [r for r in self.requests if _host(r) not in BROWSER_HOSTS]


def _host(request_line: str) -> str:
    # "CONNECT host:443 HTTP/1.1" or "GET http://host/path HTTP/1.1"
    parts = request_line.split()
    target = parts[1] if len(parts) > 1 else ""
    return target.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    recorder = RecordingProxy()
    recorder.thread.start()
    yield recorder
    recorder.stop.set()
    recorder.thread.join(timeout=5)
    recorder.server.close()


def run_chromium(page: Path, png: Path, profile: Path, proxy: RecordingProxy) -> tuple[str, str]:
    """Screenshot ``page`` and return (the DOM after load, Chromium's log)."""
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            f"--proxy-server=http://127.0.0.1:{proxy.port}",
            "--proxy-bypass-list=<-loopback>",
            f"--screenshot={png}",
            "--dump-dom",
            "--window-size=1200,2000",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout, result.stderr


def console_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line]


def png_size_and_colours(png: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the pixel data (1 or 2 = blank)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = [], 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return width, height, len(set(zlib.decompress(b"".join(chunks))))


def test_digest_renders_in_chromium(tmp_path, digest, proxy):
    page = tmp_path / "digest.html"
    page.write_text(render_digest(digest, "html"), encoding="utf-8")
    png = tmp_path / "digest.png"
    dom, log = run_chromium(page, png, tmp_path / "profile", proxy)

    assert png.stat().st_size > 10_000
    width, height, colours = png_size_and_colours(png)
    assert (width, height) == (1200, 2000)
    assert colours > 16
    assert "Sentences handed down" in dom
    assert "6 years in prison · political rights 2 years · assets ¥500,000 ($68,607) confiscated" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert console_lines(log) == []
    assert proxy.page_requests() == []
    if target := os.environ.get("BULLETIN_SCREENSHOT"):
        shutil.copyfile(png, target)


def test_the_checks_would_catch_an_external_request(tmp_path, proxy):
    """Control: a page loading a remote image and logging an error is caught by both checks."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><p>bad</p><img src="http://tracker.invalid/pixel.png">'
        '<script>console.error("boom")</script>',
        encoding="utf-8",
    )
    _, log = run_chromium(page, tmp_path / "bad.png", tmp_path / "profile", proxy)
    assert any('"boom"' in line for line in console_lines(log))
    assert any("tracker.invalid" in r for r in proxy.page_requests())
