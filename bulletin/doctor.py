"""`bulletin doctor`: check the model, the archive, each enabled source, the SMTP settings and
what the archive's watchlists need to deliver their alerts.

Each check yields one ``Check``; nothing is crawled, written or mailed. Sources get one
GET of their root with a short timeout; SMTP gets a connection and an EHLO.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bulletin.config import Settings, SourceConfig
from bulletin.database import is_url, shown
from bulletin.errors import BulletinError

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"


@dataclass(frozen=True)
class Check:
    status: str  # OK, WARN, FAIL or SKIP; only FAIL makes doctor exit non-zero
    what: str
    detail: str


def run_checks(settings: Settings, model: str | None, timeout: float) -> Iterator[Check]:
    """Every check, in the order shown; each is yielded as soon as it is done."""
    yield check_config(settings)
    yield check_model(model, settings.models_dir)
    yield check_archive(settings.db)
    yield from check_sources(settings, timeout)
    yield check_smtp(settings, timeout)
    yield from check_watchlists(settings)


def check_config(settings: Settings) -> Check:
    """The config read; FAIL while ``crawl.contact`` is a placeholder and an enabled source is
    a real site, since `bulletin crawl` refuses to request anything from it then."""
    from bulletin.urls import host_of, is_loopback

    files = ", ".join(settings.files) or "shipped defaults only"
    enabled = [s for s in settings.sources.values() if s.enabled]
    summary = f"{files}; {len(settings.sources)} sources, {len(enabled)} enabled"
    problem = settings.contact_problem
    real = sorted({host_of(u) for s in enabled for u in s.site_urls if u and not is_loopback(host_of(u))})
    if problem and real:
        return Check(
            FAIL,
            "config",
            f"{summary}; crawl.contact: {problem}: crawls of {', '.join(real)} are refused until it is "
            "an address where their owners can reach you (in [crawl] or BULLETIN_CRAWL_CONTACT)",
        )
    return Check(OK, "config", summary)


def check_model(model: str | None, models_dir: Path | None = None) -> Check:
    from bulletin.extracting import load_pipeline

    try:
        pipeline = load_pipeline(model, models_dir)
    except BulletinError as exc:
        return Check(FAIL, "model", str(exc))
    import nlp

    name = f"{pipeline.meta.get('lang', '')}_{pipeline.meta.get('name', '')}"
    local = [t for t in ("roles", "attribution") if models_dir is not None and (models_dir / t).is_dir()]
    trained = (
        f"; classifiers trained by `bulletin train`: {', '.join(local)} in {models_dir}" if local else ""
    )
    return Check(
        OK,
        "model",
        f"{name} {pipeline.meta.get('version', '')} loads (pipeline {nlp.PIPELINE_VERSION}){trained}",
    )


def check_archive(target: str | Path) -> Check:
    from bulletin.store import archive_status, check_writable

    what = f"archive {shown(target)}"
    if is_url(target):
        try:
            version, latest = archive_status(str(target))
            check_writable(str(target))
        except BulletinError as exc:
            return Check(FAIL, what, str(exc).removeprefix(f"{shown(target)}: "))
        if version == 0:
            return Check(
                WARN,
                what,
                "PostgreSQL reachable and writable; no archive yet, the first `bulletin crawl` creates it",
            )
        return _version_check(what, version, latest)
    path = Path(target)
    if not path.exists():
        folder = next((p for p in path.parents if p.exists()), Path())
        if not os.access(folder, os.W_OK):
            return Check(FAIL, what, f"does not exist and {folder} is not writable")
        return Check(WARN, what, "does not exist yet; the first `bulletin crawl` creates it")
    try:
        version, latest = archive_status(path)
        check_writable(path)
    except BulletinError as exc:
        return Check(FAIL, what, str(exc).removeprefix(f"{path}: "))
    return _version_check(what, version, latest)


def _version_check(what: str, version: int, latest: int) -> Check:
    if version > latest:
        return Check(FAIL, what, f"schema version {version} is newer than this program ({latest})")
    if version < latest:
        return Check(WARN, what, f"writable; schema version {version}, migrated to {latest} when next opened")
    return Check(OK, what, f"writable, schema version {version} (latest)")


def probe_url(source: SourceConfig) -> str | None:
    """The URL that stands for a source: its site root, else its first feed, listing or sitemap."""
    if source.base_url:
        return source.base_url + "/"
    for key in ("feeds", "listings", "sitemaps"):
        if source.get(key):
            return str(source.get(key)[0])
    return None


def check_source(source: SourceConfig, user_agent: str, timeout: float) -> Check:
    what = f"source {source.name}"
    url = probe_url(source)
    if url is None:
        return Check(FAIL, what, "no base_url, feeds, listings or sitemaps to reach")
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})  # noqa: S310 (http(s) from config)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Check(FAIL, what, f"{url}: unreachable ({reason})")
    seconds = time.monotonic() - start
    if status >= 500:
        return Check(FAIL, what, f"{url}: HTTP {status} (server error)")
    if status >= 400:
        return Check(WARN, what, f"{url}: reachable but answers HTTP {status} (bot challenge or moved?)")
    return Check(OK, what, f"{url}: HTTP {status} in {seconds:.2f} s")


def check_sources(settings: Settings, timeout: float) -> Iterator[Check]:
    """One line per enabled source, probed in parallel, reported in config order."""
    enabled = [s for s in settings.sources.values() if s.enabled]
    if not enabled:
        yield Check(WARN, "sources", "none enabled: `bulletin crawl` needs a source named")
        return
    with ThreadPoolExecutor(max_workers=min(8, len(enabled))) as pool:
        yield from pool.map(lambda s: check_source(s, settings.user_agent, timeout), enabled)


def check_smtp(settings: Settings, timeout: float) -> Check:
    """Settings complete and the server answering EHLO; no mail is sent."""
    from digest.deliver import SECURITY

    host, port, security = settings["smtp.host"], settings["smtp.port"], settings["smtp.security"]
    if not host:
        return Check(SKIP, "smtp", "sending not configured (smtp.host is empty)")
    what = f"smtp {host}:{port}"
    problems = []
    if security not in SECURITY:
        problems.append(f"smtp.security must be one of {', '.join(SECURITY)}, not {security!r}")
    if "@" not in settings["smtp.sender"]:
        problems.append(f"smtp.sender is not an address: {settings['smtp.sender']!r}")
    recipients = settings["smtp.recipients"]
    if not recipients:
        problems.append("smtp.recipients is empty")
    problems += [f"smtp.recipients: not an address: {r!r}" for r in recipients if "@" not in str(r)]
    if settings["smtp.user"] and not os.environ.get("BULLETIN_SMTP_PASSWORD"):
        problems.append("smtp.user is set but BULLETIN_SMTP_PASSWORD is not")
    if problems:
        return Check(FAIL, what, "; ".join(problems))
    try:
        if security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            code, _ = client.ehlo()
            starttls = client.has_extn("starttls")
    except (OSError, smtplib.SMTPException) as exc:
        return Check(FAIL, what, f"no SMTP conversation: {exc}")
    if code != 250:
        return Check(FAIL, what, f"EHLO answered {code}")
    if security == "starttls" and not starttls:
        return Check(FAIL, what, "server does not offer STARTTLS (set smtp.security)")
    return Check(OK, what, f"answers EHLO ({security}); {len(recipients)} recipients; no mail sent")


def check_watchlists(settings: Settings) -> Iterator[Check]:
    """One line when the archive has watchlists: WARN when one posts to a webhook without
    $BULLETIN_WEBHOOK_SECRET (nothing is posted then) or mails alerts with no smtp.host. An
    archive that is missing, broken or not yet migrated is the archive check's to report."""
    from bulletin.alerts import SECRET_ENV
    from bulletin.store import Store, archive_status
    from bulletin.watchlists import watchlists

    target = settings.db
    if not is_url(target) and not Path(target).exists():
        return
    try:
        version, latest = archive_status(target)
        if version != latest:
            return
        with Store.open(target) as store:
            found = watchlists(store)
    except BulletinError:
        return
    if not found:
        return
    problems = []
    hooks = [w.name for w in found if w.webhook]
    if hooks and not os.environ.get(SECRET_ENV):
        problems.append(
            f"{', '.join(hooks)} post to a webhook but {SECRET_ENV} is not set: nothing is posted"
        )
    mailed = [w.name for w in found if w.emails]
    if mailed and not settings["smtp.host"]:
        problems.append(f"{', '.join(mailed)} mail alerts but smtp.host is empty: nothing is mailed")
    detail = f"{len(found)} watchlist{'s' if len(found) != 1 else ''}"
    yield Check(WARN if problems else OK, "watchlists", "; ".join([detail, *problems]))


def summary(checks: list[Check]) -> str:
    counts = {status: sum(c.status == status for c in checks) for status in (OK, WARN, FAIL, SKIP)}
    words = {OK: "ok", WARN: "warnings", FAIL: "failed", SKIP: "skipped"}
    verdict = "problems found" if counts[FAIL] else "all good" if not counts[WARN] else "usable"
    return f"doctor: {verdict}: " + ", ".join(f"{counts[s]} {words[s]}" for s in (OK, WARN, FAIL, SKIP))
