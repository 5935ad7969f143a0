"""Shared page-reading helpers: decode bytes honestly, turn HTML fragments into paragraphs, read dates."""

from __future__ import annotations

import html
import re
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import charset_normalizer
from parsel import Selector
from scrapy.http import Response, TextResponse
from w3lib.html import remove_tags_with_content

# A page is "mis-declared" when decoding it as declared gives this share of U+FFFD.
BAD_DECODE_RATIO = 0.001
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

    Chinese sites serve GBK/GB2312 pages that declare UTF-8 (or nothing); Scrapy then
    decodes them into replacement characters. We keep Scrapy's answer unless it is full
    of U+FFFD, and otherwise ask charset-normalizer, trying GB18030 (a superset of GBK
    and GB2312) first because that is the usual culprit.
    """
    text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
    if not text or text.count("\ufffd") / len(text) <= BAD_DECODE_RATIO:
        return text
    body = response.body
    try:
        return body.decode("gb18030")
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


def zone(name: str | None) -> tzinfo:
    return ZoneInfo(name or "UTC")


def page_lang(sel: Selector, default: str = "en") -> str:
    """The page's declared language (``<html lang="en-US">`` -> ``en``), else ``default``."""
    declared = (sel.xpath("/html/@lang").get() or "").strip().lower()
    return re.split(r"[-_]", declared)[0] or default
