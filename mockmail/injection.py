"""Faults applied to the requests of the mocked API: latency, and answers instead of the normal one."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from flask import Response

from mockmail.api_request import ApiRequest
from mockmail.errors import ApiError
from mockmail.faults import CONNECTION_KINDS, Answer
from mockmail.reasons import fault_reason
from mockmail.request_context import api_request, mock_state
from mockmail.responses import render_error, unauthorized
from mockmail.state import MockState
from mockmail.wire import JSON_TYPE
from mockmail.wsgi import ConnectionFault, set_connection_fault, wait

MALFORMED_JSON = b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"'
TRUNCATED_BODY = b'{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"cut@x.y"}}'

View = Callable[..., Response]


def with_faults(view: View) -> View:
    """The view behind the fault plan: faults may delay the request or answer instead of it."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Response:
        mock = mock_state()
        if mock.faults:
            answer = _inject(mock, api_request())
            if answer is not None:
                return answer
        return view(*args, **kwargs)

    return guarded


def _inject(mock: MockState, request: ApiRequest) -> Response | None:
    decision = mock.faults.decide(request)
    if decision.delay_s:
        wait(request.environ, decision.delay_s)
    if decision.answer is None:
        return None
    request.fault = decision.fault
    if decision.fault is not None:
        request.reason = fault_reason(decision.fault)
    with contextlib.suppress(ApiError):  # a body the handler would refuse: the journal shows none
        request.parameters()  # the journal names the account and fields a faulted request carried
    if decision.answer.kind == "expire_token" and request.caller:
        mock.store.revoke_token(request.caller.name)
    if decision.answer.kind in CONNECTION_KINDS:
        set_connection_fault(request.environ, ConnectionFault(decision.answer.kind))
    return _answer(decision.answer)


def _answer(answer: Answer) -> Response:
    """The response a fault gives instead of the normal one."""
    if answer.kind in ("reset", "empty"):
        response = Response(b"", content_type=JSON_TYPE)  # the transport sends none of it
    elif answer.kind == "truncated":  # the transport sends the head and this half, then closes
        response = Response(TRUNCATED_BODY[: len(TRUNCATED_BODY) // 2], content_type=JSON_TYPE)
        response.headers["Content-Length"] = str(len(TRUNCATED_BODY))
    elif answer.kind == "malformed_json":
        response = Response(MALFORMED_JSON, status=200, content_type=JSON_TYPE)
    elif answer.status == 401:
        response = unauthorized()
    else:
        response = render_error(ApiError(answer.status, answer.message, answer.hresult))
    response.headers.update(answer.headers)
    return response
