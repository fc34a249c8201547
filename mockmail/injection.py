"""Faults applied to the requests of the mocked API: latency, and answers instead of the normal one."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, request

from mockmail.binding import parse_address
from mockmail.errors import ApiError
from mockmail.faults import CONNECTION_KINDS, Answer, ConnectionFault, RequestFacts
from mockmail.request_context import exchange, mock_state, request_params
from mockmail.responses import render_error, unauthorized
from mockmail.state import MockState
from mockmail.wire import JSON_TYPE

MALFORMED_JSON = b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"'
TRUNCATED_BODY = b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"cut@x.y"}}'

View = Callable[..., Response]


def with_faults(view: View) -> View:
    """The view behind the fault plan: faults may delay the request or answer instead of it."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Response:
        mock = mock_state()
        if mock.faults:
            answer = _inject(mock)
            if answer is not None:
                return answer
        return view(*args, **kwargs)

    return guarded


def _inject(mock: MockState) -> Response | None:
    environ = request.environ
    facts = RequestFacts.of(environ, lambda: mock.user_name(environ), _email)
    decision = mock.faults.decide(facts)
    if decision.delay_s:
        time.sleep(decision.delay_s)
    if decision.answer is None:
        return None
    record = exchange()
    record.fault = decision.fault
    record.user = facts.user
    record.email = facts.email  # parses the parameters, for the journal
    request.get_data()  # any body left unread, so a kept-alive connection stays in step
    if decision.answer.kind == "expire_token" and record.user:
        mock.store.revoke_token(record.user)
    if decision.answer.kind in CONNECTION_KINDS:
        record.dropped = True
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


def _email() -> str | None:
    try:
        email = request_params().get("email")
        return parse_address(email)[1] if email else None
    except ApiError:
        return None  # a body the handler will refuse names no account
