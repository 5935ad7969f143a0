"""Plain-text and Markdown digests against golden files; Markdown neutralises scraped markup.

Regenerate the golden files after an intended change, then review the diff:
    BULLETIN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/digest/test_text.py
"""

from __future__ import annotations

import os
import re

import pytest

from digest.render import render_digest
from tests.digest.conftest import EXPECTED, SCRIPT

UPDATE = os.environ.get("BULLETIN_UPDATE_GOLDEN") == "1"


def check_golden(name: str, rendered: str) -> None:
    path = EXPECTED / name
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"differs from {path}; see this module's docstring"


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_golden(digest, fmt):
    check_golden(f"digest.{fmt}", render_digest(digest, fmt))


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_golden_empty(empty_digest, fmt):
    check_golden(f"digest-empty.{fmt}", render_digest(empty_digest, fmt))


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_text_formats_do_not_html_escape(digest, fmt):
    rendered = render_digest(digest, fmt)
    assert "&lt;" not in rendered
    assert "&#34;" not in rendered
    assert "¥500,000 ($68,607)" in rendered


def test_plain_text_keeps_scraped_text_verbatim(digest):
    rendered = render_digest(digest, "txt")
    assert f"4. {SCRIPT} Taiwan *court* jails [ex-officer](javascript:alert(2)) _for_ `leaks`\n" in rendered
    assert "mirror: javascript:alert(3)" in rendered


def test_plain_text_footnotes_for_evidence(digest):
    rendered = render_digest(digest, "txt")
    assert "   Tactics:   online approach [4], volunteered to spy [5]\n" in rendered
    assert "   [4] online approach: “met the handler via a social media platform”\n" in rendered


def test_markdown_neutralises_injection(digest):
    rendered = render_digest(digest, "md")
    assert SCRIPT not in rendered
    # No "<" that is not backslash-escaped: no raw HTML at all reaches a Markdown renderer.
    assert not re.search(r"(?<!\\)<", rendered)
    assert not re.search(r"(?<!\\)\]\(javascript", rendered)
    assert (
        r"### 4. \<script\>alert(1)\</script\> Taiwan \*court\* jails \[ex-officer\](javascript:alert(2)) "
        r"\_for\_ \`leaks\`"
    ) in rendered
    # The non-http link is shown as inert text, never as a link target.
    assert r"mirror (javascript:alert(3))" in rendered
    assert "[taipeitimes](https://www.taipeitimes.com/News/taiwan/archives/2026/11/26/5)" in rendered


def test_markdown_footnotes_and_table(digest):
    rendered = render_digest(digest, "md")
    assert "- **Tactics:** insider access[^6]\n" in rendered
    assert "[^6]: insider access: “took advantage of his position”\n" in rendered
    assert "| Zhao | 3. Three former officials sentenced for espionage | death sentence |\n" in rendered
    assert r"| Huang \<b\>Wei\</b\> | 4. " in rendered


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_empty_period_says_so(empty_digest, fmt):
    assert (
        "No new cases that reached the archive from 2026-11-26 07:00 to 2026-11-27 07:02 (UTC+08:00)."
        in render_digest(empty_digest, fmt)
    )


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_each_case_shows_its_publication_date_beside_its_arrival(digest, fmt):
    rendered = render_digest(digest, fmt)
    published, archived = (
        ("   Published: ", "   Archived:  ") if fmt == "txt" else ("- **Published:** ", "- **Archived:** ")
    )
    assert f"{published}2026-11-25 14:05 (UTC-05:00)\n{archived}2026-11-26 08:00 (UTC+08:00)\n" in rendered


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_title_and_the_line_below_name_the_same_days(report, fmt):
    """A report's end date is inclusive in both places (it was "to 2026-11-27 (end exclusive)")."""
    lines = render_digest(report, fmt).splitlines()
    title, below = lines[0], lines[2 if fmt == "md" else 1]
    assert title.endswith("CUSTOM DIGEST: 2026-11-16 to 2026-11-26") or title.endswith(
        "custom digest: 2026-11-16 to 2026-11-26"
    )
    assert below.startswith("Cases first published from 2026-11-16 to 2026-11-26. Generated")
    assert "Archived" not in render_digest(report, fmt)


def test_markdown_renders_without_live_markup(digest):
    """Through a real CommonMark renderer with raw HTML allowed, scraped text stays text."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py comes with spaCy's CLI deps")
    from bs4 import BeautifulSoup

    html = (
        markdown_it.MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .render(render_digest(digest, "md"))
    )
    soup = BeautifulSoup(html, "lxml")
    assert soup.find_all(["script", "img", "b"]) == []
    # Emphasis and code spans are only ours: the reviewed mark and the chart block.
    assert [em.get_text() for em in soup.find_all("em")] == ["reviewed"]
    assert all(code.parent is not None and code.parent.name == "pre" for code in soup.find_all("code"))
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert all(isinstance(h, str) and h.startswith("https://") for h in hrefs)
    hostile = soup.find("h3", string=lambda s: bool(s) and s.startswith("4."))
    assert hostile is not None
    assert (
        hostile.get_text()
        == f"4. {SCRIPT} Taiwan *court* jails [ex-officer](javascript:alert(2)) _for_ `leaks`"
    )
