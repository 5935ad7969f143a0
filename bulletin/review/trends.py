"""The review page's /trends: the archive's trends as server-drawn SVG charts, each with its numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request

from bulletin.errors import BulletinError
from bulletin.records import STAGE_LABELS
from bulletin.review import get_store
from bulletin.trends import TrendFilters, charts, trends
from digest.filters import TACTIC_WORDS

bp = Blueprint("trends", __name__)

FILTER_KEYS = ("since", "until", "source", "stage", "tactic")
MAX_VALUE = 100  # no filter value is longer: a day, a source name, a label


def filters_from(args: Any) -> TrendFilters:
    """The query's filters, or a BulletinError naming the bad one."""
    values = {k: str(args.get(k, "")).strip() for k in FILTER_KEYS}
    for key, value in values.items():
        if len(value) > MAX_VALUE:
            raise BulletinError(f"{key} is {len(value):,} characters long; at most {MAX_VALUE} are taken")
    days: dict[str, date | None] = {}
    for key in ("since", "until"):
        try:
            days[key] = date.fromisoformat(values[key]) if values[key] else None
        except ValueError:
            raise BulletinError(f"{key} {values[key][:20]!r} is not a day (YYYY-MM-DD)") from None
    if values["tactic"] and values["tactic"] not in TACTIC_WORDS:
        raise BulletinError(f"tactic {values['tactic'][:40]!r}: one of {', '.join(TACTIC_WORDS)}")
    return TrendFilters(
        since=days["since"],
        until=days["until"],
        source=values["source"] or None,
        stage=values["stage"] or None,
        tactic=values["tactic"] or None,
    )


@bp.get("/trends")
def trends_page() -> tuple[str, int]:
    store = get_store()
    error, code = "", 200
    try:
        chosen = filters_from(request.args)
    except BulletinError as exc:
        error, code, chosen = str(exc), 400, TrendFilters()
    data = trends(store, chosen)
    return render_template(
        "review/trends.html",
        data=data,
        charts=charts(data),
        filters=chosen.to_json(),
        sources=store.review_sources(),
        stages=STAGE_LABELS,
        tactics=TACTIC_WORDS,
        error=error,
        q="",
    ), code
