"""Shared page-reading helpers: decode bytes honestly, read feeds, turn HTML into paragraphs, read dates."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import charset_normalizer
import feedparser
from parsel import Selector
from scrapy.http import Response, TextResponse
from w3lib.encoding import html_to_unicode, resolve_encoding
from w3lib.html import remove_tags_with_content

# A page is "mis-declared" when decoding it as declared gives this share of U+FFFD.
BAD_DECODE_RATIO = 0.001
# What w3lib reads a "gbk" or "gb2312" label as: GB18030, the superset of both.
GBK_SUPERSET = resolve_encoding("gbk") or "gb18030"
_BLOCK = re.compile(
    r"</?(p|div|h[1-6]|li|ul|ol|table|tr|section|article|blockquote|figure|header|footer)\b[^>]*>",
    re.I,
)
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_PARA_BREAK = re.compile(r"\n\s*\n+")


def decode(response: Response) -> str:
    """The page text, re-detecting the encoding when the declared one is wrong.

    w3lib's ``html_to_unicode`` (what Scrapy's ``TextResponse.text`` uses) trusts the BOM,
    the HTTP header and the ``<meta charset>``, in that order. Chinese sites serve
    GBK/GB2312 pages that declare UTF-8 (or nothing), which then decode into replacement
    characters; no library second-guesses a declaration, so that part is ours. We keep
    the declared reading unless it is full of U+FFFD, and otherwise decode strictly as
    GB18030 (w3lib's ``resolve_encoding`` maps GBK and GB2312 to it, a superset of both,
    the usual culprit), then as whatever charset-normalizer detects.
    """
    if isinstance(response, TextResponse):
        text = response.text
    else:
        content_type = response.headers.get(b"Content-Type")
        _, text = html_to_unicode(content_type.decode("latin-1") if content_type else None, response.body)
    if not text or text.count("\ufffd") / len(text) <= BAD_DECODE_RATIO:
        return text
    body = response.body
    try:
        return body.decode(GBK_SUPERSET)
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body).best()
    return str(best) if best is not None else text


def selector(response: Response) -> Selector:
    return Selector(text=decode(response), base_url=response.url)


def paragraphs(fragment: str) -> list[str]:
    """Split an HTML fragment into clean paragraphs.

    Paragraph breaks are block elements or two ``<br>`` in a row (Global Times separates
    paragraphs with ``<br /><br />``, not ``<p>``); a single ``<br>`` is a line break
    inside a paragraph.
    """
    fragment = remove_tags_with_content(fragment, which_ones=("script", "style", "noscript", "iframe"))
    fragment = _BLOCK.sub("\n\n", fragment)
    fragment = _BR.sub("\n", fragment)
    text = html.unescape(_TAG.sub("", fragment))
    out = []
    for block in _PARA_BREAK.split(text):
        lines = [_SPACES.sub(" ", line).strip() for line in block.split("\n")]
        para = " ".join(line for line in lines if line)
        if para:
            out.append(para)
    return out


def clean_space(text: str | None) -> str:
    return _SPACES.sub(" ", (text or "").replace("\n", " ")).strip()


def parse_time(text: str, formats: tuple[str, ...], zone: tzinfo) -> datetime | None:
    """The first format that parses ``text``, as an aware datetime in ``zone``."""
    text = clean_space(text)
    for fmt in formats:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    return None


def parse_stamp(value: str | None) -> datetime | date | None:
    """A timestamp as written: ISO 8601 (Atom, sitemaps, ``<time datetime>``) or RFC 822 (RSS).

    The offset the text gives is kept (``+08:00`` stays ``+08:00``); a time without one
    comes back naive, for the source's ``timezone``; a bare ``YYYY-MM-DD`` comes back as
    a ``date``, so a missing time is never mistaken for midnight.
    """
    value = clean_space(value)
    if not value:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def aware(moment: datetime | date | None, zone: tzinfo) -> datetime | None:
    """An aware datetime: naive times are read in ``zone``, a date is midnight there."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def feed_items(response: Response) -> Iterator[tuple[str, datetime | date | None]]:
    """The (absolute link, published time) of each RSS/Atom/RDF entry, read by feedparser.

    The time is the entry's published (else updated) text read by ``parse_stamp``, so
    its own offset survives; feedparser's ``*_parsed`` values are UTC ``struct_time``s
    that drop it, and are used only for the date formats ``parse_stamp`` cannot read.
    """
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    feed = feedparser.parse(
        response.body, response_headers={"content-location": response.url, "content-type": content_type}
    )
    for entry in feed.entries:
        link = clean_space(entry.get("link"))
        if link:
            yield response.urljoin(link), _entry_time(entry)


def _entry_time(entry: Any) -> datetime | date | None:
    for key in ("published", "updated", "created"):
        moment = parse_stamp(entry.get(key))
        if moment is not None:
            return moment
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return datetime(*parsed[:6]).replace(tzinfo=UTC)
    return None


def zone(name: str | None) -> tzinfo:
    return ZoneInfo(name or "UTC")


def page_lang(sel: Selector, default: str = "en") -> str:
    """The page's declared language (``<html lang="en-US">`` -> ``en``), else ``default``."""
    declared = (sel.xpath("/html/@lang").get() or "").strip().lower()
    return re.split(r"[-_]", declared)[0] or default
