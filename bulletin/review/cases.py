"""The review page's case files: the cases linking made, their timelines, and the analyst's
merge, split, confirm and reject (issue 12). Each change is a correction that every later
relink obeys (``bulletin.cases``); it relinks the archive at once, so the page shows the result.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from bulletin import cases as linking
from bulletin.errors import BulletinError, DiskFullError
from bulletin.records import CaseFile, CaseReport, CaseSummary
from bulletin.review import get_store
from bulletin.review.edits import check_lengths
from bulletin.stage_edits import correct_stage, with_analyst_stages
from bulletin.store import Store

bp = Blueprint("cases", __name__)
# The case finder's query, in characters, and how many cases it lists.
FIND_LIMIT = 200
FOUND_MAX = 20


def find_cases(cases: list[CaseSummary], query: str, exclude: int | None = None) -> list[CaseSummary]:
    """The cases whose gist or subjects hold every word of the query (any case, any order)."""
    words = query.casefold().split()
    if not words:
        return []
    found = []
    for case in cases:
        haystack = " ".join([case.title, *case.subjects, f"#{case.id}"]).casefold()
        if case.id != exclude and all(w in haystack for w in words):
            found.append(case)
    return found[:FOUND_MAX]


def counterparts(case: CaseFile) -> list[tuple[CaseReport, CaseReport | None]]:
    """Each candidate report beside the case's report to compare it with: the latest one
    published before it (else the first)."""
    pairs = []
    for candidate in case.candidates:
        before = [
            r
            for r in case.reports
            if r.published_at and candidate.published_at and r.published_at <= candidate.published_at
        ]
        pairs.append((candidate, before[-1] if before else (case.reports[0] if case.reports else None)))
    return pairs


@bp.get("/cases")
def case_list() -> str:
    store = get_store()
    summaries = store.case_summaries()
    # Cases waiting for an analyst (candidate reports) first, then the latest.
    summaries.sort(key=lambda c: c.candidates == 0)
    return render_template("review/cases.html", cases=summaries, q="")


def _case_page(case_id: int, error: str | None = None, code: int = 200) -> tuple[str, int]:
    store = get_store()
    case = store.case_file(case_id)
    if case is None:
        moved = store.story_case(case_id)  # a merge or split can renumber a case
        if moved is not None and moved != case_id:
            case = store.case_file(moved)
    if case is None:
        return render_template(
            "review/cases.html", cases=store.case_summaries(), q="", error=f"no case {case_id}"
        ), 404
    case = replace(case, reports=with_analyst_stages(store, case.reports))
    query = " ".join(request.args.get("find", "")[:FIND_LIMIT].split())
    found = find_cases(store.case_summaries(), query, case.summary.id) if query else []
    return render_template(
        "review/case.html",
        case=case,
        q="",
        error=error,
        find=query,
        found=found,
        pairs=counterparts(case),
    ), code


@bp.get("/case/<int:case_id>")
def case_view(case_id: int) -> tuple[str, int]:
    return _case_page(case_id)


def _one_story() -> int:
    ids = _story_ids("story")
    if len(ids) != 1:
        raise BulletinError("name one story")
    return ids[0]


def _story_ids(field: str) -> list[int]:
    values = request.form.getlist(field)
    try:
        return [int(v) for v in values]
    except ValueError:
        raise BulletinError(f"{field}: story ids are whole numbers") from None


@bp.post("/case/<int:case_id>/<action>")
def change(case_id: int, action: str) -> Response | tuple[str, int]:
    store = get_store()
    try:
        check_lengths(request.form)
        note = " ".join(request.form.get("note", "").split())
        if action == "confirm":
            result = linking.confirm_candidate(store, _one_story(), case_id, note)
        elif action == "reject":
            linking.reject_candidate(store, _one_story(), case_id, note)
            result = store.story_case(case_id) or case_id
        elif action == "split":
            result = linking.split_case(store, case_id, _story_ids("story"), note)
        elif action == "merge":
            raw = request.form.get("other", "").strip().lstrip("#")
            if not raw.isdigit():
                raise BulletinError(f"merge: {raw!r} is not a case number")
            result = linking.merge_cases(store, case_id, int(raw), note)
        else:
            raise BulletinError(f"unknown case action {action!r}: confirm, reject, split or merge")
    except DiskFullError as exc:
        return _case_page(case_id, error=str(exc), code=507)
    except BulletinError as exc:
        return _case_page(case_id, error=str(exc), code=400)
    return redirect(url_for("cases.case_view", case_id=result))


@bp.post("/article/<int:article_id>/stage")
def stage(article_id: int) -> Response | tuple[str, int]:
    """An analyst sets the article's stage (and its date); the review page's other corrections'
    checks apply (a page older than the review is refused)."""
    from bulletin.review import views

    def make(store: Store, review: views.Review) -> Response:
        correct_stage(
            store,
            article_id,
            views._version(),
            request.form.get("stage", ""),
            request.form.get("stage_date", ""),
            current_app.config["REVIEWER"],
        )
        return redirect(views._article_url(article_id, views._filters(views._form_q())))

    return views._post(article_id, make)
