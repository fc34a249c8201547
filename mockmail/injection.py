"""Faults applied to requests to the mocked API, and each such request written to the journal."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Flask, Response, g, request

from mockmail.api import mock_state, render_error, request_params, request_user, unauthorized
from mockmail.binding import parse_address
from mockmail.errors import ApiError
from mockmail.faults import CONNECTION_KINDS, Answer, ConnectionFault, RequestFacts, normalize_path
from mockmail.journal import Exchange
from mockmail.wire import JSON_TYPE

API_PREFIX = "/api/"
MALFORMED_JSON = b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"'
TRUNCATED_BODY = b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"cut@x.y"}}'


def install_faults(app: Flask) -> None:
    """Run the fault plan before each API request and journal it after."""
    app.before_request(_inject)
    app.after_request(_journal)


def _inject() -> Response | None:
    if not request.path.startswith(API_PREFIX):
        return None
    exchange = g.mockmail = Exchange(started=time.perf_counter())
    mock = mock_state()
    if not mock.faults:
        return None
    facts = RequestFacts(request.method, normalize_path(request.path), _user_name, _email)
    decision = mock.faults.decide(facts)
    if decision.delay_s:
        time.sleep(decision.delay_s)
    if decision.answer is None:
        return None
    exchange.fault = decision.fault
    exchange.user = facts.user()
    exchange.email = facts.email()  # parses the parameters, for the journal
    request.get_data()  # any body left unread, so a kept-alive connection stays in step
    if decision.answer.kind == "expire_token" and exchange.user:
        mock.store.revoke_token(exchange.user)
    if decision.answer.kind in CONNECTION_KINDS:
        exchange.dropped = True
    return _answer(decision.answer)


def _answer(answer: Answer) -> Response:
    """The response a fault gives instead of the normal one."""
    if answer.kind in ("reset", "empty"):
        response = Response(_drop(answer.kind, b""), status=200, content_type=JSON_TYPE)
    elif answer.kind == "truncated":
        half = TRUNCATED_BODY[: len(TRUNCATED_BODY) // 2]
        response = Response(_drop("truncated", half), content_type=JSON_TYPE)
        response.headers["Content-Length"] = str(len(TRUNCATED_BODY))
    elif answer.kind == "malformed_json":
        response = Response(MALFORMED_JSON, status=200, content_type=JSON_TYPE)
    elif answer.status == 401:
        response = unauthorized()
    else:
        response = render_error(ApiError(answer.status, answer.message, answer.hresult))
    response.headers.update(answer.headers)
    return response


def _drop(kind: str, sent: bytes) -> Iterator[bytes]:
    """A body that sends ``sent``, then makes the server drop the connection (see server.py)."""
    if sent:
        yield sent
    raise ConnectionFault(kind)


def _user_name() -> str | None:
    user = request_user(mock_state())
    return user.name if user else None


def _email() -> str | None:
    try:
        email = request_params().get("email")
        return parse_address(email)[1] if email else None
    except ApiError:
        return None  # a body the handler will refuse names no account


def _journal(response: Response) -> Response:
    exchange: Exchange | None = g.get("mockmail")
    if exchange is not None:
        mock_state().journal.add(request.method, request.path, response.status_code, exchange)
    return response
