"""A hostile HTTP server on loopback: each path a misbehaviour (hang, drip, bomb, loop, wrong charset)."""

from __future__ import annotations

import gzip
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler, int], None]


class Hostile:
    """Routes by exact path; ``hits`` counts the requests each path got, ``release`` ends every hang."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()
        self.base = ""

    def route(self, path: str, answer: Route) -> None:
        self.routes[path] = answer


def send(
    handler: BaseHTTPRequestHandler, body: bytes, content_type: str, status: int = 200, **headers: str
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def hang_first(server: Hostile, then: Route, seconds: float = 120.0) -> Route:
    """The first request hangs (until ``server.release``, at most ``seconds``); later ones: ``then``."""

    def answer(handler: BaseHTTPRequestHandler, hit: int) -> None:
        if hit == 1:
            server.release.wait(seconds)
            return
        then(handler, hit)

    return answer


def gzip_bomb(megabytes: int) -> Route:
    """A small gzip body that inflates to ``megabytes`` MB of zeros."""
    body = gzip.compress(b"\0" * (megabytes << 20), compresslevel=9)

    def answer(handler: BaseHTTPRequestHandler, hit: int) -> None:
        send(handler, body, "text/html; charset=utf-8", Content_Encoding="gzip")

    return answer


def redirect_to(path: str) -> Route:
    def answer(handler: BaseHTTPRequestHandler, hit: int) -> None:
        handler.send_response(302)
        handler.send_header("Location", path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def static(body: bytes, content_type: str) -> Route:
    def answer(handler: BaseHTTPRequestHandler, hit: int) -> None:
        send(handler, body, content_type)

    return answer


@contextmanager
def hostile_server() -> Iterator[Hostile]:
    """A started server on a free loopback port; unknown paths get 404."""
    state = Hostile()

    class Handler(BaseHTTPRequestHandler):
        server_state = state

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            state.hits[path] += 1
            answer = state.routes.get(path)
            if answer is None:
                send(self, b"not here", "text/plain", status=404)
                return
            with suppress(BrokenPipeError, ConnectionResetError):
                answer(self, state.hits[path])

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def drip(seconds: float, step: float = 0.5) -> Route:
    """Headers at once, then one byte every ``step`` seconds for ``seconds``: a slow-loris answer."""

    def answer(handler: BaseHTTPRequestHandler, hit: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(int(seconds / step) + 1))
        handler.end_headers()
        for _ in range(int(seconds / step)):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            if handler.server_state.release.wait(step):  # type: ignore[attr-defined]
                return

    return answer
