"""The journal under /_mockmail/journal: read, counted and cleared over HTTP, filtered by query.

``GET /_mockmail/journal?method=PUT&email=bob@example.com`` and ``.../journal/count?...``
(``{"count": N}``, as WireMock's ``/__admin/requests/count``) take the same filters, so a test in
any language can ask "was the account updated exactly once?".
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mockmail.journal import JournalQuery
from mockmail.request_context import mock_state

journal_api = Blueprint("mockmail_journal", __name__, url_prefix="/_mockmail")


@journal_api.get("/journal")
def journal() -> tuple[Response, int]:
    """The requests to the mocked API the filters select, oldest first (of the last 1,000)."""
    query = _query()
    if isinstance(query, str):
        return jsonify(error=query), 400
    return jsonify(requests=[entry.to_json() for entry in mock_state().journal.entries(query)]), 200


@journal_api.get("/journal/count")
def count() -> tuple[Response, int]:
    """How many requests the filters select."""
    query = _query()
    if isinstance(query, str):
        return jsonify(error=query), 400
    return jsonify(count=mock_state().journal.count(query)), 200


@journal_api.delete("/journal")
def clear_journal() -> tuple[str, int]:
    mock_state().journal.clear()
    return "", 204


def _query() -> JournalQuery | str:
    """The request's filters, or the message saying which one is wrong."""
    try:
        return JournalQuery.parse(request.args.to_dict())
    except ValueError as error:
        return str(error)
