"""Read `bulletin extract --input`: a plain-text file, an HTML page, or JSON Lines of articles.

Each yields dicts with ``text`` and, where known, ``id``, ``url``, ``title`` and
``published`` — the items ``nlp.extract`` takes. For an HTML page the text is the page's
main text (trafilatura, falling back to BeautifulSoup's text of the body), and the
record's offsets point into that text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bs4 import BeautifulSoup

from bulletin.errors import BulletinError

logger = logging.getLogger(__name__)

HTML_MARKERS = ("<!doctype html", "<html", "<body", "<head", "<p>", "<div", "<article")


class InputError(BulletinError):
    """Raised for an --input that cannot be read at all (missing file, undecodable bytes)."""


def read_input(source: str, stdin: IO[bytes] | None = None) -> Iterator[dict[str, Any]]:
    """Items from a file path, or from ``stdin`` when ``source`` is ``-``.

    The file is read at once, so a missing or undecodable input fails here, before the
    caller loads a model; the items are then parsed lazily.
    """
    if source == "-":
        if stdin is None:
            raise InputError("no standard input to read")
        raw, name = stdin.read(), "stdin"
    else:
        path = Path(source)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{source}: cannot read: {exc.strerror}") from None
        name = path.stem
    text = _decode(raw, source)
    head = text.lstrip()[:500].lower()
    if head.startswith("{"):
        return _json_lines(text, source)
    if any(marker in head for marker in HTML_MARKERS):
        return iter([_html(text, name)])
    return iter([{"id": name, "text": text}])


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        import charset_normalizer

        best = charset_normalizer.from_bytes(raw).best()
        if best is None:
            raise InputError(f"{source}: not text in any encoding I can recognise") from None
        logger.warning("%s: not UTF-8, read as %s", source, best.encoding)
        return str(best)


def _json_lines(text: str, source: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            logger.error("%s:%d: skipped, not JSON: %s", source, number, exc.msg)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            logger.error('%s:%d: skipped, no "text" string', source, number)
            continue
        yield item


def _html(page: str, name: str) -> dict[str, Any]:
    import trafilatura
    from trafilatura.settings import Document

    extracted = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False)
    doc = extracted if isinstance(extracted, Document) else None  # a dict only with as_dict=True
    soup = BeautifulSoup(page, "lxml")
    title = (doc.title if doc is not None else None) or (
        soup.title.get_text(strip=True) if soup.title else None
    )
    text = doc.text if doc is not None and doc.text else None
    if not text:
        body = soup.body or soup
        for junk in body(["script", "style", "nav", "footer", "header"]):
            junk.decompose()
        text = "\n".join(line.strip() for line in body.get_text("\n").splitlines() if line.strip())
    item: dict[str, Any] = {"id": name, "text": text, "title": title or None}
    if doc is not None and doc.date:
        item["published"] = doc.date
    if doc is not None and doc.url:
        item["url"] = doc.url
    return item
