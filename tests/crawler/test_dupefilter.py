"""ArticleDupeFilter: the shared crawl's duplicate filter keys an article on its archive URL."""

from __future__ import annotations

from scrapy.http import Request

from crawler.dupefilter import ArticleDupeFilter


def article(url: str, canonical: str, **meta: object) -> Request:
    return Request(url, meta={"bulletin_article": True, "bulletin_url": canonical, **meta})


def test_two_links_to_one_article_are_one_request() -> None:
    seen = ArticleDupeFilter(server=None, key="k")
    plain = article("http://127.0.0.1:8000/page/1.shtml", "http://127.0.0.1:8000/page/1.shtml")
    tracked = article("http://127.0.0.1:8000/page/1.shtml?id=12", "http://127.0.0.1:8000/page/1.shtml")
    other = article("http://127.0.0.1:8000/page/2.shtml", "http://127.0.0.1:8000/page/2.shtml")
    assert seen.request_fingerprint(plain) == seen.request_fingerprint(tracked)
    assert seen.request_fingerprint(plain) != seen.request_fingerprint(other)


def test_a_redirected_article_request_is_not_its_own_duplicate() -> None:
    seen = ArticleDupeFilter(server=None, key="k")
    first = article("http://127.0.0.1:8000/old", "http://127.0.0.1:8000/old")
    redirected = article(
        "http://127.0.0.1:8000/new", "http://127.0.0.1:8000/old", redirect_urls=["http://127.0.0.1:8000/old"]
    )
    assert seen.request_fingerprint(first) != seen.request_fingerprint(redirected)


def test_pages_that_are_not_articles_keep_scrapy_redis_fingerprints() -> None:
    seen = ArticleDupeFilter(server=None, key="k")
    a = Request("http://127.0.0.1:8000/news/?page=2")
    b = Request("http://127.0.0.1:8000/news/?page=3")
    assert seen.request_fingerprint(a) != seen.request_fingerprint(b)
