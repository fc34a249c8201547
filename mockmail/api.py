"""The mocked ONLYOFFICE paths: bind the parameters, ask the store, answer in the wire format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, request

from mockmail.binding import parse_update
from mockmail.errors import HRESULT_SYSTEM, ApiError, Unauthorized
from mockmail.injection import with_faults
from mockmail.models import User
from mockmail.paths import ACCOUNTS, AUTHENTICATION
from mockmail.reasons import login_problem, update_refusal
from mockmail.request_context import api_request, mock_state
from mockmail.responses import render
from mockmail.state import MockState
from mockmail.wire import docs_style, envelope, listed_accounts, updated_account

TOKEN_LIFETIME = timedelta(days=30)

api = Blueprint("mockmail_api", __name__)

View = Callable[..., Response]


def routes(path: str, methods: list[str]) -> Callable[[View], View]:
    """Register a view, behind the faults, on the bare path and its ``.json``/``.xml``/``.tml`` twins."""

    def register(view: View) -> View:
        guarded = with_faults(view)
        # The view's default extension, not the rule's `defaults`: Werkzeug would redirect `.json`.
        for rule in (path, f"{path}.<any(json, xml, tml):extension>"):
            api.add_url_rule(rule, view_func=guarded, methods=methods, provide_automatic_options=False)
        return view

    return register


@routes(ACCOUNTS, ["GET", "PUT"])
def accounts(extension: str = "json") -> Response:
    """``GET`` lists the user's accounts; ``PUT`` updates one, found by its email."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    if request.method in ("GET", "HEAD"):  # HEAD: the GET's headers (Werkzeug routes it with GET)
        return success(mock, listed_accounts(user, mock.store.accounts(user)), extension)
    change = parse_update(call.parameters())
    try:
        account = mock.store.update(user, change, datetime.now())
    except ApiError as error:  # the real server's bare 500: say which of its causes it was
        error.reason = error.reason or update_refusal(mock.store, user, change, error.message)
        raise
    return success(mock, updated_account(account, change.email, user.default_account), extension)


@routes(AUTHENTICATION, ["POST"])
def authentication(extension: str = "json") -> Response:
    """Log in with ``userName`` and ``password``; the answer carries the user's token (201)."""
    params = api_request().parameters()
    store = mock_state().store
    name, password = params.get("username", ""), params.get("password", "")
    user = store.user_for_login(name, password)
    if user is None:
        raise ApiError(
            500, "User authentication failed", HRESULT_SYSTEM, reason=login_problem(store, name, password)
        )
    expires = _api_date_time(datetime.now(UTC) + TOKEN_LIFETIME)
    return render(envelope({"token": user.token, "expires": expires}, 201), 201, extension)


def _api_date_time(moment: datetime) -> str:
    """ApiDateTime.ToString(): seven fraction digits, and Z for a zero offset."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def success(mock: MockState, data: Any, extension: str) -> Response:
    """A 200 carrying ``data`` in the scenario's style."""
    return render(docs_style(data) if mock.style == "docs" else envelope(data), 200, extension)


def authenticated(caller: User | None) -> User:
    """The caller, or the real 401 when the request carries no valid credentials (and why, as its reason)."""
    if caller is None:
        call = api_request()
        call.reason = call.reason or call.credentials_problem()
        raise Unauthorized()
    return caller
