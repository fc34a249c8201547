"""What the handlers know of the request being served: the mock, its journal record, parameters, caller."""

from __future__ import annotations

import time

from flask import current_app, request

from mockmail.auth import environ_user
from mockmail.binding import collect, json_params, xml_params
from mockmail.journal import EXCHANGE_KEY, Exchange
from mockmail.models import User
from mockmail.state import MockState


def mock_state() -> MockState:
    """The current app's mock state."""
    mock: MockState = current_app.extensions["mockmail"]
    return mock


def exchange() -> Exchange:
    """The journal's record of this request (the journal middleware sets it up for /api/ paths)."""
    environ = request.environ
    record: Exchange | None = environ.get(EXCHANGE_KEY)
    if record is None:
        record = environ[EXCHANGE_KEY] = Exchange(started=time.perf_counter())
    return record


def request_user(mock: MockState) -> User | None:
    """The user whose credentials the request carries."""
    return environ_user(mock.store, request.environ)


def request_params(record: Exchange | None = None) -> dict[str, str]:
    """Query string first, then the body: JSON, XML, or else a form (C4). Parsed once a request."""
    record = record or exchange()
    params = record.params
    if params is None:
        # The environ first: werkzeug's parsed views cost more than the mock when they are empty.
        environ = request.environ
        query = request.args.items(multi=True) if environ.get("QUERY_STRING") else ()
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if mimetype == "application/json":
            params = collect(query, json_params(request.get_data()))
        elif mimetype in ("text/xml", "application/xml"):
            params = collect(query, xml_params(request.get_data()))
        else:
            params = collect(query, request.form.items(multi=True))
        record.params = params
    return params
