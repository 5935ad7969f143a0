"""The API's trends and watchlist endpoints (``/api/trends``, ``/api/watchlists``,
``/api/watchlists/{name}/matches``): the same figures ``bulletin trends --json`` prints and the
matches ``bulletin watch test`` lists, declared like the rest of the API in ``bulletin.api``.

A watchlist is served with its rules, not its delivery addresses: mail addresses and a webhook
URL (which may carry a credential) stay on the review page and the CLI.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort

from bulletin.api import LIMIT, SCHEMAS, SINCE, SOURCE, STAGE, TACTIC, UNTIL, Param, endpoint
from bulletin.errors import BulletinError
from bulletin.review import get_store
from bulletin.trends import TrendFilters, trends
from bulletin.watchlists import MAX_NAME, RULE_KINDS, get_watchlist, matches, watchlists

_NAMED_COUNTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "stories"],
        "properties": {"name": {"type": "string"}, "stories": {"type": "integer", "minimum": 0}},
    },
}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_NULLABLE_STRING = {"type": ["string", "null"]}

SCHEMAS.update(
    {
        "Trends": {
            "type": "object",
            "required": [
                "filters",
                "totals",
                "per_month",
                "by_jurisdiction",
                "by_source",
                "by_stage",
                "by_tactic",
                "prison_terms",
                "top_organisations",
                "top_places",
                "compare",
            ],
            "properties": {
                "filters": {
                    "type": "object",
                    "properties": {
                        k: _NULLABLE_STRING for k in ("since", "until", "source", "stage", "tactic")
                    },
                },
                "totals": _COUNTS,
                "per_month": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["month"],
                        "properties": {"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}},
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                },
                "by_jurisdiction": _NAMED_COUNTS,
                "by_source": _NAMED_COUNTS,
                "by_stage": _NAMED_COUNTS,
                "by_tactic": _NAMED_COUNTS,
                "prison_terms": {"type": "array", "items": {"type": "object"}},
                "top_organisations": {"type": "array", "items": {"type": "object"}},
                "top_places": {"type": "array", "items": {"type": "object"}},
                "compare": {"type": "object"},
            },
        },
        "Watchlist": {
            "type": "object",
            "required": ["name", "rules", "rule_lines"],
            "properties": {
                "name": {"type": "string"},
                "rules": {
                    "type": "object",
                    "propertyNames": {"enum": list(RULE_KINDS)},
                },
                "rule_lines": {"type": "array", "items": {"type": "string"}},
                "created_at": _NULLABLE_STRING,
            },
        },
        "Watchlists": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Watchlist"}}},
        },
        "RuleMatch": {
            "type": "object",
            "required": ["rule", "where", "matched", "evidence"],
            "properties": {
                "rule": {"type": "string"},
                "where": {"type": "string"},
                "matched": {"type": "string"},
                "evidence": {
                    "oneOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "required": ["before", "match", "after"],
                            "properties": {k: {"type": "string"} for k in ("before", "match", "after")},
                        },
                    ]
                },
            },
        },
        "WatchMatch": {
            "type": "object",
            "required": ["watchlist", "story_id", "article_id", "version", "title", "url", "matches"],
            "properties": {
                "watchlist": {"type": "string"},
                "story_id": {"type": "integer"},
                "article_id": {"type": "integer"},
                "version": {"type": "string"},
                "title": {"type": "string"},
                "url": {"type": "string"},
                "urls": {"type": "array", "items": {"type": "string"}},
                "sources": {"type": "array", "items": {"type": "string"}},
                "published": _NULLABLE_STRING,
                "subjects": {"type": "array", "items": {"type": "string"}},
                "stage": _NULLABLE_STRING,
                "matches": {"type": "array", "items": {"$ref": "#/components/schemas/RuleMatch"}},
            },
        },
        "WatchMatches": {
            "type": "object",
            "required": ["watchlist", "limit", "items"],
            "properties": {
                "watchlist": {"type": "string"},
                "limit": {"type": "integer"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/WatchMatch"}},
            },
        },
    }
)

NAME = Param(
    "name",
    {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
    "The watchlist's name.",
    "path",
    True,
)


@endpoint(
    "/trends",
    "Cases and sentencings per month, by jurisdiction, source, stage and tactic",
    [SINCE, UNTIL, SOURCE, STAGE, TACTIC],
    "Trends",
)
def trends_figures(
    since: date | None, until: date | None, source: str | None, stage: str | None, tactic: str | None
) -> dict[str, Any]:
    """As `bulletin trends --json`: "this period" is since..until when both are given, else the
    last 30 days; "the previous" is as long, just before it."""
    try:
        filters = TrendFilters(since=since, until=until, source=source, stage=stage, tactic=tactic)
    except BulletinError as exc:
        abort(400, description=str(exc))
    return trends(get_store(), filters)


@endpoint("/watchlists", "The watchlists and their rules", [], "Watchlists")
def watchlist_list() -> dict[str, Any]:
    """Each watchlist's name and rules (its mail addresses and webhook are not served)."""
    return {
        "items": [
            {
                "name": w.name,
                "rules": w.rules,
                "rule_lines": w.rule_lines(),
                "created_at": w.created_at.isoformat() if w.created_at else None,
            }
            for w in watchlists(get_store())
        ]
    }


@endpoint(
    "/watchlists/{name}/matches",
    "What a watchlist matches over the archive, newest first",
    [NAME, LIMIT],
    "WatchMatches",
    (400, 403, 404),
)
def watchlist_matches(name: str, limit: int) -> dict[str, Any]:
    """As `bulletin watch test NAME`: every story the watchlist matches, with the rules that
    matched and their evidence, without raising alerts."""
    store = get_store()
    try:
        get_watchlist(store, name)
    except BulletinError as exc:
        abort(404, description=str(exc))
    return {"watchlist": name, "limit": limit, "items": matches(store, name, limit)}
