"""Canonical article URLs: the key every article is stored under."""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track where a reader came from; they never select content.
TRACKING_PARAMS = frozenset(
    {
        "from",
        "source",
        "spm",
        "share",
        "ref",
        "referrer",
        "fbclid",
        "gclid",
        "mc_cid",
        "mc_eid",
        "bm-verify",
        "cmpid",
        "ito",
        "s_cid",
        "sc",
    }
)
TRACKING_PREFIXES = ("utm_",)


def canonical_url(url: str, keep_query: bool = True) -> str:
    """Drop the fragment, tracking parameters and ``/alias`` suffixes; lower-case the host.

    w3lib's ``canonicalize_url`` (Scrapy's request fingerprints use it) does the generic
    part: scheme and host case, percent-encoding, dot segments, sorted query arguments,
    no fragment. What is ours, on top: the tracking parameters (courlan's filter is a
    fixed list without the ``spm``/``from``/``share`` the Chinese sites add, and it cannot
    be extended), DOJ's ``/alias`` duplicates, default ports, and, with
    ``keep_query=False``, dropping every query parameter (article pages whose query string
    never selects content, such as Global Times ``…/1332144.shtml?id=12``).
    """
    url = url.strip()
    if "://" not in url:
        url = "https://" + url.lstrip("/")
    parts = urlsplit(canonicalize_url(url, keep_fragments=False))
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    if parts.port and (scheme, parts.port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if path.endswith("/alias"):
        path = path[: -len("/alias")]
    query = ""
    if keep_query:
        # Filter the encoded pairs as they are, so w3lib's encoding and order are kept.
        query = "&".join(
            pair
            for pair in parts.query.split("&")
            if pair and not _tracking(unquote_plus(pair.split("=", 1)[0]).lower())
        )
    return urlunsplit((scheme, host, path, query, ""))


def _tracking(name: str) -> bool:
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def host_matches(host: str, domain: str) -> bool:
    """True when ``host`` is ``domain`` or one of its subdomains."""
    host, domain = host.lower(), domain.lower().lstrip(".")
    return host == domain or host.endswith("." + domain)


def site_domain(url: str) -> str:
    """``https://www.cps.gov.uk/feeds/news.xml`` -> ``cps.gov.uk``: the host without ``www.``."""
    return host_of(url).removeprefix("www.")


def is_loopback(host: str) -> bool:
    """True for this machine (127.0.0.0/8, ::1, localhost): test and sample servers."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
