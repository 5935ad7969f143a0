"""Serve sample copies of news sites on loopback, one port per site, for tests and the demo.

Each site is a folder (``tests/fixtures/sites/<site>/``) served as the root of its own
``http://127.0.0.1:<port>/``, so root-relative links work as on the real site. Text
files may carry placeholders that are filled in when served:

- ``{{base}}``: this site's base URL, e.g. ``http://127.0.0.1:8123``
- ``{{host}}``: this site's ``127.0.0.1:8123`` (for protocol-relative ``//{{host}}/…``)
- ``{{site:NAME}}``: another served site's base URL (the search host of a site, say)
- ``{{offsite}}``: a loopback URL under another host name (``http://localhost:<port>``),
  which a spider must treat as off-site

A site may declare special answers in ``_routes.toml`` (first match wins, before files)::

    [[route]]
    path = "/SearchCtrl"             # exact path
    query = { page_no = "2" }        # optional: these query parameters must match
    file = "search/page2.html"       # body from a file of the site...
    body = "..."                     # ...or inline
    status = 200                     # default 200 (302 when redirect is set)
    content_type = "text/html; charset=gbk"
    redirect = "{{offsite}}/elsewhere"
    delay = 2.5                      # seconds to wait before answering
    size = 12000000                  # generate a filler HTML body of this many bytes
    drop = true                      # close the connection without answering

``SampleServer(root, latency=0.05)`` makes every answer wait that many seconds first, as
pages on the internet take (the scale-out benchmark's I/O-bound crawl).
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)

TEXT_SUFFIXES = {".html", ".shtml", ".htm", ".xml", ".json", ".txt", ".rss", ".atom", ""}
CONTENT_TYPES = {
    ".shtml": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass
class Site:
    name: str
    root: Path
    routes: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        if self.server is None:
            raise RuntimeError(f"site {self.name} is not being served yet: call start() first")
        return int(self.server.server_address[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class SampleServer:
    """A set of sites served on loopback in background threads.

    Use as a context manager, or call ``start()`` / ``stop()``. ``base(name)`` gives a
    site's base URL once started.
    """

    def __init__(
        self,
        root: Path,
        sites: list[str] | None = None,
        host: str = "127.0.0.1",
        latency: float = 0.0,
        ports: dict[str, int] | None = None,
    ):
        self.root = Path(root)
        self.host = host
        # Ports to serve sites on when they are free (the demo's previous ones), else any.
        self.wanted_ports = dict(ports or {})
        self.latency = latency  # seconds every answer waits before it is sent
        names = sites or sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
        )
        self.sites = {name: Site(name, self.root / name, _load_routes(self.root / name)) for name in names}
        self._threads: list[threading.Thread] = []
        # Requests answered, by URL (base + path and query): tests count what a crawl fetched.
        self.hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()

    def base(self, name: str) -> str:
        return self.sites[name].base

    def start(self) -> SampleServer:
        for site in self.sites.values():
            site.server = self._bind(site)
            thread = threading.Thread(
                target=site.server.serve_forever, name=f"sample-{site.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _bind(self, site: Site) -> ThreadingHTTPServer:
        port = self.wanted_ports.get(site.name, 0)
        if port:
            try:
                return _QuietServer((self.host, port), _handler_for(site, self))
            except OSError:  # taken by another program: any free port
                logger.info("port %d is taken: serving %s on another one", port, site.name)
        return _QuietServer((self.host, 0), _handler_for(site, self))

    def ports(self) -> dict[str, int]:
        """The port each site is served on."""
        return {name: site.port for name, site in self.sites.items()}

    def stop(self) -> None:
        for site in self.sites.values():
            if site.server is not None:
                site.server.shutdown()
                site.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> SampleServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fill(self, text: str, site: Site) -> str:
        """Replace the placeholders in a served text."""
        if "{{" not in text:
            return text
        text = text.replace("{{base}}", site.base).replace("{{host}}", f"127.0.0.1:{site.port}")
        text = text.replace("{{offsite}}", f"http://localhost:{site.port}")
        for other in self.sites.values():
            text = text.replace(f"{{{{site:{other.name}}}}}", other.base)
        return text


class _QuietServer(ThreadingHTTPServer):
    """Clients hanging up early (timeouts, size limits) are expected here, not tracebacks."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("client %s hung up", client_address)


def _load_routes(folder: Path) -> list[dict[str, Any]]:
    path = folder / "_routes.toml"
    if not path.exists():
        return []
    with path.open("rb") as fh:
        return list(tomllib.load(fh).get("route", []))


def _match(route: dict[str, Any], path: str, query: dict[str, str]) -> bool:
    if route.get("path") != path:
        return False
    wanted = route.get("query", {})
    return all(query.get(k) == str(v) for k, v in wanted.items())


def _handler_for(site: Site, server: SampleServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s: " + format, site.name, *args)

        def do_GET(self) -> None:
            with server._hits_lock:
                server.hits[site.base + self.path] += 1
            if server.latency:
                time.sleep(server.latency)
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            route = next((r for r in site.routes if _match(r, parts.path, query)), None)
            if route is not None:
                self._answer_route(route)
            else:
                self._answer_file(parts.path)

        def _answer_route(self, route: dict[str, Any]) -> None:
            if route.get("delay"):
                time.sleep(float(route["delay"]))
            if route.get("drop"):
                self.close_connection = True
                return
            headers: dict[str, str] = {}
            if "redirect" in route:
                headers["Location"] = server.fill(route["redirect"], site)
            status = int(route.get("status", 302 if "redirect" in route else 200))
            content_type = route.get("content_type", "text/html; charset=utf-8")
            if "size" in route:
                body = _filler(int(route["size"]))
            elif "file" in route:
                body = self._read(site.root / route["file"])
                content_type = route.get("content_type", _content_type(Path(route["file"])))
            else:
                body = server.fill(str(route.get("body", "")), site).encode("utf-8")
            headers["Content-Type"] = content_type
            self._send(status, body, headers)

        def _answer_file(self, path: str) -> None:
            target = (site.root / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(site.root.resolve()) or not target.is_file():
                self._send(
                    404,
                    b"<html><body><h1>404 Not Found</h1></body></html>",
                    {"Content-Type": "text/html; charset=utf-8"},
                )
                return
            self._send(200, self._read(target), {"Content-Type": _content_type(target)})

        def _read(self, path: Path) -> bytes:
            raw = path.read_bytes()
            if path.suffix not in TEXT_SUFFIXES:
                return raw
            try:
                return server.fill(raw.decode("utf-8"), site).encode("utf-8")
            except UnicodeDecodeError:
                return raw  # a page in another encoding on purpose (GBK): served as is

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                logger.debug("%s: client went away", site.name)

    return Handler


def _content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/html; charset=utf-8"


def _filler(size: int) -> bytes:
    head = b"<html><head><title>Huge</title></head><body><p>"
    tail = b"</p></body></html>"
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


@contextmanager
def serving(root: Path, sites: list[str] | None = None) -> Iterator[SampleServer]:
    """Serve the sites under ``root`` for the duration of a ``with`` block."""
    server = SampleServer(root, sites).start()
    try:
        yield server
    finally:
        server.stop()
