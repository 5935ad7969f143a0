"""The digest reads faster (issue 20, part 6): a table of contents at the top, updates to known
cases first, and the CLI's last line naming the window of cases it covers."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from bulletin.cli import cli, digest_summary
from bulletin.records import CaseReport, Digest
from digest.render import digest_context, render_digest
from tests.review.archive import build


@pytest.fixture
def with_update(digest: Digest) -> Digest:
    """The fixture day with its third case turned into an update of a case reported before."""
    earlier = CaseReport(
        story_id=7,
        headline="Three detained over <b>leaks</b>",
        published_at=datetime(2026, 3, 1, tzinfo=UTC),
        links=(),
        stage="detention",
    )
    cases = list(digest.cases)
    cases[2] = dataclasses.replace(cases[2], case_id=7, history=(earlier,))
    return dataclasses.replace(digest, cases=tuple(cases))


def test_html_contents_one_linked_line_per_case_in_page_order(digest: Digest) -> None:
    soup = BeautifulSoup(render_digest(digest, "html"), "lxml")
    nav = soup.find("nav", id="contents")
    assert nav is not None
    # At the top: before the first case.
    first_case = soup.find("div", class_="case")
    assert first_case is not None
    assert nav.find_next("div", class_="case") is first_case
    items = nav.find_all("li")
    assert len(items) == len(digest.cases) == 4
    for item, case in zip(items, soup.find_all("div", class_="case"), strict=True):
        link = item.select_one("a")
        assert link is not None
        assert link["href"] == f"#{case['id']}"
    texts = [" ".join(li.get_text(" ", strip=True).split()) for li in items]
    assert texts[0] == "Feng 6 years in prison; Jiang 5 years 6 months in prison (China)"
    assert texts[1] == "John Doe: 4 years in prison (United States)"
    # A scraped name with markup comes out escaped, as everywhere else.
    assert "Huang <b>Wei</b>: time served (Taiwan)" in texts[3]
    assert "<b>Wei</b>" not in str(nav).replace("&lt;b&gt;Wei&lt;/b&gt;", "")


def test_text_and_markdown_contents(digest: Digest) -> None:
    text = render_digest(digest, "txt")
    contents = text.split("IN THIS DIGEST\n==============\n")[1].split("\n\n")[0].splitlines()
    assert contents[1] == "2. John Doe: 4 years in prison (United States)"
    assert len(contents) == 4
    assert text.index("IN THIS DIGEST") < text.index("NEW CASES")
    markdown = render_digest(digest, "md")
    assert "## In this digest\n\n1. Feng 6 years in prison; Jiang" in markdown
    assert "4. Huang \\<b\\>Wei\\</b\\>: time served (Taiwan)" in markdown


def test_a_case_without_sentence_says_so(digest: Digest) -> None:
    first = digest.cases[0]
    unsentenced = dataclasses.replace(first, extraction=dataclasses.replace(first.extraction, penalties=()))
    lines = digest_context(dataclasses.replace(digest, cases=(unsentenced,)))["contents"]
    assert [line.text for line in lines] == ["Feng, Jiang: no sentence reported (China)"]


def test_updates_come_first_and_are_numbered_first(with_update: Digest) -> None:
    context = digest_context(with_update)
    assert [view.number for view in context["updates"]] == [1]
    assert [view.number for view in context["new_cases"]] == [2, 3, 4]
    assert context["contents"][0].update
    soup = BeautifulSoup(render_digest(with_update, "html"), "lxml")
    headings = [h.get_text(strip=True) for h in soup.find_all("h2")]
    assert headings[:3] == ["In this digest", "Updates to known cases", "New cases"]
    first_line = soup.select_one("nav#contents li")
    assert first_line is not None
    assert "update" in first_line.get_text()
    text = render_digest(with_update, "txt")
    assert text.index("IN THIS DIGEST") < text.index("UPDATES TO KNOWN CASES") < text.index("NEW CASES")
    assert "\n1. Wang death sentence" in text.split("IN THIS DIGEST")[1]
    assert "[update]" in text.split("UPDATES TO KNOWN CASES")[0]
    markdown = render_digest(with_update, "md")
    assert markdown.index("## Updates to known cases") < markdown.index("## New cases")
    # Without updates, nothing moves: the new cases follow the contents.
    assert "Updates to known cases" not in render_digest(dataclasses.replace(with_update, cases=()), "html")


def test_the_summary_line_names_the_window(digest: Digest, with_update: Digest, report: Digest) -> None:
    assert digest_summary("daily", "2026-11-26", digest) == (
        "daily digest 2026-11-26, cases that reached the archive from 2026-11-26 07:00 to "
        "2026-11-27 07:02 (UTC+08:00): 4 new cases"
    )
    assert digest_summary("daily", "2026-11-26", with_update).endswith(
        ": 3 new cases and 1 update to known cases"
    )
    assert digest_summary("custom", "2026-11-16 to 2026-11-26", report) == (
        "custom digest 2026-11-16 to 2026-11-26, cases first published from 2026-11-16 to 2026-11-26: "
        "4 new cases"
    )


def test_cli_digest_prints_the_window(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    build(db)
    result = CliRunner().invoke(
        cli,
        ["digest", "--db", str(db), "--since", "2026-11-20", "--until", "2026-11-22", "--out", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        "custom digest 2026-11-20 to 2026-11-22, cases first published from 2026-11-20 to 2026-11-22: "
        "3 new cases"
    )
