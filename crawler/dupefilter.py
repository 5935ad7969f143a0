"""ArticleDupeFilter: scrapy-redis's shared duplicate filter, keyed on the archive's URL for articles.

Two links to one article (a feed's tracking parameters, a listing's plain link) are two
request URLs but one archive URL (``bulletin_url``). Keyed on that, no two workers
download one article, even when both find it in the same second, before either has
stored it. A redirected request keeps its original's meta, so it is keyed on its own URL,
else it would be taken for its own duplicate.
"""

from __future__ import annotations

import hashlib
import json

from scrapy.http import Request
from scrapy_redis.dupefilter import RFPDupeFilter


class ArticleDupeFilter(RFPDupeFilter):  # type: ignore[misc]  # scrapy-redis is untyped
    def request_fingerprint(self, request: Request) -> str:
        url = request.meta.get("bulletin_url")
        if not url or not request.meta.get("bulletin_article") or request.meta.get("redirect_urls"):
            return str(super().request_fingerprint(request))
        data = json.dumps({"article": url}, sort_keys=True)
        return hashlib.sha1(data.encode()).hexdigest()  # noqa: S324 (a fingerprint, not security)
