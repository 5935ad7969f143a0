"""SampleServer's latency option: every answer waits that long first (the benchmarks' I/O-bound crawl)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from bulletin.sample_server import SampleServer
from tests.conftest import SITES


def get(url: str) -> tuple[float, int, bytes]:
    """Seconds to the whole answer, its status and its body."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    return time.perf_counter() - start, status, body


def test_latency_delays_every_answer_and_changes_nothing_else() -> None:
    with (
        SampleServer(SITES, sites=["globaltimes"]) as plain,
        SampleServer(SITES, sites=["globaltimes"], latency=0.3) as slow,
    ):
        quick, _, plain_body = get(plain.base("globaltimes") + "/robots.txt")
        waited, status, slow_body = get(slow.base("globaltimes") + "/robots.txt")
        missing, missing_status, _ = get(slow.base("globaltimes") + "/no/such/page")
    assert (status, slow_body) == (200, plain_body)
    assert waited >= 0.3 > quick
    assert (missing_status, missing >= 0.3) == (404, True)  # a 404 waits too
