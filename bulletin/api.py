"""The read-only JSON API that ``bulletin review`` serves under ``/api/``, with its OpenAPI 3.1
description at ``/api/openapi.json`` built from the same declarations that route the requests.

An endpoint is one function under ``@endpoint(path, summary, params, response)``: the decorator
routes it, checks and converts its query parameters (a bad one is a 400 with one line of JSON),
and adds its entry to the description. Its response schema is a name in ``SCHEMAS``. Adding one
(say ``/api/trends``) is therefore: a schema in ``SCHEMAS``, then::

    @endpoint("/trends", "Cases and sentencings per month", [SINCE, UNTIL], "Trends")
    def trends(since: date | None, until: date | None) -> dict[str, Any]:
        return trends_json(get_store(), since, until)

Records have the shapes ``bulletin export`` (articles), ``bulletin search --json`` and
``bulletin case show --json`` write. The token guards it as it guards the review page (see
``bulletin.review``): the ``X-Review-Token`` header or ``?token=`` on every request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from bulletin.corrections import apply as apply_corrections
from bulletin.exporting import RECORD_KEYS, article_record
from bulletin.records import STAGE_LABELS
from bulletin.review import get_store
from bulletin.search import MAX_QUERY_CHARS, Filters, SearchError, search
from bulletin.store import Store

PREFIX = "/api"
bp = Blueprint("api", __name__, url_prefix=PREFIX)

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000
# Any text parameter longer than this is refused (names, sources, labels are all far shorter).
MAX_PARAM_CHARS = 200


@dataclass(frozen=True)
class Param:
    """One parameter: its JSON schema says its type and limits, and is what the request is checked against."""

    name: str
    schema: dict[str, Any]
    description: str
    where: str = "query"
    required: bool = False


@dataclass
class Endpoint:
    path: str
    summary: str
    params: Sequence[Param]
    response: str
    errors: tuple[int, ...] = (400, 403)
    description: str = ""
    operation: str = field(default="")


ENDPOINTS: list[Endpoint] = []

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
SINCE = Param("since", _DATE, "Published on or after this day (YYYY-MM-DD).")
UNTIL = Param("until", _DATE, "Published on or before this day (YYYY-MM-DD).")
SOURCE = Param("source", {"type": "string", "maxLength": MAX_PARAM_CHARS}, "Only this source.")
STAGE = Param("stage", {"type": "string", "enum": list(STAGE_LABELS)}, "Only this (furthest) legal stage.")
TACTIC = Param("tactic", {"type": "string", "maxLength": MAX_PARAM_CHARS}, "Only with this tactic label.")
LIMIT = Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20}, "Page size.")
OFFSET = Param(
    "offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "Skip this many."
)
CURSOR = Param(
    "cursor",
    {"type": "string", "pattern": r"^[0-9]{1,18}$"},
    "Where the previous page ended: its `next_cursor`.",
)


def endpoint(
    path: str, summary: str, params: Sequence[Param], response: str, errors: tuple[int, ...] = (400, 403)
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route ``GET /api{path}`` to the decorated function and describe it in the OpenAPI document.

    ``{name}`` in ``path`` is a path parameter (give it as a ``Param`` with ``where="path"``);
    the function gets every parameter by name, converted (``None`` when absent without default).
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        flask_path = re.sub(r"{(\w+)}", r"<\1>", path)

        def view(**path_values: str) -> Response:
            values = {p.name: _value(p, path_values.get(p.name)) for p in params}
            return jsonify(function(**values))

        view.__name__ = function.__name__
        bp.add_url_rule(flask_path, view_func=view, methods=["GET"])
        ENDPOINTS.append(
            Endpoint(
                path, summary, params, response, errors, (function.__doc__ or "").strip(), function.__name__
            )
        )
        return function

    return register


class BadParameter(Exception):
    pass


def _value(param: Param, path_value: str | None) -> Any:
    raw = path_value if param.where == "path" else request.args.get(param.name)
    schema = param.schema
    if raw is None or raw == "":
        if param.required:
            raise BadParameter(f"{param.name}: required")
        return schema.get("default")
    if len(raw) > MAX_PARAM_CHARS and param.name != "q":
        raise BadParameter(f"{param.name}: at most {MAX_PARAM_CHARS} characters")
    if schema["type"] == "integer":
        if not re.fullmatch(r"-?[0-9]{1,18}", raw):
            raise BadParameter(f"{param.name}: expected a whole number, got {raw[:40]!r}")
        number = int(raw)
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and number < low) or (high is not None and number > high):
            raise BadParameter(f"{param.name}: expected {low}..{high}, got {number}")
        return number
    if "enum" in schema and raw not in schema["enum"]:
        raise BadParameter(f"{param.name}: expected one of {', '.join(schema['enum'])}, got {raw[:40]!r}")
    if "maxLength" in schema and len(raw) > schema["maxLength"]:
        raise BadParameter(f"{param.name}: at most {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], raw):
        raise BadParameter(f"{param.name}: not a valid value: {raw[:40]!r}")
    if schema.get("format") == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise BadParameter(f"{param.name}: expected YYYY-MM-DD, got {raw[:40]!r}") from None
    return raw


@bp.errorhandler(BadParameter)
@bp.errorhandler(SearchError)
def bad_request(exc: Exception) -> tuple[Response, int]:
    return jsonify({"error": str(exc)}), 400


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[Response, int]:
    """Refusals (no token, unknown path, too large) as JSON too, with their status."""
    return jsonify({"error": exc.description or exc.name}), exc.code or 500


@bp.app_errorhandler(404)
def not_found(exc: HTTPException) -> Response | HTTPException:
    """An unknown path under /api/ is JSON too; elsewhere the page's own 404."""
    if request.path.startswith(PREFIX + "/"):
        response = jsonify({"error": f"no such endpoint: {request.path[:100]} (see {PREFIX}/openapi.json)"})
        response.status_code = 404
        return response
    return exc


# -- the endpoints ---------------------------------------------------------------------------


@endpoint(
    "/articles",
    "Articles with their effective extraction records",
    [SINCE, UNTIL, SOURCE, STAGE, LIMIT, CURSOR],
    "ArticlePage",
)
def articles(
    since: date | None,
    until: date | None,
    source: str | None,
    stage: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """In id order, each as one line of `bulletin export` (the analyst's corrections applied).
    Follow `next_cursor` for the next page; it is null on the last."""
    store = get_store()
    where: list[str] = ["a.id > ?"]
    params: list[Any] = [int(cursor or 0)]
    if since is not None:
        where.append("substr(a.published_at, 1, 10) >= ?")
        params.append(since.isoformat())
    if until is not None:
        where.append("substr(a.published_at, 1, 10) <= ?")
        params.append(until.isoformat())
    if source:
        where.append("a.source = ?")
        params.append(source)
    if stage:
        where.append("d.stage = ?")
        params.append(stage)
    rows = store.conn.execute(
        "SELECT a.id FROM articles a LEFT JOIN search_documents d ON d.article_id = a.id"
        f" WHERE {' AND '.join(where)} ORDER BY a.id LIMIT ?",
        [*params, limit + 1],
    ).fetchall()
    ids = [int(row[0]) for row in rows]
    items = [record for record in (_article(store, i) for i in ids[:limit]) if record is not None]
    return {"items": items, "limit": limit, "next_cursor": str(ids[limit - 1]) if len(ids) > limit else None}


def _article(store: Store, article_id: int) -> dict[str, Any] | None:
    """One article as `bulletin export` writes it (``Store.export_rows``' effective record)."""
    article = store.find_article(str(article_id))
    if article is None:
        return None
    stored = store.stored_extraction(article_id)
    if stored is not None and store.has_corrections(article_id):
        effective = apply_corrections(stored.record, store.corrections(article_id))
        stored = replace(stored, record=effective.record, review_status=store.review_state(article_id).status)
    return article_record(article, stored)


Q = Param(
    "q", {"type": "string", "maxLength": MAX_QUERY_CHARS}, 'Words, "phrases" and prefix*, all required.'
)
PERSON = Param("person", {"type": "string", "maxLength": MAX_PARAM_CHARS}, "A person among the subjects.")


@endpoint(
    "/search",
    "Full-text search, best match first",
    [Q, PERSON, SINCE, UNTIL, SOURCE, STAGE, TACTIC, LIMIT, OFFSET],
    "SearchResults",
)
def search_articles(
    q: str | None,
    person: str | None,
    since: date | None,
    until: date | None,
    source: str | None,
    stage: str | None,
    tactic: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """As `bulletin search --json`: the snippet as text, `highlights` the matched ranges in it.
    Give `q`, `person` or both; a query that cannot be parsed is a 400 with one line."""
    filters = Filters(since, until, source, stage, tactic, person)
    results = search(get_store(), q or "", filters, limit, offset)
    return {
        "query": results.query,
        "total": results.total,
        "limit": limit,
        "offset": offset,
        "hits": [hit.to_json() for hit in results.hits],
    }


@endpoint("/cases", "Case files, latest report first", [SINCE, STAGE, LIMIT, OFFSET], "CasePage")
def cases(since: date | None, stage: str | None, limit: int, offset: int) -> dict[str, Any]:
    """As `bulletin cases --json`; `since` keeps cases with a report on or after that day,
    `stage` those whose latest stage it is."""
    from bulletin.cli import _case_json

    found = get_store().case_summaries(since, stage)
    return {
        "total": len(found),
        "limit": limit,
        "offset": offset,
        "items": [_case_json(c) for c in found[offset : offset + limit]],
    }


CASE_ID = Param(
    "case_id", {"type": "integer", "minimum": 1, "maximum": 10**15}, "The case's id.", "path", True
)


@endpoint("/cases/{case_id}", "One case file with its timeline", [CASE_ID], "CaseFile", (400, 403, 404))
def case(case_id: int) -> dict[str, Any]:
    """As `bulletin case show --json`. A case renumbered by a merge or split is found by its story."""
    from flask import abort

    from bulletin.cli import _case_json, _report_json

    store = get_store()
    found = store.case_file(case_id)
    if found is None:
        moved = store.story_case(case_id)
        found = store.case_file(moved) if moved is not None else None
    if found is None:
        abort(404, description=f"no case {case_id}")
    return {
        **_case_json(found.summary),
        "timeline": [_report_json(r) for r in found.reports],
        "candidates": [_report_json(r) for r in found.candidates],
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(description())


# -- the description -------------------------------------------------------------------------

_NULLABLE_STRING = {"type": ["string", "null"]}
_OBJECTS = {"type": "array", "items": {"type": "object"}}
_ERROR_TEXT = {400: "A parameter or query that cannot be used", 403: "No or wrong token", 404: "Not found"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "One line saying what was wrong."}},
    },
    "Article": {
        "type": "object",
        "description": "One article as a line of `bulletin export` (JSON Lines).",
        # The extraction record's keys (exporting.RECORD_KEYS), then what export adds of the article.
        "required": [
            *RECORD_KEYS,
            "source",
            "story_id",
            "published_at",
            "fetched_at",
            "pipeline_version",
            "review_status",
            "text",
        ],
        "properties": {
            "id": {"type": "string"},
            "relevant": {"type": ["boolean", "null"]},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "published": {**_NULLABLE_STRING, "description": "YYYY-MM-DD"},
            "subjects": {"type": "array", "items": {"type": "string"}},
            "entities": _OBJECTS,
            "tactics": _OBJECTS,
            "penalties": _OBJECTS,
            "laws": {"type": "array"},
            "stage": {"type": ["object", "null"]},
            "relevance": {"type": ["number", "null"]},
            "source": {"type": "string"},
            "story_id": {"type": ["integer", "null"]},
            "published_at": _NULLABLE_STRING,
            "fetched_at": {"type": "string"},
            "byline": _NULLABLE_STRING,
            "section": _NULLABLE_STRING,
            "lang": {"type": "string"},
            "topic_score": {"type": ["number", "null"]},
            "pipeline_version": _NULLABLE_STRING,
            "extracted_at": _NULLABLE_STRING,
            "review_status": _NULLABLE_STRING,
            "text": {"type": "string"},
        },
    },
    "ArticlePage": {
        "type": "object",
        "required": ["items", "limit", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Article"}},
            "limit": {"type": "integer"},
            "next_cursor": {**_NULLABLE_STRING, "description": "Pass as `cursor` for the next page."},
        },
    },
    "SearchHit": {
        "type": "object",
        "required": [
            "id",
            "url",
            "title",
            "source",
            "published",
            "story_id",
            "stage",
            "subjects",
            "score",
            "snippet",
            "highlights",
        ],
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string"},
            "title": {"type": "string"},
            "source": {"type": "string"},
            "published": _NULLABLE_STRING,
            "story_id": {"type": ["integer", "null"]},
            "stage": _NULLABLE_STRING,
            "subjects": {"type": "array", "items": {"type": "string"}},
            "score": {"type": "number", "description": "Higher is better; comparable within one query."},
            "snippet": {"type": "string"},
            "highlights": {
                "type": "array",
                "description": "[start, end) character ranges of the matches in `snippet`.",
                "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            },
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["query", "total", "limit", "offset", "hits"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
        },
    },
    "CaseSummary": {
        "type": "object",
        "required": [
            "id",
            "title",
            "subjects",
            "stage",
            "stage_date",
            "first_published",
            "last_published",
            "reports",
            "candidates",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "subjects": {"type": "array", "items": {"type": "string"}},
            "stage": _NULLABLE_STRING,
            "stage_date": _NULLABLE_STRING,
            "first_published": _NULLABLE_STRING,
            "last_published": _NULLABLE_STRING,
            "reports": {"type": "integer"},
            "candidates": {"type": "integer"},
        },
    },
    "CasePage": {
        "type": "object",
        "required": ["total", "limit", "offset", "items"],
        "properties": {
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSummary"}},
        },
    },
    "CaseReport": {
        "type": "object",
        "required": ["story_id", "headline", "published", "stage", "status", "score", "reasons", "links"],
        "properties": {
            "story_id": {"type": "integer"},
            "headline": {"type": "string"},
            "published": _NULLABLE_STRING,
            "stage": _NULLABLE_STRING,
            "stage_date": _NULLABLE_STRING,
            "stage_evidence": {"type": "string"},
            "events": _OBJECTS,
            "status": {"type": "string", "enum": ["linked", "candidate"]},
            "score": {"type": "number"},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["source", "url", "title", "published"],
                    "properties": {
                        "source": {"type": "string"},
                        "url": {"type": "string"},
                        "title": {"type": "string"},
                        "published": _NULLABLE_STRING,
                    },
                },
            },
        },
    },
    "CaseFile": {
        "type": "object",
        "description": "As `bulletin case show --json`: the summary's fields; `candidates` are reports.",
        "required": [
            "id",
            "title",
            "subjects",
            "stage",
            "stage_date",
            "first_published",
            "last_published",
            "reports",
            "timeline",
            "candidates",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "subjects": {"type": "array", "items": {"type": "string"}},
            "stage": _NULLABLE_STRING,
            "stage_date": _NULLABLE_STRING,
            "first_published": _NULLABLE_STRING,
            "last_published": _NULLABLE_STRING,
            "reports": {"type": "integer"},
            "timeline": {"type": "array", "items": {"$ref": "#/components/schemas/CaseReport"}},
            "candidates": {"type": "array", "items": {"$ref": "#/components/schemas/CaseReport"}},
        },
    },
}


def description() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every registered endpoint."""
    from bulletin import __version__

    paths: dict[str, Any] = {}
    for end in ENDPOINTS:
        responses: dict[str, Any] = {
            "200": {
                "description": end.summary,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{end.response}"}}},
            }
        }
        for code in end.errors:
            responses[str(code)] = {
                "description": _ERROR_TEXT[code],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        paths[PREFIX + end.path] = {
            "get": {
                "operationId": end.operation,
                "summary": end.summary,
                "description": end.description,
                "parameters": [
                    {
                        "name": p.name,
                        "in": p.where,
                        "required": p.required or p.where == "path",
                        "description": p.description,
                        "schema": p.schema,
                    }
                    for p in end.params
                ],
                "responses": responses,
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bulletin Watch API",
            "version": __version__,
            "description": "Read-only access to the archive: articles, search and case files.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "header": {"type": "apiKey", "in": "header", "name": "X-Review-Token"},
                "query": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
        # A token is needed when the server was given one (always, off loopback).
        "security": [{}, {"header": []}, {"query": []}],
    }
