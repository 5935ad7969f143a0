"""The review page: a small Flask app over the archive (``bulletin review``).

``create_app(db_path, reviewer, token)`` builds it, flaskr-style. Pages are rendered on the
server from ``templates/review/``; the only script is ``static/review.js`` (keyboard and
text selection), served from here: no CDN, no request leaves the machine. Every
state-changing request is a POST carrying a CSRF token (Flask-WTF); when a token is set
(required to bind anything but loopback) every request must show it, once per browser
session as ``?token=…``, exchanged for a flag in the session and dropped from the URL.

What it accepts (``guard``): requests whose Host is one it was started for (loopback names,
and ``host``), so a rebinding domain cannot reach it; POSTs whose Origin (or Referer) is
the page itself; bodies up to ``MAX_BODY_BYTES`` with at most ``MAX_FORM_FIELDS`` fields,
each within its length in ``edits.FIELD_LIMITS``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from flask import Flask, abort, g, redirect, render_template, request, session
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from bulletin.errors import ConfigError, DiskFullError, ReadOnlyError, StoreError
from bulletin.store import Store
from digest.filters import FILTERS
from digest.render import bundled_loader

LOOPBACK = ("127.0.0.1", "localhost", "::1")
# The JSON API's routes (bulletin/api.py): a script shows the token on each call, no session.
API_PREFIX = "/api/"
# Addresses that bind every interface: the Host a client uses cannot be known in advance.
WILDCARD = ("0.0.0.0", "::", "")  # noqa: S104 (names of the wildcard, not a bind)
# A review form is a few short fields; nothing a reviewer types is near this. Bigger
# bodies are refused with 413 before they are read (waitress is told the same limit).
MAX_BODY_BYTES = 256 * 1024
MAX_FORM_FIELDS = 100
# A token that guards a page on the network: secrets.token_urlsafe(32) gives 43 characters.
MIN_TOKEN_CHARS = 32
# A Content-Security-Policy that lets nothing run but our own script and nothing load from
# elsewhere: scraped text that slips past escaping still cannot execute or call out.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def host_name(host: str) -> str:
    """The name in a Host header, without its port: ``[::1]:8765`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def create_app(
    db_path: str, reviewer: str, token: str = "", secret_key: str = "", host: str = "127.0.0.1"
) -> Flask:
    """The review app over the archive at ``db_path``; corrections are made as ``reviewer``.

    ``host`` is the address the server binds: requests naming another host are refused.
    Away from loopback the ``token`` must be at least ``MIN_TOKEN_CHARS`` long.
    """
    if host_name(host) not in LOOPBACK and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"review.token: {len(token)} characters; binding {host} needs at least {MIN_TOKEN_CHARS} "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))' makes one), "
            "or leave it unset to have one generated"
        )
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
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        MAX_FORM_PARTS=MAX_FORM_FIELDS,
    )
    app.jinja_loader = bundled_loader()
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.undefined = jinja2.StrictUndefined
    allowed = {*LOOPBACK, host_name(host)}
    any_host = host_name(host) in WILDCARD

    # Registered before CSRFProtect's, so it runs first: a foreign Host gets nothing at all.
    @app.before_request
    def guard() -> None:
        if not any_host and host_name(request.host) not in allowed:
            abort(400, description=f"this review page answers only to {', '.join(sorted(allowed))}")
        if request.method == "POST":
            for header in ("Origin", "Referer"):
                value = request.headers.get(header)
                if value is not None:
                    if urlsplit(value).netloc.lower() != request.host.lower():
                        abort(403, description=f"{header} {value[:100]!r} is not this review page")
                    break
            if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
                abort(413)
            if sum(1 for _ in request.form.items(multi=True)) > MAX_FORM_FIELDS:
                abort(413, description=f"more than {MAX_FORM_FIELDS} form fields")

    CSRFProtect(app)

    with Store.open(db_path, create=False) as store:
        if store.read_only:
            raise ReadOnlyError(
                f"{store.path}: the archive is read-only ({store.read_only}); the review page writes "
                "corrections to it: run it on a writable copy, or remount the archive read-write"
            )
        store.reindex_review_queue()

    @app.before_request
    def check_token() -> Response | None:
        expected = app.config["REVIEW_TOKEN"]
        if not expected or session.get("authorised"):
            return None
        given = request.headers.get("X-Review-Token") or request.args.get("token") or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            abort(403, description="this review page needs its token: open it with ?token=…")
        if request.headers.get("X-Review-Token") or request.path.startswith(API_PREFIX):
            return None  # a script's header, or an API call: it shows the token on every request
        # Only a flag goes in the (signed, not encrypted) cookie; the URL loses the token, so
        # it stays out of the history, the address bar and any link copied from the page.
        session["authorised"] = True
        if request.method in ("GET", "HEAD"):
            query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "token"])
            return redirect(request.path + (f"?{query}" if query else ""), code=303)
        return None

    @app.context_processor
    def common() -> dict[str, Any]:
        return {"reviewer": app.config["REVIEWER"]}

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" with
        # the page's own POSTs, and the Origin check would refuse them.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(StoreError)
    def archive_unavailable(exc: StoreError) -> tuple[str, int]:
        """The archive cannot be opened or written (a full disk, a read-only mount): one line."""
        return render_template("review/error.html", error=str(exc), q=""), (
            507 if isinstance(exc, DiskFullError) else 503
        )

    @app.teardown_appcontext
    def close_store(exc: BaseException | None) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    from bulletin import api, api_workbench  # noqa: F401  (api_workbench adds its endpoints to api.bp)
    from bulletin.review import cases, search_page, trends, views, watch
    from bulletin.search import as_html

    app.jinja_env.filters["search_html"] = as_html
    app.register_blueprint(views.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(search_page.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(watch.bp)
    app.register_blueprint(trends.bp)
    return app


def get_store() -> Store:
    """The request's archive connection, opened on first use and closed at teardown."""
    if "store" not in g:
        from flask import current_app

        g.store = Store.open(current_app.config["DB_PATH"], create=False)
    store: Store = g.store
    return store
