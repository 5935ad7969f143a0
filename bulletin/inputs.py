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


class Items:
    """The usable records of an input, parsed lazily as they are iterated; ``skipped``
    counts those left out so far, each with one error line."""

    def __init__(self) -> None:
        self.skipped = 0
        self._items: Iterator[dict[str, Any]] = iter([])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._items

    def skip(self, message: str, *args: object) -> None:
        logger.error(message, *args)
        self.skipped += 1


def read_input(source: str, stdin: IO[bytes] | None = None) -> Items:
    """Items from a file path, or from ``stdin`` when ``source`` is ``-``.

    The file is read at once, so a missing or undecodable input fails here, before the
    caller loads a model; the items are then parsed lazily.
    """
    items = Items()
    items._items = _items(source, stdin, items)
    return items


def _items(source: str, stdin: IO[bytes] | None, items: Items) -> Iterator[dict[str, Any]]:
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
    if head.startswith("["):
        return _json_array(text, source, items)
    if head.startswith("{"):
        return _json_lines(text, source, items)
    if any(marker in head for marker in HTML_MARKERS):
        return iter([_html(text, name)])
    return iter([{"id": name, "text": text}])


# Bytes that are UTF-8 but for this share of stray bytes are read as UTF-8, the stray bytes
# replaced: guessing another encoding for the whole file garbles every non-ASCII character
# (one stray byte made charset-normalizer pick mac_iceland: "¥" became "¬•").
STRAY_BYTES_RATIO = 0.01


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lenient = raw.decode("utf-8-sig", errors="replace")
    stray = lenient.count("\ufffd") - raw.count("\ufffd".encode())
    if stray <= max(1, len(lenient) * STRAY_BYTES_RATIO):
        logger.warning("%s: %d byte sequence(s) not UTF-8, each replaced with U+FFFD", source, stray)
        return lenient
    import charset_normalizer

    best = charset_normalizer.from_bytes(raw).best()
    if best is None:
        raise InputError(f"{source}: not text in any encoding I can recognise") from None
    logger.warning("%s: not UTF-8, read as %s", source, best.encoding)
    return str(best)


def _json_array(text: str, source: str, items: Items) -> Iterator[dict[str, Any]]:
    """A JSON array of article objects; a file that is not one array is read as JSON Lines."""
    try:
        records = json.loads(text)
    except json.JSONDecodeError:
        return _json_lines(text, source, items)  # JSON Lines whose first line is an array, say
    except RecursionError:
        items.skip("%s: skipped, JSON nested too deeply", source)
        return iter([])
    if not isinstance(records, list):
        return _json_lines(text, source, items)
    return (
        item
        for number, raw in enumerate(records, start=1)
        if (item := _record(raw, f"{source}[{number}]", items))
    )


def _json_lines(text: str, source: str, items: Items) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            items.skip("%s:%d: skipped, not JSON: %s", source, number, exc.msg)
            continue
        except RecursionError:
            items.skip("%s:%d: skipped, JSON nested too deeply", source, number)
            continue
        item = _record(raw, f"{source}:{number}", items)
        if item is not None:
            yield item


def _record(raw: Any, where: str, items: Items) -> dict[str, Any] | None:
    """One article object, or None (logged as one line) when it is not a usable one."""
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        items.skip('%s: skipped, not an object with a "text" string', where)
        return None
    for key in ("title", "url", "published"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            items.skip("%s: skipped, %s is not a string: %r", where, key, raw[key])
            return None
    if raw.get("id") is not None and not isinstance(raw["id"], (str, int)):
        items.skip("%s: skipped, id is not a string or number: %r", where, raw["id"])
        return None
    try:  # a lone surrogate ("\\ud800") is valid JSON but no text: it cannot be written out
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        items.skip("%s: skipped, holds a lone surrogate (\\uD800-\\uDFFF), which is not text", where)
        return None
    return raw


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
