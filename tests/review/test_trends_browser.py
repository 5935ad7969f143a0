"""The /trends page in headless Chromium: every chart is an SVG that draws, with no script and
no request off the page. BULLETIN_SCREENSHOTS=docs keeps the README's screenshot (docs/trends.png)."""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulletin.cases import relink
from bulletin.store import Store
from tests import case_series, watch_archive
from tests.review.conftest import review_server

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs the chromium binary (Debian package chromium)"),
]
SCREENSHOTS = os.environ.get("BULLETIN_SCREENSHOTS")
BAR = (0x24, 0x3B, 0x53)  # the bars' fill, #243b53
CHARTS = ["months", "jurisdiction", "source", "stage", "tactic", "terms", "organisations", "places"]


def pixels(png: bytes) -> list[tuple[int, int, int]]:
    """The RGB pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert depth == 8
    assert colour in (2, 6)
    channels = 3 if colour == 2 else 4
    chunks, pos = [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        if kind == b"IDAT":
            chunks.append(png[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    out: list[tuple[int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        out += [tuple(line[i : i + 3]) for i in range(0, stride, channels)]  # type: ignore[misc]
        previous = line
    return out


@pytest.fixture(scope="module")
def trends_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`bulletin review` over the case series (extracted by the real pipeline) and the watch archive."""
    db = tmp_path_factory.mktemp("trends") / "trends.db"
    with Store.open(db) as store:
        case_series.build(store)
        watch_archive.build(store)
        relink(store)
    with review_server(db) as url:
        yield url


def test_the_trends_page_draws_its_charts_in_chromium(trends_server: str) -> None:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root without it
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        console: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        failed: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
        page.goto(trends_server + "trends")
        if SCREENSHOTS:
            page.set_viewport_size({"width": 1280, "height": 1200})
            page.screenshot(path=str(Path(SCREENSHOTS) / "trends.png"), full_page=False)
        drawn = page.eval_on_selector_all("svg.trend-chart", "nodes => nodes.map(n => n.dataset.chart)")
        assert drawn == CHARTS
        for key in CHARTS:
            chart = page.locator(f'svg[data-chart="{key}"]')
            box = chart.bounding_box()
            assert box is not None
            assert box["width"] > 500
            assert box["height"] > 20
            shot = pixels(chart.screenshot())
            # Not blank: the bars are drawn in their colour, over a good part of the chart.
            assert sum(1 for p in shot if p == BAR) > 200, key
            assert len(set(shot)) > 4, key
        months = page.locator('svg[data-chart="months"] g.month').count()
        assert months >= 30  # 2023-03 .. 2026-03, one group a month
        assert page.locator("table.numbers").count() == len(CHARTS) + 1
        browser.close()
    # The browser asks for /favicon.ico on its own (there is none), outside the page's requests:
    # its 404 is the one console line; any resource of the page that failed is in ``failed``.
    assert [u for u in failed if not u.endswith("/favicon.ico")] == []
    assert [m for m in console if not m.startswith("Failed to load resource")] == []
    assert len(console) <= 1
    assert all(url.startswith(trends_server) for url in requests), requests
