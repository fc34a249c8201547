"""The journal under /_mockmail/journal: read, counted and cleared over HTTP."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from mockmail.request_context import mock_state

journal_api = Blueprint("mockmail_journal", __name__, url_prefix="/_mockmail")


@journal_api.get("/journal")
def journal() -> Response:
    """The requests to the mocked API, oldest first (the last 1,000)."""
    return jsonify(requests=[entry.to_json() for entry in mock_state().journal.entries()])


@journal_api.delete("/journal")
def clear_journal() -> tuple[str, int]:
    mock_state().journal.clear()
    return "", 204
