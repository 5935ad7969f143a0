"""The review page's search (``/search``): the queue's and the cases page's search box, and
each subject's "search for this person" link, over ``bulletin.search``."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from bulletin.records import STAGE_LABELS
from bulletin.review import get_store
from bulletin.review.edits import TACTIC_LABELS
from bulletin.search import Filters, Hit, SearchError, search

bp = Blueprint("search", __name__)

PAGE_SIZE = 20
SCOPES = ("articles", "cases")
KEYS = ("q", "person", "source", "stage", "tactic", "since", "until", "scope")


@dataclass
class CaseGroup:
    """A case file (or a story in none) and its reports that match, for the cases scope."""

    case_id: int | None
    hits: list[Hit] = field(default_factory=list)


@bp.get("/search")
def search_page() -> tuple[str, int]:
    from bulletin.review.views import _day

    args = {k: str(request.args.get(k, ""))[:600] for k in KEYS}
    scope = args["scope"] if args["scope"] in SCOPES else "articles"
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 1000))
    store = get_store()
    context = {
        "args": args,
        "scope": scope,
        "page": page,
        "q": "",
        "sources": store.review_sources(),
        "stages": STAGE_LABELS,
        "tactics": TACTIC_LABELS,
        "error": "",
        "results": None,
        "groups": [],
        "cases": {},
        "pages": 1,
        "here": urlencode({k: v for k, v in args.items() if v}),
    }
    if not (args["q"].strip() or args["person"].strip()):
        return render_template("review/search.html", **context), 200
    filters = Filters(
        since=_day(args["since"]),
        until=_day(args["until"]),
        source=args["source"] or None,
        stage=args["stage"] if args["stage"] in STAGE_LABELS else None,
        tactic=args["tactic"] or None,
        person=args["person"] or None,
    )
    try:
        results = search(store, args["q"], filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    except SearchError as exc:
        context["error"] = str(exc)
        return render_template("review/search.html", **context), 400
    cases = {hit.article_id: store.story_case(hit.story_id or hit.article_id) for hit in results.hits}
    groups: dict[int | None, CaseGroup] = {}
    for hit in results.hits:
        case_id = cases[hit.article_id]
        key = case_id if case_id is not None else -hit.article_id
        groups.setdefault(key, CaseGroup(case_id)).hits.append(hit)
    context.update(
        results=results,
        cases=cases,
        groups=list(groups.values()),
        pages=max(1, -(-results.total // PAGE_SIZE)),
    )
    return render_template("review/search.html", **context), 200
