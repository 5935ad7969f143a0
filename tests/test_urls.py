"""Canonical URLs: the key every article is stored under."""

from __future__ import annotations

import pytest

from bulletin.urls import canonical_url, host_matches


@pytest.mark.parametrize(
    ("url", "keep_query", "expected"),
    [
        (
            "https://www.globaltimes.cn/page/202504/1332144.shtml?id=12",
            False,
            "https://www.globaltimes.cn/page/202504/1332144.shtml",
        ),
        (
            "https://WWW.Example.org/a?utm_source=x&b=2&a=1#frag",
            True,
            "https://www.example.org/a?a=1&b=2",
        ),
        (
            "https://www.justice.gov/opa/pr/some-release/alias",
            True,
            "https://www.justice.gov/opa/pr/some-release",
        ),
        ("http://127.0.0.1:8123/page/1.shtml", False, "http://127.0.0.1:8123/page/1.shtml"),
        ("https://example.org:443/x", True, "https://example.org/x"),
    ],
)
def test_canonical_url(url: str, keep_query: bool, expected: str) -> None:
    assert canonical_url(url, keep_query=keep_query) == expected


def test_host_matches_subdomains_only() -> None:
    assert host_matches("global.chinadaily.com.cn", "chinadaily.com.cn")
    assert host_matches("chinadaily.com.cn", "chinadaily.com.cn")
    assert not host_matches("notchinadaily.com.cn", "chinadaily.com.cn")
