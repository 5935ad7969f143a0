"""Global Times (www.globaltimes.cn): section pages, the news sitemap, and site search for back-fill."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from parsel import Selector
from scrapy.http import Request, Response
from scrapy.utils.sitemap import Sitemap

from crawler.base import BulletinSpider
from crawler.parsing import clean_space, page_lang, paragraphs, parse_time, selector

# Current URLs /page/YYYYMM/NNNNNNN.shtml; older ones /content/NNNNNN.shtml.
ARTICLE_PATH = re.compile(r"/(?:page/\d{6}/\d{6,8}|content/\d{4,8})\.shtml$")
# Text lines that are not part of the story: photo credits, the print headline, the
# site name left over at the end of the body.
NOISE_LINE = re.compile(
    r"^(?:(?:photo|photos|illustration|graphic|video|chart|infographic)\s*:"
    r"|newspaper headline\s*:|global times$)",
    re.IGNORECASE,
)
TIME_FORMATS = (
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)
# A caption line that ends with its credit ("Visitors at the exhibition on Sunday. Photo: VCG").
CREDITED_CAPTION = re.compile(
    r"\b(?:photo|photos|illustration|graphic|chart|infographic)\s*:\s*[^.:]{1,60}$", re.IGNORECASE
)
CREDIT_TAIL = 90
# A caption is short; a paragraph longer than this with a verb and a full stop is a
# sentence of the story and is never dropped as furniture, whatever sits beside it.
SENTENCE_MIN_CHARS = 120
SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]?(?:\s|$)")
# Enough to tell a sentence from a label: auxiliaries, reporting verbs, past forms.
VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|can|could|may|must|should|said|says"
    r"|told|\w{3,}ed)\b",
    re.IGNORECASE,
)
# Where a picture stood in the body: a paragraph of its own, so captions are judged by
# what they sit next to. U+E000 is a private-use character no page text needs.
PICTURE = "\ue000picture\ue000"
# Elements that mark their text up as a caption.
CAPTION_MARKUP = "figcaption, .caption, .picture_text, .pic_text, .photo_caption"
# The old layout's one line (about 2019 and earlier, sources.md 1.4):
# "By Liu Xin Source:Global Times Published: 2019/11/6 19:13:40" in div.span9.text-muted.
OLD_LINE = re.compile(
    r"^(?:By\s+(?P<byline>.+?)\s*)?(?:Source:\s*(?P<source>.+?)\s*)?Published:\s*(?P<published>.+)$",
    re.IGNORECASE,
)
POSTED_IN = re.compile(r"^Posted in:\s*(.+)$", re.IGNORECASE)
PUBLISHED = re.compile(r"Published:\s*(.+?)(?=\s*Updated:|$)", re.IGNORECASE)
UPDATED = re.compile(r"Updated:\s*(.+)$", re.IGNORECASE)
RESULTS_PER_PAGE = 10
TOTAL = re.compile(r"Total\s*:?\s*(\d+)\s*records", re.IGNORECASE)


class GlobalTimesSpider(BulletinSpider):
    """Reads ``sections`` and ``sitemap.xml`` each run; with ``since``, also the site search.

    Source keys: base_url, search_url, sections, sitemap, search_terms, timezone.
    """

    name = "globaltimes"

    def discover(self) -> Iterable[Request]:
        for section in self.source.get("sections", []):
            yield self.page_request(f"{self.base_url}/{section.lstrip('/')}", self.parse_listing)
        if self.source.get("sitemap", True):
            yield self.page_request(f"{self.base_url}/sitemap.xml", self.parse_sitemap)
        if self.since:
            for term in self.source.get("search_terms", []):
                yield self.search_request(term, 1)

    def is_article_url(self, url: str) -> bool:
        return bool(ARTICLE_PATH.search(url.split("?", 1)[0]))

    def parse_page(self, response: Response) -> Iterable[Any]:
        if b"<urlset" in response.body[:2000] or b"<sitemapindex" in response.body[:2000]:
            return self.parse_sitemap(response)
        return self.parse_listing(response)

    # -- discovery ----------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterable[Request]:
        yield from self._article_links(response, selector(response))

    def _article_links(self, response: Response, sel: Selector) -> Iterable[Request]:
        for href in sel.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if self.is_article_url(url) and self.keep(url):
                yield self.article_request(url)

    def parse_sitemap(self, response: Response) -> Iterable[Request]:
        self.check_xml(response)
        for entry in Sitemap(response.body):
            url = entry.get("loc", "")
            when = entry.get("lastmod") or entry.get("news", {}).get("publication_date")
            day = _date_prefix(when)
            if self.is_article_url(url) and self.in_range(day):
                yield self.article_request(url)

    def search_request(self, term: str, page: int) -> Request:
        search = self.source.get("search_url") or self.base_url
        params = {
            "tempkey": term,
            "page_no": page,
            "begin_date": self.since.isoformat() if self.since else "",
            "end_date": (self.until or date.today()).isoformat(),
        }
        return self.page_request(
            f"{search}/SearchCtrl?{urlencode(params)}",
            self.parse_search,
            cb_kwargs={"term": term, "page": page},
        )

    def parse_search(self, response: Response, term: str, page: int) -> Iterable[Request]:
        sel = selector(response)
        yield from self._article_links(response, sel)
        total = TOTAL.search(sel.xpath("string(//body)").get() or "")
        if total and page * RESULTS_PER_PAGE < int(total.group(1)):
            yield self.search_request(term, page + 1)

    # -- article ------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[Any]:
        """An article page, in the current layout or the old one (about 2019 and earlier:
        ``div.article-title``, one ``div.span9.text-muted`` line for byline and time,
        ``div.row-content`` for the body, "Posted in:" for the section)."""
        html = self.page_text(response)
        sel = Selector(text=html, base_url=response.url)
        title = clean_space(
            (sel.css("div.article_title") or sel.css("div.article-title h3") or sel.css("div.article-title"))
            .xpath("string()")
            .get()
        )
        body = sel.css("div.article_right") or sel.css("div.article_content") or sel.css("div.row-content")
        for junk in body.css(".author_card, .with_name_card, script, style"):
            junk.drop()
        for picture in body.css(f"div.picture, figure, {CAPTION_MARKUP}"):
            _mark_picture(picture)
        paras = body_paragraphs(paragraphs(body.get() or ""))
        url = response.meta.get("bulletin_url", response.url)
        paras = self.checked_body(sel, html, paras, url, tidy=body_paragraphs)
        stamp = clean_space(sel.css("span.pub_time").xpath("string()").get())
        published = _stamp_time(PUBLISHED, stamp, self.zone)
        byline = re.sub(r"^By\s+", "", clean_space(sel.css("span.byline").xpath("string()").get()))
        section = clean_space(sel.css("div.article_column").xpath("string()").get())
        # The old layout's date line: div.span9.text-muted ("By Zhang Hui Source:Global
        # Times Published: 2019/8/28 13:42:26"), or .text-left inside div.row-fluid.article-title
        # ("Source:Global Times Published: 2019/11/28 21:23:40", real pages).
        old_lines = sel.css("div.span9.text-muted, div.article-title .text-left").xpath("string()").getall()
        for line in (clean_space(t) for t in old_lines):
            old = OLD_LINE.match(line)
            if old and not stamp and published is None:
                published = parse_time(old.group("published").strip(), TIME_FORMATS, self.zone)
                byline = byline or (old.group("byline") or "").strip()
            posted = POSTED_IN.match(line)
            if posted and not section:
                section = " / ".join(filter(None, (clean_space(s) for s in posted.group(1).split(","))))
        author = byline or sel.css("meta#MetaAuthor::attr(content)").get()
        published = self.publication_time(sel, html, url, ("page", published))
        yield self.make_article(
            url,
            title,
            paras,
            published,
            raw_html=html,
            byline=author or None,
            section=section or None,
            lang=page_lang(sel),
        )


def _mark_picture(element: Selector) -> None:
    """Put a picture marker where a picture (or a caption marked up as one) stood.

    The text inside it is a caption ("Photo: Xinhua" after the image) and goes, unless it
    reads as a sentence of the story (unclosed markup can pull the lead inside): that is
    kept as a paragraph of its own. The text right after it (lxml's ``tail``) stays in the
    body: whether it is a caption is for ``body_paragraphs`` to prove.
    """
    node = element.root
    if not hasattr(node, "getchildren"):
        return
    kept = [p for p in paragraphs(element.get() or "") if sentence_like(p)]
    tail = node.tail
    for child in list(node):
        node.remove(child)
    node.attrib.clear()
    node.tag = "div"
    node.text = PICTURE
    for text in kept:
        paragraph = node.makeelement("p", {})
        paragraph.text = text
        node.append(paragraph)
    node.tail = tail


def sentence_like(text: str) -> bool:
    """A sentence of the story: long, with a verb and a full stop. Never furniture."""
    return len(text) > SENTENCE_MIN_CHARS and bool(SENTENCE_END.search(text)) and bool(VERB.search(text))


def credit_line(text: str) -> bool:
    """Furniture on a line of its own: "Photo: VCG", "Newspaper headline: …", "Global Times"."""
    return bool(NOISE_LINE.match(text)) and not sentence_like(text)


def body_paragraphs(paras: list[str]) -> list[str]:
    """The story's paragraphs: furniture removed only where it is proven to be furniture.

    A paragraph goes when it is a credit line, ends with its credit ("Visitors at the
    exhibition. Photo: VCG"), or is a short line right after a picture followed by its
    credit line. Anything that reads as a sentence (``sentence_like``) stays.
    """
    out = []
    for i, para in enumerate(paras):
        if para == PICTURE:
            continue
        after_picture = i > 0 and paras[i - 1] == PICTURE
        before_credit = i + 1 < len(paras) and credit_line(paras[i + 1])
        # The credit sits at the end: only the tail can match (a 60-character credit and its label).
        credited = ":" in para[-CREDIT_TAIL:] and CREDITED_CAPTION.search(para[-CREDIT_TAIL:]) is not None
        furniture = credit_line(para) or credited or (after_picture and before_credit)
        if furniture and not sentence_like(para):
            continue
        out.append(para)
    return out


def _stamp_time(pattern: re.Pattern[str], stamp: str, zone: tzinfo) -> datetime | None:
    found = pattern.search(stamp)
    return parse_time(found.group(1), TIME_FORMATS, zone) if found else None


def _date_prefix(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
