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

ARTICLE_PATH = re.compile(r"/page/\d{6}/\d{6,8}\.shtml$")
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
# Longer text beside a picture is a paragraph of the story, not its caption.
CAPTION_MAX_CHARS = 300
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
        for picture in body.css("div.picture"):
            _drop_caption(picture)
        for junk in body.css("div.picture, .author_card, .with_name_card, script, style"):
            junk.drop()
        paras = [p for p in paragraphs(body.get() or "") if not _noise(p)]
        stamp = clean_space(sel.css("span.pub_time").xpath("string()").get())
        published = _stamp_time(PUBLISHED, stamp, self.zone)
        byline = re.sub(r"^By\s+", "", clean_space(sel.css("span.byline").xpath("string()").get()))
        section = clean_space(sel.css("div.article_column").xpath("string()").get())
        for line in (clean_space(t) for t in sel.css("div.span9.text-muted").xpath("string()").getall()):
            old = OLD_LINE.match(line)
            if old and not stamp:
                published = parse_time(old.group("published").strip(), TIME_FORMATS, self.zone)
                byline = byline or (old.group("byline") or "").strip()
            posted = POSTED_IN.match(line)
            if posted and not section:
                section = " / ".join(filter(None, (clean_space(s) for s in posted.group(1).split(","))))
        author = byline or sel.css("meta#MetaAuthor::attr(content)").get()
        yield self.make_article(
            response.meta.get("bulletin_url", response.url),
            title,
            paras,
            published,
            raw_html=html,
            byline=author or None,
            section=section or None,
            lang=page_lang(sel),
        )


def _drop_caption(picture: Selector) -> None:
    """Drop the caption written as bare text right after a picture (up to the next tag).

    Dropping the picture alone keeps that text (lxml's ``drop_tree`` keeps an element's
    tail), and only a caption that starts with its credit ("Photo: VCG") matched a noise
    line; a described one ("Staff at the exhibition. Photo: VCG") stayed in the story.
    """
    element = picture.root
    tail = getattr(element, "tail", None)
    if tail and len(tail.strip()) <= CAPTION_MAX_CHARS:
        element.tail = None


def _noise(line: str) -> bool:
    return bool(NOISE_LINE.match(line)) or (
        len(line) <= CAPTION_MAX_CHARS and CREDITED_CAPTION.search(line) is not None
    )


def _stamp_time(pattern: re.Pattern[str], stamp: str, zone: tzinfo) -> datetime | None:
    found = pattern.search(stamp)
    return parse_time(found.group(1), TIME_FORMATS, zone) if found else None


def _date_prefix(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None
