"""Shared page-reading helpers: decode bytes honestly, read feeds, turn HTML into paragraphs, read dates."""

from __future__ import annotations

import codecs
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
    """The page text, decoded as ``decoding`` decides."""
    return decoding(response)[0]


def decoding(response: Response) -> tuple[str, str]:
    """The page text and how it was decoded: ``declared`` (as the page says), or
    ``utf-8``, ``gb18030``, ``detected`` when the declaration was wrong.

    w3lib's ``html_to_unicode`` (what Scrapy's ``TextResponse.text`` uses) trusts the BOM,
    the HTTP header and the ``<meta charset>``, in that order, and no library second-guesses
    a declaration, so that part is ours. Bytes that are valid UTF-8 are read as UTF-8
    whatever the page declares: a page declared GBK whose bytes are UTF-8 decodes "as
    declared" without one error, into mojibake ("China鈥檚" for "China's"), while text
    really in GBK, Latin-1 or cp1252 is almost never valid UTF-8. Otherwise the declared
    reading is kept unless it is full of U+FFFD; then a strict GB18030 (w3lib maps GBK and
    GB2312 to it, a superset of both: Chinese sites serve GBK pages that declare UTF-8),
    then whatever charset-normalizer detects.
    """
    body = response.body
    if isinstance(response, TextResponse):
        text, declared = response.text, response.encoding
    else:
        content_type = response.headers.get(b"Content-Type")
        declared, text = html_to_unicode(content_type.decode("latin-1") if content_type else None, body)
    if not body.isascii():
        try:
            utf8 = body.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return utf8, "declared" if _is_utf8(declared) else "utf-8"
    if not text or text.count("\ufffd") / len(text) <= BAD_DECODE_RATIO:
        return text, "declared"
    try:
        return body.decode(GBK_SUPERSET), "gb18030"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body).best()
    return (str(best), "detected") if best is not None else (text, "declared")


def _is_utf8(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "").name in ("utf-8", "utf-8-sig")
    except LookupError:
        return False


# An XML prolog: declaration, comments, processing instructions and a DOCTYPE with its
# internal subset (entity declarations), which may run to any length before the root.
_PROLOG = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!doctype[^\[>]*(\[.*?\]\s*)?>)", re.I | re.S)
_ROOT = re.compile(rb"\s*<([a-z][\w:.-]*)", re.I)
_SUBSET = re.compile(rb"<!doctype[^\[>]*\[(.*?)\]\s*>", re.I | re.S)
_ENTITY = re.compile(rb"<!entity\s+%?\s*[\w:.-]+\s+(system|public|[\"'])", re.I)
_ENTITY_REF = re.compile(rb"&[a-z_][\w:.-]*;", re.I)
# Where to look for the root element: a DOCTYPE longer than this is hostile anyway.
XML_HEAD_BYTES = 1 << 20


def xml_root(body: bytes) -> str:
    """The lower-cased name of an XML document's root element ("rss", "urlset"), "" if none.

    Skips the prolog, however long: a DOCTYPE full of entity declarations (an entity bomb)
    can push the root past any fixed-size peek, and the feed would be taken for a page.
    """
    head, pos = body[:XML_HEAD_BYTES], 0
    if head.startswith(codecs.BOM_UTF8):
        pos = len(codecs.BOM_UTF8)
    while (found := _PROLOG.match(head, pos)) is not None:
        pos = found.end()
    root = _ROOT.match(head, pos)
    return root.group(1).decode("ascii", "replace").lower() if root else ""


def hostile_xml(body: bytes) -> bool:
    """Does the DOCTYPE declare external entities (XXE) or entities built of other entities
    (a "billion laughs" bomb)? The parsers never expand them; this is for counting."""
    subset = _SUBSET.search(body[:XML_HEAD_BYTES])
    if subset is None:
        return False
    declarations = subset.group(1)
    external = any(kind.lower() in (b"system", b"public") for kind in _ENTITY.findall(declarations))
    nested = bool(_ENTITY.search(declarations)) and bool(_ENTITY_REF.search(declarations))
    return external or nested


# Entity references other than XML's five predefined ones and character references.
_DECLARED_REF = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)[a-z_][\w:.-]*;", re.I)


def defuse_xml(body: bytes) -> bytes:
    """The document without its DOCTYPE's internal subset and without references to the
    entities declared there, so a parser reads every plain element of it.

    libxml2 (lxml: Scrapy's sitemap reader) never expands such entities, but stops reading
    at the first reference to one ("&lol9;" in a <lastmod>): only the links before it
    were read. What the references stood for is lost; what a hostile document declares
    was never content.
    """
    subset = _SUBSET.search(body[:XML_HEAD_BYTES])
    if subset is None:
        return body
    return _DECLARED_REF.sub(b"", body[: subset.start()] + body[subset.end() :])


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


# Tags that never hold others (HTML's void elements): no depth of their own.
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()  # noqa: SIM905 (a word list)
)
_TAG_TOKEN = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")


def nesting_depth(html_text: str) -> int:
    """How deep the page's elements nest at most, read from its tags (unclosed ones count)."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG_TOKEN.findall(html_text):
        if name.lower() in _VOID or self_closing:
            continue
        if closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


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


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
SCRIPT_SAMPLE = 3000


def script_lang(text: str, default: str = "en") -> str:
    """``zh`` for text written mostly in Chinese characters, else ``default``.

    For pages that declare no language (China Daily's Chinese edition has no
    ``<html lang>``): the script tells Chinese from English, nothing finer. The first
    ``SCRIPT_SAMPLE`` characters decide; a text without one Chinese character is not counted.
    """
    sample = text[:SCRIPT_SAMPLE]
    if not _CJK.search(sample):
        return default
    cjk, latin = len(_CJK.findall(sample)), len(_LATIN.findall(sample))
    return "zh" if cjk >= latin / 4 else default


def page_lang(sel: Selector, default: str = "en") -> str:
    """The page's declared language (``<html lang="en-US">`` -> ``en``); without one, what
    its script says (``script_lang`` of the body text: ``zh`` or ``default``), so a Chinese
    page that declares nothing is not stored as English."""
    declared = (sel.xpath("/html/@lang").get() or "").strip().lower()
    lang = re.split(r"[-_]", declared)[0]
    if lang:
        return lang
    shown = sel.xpath("concat(string(//title), ' ', string(//h1))").get() or ""
    return script_lang(shown + " " + (sel.xpath("string(//body)").get() or "")[:SCRIPT_SAMPLE], default)


# Quotes and dashes a page's description and its body may spell differently.
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_ELLIPSIS = re.compile(r"\s*(?:\u2026|\.{3})\s*$")
# A description this short ("Global Times") says nothing about the body.
DESCRIPTION_MIN_CHARS = 40


def normalised(text: str) -> str:
    """Text compared as words: one space, straight quotes, plain dashes, case-folded."""
    return _SPACES.sub(" ", html.unescape(text).translate(_QUOTES).replace("\n", " ")).strip().casefold()


def page_description(sel: Selector) -> str:
    """The page's own summary: og:description, else meta description ("" when none)."""
    for css in ("meta[property='og:description']::attr(content)", "meta[name='description']::attr(content)"):
        value = clean_space(sel.css(css).get())
        if value:
            return value
    return ""


def holds_description(text: str, description: str) -> bool:
    """Does ``text`` contain the description (the lead's start, perhaps cut short with "…")?

    A description cut mid-word still matches: its last, partial word is a prefix of the
    body's word, so plain substring search finds it.
    """
    wanted = normalised(_ELLIPSIS.sub("", description))
    return len(wanted) < DESCRIPTION_MIN_CHARS or wanted in normalised(text)


def visible_text(sel: Selector) -> str:
    """The text a reader sees in the page's body (scripts, styles and templates left out)."""
    parts = sel.xpath(
        "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
        " and not(ancestor::template)]"
    ).getall()
    return " ".join(parts)
