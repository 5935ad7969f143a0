"""The review page in a real browser: Debian's headless Chromium, driven by Playwright.

Keyboard only, as an analyst works: open the queue, open a story, accept an item with `a`,
reject another with `x`, correct a penalty's months in its edit form, add a missing item from
selected words; reload and see it all kept; re-render the digest and see the correction.
Scraped `<script>`, `onerror=` and `javascript:` payloads must not run, and the page must not
request anything from anywhere but the review server.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bulletin.cli import cli
from bulletin.corrections import apply
from bulletin.store import Store
from tests.review.archive import FENG

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs the chromium binary (Debian package chromium)"),
]
# Where the README's screenshot of the article view comes from: BULLETIN_SCREENSHOTS=docs pytest ...
SCREENSHOTS = os.environ.get("BULLETIN_SCREENSHOTS")


@pytest.fixture
def browser_page(server: str) -> Iterator[tuple[Any, list[str], list[str]]]:
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses root without it
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        dialogs: list[str] = []
        page.on("request", lambda request: requests.append(request.url))

        def dismiss(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)
        yield page, requests, dialogs
        browser.close()


def _effective(db: Path, article_id: int) -> dict[str, Any]:
    with Store.open(db) as store:
        stored = store.stored_extraction(article_id)
        assert stored is not None
        return apply(stored.record, store.corrections(article_id)).record


def _focused_kind(page: Any) -> str:
    return str(page.locator("#items li.item.focused .kind").text_content())


def test_keyboard_review_persists_and_reaches_the_digest(browser_page, server, db, ids, tmp_path):
    page, requests, dialogs = browser_page
    page.goto(server + "?source=globaltimes")
    assert page.locator("#progress").inner_text() == "0 / 4"
    page.keyboard.press("Enter")  # open the focused (only) story
    page.wait_for_url(f"**/article/{ids['feng']}**")
    assert _focused_kind(page) == "relevance"

    page.keyboard.press("a")  # confirm the verdict; the page comes back focused on the next item
    page.wait_for_selector("#items li.item.d-accept")
    assert _focused_kind(page) == "subject"
    for _ in range(5):
        page.keyboard.press("j")
    assert page.locator("#items li.item.focused").inner_text().find("Ministry of State Security") >= 0
    page.keyboard.press("x")  # reject the ORG entity
    page.wait_for_selector("ul.rejected")

    # Correct the prison term: focus it, open its edit form with `e`, type, Enter.
    prison = page.locator("#items li.item.kind-penalty", has_text="6 years in prison")
    prison.click(position={"x": 5, "y": 5})
    page.keyboard.press("e")
    months = prison.locator("input[name=months]")
    months.fill("84")
    months.press("Enter")
    page.wait_for_selector("#items li.item.kind-penalty.d-edit")

    # Add a missing entity by selecting its words in the text, then `n`.
    page.evaluate(
        """(words) => {
            const text = document.getElementById("text");
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const at = node.data.indexOf(words);
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + words.length);
                    const sel = window.getSelection();
                    sel.removeAllRanges();
                    sel.addRange(range);
                    text.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
                    return;
                }
            }
            throw new Error("words not found: " + words);
        }""",
        "Beijing",
    )
    page.keyboard.press("n")
    page.select_option("#add-kind", "entity")
    page.select_option("#add select[name=label]", "GPE")
    page.locator("#add button[type=submit]").click()
    page.wait_for_selector("#items li.item.d-add")

    page.reload()
    assert page.locator("#items li.item.d-accept").count() == 1
    assert page.locator("ul.rejected").inner_text().count("Ministry of State Security") == 1
    assert "7 years in prison" in page.locator("#items li.item.kind-penalty.d-edit").inner_text()
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / "review-article.png"), full_page=False)

    record = _effective(db, ids["feng"])
    assert record["penalties"][0]["months"] == 84
    assert [e["text"] for e in record["entities"]] == ["Feng", "Beijing"]
    beijing = record["entities"][-1]
    assert FENG[beijing["start"] : beijing["end"]] == "Beijing"  # the selection gave true offsets

    out = tmp_path / "digest"
    result = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "digest",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--format",
            "html",
            "--out",
            str(out),
        ],
        env={"BULLETIN_CONFIG": "", "BULLETIN_DB": None},
    )
    assert result.exit_code == 0, result.stderr
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "7 years in prison" in html
    assert "6 years in prison" not in html

    assert dialogs == []
    assert all(url.startswith(server) for url in requests), [u for u in requests if not u.startswith(server)]


def test_hostile_scraped_text_does_not_run(browser_page, server, ids):
    page, requests, dialogs = browser_page
    page.goto(f"{server}article/{ids['zhao']}")
    page.wait_for_load_state("load")
    page.keyboard.press("?")  # our own script runs (the keys list opens) ...
    assert page.locator("#keys").is_visible()
    # ... and nothing of the article's: no alert, no element made from its text.
    assert dialogs == []
    assert page.locator("#text img, #text script, #text a, h1 img, h1 script").count() == 0
    assert page.evaluate("document.scripts.length") == 1
    assert '<script>alert("body")</script>' in page.locator("#text").inner_text()
    page.goto(server)
    assert dialogs == []
    assert all(url.startswith(server) for url in requests)
