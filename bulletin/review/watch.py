"""The review page's watchlists: list, add, edit and remove them, see their alerts and what
they match in the archive, and read each one's Atom feed (``bulletin.watchlists``, ``bulletin.alerts``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from bulletin.alerts import alerts, render_feed
from bulletin.errors import BulletinError, DiskFullError
from bulletin.records import STAGE_LABELS
from bulletin.review import get_store
from bulletin.store import Store
from bulletin.watchlists import (
    MAX_RULE,
    MAX_RULES,
    SUBJECT_RULES,
    Watchlist,
    remove_watchlist,
    save_watchlist,
    scan,
    watchlists,
)
from digest.filters import TACTIC_WORDS

bp = Blueprint("watch", __name__)

# Fields that hold one rule per line may be as long as a full watchlist; every other field is short.
LINE_FIELDS = (*SUBJECT_RULES, "sources", "emails")
LINES_LIMIT = MAX_RULES * (MAX_RULE + 1)
FIELD_LIMIT = 2000  # a webhook URL is the longest single-line field
SHOWN_MATCHES = 50


def _by_id(store: Store, watch_id: int) -> Watchlist:
    found = next((w for w in watchlists(store) if w.id == watch_id), None)
    if found is None:
        abort(404, description=f"no watchlist {watch_id}")
    return found


def _form_values(watchlist: Watchlist | None) -> dict[str, Any]:
    """The form's fields for a watchlist (empty for a new one)."""
    rules = watchlist.rules if watchlist else {}
    return {
        "name": watchlist.name if watchlist else "",
        **{kind: "\n".join(rules.get(kind, [])) for kind in (*SUBJECT_RULES, "sources")},
        "tactics": list(rules.get("tactics", [])),
        "min_stage": rules.get("min_stage") or "",
        "min_sentence": str(rules.get("min_sentence") or ""),
        "emails": "\n".join(watchlist.emails) if watchlist else "",
        "webhook": watchlist.webhook if watchlist else "",
    }


def _render_form(
    watchlist: Watchlist | None, values: dict[str, Any], error: str = "", code: int = 200
) -> tuple[str, int]:
    return render_template(
        "review/watch_form.html",
        watchlist=watchlist,
        values=values,
        tactics=TACTIC_WORDS,
        stages=STAGE_LABELS,
        error=error,
        q="",
    ), code


def _from_form() -> tuple[dict[str, Any], Watchlist]:
    """The posted form as field values (to show it again) and as a watchlist (to save)."""
    form = request.form
    for name, value in form.items(multi=True):
        limit = LINES_LIMIT if name in LINE_FIELDS else FIELD_LIMIT
        if len(value) > limit:
            raise BulletinError(
                f"{name[:40]!r} is {len(value):,} characters long; at most {limit:,} are taken"
            )
    values: dict[str, Any] = {
        "name": form.get("name", ""),
        **{kind: form.get(kind, "") for kind in (*SUBJECT_RULES, "sources")},
        "tactics": form.getlist("tactics"),
        "min_stage": form.get("min_stage", ""),
        "min_sentence": form.get("min_sentence", ""),
        "emails": form.get("emails", ""),
        "webhook": form.get("webhook", ""),
    }
    rules: dict[str, Any] = {kind: values[kind].splitlines() for kind in (*SUBJECT_RULES, "sources")}
    rules.update(
        tactics=values["tactics"], min_stage=values["min_stage"], min_sentence=values["min_sentence"]
    )
    return values, Watchlist(values["name"], rules, tuple(values["emails"].split()), values["webhook"])


@bp.get("/watchlists")
def watch_list() -> str:
    store = get_store()
    lists = watchlists(store)
    counts = {
        int(r[0]): int(r[1])
        for r in store.conn.execute("SELECT watchlist_id, count(*) FROM watch_alerts GROUP BY watchlist_id")
    }
    return render_template("review/watchlists.html", watchlists=lists, counts=counts, q="")


@bp.get("/watchlists/new")
def watch_new() -> tuple[str, int]:
    return _render_form(None, _form_values(None))


@bp.get("/watchlists/<int:watch_id>")
def watch_view(watch_id: int) -> str:
    store = get_store()
    watchlist = _by_id(store, watch_id)
    found = list(scan(store, watchlist))
    found.sort(key=lambda m: m.story.published.isoformat() if m.story.published else "", reverse=True)
    return render_template(
        "review/watchlist.html",
        watchlist=watchlist,
        alerts=alerts(store, watchlist),
        matches=[m.to_json() for m in found[:SHOWN_MATCHES]],
        total=len(found),
        q="",
    )


@bp.get("/watchlists/<int:watch_id>/edit")
def watch_edit(watch_id: int) -> tuple[str, int]:
    watchlist = _by_id(get_store(), watch_id)
    return _render_form(watchlist, _form_values(watchlist))


@bp.post("/watchlists/save")
@bp.post("/watchlists/<int:watch_id>/save")
def watch_save(watch_id: int | None = None) -> BaseResponse | tuple[str, int]:
    store = get_store()
    existing = _by_id(store, watch_id) if watch_id is not None else None
    values = _form_values(existing)
    try:
        values, watchlist = _from_form()
        saved = save_watchlist(store, watchlist, replace_id=watch_id)
    except DiskFullError as exc:
        return _render_form(existing, values, str(exc), 507)
    except BulletinError as exc:
        return _render_form(existing, values, str(exc), 400)
    return redirect(url_for("watch.watch_view", watch_id=saved.id))


@bp.post("/watchlists/<int:watch_id>/remove")
def watch_remove(watch_id: int) -> BaseResponse:
    store = get_store()
    remove_watchlist(store, _by_id(store, watch_id).name)
    return redirect(url_for("watch.watch_list"))


@bp.get("/watchlists/<int:watch_id>/feed.atom")
def watch_feed(watch_id: int) -> Response:
    store = get_store()
    feed = render_feed(store, _by_id(store, watch_id), request.url)
    return Response(feed, mimetype="application/atom+xml")
