"""Assemble a digest from the archive, write its files, and mail it at most once per period."""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from pathlib import Path

from bulletin.config import Settings
from bulletin.crawl import failed_sources as failed
from bulletin.errors import BulletinError
from bulletin.periods import Period
from bulletin.records import Digest
from bulletin.store import Store, utcnow

logger = logging.getLogger(__name__)

EXTENSIONS = {"html": "html", "txt": "txt", "md": "md", "atom": "xml"}


def build_digest(
    store: Store, period: Period, failed_sources: list[str] | None = None, now: datetime | None = None
) -> Digest:
    """The digest record for ``period``; failed sources default to the crawls since it began."""
    now = now or utcnow()
    previous_start, previous_end = period.previous()
    if failed_sources is None:
        failed_sources = failed(store.crawl_stats_between(period.start, max(now, period.end)))
    return Digest(
        period=period.kind,
        start=period.start,
        end=period.end,
        generated_at=now,
        cases=tuple(store.cases(period.start, period.end)),
        previous=tuple(store.cases(previous_start, previous_end)),
        failed_sources=tuple(failed_sources),
    )


def write_digest(
    digest: Digest, period: Period, formats: list[str], out_dir: Path, templates: str = ""
) -> list[Path]:
    """Render each format into ``out_dir``; return the paths written."""
    from digest.render import FORMATS, make_env, render_digest

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise BulletinError(f"unknown digest format {', '.join(unknown)} (one of {', '.join(FORMATS)})")
    env = make_env(Path(templates).expanduser() if templates else None)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "digest-" + re.sub(r"[^0-9A-Za-z.-]+", "_", period.key)
    paths = []
    for fmt in formats:
        path = out_dir / f"{stem}.{EXTENSIONS[fmt]}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(render_digest(digest, fmt, env), encoding="utf-8")
        tmp.replace(path)  # readers never see a half-written digest
        paths.append(path)
    return paths


def send_digest(
    settings: Settings, store: Store, digest: Digest, period: Period, resend: bool = False
) -> str:
    """Mail the digest unless this period was already sent; return what happened, in words."""
    from digest.deliver import DeliveryError, build_message, send
    from digest.render import make_env, render_digest

    if not settings["smtp.host"] or not settings["smtp.recipients"] or not settings["smtp.sender"]:
        raise BulletinError("--send needs smtp.host, smtp.sender and smtp.recipients in the config")
    sent = store.sent_digest(period.key)
    if sent and not resend:
        return f"not sent: {period.key} was already sent on {sent['sent_at'][:19]} (use --resend)"
    env = make_env(Path(settings["digest.templates"]).expanduser() if settings["digest.templates"] else None)
    subject = f"{settings['digest.title']}: {period.label}, {len(digest.cases)} new case" + (
        "" if len(digest.cases) == 1 else "s"
    )
    message = build_message(
        subject,
        render_digest(digest, "html", env),
        render_digest(digest, "txt", env),
        settings["smtp.sender"],
        list(settings["smtp.recipients"]),
    )
    smtp = {k: settings[f"smtp.{k}"] for k in ("host", "port", "security", "user", "timeout")}
    try:
        send(message, smtp, os.environ.get("BULLETIN_SMTP_PASSWORD"))
    except DeliveryError as exc:
        raise BulletinError(str(exc)) from None
    store.record_sent_digest(
        period.key, period.start, period.end, list(settings["smtp.recipients"]), message["Message-ID"]
    )
    return f"sent {period.key} to {', '.join(settings['smtp.recipients'])}"
