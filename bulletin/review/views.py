"""The review page's routes: the queue, one article, and the POSTs that record corrections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bulletin.corrections import Correction, Effective, Item, apply, is_reviewed, items, pending
from bulletin.errors import DiskFullError, ReviewError, StaleReviewError, StoreError
from bulletin.records import STAGE_LABELS, Article
from bulletin.review import edits, get_store
from bulletin.review.highlight import segments
from bulletin.store import QueueQuery, Store

bp = Blueprint("review", __name__, static_folder="static", static_url_path="/static/review")

PAGE_SIZE = 50
STATUSES = ("all", "pending", "reviewed", "conflicts")
FILTER_KEYS = ("source", "since", "until", "tactic", "subject", "status")


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _filters(args: Any) -> dict[str, str]:
    """The queue filters present in a query string (or a form's ``q``), as strings."""
    return {k: str(args[k]) for k in FILTER_KEYS if args.get(k)}


def _query(filters: dict[str, str], status: str | None = None) -> QueueQuery:
    return QueueQuery(
        source=filters.get("source") or None,
        since=_day(filters.get("since")),
        until=_day(filters.get("until")),
        tactic=filters.get("tactic") or None,
        subject=filters.get("subject") or None,
        status=status or (filters.get("status") if filters.get("status") in STATUSES else "all") or "all",
    )


@bp.get("/")
def queue() -> str:
    store = get_store()
    filters = _filters(request.args)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = store.review_queue(_query(filters), PAGE_SIZE, (page - 1) * PAGE_SIZE)
    reviewed, stories = store.review_progress()
    return render_template(
        "review/queue.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters={k: filters.get(k, "") for k in FILTER_KEYS},
        q=urlencode(filters),
        reviewed=reviewed,
        stories=stories,
        sources=store.review_sources(),
        tactics=edits.TACTIC_LABELS,
        statuses=STATUSES,
    )


@dataclass(frozen=True, slots=True)
class Review:
    """Everything the article view shows about one article's review."""

    article: Article
    machine: dict[str, Any]
    effective: Effective
    items: list[Item]
    version: int
    status: str
    pipeline_version: str


def _load(store: Store, article_id: int) -> Review:
    article = store.find_article(str(article_id))
    stored = store.stored_extraction(article_id)
    if article is None or stored is None:
        abort(404, description=f"no extracted article {article_id}")
    effective = apply(stored.record, store.corrections(article_id))
    state = store.review_state(article_id)
    return Review(
        article,
        stored.record,
        effective,
        items(effective.record),
        state.version,
        state.status,
        stored.pipeline_version,
    )


def _next_article(store: Store, filters: dict[str, str], current: int) -> int | None:
    rows, _ = store.review_queue(_query(filters, "pending"), 2, 0)
    return next((row.article_id for row in rows if row.article_id != current), None)


@bp.get("/article/<int:article_id>")
def article(article_id: int) -> tuple[str, int]:
    return _render_article(article_id)


def _render_article(article_id: int, error: str | None = None, code: int = 200) -> tuple[str, int]:
    """The article view; after a refused POST, with the reason shown and the matching status."""
    store = get_store()
    review = _load(store, article_id)
    filters = _filters(request.args) or _filters(_form_q())
    at = request.args.get("at", type=int)
    if at is None or not 0 <= at < len(review.items):
        undecided = pending(review.effective)
        at = review.items.index(undecided[0]) if undecided else 0
    return (
        render_template(
            "review/article.html",
            review=review,
            article=review.article,
            record=review.effective.record,
            items=review.items,
            decisions=review.effective.decisions,
            segments=segments(review.article.text, review.items),
            at=at,
            q=urlencode(filters),
            next_id=_next_article(store, filters, article_id),
            case_id=store.story_case(review.article.story_id or article_id),
            error=error,
            tactics=edits.TACTIC_LABELS,
            penalty_kinds=edits.PENALTY_KINDS,
            entity_labels=edits.ENTITY_LABELS,
            stage_labels=STAGE_LABELS,
        ),
        code,
    )


def _form_q() -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.form.get("q", ""))) if request.method == "POST" else {}


def _item(review: Review, key: str) -> Item:
    for item in review.items:
        if item.key == key:
            return item
    raise ReviewError(f"no item {key!r} in this article's record (it may have changed: reload)")


def _version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        raise ReviewError("the form carries no review version: reload the page") from None


def _save(store: Store, review: Review, correction: Correction | None, undo: bool = False) -> Response:
    """Record a correction (or an undo), update the review status and go where the reviewer goes next."""
    article_id = int(review.article.id or 0)
    reviewer = current_app.config["REVIEWER"]
    if undo:
        store.undo_correction(article_id, _version(), reviewer)
    elif correction is not None:
        store.add_correction(article_id, _version(), correction, review.pipeline_version)
    after = apply(review.machine, store.corrections(article_id))
    done = is_reviewed(after)
    store.set_review_status(article_id, "reviewed" if done else "started", len(after.conflicts))
    if undo or (correction is not None and correction.kind in ("relevance", "subject")):
        # Who a story is about, and whether it is a case at all, decide its case file.
        from bulletin.cases import relink

        relink(store)
    filters = _filters(_form_q())
    if (
        done
        and correction is not None
        and (correction.action in ("accept", "reject") or correction.kind == "relevance")
    ):
        following = _next_article(store, filters, article_id)
        if following is not None:
            return redirect(_article_url(following, filters))
    at = request.form.get("at", type=int)
    remaining = [i for i, item in enumerate(items(after.record)) if item.key not in after.decisions]
    if remaining:
        at = next((i for i in remaining if at is None or i >= at), remaining[0])
    return redirect(_article_url(article_id, filters, at))


def _article_url(article_id: int, filters: dict[str, str], at: int | None = None) -> str:
    """An article's page, keeping the queue's filters (and the item to focus)."""
    params = {**filters, **({"at": str(at)} if at is not None else {})}
    url = url_for("review.article", article_id=article_id)
    return f"{url}?{urlencode(params)}" if params else url


def _post(article_id: int, make: Callable[[Store, Review], Response]) -> Response | tuple[str, int]:
    store = get_store()
    review = _load(store, article_id)
    try:
        edits.check_lengths(request.form)
        # First of all: a page older than the review cannot act on it, whatever it asks.
        store.check_review_version(article_id, _version())
        return make(store, review)
    except StaleReviewError as exc:
        return _render_article(article_id, error=str(exc), code=409)
    except ReviewError as exc:
        return _render_article(article_id, error=str(exc), code=400)
    except DiskFullError as exc:  # nothing was kept: the page says so, the reviewer can retry
        return _render_article(article_id, error=str(exc), code=507)
    except StoreError as exc:
        return _render_article(article_id, error=str(exc), code=503)


@bp.post("/article/<int:article_id>/decide")
def decide(article_id: int) -> Response | tuple[str, int]:
    def make(store: Store, review: Review) -> Response:
        item = _item(review, request.form.get("key", ""))
        reviewer = current_app.config["REVIEWER"]
        return _save(store, review, edits.decision(request.form.get("action", ""), item, reviewer))

    return _post(article_id, make)


@bp.post("/article/<int:article_id>/verdict")
def verdict(article_id: int) -> Response | tuple[str, int]:
    def make(store: Store, review: Review) -> Response:
        value = request.form.get("relevant")
        if value not in ("1", "0"):
            raise ReviewError("relevant must be 1 or 0")
        correction = edits.verdict(value == "1", current_app.config["REVIEWER"], review.machine)
        return _save(store, review, correction)

    return _post(article_id, make)


@bp.post("/article/<int:article_id>/edit")
def edit(article_id: int) -> Response | tuple[str, int]:
    def make(store: Store, review: Review) -> Response:
        item = _item(review, request.form.get("key", ""))
        correction = edits.edit(item, request.form, review.article.text, current_app.config["REVIEWER"])
        return _save(store, review, correction)

    return _post(article_id, make)


@bp.post("/article/<int:article_id>/add")
def add(article_id: int) -> Response | tuple[str, int]:
    def make(store: Store, review: Review) -> Response:
        kind = request.form.get("kind", "")
        correction = edits.add(kind, request.form, review.article.text, current_app.config["REVIEWER"])
        return _save(store, review, correction)

    return _post(article_id, make)


@bp.post("/article/<int:article_id>/undo")
def undo(article_id: int) -> Response | tuple[str, int]:
    return _post(article_id, lambda store, review: _save(store, review, None, undo=True))
