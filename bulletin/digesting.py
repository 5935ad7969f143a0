"""Assemble a digest from the archive, write its files, and mail it at most once per period."""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bulletin.config import Settings
from bulletin.crawl import failed_sources as failed
from bulletin.errors import BulletinError
from bulletin.periods import Period
from bulletin.records import CrawlStats, Digest
from bulletin.store import Store, utcnow

logger = logging.getLogger(__name__)

EXTENSIONS = {"html": "html", "txt": "txt", "md": "md", "atom": "xml"}
# The feed readers subscribe to, rewritten beside the dated files by each daily or weekly
# digest; it carries the cases of that many latest digests of its kind, so a reader that
# polls less often than the digests come still sees every case.
FEED_FILE = "feed.atom"
FEED_DIGESTS = 14


def arrival_window(store: Store, period: Period, now: datetime) -> tuple[datetime, datetime]:
    """The ``[from, until)`` first-stored times a daily or weekly digest of ``period`` covers.

    It starts where the window of the previous digest of its kind ended (at the period's
    start for the first one) and runs to ``now``, so it includes what the crawl just before
    it stored, and consecutive digests share nothing and miss nothing, however late or
    irregular they run. Once the period is over the window is recorded: rendering that
    period again shows the same cases (a read-only archive is read as it is: nothing is
    recorded). A period back-filled between two recorded ones ends where the later one starts.
    """
    recorded = store.digest_window(period.key)
    if recorded is not None:
        return recorded.stored_from, recorded.stored_until
    before, after = store.neighbour_windows(period.kind, period.start)
    start = before.stored_until if before is not None else period.start
    until = now if after is None else min(now, after.stored_from)
    until = max(until, start)
    if now >= period.end and not store.read_only:
        window = store.record_digest_window(period.key, period.kind, period.start, period.end, start, until)
        return window.stored_from, window.stored_until
    return start, until


def build_digest(
    store: Store,
    period: Period,
    failed_sources: list[str] | None = None,
    now: datetime | None = None,
    near_line: float = 0.0,
) -> Digest:
    """The digest record for ``period``.

    Daily and weekly digests select cases by when they reached the archive (see
    ``arrival_window``); a custom since/until range selects by publication date, for
    reports. Failed sources default to those whose last crawl started in the window (or
    the custom range) counted as failed. ``near_line`` > 0 also lists the stories judged
    not a case whose relevance score reaches it, so a wrong "irrelevant" is seen, not lost.
    """
    if not 0 <= near_line < 0.5:
        raise BulletinError(f"digest.near_line must be at least 0 and below 0.5, got {near_line}")
    now = now or utcnow()
    zone = period.start.tzinfo
    if period.kind == "custom":
        start, end = period.start, period.end
        cases = store.cases(start, end)
        near = store.cases(start, end, near=near_line) if near_line > 0 else []
        previous_start, previous_end = period.previous()
        previous = store.cases(previous_start, previous_end)
        stored_from = stored_until = None
    else:
        start, end = arrival_window(store, period, now)
        cases = store.cases(start, end, by="stored")
        near = store.cases(start, end, by="stored", near=near_line) if near_line > 0 else []
        before, _ = store.neighbour_windows(period.kind, period.start)
        if before is not None:
            previous = store.cases(before.stored_from, before.stored_until, by="stored")
        else:
            previous = store.cases(start - (period.end - period.start), start, by="stored")
        stored_from, stored_until = start.astimezone(zone), end.astimezone(zone)
    if failed_sources is None:
        failed_sources = failed_in(store, start, end)
    from bulletin.trends import trend_line

    # The month of the period's last day, in the digest's zone.
    trend = trend_line(store, (period.end - timedelta(microseconds=1)).astimezone(zone).date())
    return Digest(
        period=period.kind,
        start=period.start,
        end=period.end,
        generated_at=now,
        cases=tuple(cases),
        previous=tuple(previous),
        failed_sources=tuple(failed_sources),
        near_line=tuple(near),
        stored_from=stored_from,
        stored_until=stored_until,
        trend=trend,
    )


def failed_in(store: Store, start: datetime, end: datetime) -> list[str]:
    """Sources whose last crawl started in ``[start, end)`` failed: what `bulletin sources`
    said of them at the end of that time, and nothing that happened after it."""
    last: dict[str, CrawlStats] = {}
    for stats in store.crawl_stats_between(start, end):  # in run order: later runs overwrite
        last[stats.source] = stats
    return failed(list(last.values()))


def build_feed(store: Store, digest: Digest, now: datetime | None = None) -> Digest | None:
    """The stable feed's record: the cases of the latest ``FEED_DIGESTS`` digests of this
    digest's kind, or None when this is not the latest recorded one (an older period
    rendered again, a custom range, a period not over yet), which must not rewind the feed."""
    if digest.stored_until is None:
        return None
    latest = store.digest_windows(digest.period, datetime.max.replace(tzinfo=UTC), 1)
    if not latest or latest[0].stored_until != digest.stored_until:
        return None
    windows = store.digest_windows(digest.period, digest.stored_until, FEED_DIGESTS)
    start = windows[-1].stored_from
    return Digest(
        period=digest.period,
        start=digest.start,
        end=digest.end,
        generated_at=now or digest.generated_at,
        cases=tuple(store.cases(start, digest.stored_until, by="stored")),
        stored_from=start.astimezone(digest.start.tzinfo),
        stored_until=digest.stored_until,
    )


def write_digest(
    digest: Digest,
    period: Period,
    formats: list[str],
    out_dir: Path,
    templates: str = "",
    feed: Digest | None = None,
    feed_url: str = "",
) -> list[Path]:
    """Render each format into ``out_dir``, and the stable feed when given; return the paths written."""
    from digest.filters import safe_url
    from digest.render import FORMATS, make_env, render_digest

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise BulletinError(f"unknown digest format {', '.join(unknown)} (one of {', '.join(FORMATS)})")
    if feed_url and not safe_url(feed_url):
        raise BulletinError(f"digest.feed_url must be an http(s) URL, got {feed_url!r}")
    env = make_env(Path(templates).expanduser() if templates else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "digest-" + re.sub(r"[^0-9A-Za-z.-]+", "_", period.key)
    rendered = [(out_dir / f"{stem}.{EXTENSIONS[fmt]}", render_digest(digest, fmt, env)) for fmt in formats]
    if feed is not None and "atom" in formats:
        rendered.append(
            (out_dir / FEED_FILE, render_digest(feed, "atom", env, feed_url=feed_url, stable=True))
        )
    paths = []
    for path, text in rendered:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # readers never see a half-written digest
        paths.append(path)
    return paths


def send_digest(
    settings: Settings, store: Store, digest: Digest, period: Period, resend: bool = False
) -> str:
    """Mail the digest unless this period was already sent; return what happened, in words.

    The ledger row is written as ``sending`` before the SMTP exchange and becomes ``sent``
    once the server accepted the message, so a process killed in between leaves a trace. A
    period still ``sending`` (killed, or the connection lost before the server confirmed)
    may have been delivered: it is not mailed again without ``resend``, which reuses the
    period's Message-ID so the copy is recognisable as the same message.
    """
    from digest.deliver import DeliveryError, build_message, message_id, send
    from digest.render import make_env, render_digest

    if not settings["smtp.host"] or not settings["smtp.recipients"] or not settings["smtp.sender"]:
        raise BulletinError("--send needs smtp.host, smtp.sender and smtp.recipients in the config")
    previous = store.sent_digest(period.key)
    if previous and not resend:
        if previous["status"] == "sending":
            raise BulletinError(
                f"{period.key}: an earlier attempt to mail it ({previous['sent_at'][:19]}, Message-ID "
                f"{previous['message_id']}) did not finish and may have been delivered; check the inbox "
                "of the recipients, and send again with --resend if it is not there"
            )
        return f"not sent: {period.key} was already sent on {previous['sent_at'][:19]} (use --resend)"
    recipients = list(settings["smtp.recipients"])
    env = make_env(Path(settings["digest.templates"]).expanduser() if settings["digest.templates"] else None)
    subject = f"{settings['digest.title']}: {period.label}, {len(digest.cases)} new case" + (
        "" if len(digest.cases) == 1 else "s"
    )
    message = build_message(
        subject,
        render_digest(digest, "html", env),
        render_digest(digest, "txt", env),
        settings["smtp.sender"],
        recipients,
        message_id(period.key, settings["smtp.sender"], recipients),
    )
    smtp = {k: settings[f"smtp.{k}"] for k in ("host", "port", "security", "user", "timeout")}
    store.record_sent_digest(
        period.key, period.start, period.end, recipients, message["Message-ID"], status="sending"
    )
    try:
        send(message, smtp, os.environ.get("BULLETIN_SMTP_PASSWORD"))
    except DeliveryError as exc:
        if exc.uncertain:
            raise BulletinError(
                f"{exc}; {period.key} may have been delivered: check the inbox before sending again "
                "with --resend"
            ) from None
        store.forget_sending(period.key, previous)
        raise BulletinError(str(exc)) from None
    store.record_sent_digest(period.key, period.start, period.end, recipients, message["Message-ID"])
    return f"sent {period.key} to {', '.join(recipients)}"
