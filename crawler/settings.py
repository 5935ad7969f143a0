"""Scrapy settings for the Bulletin Watch crawler.

These are the project defaults. The bulletin configuration's [crawl] table (download
delay, concurrency, timeout, retries, page size limit, User-Agent) is applied on top by
``crawler.base.BulletinSpider.update_settings`` at "spider" priority, so both
``bulletin crawl`` and plain ``scrapy crawl`` honour it, and ``scrapy crawl -s KEY=VALUE``
still wins.
"""

BOT_NAME = "bulletin"

SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
# One spider per configured source (`scrapy crawl cps`, `scrapy list`), built from the
# kinds' spider classes in SPIDER_MODULES.
SPIDER_LOADER_CLASS = "crawler.spiderloader.SourceSpiderLoader"

# --- Politeness ----------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = "BulletinWatch (+mailto:bulletin-watch@example.org)"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- Robustness ------------------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# The spider's errback logs and counts each failure once; Scrapy's own line would repeat it.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Exponential back-off between retries (crawler.middlewares.BackoffRetryMiddleware).
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
# Redirects are followed, but a redirect off the source's domains is dropped by the
# offsite middleware (allowed_domains comes from the source's config).
REDIRECT_MAX_TIMES = 5
# A 404 or 500 reaches the spider's errback, which counts it per status.
HTTPERROR_ALLOW_ALL = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- Components, in the order they act -------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # First of all: nothing goes to a real site under the placeholder contact address.
    "crawler.middlewares.RequireContactMiddleware": 40,
    # Before anything else: an article already in the archive is not requested again.
    "crawler.middlewares.SkipStoredMiddleware": 50,
    # Scrapy's robots.txt check, in its place, without letting through requests that waited
    # for robots.txt (crawler.middlewares.ObeyRobotsTxtMiddleware says why).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.ObeyRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Responses pass middlewares in reverse order: this sees the final page after redirects.
    "crawler.middlewares.DetectChallengeMiddleware": 560,
    # Below HttpCompressionMiddleware (590), so it sees the body decompressed.
    "crawler.middlewares.DefuseXmlMiddleware": 570,
    # A redirected request comes back through here: another port of the host is another site.
    "crawler.middlewares.SamePortRedirectMiddleware": 60,
}

ITEM_PIPELINES = {
    "crawler.pipelines.validate.ValidateArticlePipeline": 100,
    "crawler.pipelines.relevance.ScoreRelevancePipeline": 200,
    "crawler.pipelines.store.StoreArticlePipeline": 300,
}

EXTENSIONS = {
    "crawler.extensions.ReportProgress": 500,
    "crawler.extensions.RecordRunStats": 510,
}

# --- Engine ----------------------------------------------------------------------------
FEED_EXPORT_ENCODING = "utf-8"
# Items (and requests) a callback yields that are processed at once. Scrapy starts this
# many asyncio tasks for every response, whatever it yields (100 by default: 120,000 tasks
# for 1,200 pages, a tenth of a crawl's time); an article page yields one item and the
# pipelines are synchronous, so more than a few buys nothing.
CONCURRENT_ITEMS = 4
LOG_LEVEL = "INFO"
