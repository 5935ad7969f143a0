"""Canonical article URLs: the key every article is stored under."""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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

    With ``keep_query=False`` every query parameter goes (article pages whose query
    string never selects content, such as Global Times ``…/1332144.shtml?id=12``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower()
    if parts.port and (scheme, parts.port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    if path.endswith("/alias"):
        path = path[: -len("/alias")]
    query = ""
    if keep_query:
        pairs = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
        ]
        query = urlencode(sorted(pairs))
    return urlunsplit((scheme, host, path, query, ""))


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
