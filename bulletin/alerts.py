"""Watchlist alerts: raised once per watchlist, story and version after each extraction, then
delivered by mail, by a signed webhook POST and in a per-watchlist Atom feed.

``check_alerts`` is what `bulletin extract`, `bulletin run` (and so the scheduler) and
`bulletin watch check` call. Raising an alert is a row in ``watch_alerts``, unique per
(watchlist, story, version), so a rerun raises nothing new; each channel keeps its own state
in that row, so a mail is sent once and a webhook delivery that failed is tried again on the
next run (a bounded number of times), without holding up the run for long.

Webhook requests carry ``X-Bulletin-Signature: sha256=HEX``, the HMAC-SHA256 of
``TIMESTAMP + "." + BODY`` keyed with ``$BULLETIN_WEBHOOK_SECRET``, where TIMESTAMP is the
``X-Bulletin-Timestamp`` header (Unix seconds) and BODY the raw request body; see
``signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulletin.config import Settings
from bulletin.errors import BulletinError
from bulletin.store import Store
from bulletin.watchlists import Watchlist, changed_stories, match_story, stories, watchlists

logger = logging.getLogger(__name__)

SECRET_ENV = "BULLETIN_WEBHOOK_SECRET"  # noqa: S105 (the name of the variable, not a secret)
SIGNATURE_HEADER = "X-Bulletin-Signature"
TIMESTAMP_HEADER = "X-Bulletin-Timestamp"
DELIVERY_HEADER = "X-Bulletin-Delivery"
# A delivery is tried this many times in one run (waiting BACKOFF, then twice that...), and at
# most MAX_ATTEMPTS times over all runs; then it is given up and says so.
ATTEMPTS_PER_RUN = 3
MAX_ATTEMPTS = 12
BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 5.0
# All webhook deliveries of one run together may take this long; what is left waits for the
# next run, so a dead receiver never holds up the digest.
BUDGET_SECONDS = 20.0
FEED_ENTRIES = 50
# Statuses a channel of an alert row goes through.
RETRY_CODES = frozenset({408, 429})


@dataclass
class AlertResult:
    """What one alert check did."""

    watchlists: int = 0
    stories: int = 0
    raised: int = 0
    mailed: int = 0
    posted: int = 0
    waiting: int = 0  # webhook deliveries left for the next run
    feeds: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"checked {self.stories} changed stories against {self.watchlists} watchlists: "
            f"{self.raised} new alerts, {self.mailed} mailed, {self.posted} posted"
            + (f", {self.waiting} webhook deliveries to retry" if self.waiting else "")
            + (f"; {len(self.problems)} problems" if self.problems else "")
        )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Bulletin-Signature`` value of a webhook request: what a receiver recomputes
    (and compares with ``hmac.compare_digest``) to know the request is ours and unaltered."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def check_alerts(
    settings: Settings, store: Store, out_dir: Path | None = None, sleep: Callable[[float], None] = time.sleep
) -> AlertResult:
    """Raise the alerts of what changed since each watchlist's last check, then deliver the
    pending ones (mail, webhook) and rewrite each watchlist's Atom feed in ``out_dir``
    (default ``digest.out_dir``). Delivery problems are returned, not raised."""
    result = AlertResult()
    lists = watchlists(store)
    result.watchlists = len(lists)
    if not lists:
        return result
    raise_alerts(store, lists, result)
    _mail(settings, store, lists, result)
    _webhooks(store, lists, result, sleep)
    folder = out_dir or Path(settings["digest.out_dir"]).expanduser()
    for watchlist in lists:
        try:
            result.feeds.append(str(write_feed(store, watchlist, folder, settings["digest.feed_url"])))
        except OSError as exc:
            result.problems.append(f"watchlist {watchlist.name}: feed not written: {exc}")
    for problem in result.problems:
        logger.warning("%s", problem)
    return result


def raise_alerts(store: Store, lists: list[Watchlist], result: AlertResult) -> None:
    """Match the stories changed since each watchlist's last check; record each new match once."""
    start = store.clock().astimezone(UTC)
    changed: dict[int, list[int]] = {}
    for watchlist in lists:
        assert watchlist.checked_until is not None  # noqa: S101 (read from the archive)
        changed[watchlist.id or 0] = changed_stories(
            store, watchlist.checked_until.astimezone(UTC).isoformat()
        )
    wanted = {s for ids in changed.values() for s in ids}
    loaded = {s.story_id: s for s in stories(store, wanted)}
    result.stories = len(loaded)
    for watchlist in lists:
        for story_id in changed[watchlist.id or 0]:
            story = loaded.get(story_id)
            match = match_story(watchlist, story) if story is not None else None
            if match is None:
                continue
            with store.transaction():
                row = store.conn.execute(
                    """
                    INSERT INTO watch_alerts (watchlist_id, story_id, version, raised_at, alert,
                        mail_status, webhook_status)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (watchlist_id, story_id, version) DO NOTHING RETURNING id
                    """,
                    (
                        watchlist.id,
                        story_id,
                        match.version,
                        start.isoformat(),
                        json.dumps(match.to_json(), ensure_ascii=False),
                        "pending" if watchlist.emails else "none",
                        "pending" if watchlist.webhook else "none",
                    ),
                ).fetchone()
            result.raised += row is not None
        with store.transaction():
            store.conn.execute(
                "UPDATE watchlists SET checked_until = ? WHERE id = ?", (start.isoformat(), watchlist.id)
            )


def alerts(store: Store, watchlist: Watchlist, limit: int = FEED_ENTRIES) -> list[dict[str, Any]]:
    """A watchlist's latest alerts, newest first: each the match as raised, with its delivery state."""
    rows = store.conn.execute(
        "SELECT * FROM watch_alerts WHERE watchlist_id = ? ORDER BY id DESC LIMIT ?", (watchlist.id, limit)
    ).fetchall()
    return [_alert(r) for r in rows]


def _alert(row: Any) -> dict[str, Any]:
    return {
        **json.loads(row["alert"]),
        "alert_id": int(row["id"]),
        "raised_at": row["raised_at"],
        "mail": row["mail_status"],
        "webhook": row["webhook_status"],
        "webhook_attempts": int(row["webhook_attempts"]),
        "webhook_error": row["webhook_error"],
    }


def _set(store: Store, alert_ids: list[int], assignments: str, values: tuple[Any, ...]) -> None:
    if not alert_ids:
        return
    with store.transaction():
        store.conn.execute(
            f"UPDATE watch_alerts SET {assignments} WHERE id IN ({', '.join('?' * len(alert_ids))})",
            (*values, *alert_ids),
        )


def _claim(store: Store, alert_ids: list[int]) -> list[int]:
    """Mark these alerts' mail ``sending`` where it is still ``pending``; return the ids marked."""
    with store.transaction():
        rows = store.conn.execute(
            f"UPDATE watch_alerts SET mail_status = 'sending' WHERE mail_status = 'pending'"
            f" AND id IN ({', '.join('?' * len(alert_ids))}) RETURNING id",
            tuple(alert_ids),
        ).fetchall()
    return sorted(int(r[0]) for r in rows)


# -- mail -------------------------------------------------------------------------------


def _mail(settings: Settings, store: Store, lists: list[Watchlist], result: AlertResult) -> None:
    """One message per watchlist with its alerts not mailed yet, over the digest's SMTP settings.

    As with the digest, the rows are marked ``sending`` before the exchange and ``sent`` once
    the server took the message; a failure that leaves it uncertain whether the message went
    is marked ``uncertain`` and never sent again (at most once), any other failure goes back
    to ``pending`` for the next run.
    """
    from digest.deliver import DeliveryError, build_message, message_id, send

    for watchlist in lists:
        rows = store.conn.execute(
            "SELECT * FROM watch_alerts WHERE watchlist_id = ? AND mail_status = 'pending' ORDER BY id",
            (watchlist.id,),
        ).fetchall()
        if not rows:
            continue
        if not watchlist.emails:  # the addresses were removed since: nothing to send
            _set(store, [int(r["id"]) for r in rows], "mail_status = 'none'", ())
            continue
        if not settings["smtp.host"] or not settings["smtp.sender"]:
            result.problems.append(
                f"watchlist {watchlist.name}: {len(rows)} alerts not mailed: set smtp.host and smtp.sender"
            )
            continue
        # Claimed first, in one statement: a check running beside this one (a worker, `watch
        # check`) gets none of these rows, so no alert is mailed twice.
        ids = _claim(store, [int(r["id"]) for r in rows])
        found = [_alert(r) for r in rows if int(r["id"]) in ids]
        if not found:
            continue
        recipients = list(watchlist.emails)
        subject = f"Watchlist {watchlist.name}: {len(found)} new match" + ("es" if len(found) != 1 else "")
        html, text = render_mail(watchlist, found)
        key = f"watch.{watchlist.id}.{ids[0]}-{ids[-1]}.{len(ids)}"
        message = build_message(
            subject,
            html,
            text,
            settings["smtp.sender"],
            recipients,
            message_id(key, settings["smtp.sender"], recipients),
        )
        smtp = {k: settings[f"smtp.{k}"] for k in ("host", "port", "security", "user", "timeout")}
        try:
            send(message, smtp, os.environ.get("BULLETIN_SMTP_PASSWORD"))
        except DeliveryError as exc:
            status = "uncertain" if exc.uncertain else "pending"
            _set(store, ids, "mail_status = ?, mail_error = ?", (status, str(exc)[:500]))
            result.problems.append(
                f"watchlist {watchlist.name}: alerts not mailed: {exc}"
                + (
                    "; they may have been delivered and are not sent again"
                    if exc.uncertain
                    else "; tried again next run"
                )
            )
            # The server is down or refusing: the other watchlists' mail waits for the next
            # run too, rather than each waiting smtp.timeout for the same failure.
            break
        _set(store, ids, "mail_status = 'sent', mail_error = NULL", ())
        result.mailed += len(ids)


def render_mail(watchlist: Watchlist, found: list[dict[str, Any]]) -> tuple[str, str]:
    """The alert mail's HTML and plain text (scraped text escaped in the HTML)."""
    from digest.render import make_env

    env = make_env()
    context = {"watchlist": watchlist, "alerts": found}
    return (
        env.get_template("watch/alert_mail.html").render(**context),
        env.get_template("watch/alert_mail.txt").render(**context),
    )


# -- webhooks ---------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answer is the receiver's: a redirect is a failure, never a second POST elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST once; (HTTP status, error text) with status 0 when the connection failed."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (checked http(s))
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code} {exc.reason}"
    except (OSError, ValueError) as exc:
        return 0, f"connection failed: {getattr(exc, 'reason', exc)}"


def _webhooks(
    store: Store, lists: list[Watchlist], result: AlertResult, sleep: Callable[[float], None]
) -> None:
    """POST each pending alert to its watchlist's webhook, retrying 5xx answers and connection
    errors with back-off, within ``BUDGET_SECONDS`` for the whole run."""
    secret = os.environ.get(SECRET_ENV, "")
    deadline = time.monotonic() + BUDGET_SECONDS
    for watchlist in lists:
        rows = store.conn.execute(
            "SELECT * FROM watch_alerts WHERE watchlist_id = ? AND webhook_status IN ('pending', 'failed')"
            " ORDER BY id",
            (watchlist.id,),
        ).fetchall()
        if not rows:
            continue
        if not watchlist.webhook:
            _set(store, [int(r["id"]) for r in rows], "webhook_status = 'none'", ())
            continue
        if not secret:
            result.waiting += len(rows)
            result.problems.append(
                f"watchlist {watchlist.name}: {len(rows)} webhook deliveries waiting: "
                f"set {SECRET_ENV} (the key their signature is made with)"
            )
            continue
        for row in rows:
            if time.monotonic() >= deadline:
                result.waiting += 1
                continue
            _deliver(store, watchlist, row, secret, deadline, result, sleep)


def _deliver(
    store: Store,
    watchlist: Watchlist,
    row: Any,
    secret: str,
    deadline: float,
    result: AlertResult,
    sleep: Callable[[float], None],
) -> None:
    alert = _alert(row)
    delivery = f"{watchlist.id}/{alert['story_id']}/{alert['version']}"
    payload = {
        "event": "watchlist.alert",
        "delivery": delivery,
        "raised_at": alert["raised_at"],
        "alert": {k: v for k, v in alert.items() if not k.startswith(("mail", "webhook"))},
    }
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    attempts = int(row["webhook_attempts"])
    error = ""
    for attempt in range(ATTEMPTS_PER_RUN):
        if attempt:
            wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            if time.monotonic() + wait >= deadline:
                break
            sleep(wait)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "bulletin-watch",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
            DELIVERY_HEADER: delivery,
        }
        status, error = _post(watchlist.webhook, body, headers)
        attempts += 1
        if 200 <= status < 300:
            _set(
                store,
                [alert["alert_id"]],
                "webhook_status = 'sent', webhook_attempts = ?, webhook_error = NULL",
                (attempts,),
            )
            result.posted += 1
            return
        if status and status < 500 and status not in RETRY_CODES:
            # The receiver refused this request (400, 401, 404...): sending it again gets the same.
            _set(
                store,
                [alert["alert_id"]],
                "webhook_status = 'rejected', webhook_attempts = ?, webhook_error = ?",
                (attempts, error),
            )
            result.problems.append(f"watchlist {watchlist.name}: webhook refused alert {delivery}: {error}")
            return
        if attempts >= MAX_ATTEMPTS:
            break
    status_word = "abandoned" if attempts >= MAX_ATTEMPTS else "failed"
    _set(
        store,
        [alert["alert_id"]],
        "webhook_status = ?, webhook_attempts = ?, webhook_error = ?",
        (status_word, attempts, error[:500]),
    )
    if status_word == "failed":
        result.waiting += 1
    result.problems.append(
        f"watchlist {watchlist.name}: webhook delivery {delivery} failed after {attempts} attempts ({error})"
        + ("; given up" if status_word == "abandoned" else "; tried again next run")
    )


# -- feeds ------------------------------------------------------------------------------


def feed_name(watchlist: Watchlist) -> str:
    """The Atom file of a watchlist, beside the digest's: ``watch-<name>.atom``."""
    return "watch-" + re.sub(r"[^0-9A-Za-z.-]+", "_", watchlist.name) + ".atom"


def render_feed(store: Store, watchlist: Watchlist, feed_url: str = "") -> str:
    """A watchlist's Atom feed: its latest ``FEED_ENTRIES`` alerts, each with what matched."""
    from digest.render import make_env

    found = alerts(store, watchlist)
    updated = found[0]["raised_at"] if found else (watchlist.created_at or datetime.now(UTC)).isoformat()
    return (
        make_env()
        .get_template("watch/feed.xml")
        .render(watchlist=watchlist, alerts=found, updated=updated, feed_url=feed_url)
    )


def write_feed(store: Store, watchlist: Watchlist, folder: Path, digest_feed_url: str = "") -> Path:
    """Write the watchlist's feed into ``folder`` (whole or not at all); return its path.
    With ``digest.feed_url`` set, its ``rel=self`` link is the file's name beside that URL."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / feed_name(watchlist)
    url = digest_feed_url.rsplit("/", 1)[0] + "/" + path.name if digest_feed_url else ""
    tmp = path.with_suffix(".atom.tmp")
    tmp.write_text(render_feed(store, watchlist, url), encoding="utf-8")
    tmp.replace(path)
    return path


def check_after_extraction(settings: Settings, problems: list[str] | None = None) -> AlertResult | None:
    """The alert step of `bulletin extract` and `bulletin run`: never fails the extraction."""
    try:
        with Store.open(settings.db) as store:
            return check_alerts(settings, store)
    except BulletinError as exc:
        if problems is not None:
            problems.append(f"watchlist alerts failed: {exc}")
        logger.warning("watchlist alerts failed: %s", exc)
        return None
