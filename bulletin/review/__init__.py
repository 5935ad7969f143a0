"""The review page: a small Flask app over the archive (``bulletin review``).

``create_app(db_path, reviewer, token)`` builds it, flaskr-style. Pages are rendered on the
server from ``templates/review/``; the only script is ``static/review.js`` (keyboard and
text selection), served from here: no CDN, no request leaves the machine. Every
state-changing request is a POST carrying a CSRF token (Flask-WTF); when a token is set
(required to bind anything but loopback) every request must show it, once per browser
session as ``?token=…``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

import jinja2
from flask import Flask, abort, g, request, session
from flask_wtf.csrf import CSRFProtect

from bulletin.store import Store
from digest.filters import FILTERS
from digest.render import bundled_loader

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# A Content-Security-Policy that lets nothing run but our own script and nothing load from
# elsewhere: scraped text that slips past escaping still cannot execute or call out.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(db_path: str, reviewer: str, token: str = "", secret_key: str = "") -> Flask:
    """The review app over the archive at ``db_path``; corrections are made as ``reviewer``."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        DB_PATH=db_path,
        REVIEWER=reviewer,
        REVIEW_TOKEN=token,
        # A page left open all afternoon must still save: the token is tied to the session.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
    )
    app.jinja_loader = bundled_loader()
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.undefined = jinja2.StrictUndefined
    CSRFProtect(app)

    with Store.open(db_path, create=False) as store:
        store.reindex_review_queue()

    @app.before_request
    def check_token() -> None:
        expected = app.config["REVIEW_TOKEN"]
        if not expected:
            return
        given = (
            request.args.get("token") or request.headers.get("X-Review-Token") or session.get("token") or ""
        )
        if not hmac.compare_digest(str(given), expected):
            abort(403, description="this review page needs its token: open it with ?token=…")
        session["token"] = given

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"reviewer": app.config["REVIEWER"]}

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_appcontext
    def close_store(exc: BaseException | None) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    from bulletin.review import cases, views

    app.register_blueprint(views.bp)
    app.register_blueprint(cases.bp)
    return app


def get_store() -> Store:
    """The request's archive connection, opened on first use and closed at teardown."""
    if "store" not in g:
        from flask import current_app

        g.store = Store.open(current_app.config["DB_PATH"], create=False)
    store: Store = g.store
    return store
