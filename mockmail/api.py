"""The mocked ONLYOFFICE paths: bind the parameters, ask the store, answer in the wire format."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from mockmail.auth import AUTH_COOKIE, identify
from mockmail.binding import collect, json_params, parse_update, xml_params
from mockmail.errors import HRESULT_SYSTEM, ApiError, Unauthorized, reason_phrase
from mockmail.journal import Exchange
from mockmail.models import User
from mockmail.state import MockState
from mockmail.wire import (
    JSON_TYPE,
    XML_TYPE,
    docs_style,
    envelope,
    error_envelope,
    listed_accounts,
    render_json,
    render_xml,
    updated_account,
)

ACCOUNTS = "/api/2.0/mail/accounts"
AUTHENTICATION = "/api/2.0/authentication"
TOKEN_LIFETIME = timedelta(days=30)

api = Blueprint("mockmail_api", __name__)


View = Callable[..., Response]


def _routes(path: str, methods: list[str]) -> Callable[[View], View]:
    """Register a view on the bare path and its ``.json``/``.xml``/``.tml`` twins, as the real server does."""

    def register(view: View) -> View:
        # The view's default extension, not the rule's `defaults`: Werkzeug would redirect `.json`.
        for rule in (path, f"{path}.<any(json, xml, tml):extension>"):
            api.add_url_rule(rule, view_func=view, methods=methods, provide_automatic_options=False)
        return view

    return register


@_routes(ACCOUNTS, ["GET", "PUT"])
def accounts(extension: str = "json") -> Response:
    """``GET`` lists the user's accounts; ``PUT`` updates one, found by its email."""
    mock, record = mock_state(), exchange()
    user = _authenticated(mock, record)
    if request.method == "GET":
        return _success(mock, listed_accounts(user, mock.store.accounts(user)), extension)
    change = parse_update(request_params(record))
    record.email = change.address
    account = mock.store.update(user, change, datetime.now())
    return _success(mock, updated_account(account, change.email, user.default_account), extension)


@_routes(AUTHENTICATION, ["POST"])
def authentication(extension: str = "json") -> Response:
    """Log in with ``userName`` and ``password``; the answer carries the user's token (201)."""
    params = request_params()
    user = mock_state().store.user_for_login(params.get("username", ""), params.get("password", ""))
    if user is None:
        raise ApiError(500, "User authentication failed", HRESULT_SYSTEM)
    expires = (datetime.now(UTC) + TOKEN_LIFETIME).isoformat(timespec="microseconds")
    return render(envelope({"token": user.token, "expires": expires}, 201), 201, extension)


def render(body: Any, status: int, extension: str | None = None) -> Response:
    """JSON, or XML for a ``.xml``/``.tml`` path unless the request itself is JSON (C1)."""
    if extension is None:
        extension = (request.view_args or {}).get("extension")
    if extension in ("xml", "tml") and request.mimetype != "application/json":
        text, content_type = render_xml(body), XML_TYPE
    else:
        text, content_type = render_json(body), JSON_TYPE
    phrase = reason_phrase(status)
    return Response(text, status=f"{status} {phrase}" if phrase else status, content_type=content_type)


def render_error(error: ApiError) -> Response:
    """An error in the envelope; the docs style keeps it too, as the docs page shows none."""
    return render(error_envelope(error), error.status)


def unauthorized() -> Response:
    """The real 401: plain text, and a Basic challenge when an Authorization header was sent."""
    response = Response("Unauthorized", status="401 Unauthorized", content_type="text/plain; charset=utf-8")
    if "Authorization" in request.headers:
        response.headers["WWW-Authenticate"] = f'Basic Realm="{_hostname(request.host)}"'
    return response


def _success(mock: MockState, data: Any, extension: str) -> Response:
    return render(docs_style(data) if mock.style == "docs" else envelope(data), 200, extension)


def mock_state() -> MockState:
    """The current app's mock state."""
    mock: MockState = current_app.extensions["mockmail"]
    return mock


def request_user(mock: MockState) -> User | None:
    """The user whose credentials the request carries."""
    environ = request.environ
    cookie = request.cookies.get(AUTH_COOKIE) if "HTTP_COOKIE" in environ else None
    return identify(mock.store, environ.get("HTTP_AUTHORIZATION"), cookie)


def _authenticated(mock: MockState, record: Exchange) -> User:
    user = request_user(mock)
    if user is None:
        raise Unauthorized()
    record.user = user.name
    return user


def request_params(record: Exchange | None = None) -> dict[str, str]:
    """Query string first, then the body: JSON, XML, or else a form (C4). Parsed once a request."""
    record = record or exchange()
    params = record.params
    if params is None:
        # Straight from the environ where werkzeug's parsed views would cost more than the mock.
        query = request.args.items(multi=True) if request.environ.get("QUERY_STRING") else ()
        mimetype = request.mimetype
        if mimetype == "application/json":
            params = collect(query, json_params(request.get_data()))
        elif mimetype in ("text/xml", "application/xml"):
            params = collect(query, xml_params(request.get_data()))
        else:
            params = collect(query, request.form.items(multi=True))
        record.params = params
    return params


def exchange() -> Exchange:
    """The journal's record of this request (set up before the view runs)."""
    record: Exchange | None = g.get("mockmail")
    if record is None:
        record = g.mockmail = Exchange(started=time.perf_counter())
    return record


def _hostname(host: str) -> str:
    """``Uri.Host``: the Host header without its port."""
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and not host.endswith("]") else host
