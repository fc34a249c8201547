"""What the Flask handlers know of the request being served: the mock, and the request to the API."""

from __future__ import annotations

from flask import current_app, request

from mockmail.api_request import ApiRequest
from mockmail.state import MockState


def mock_state() -> MockState:
    """The current app's mock state."""
    mock: MockState = current_app.extensions["mockmail"]
    return mock


def api_request() -> ApiRequest:
    """The request to the mocked API being served, as the faults, the view and the journal see it."""
    return ApiRequest.of(request.environ, mock_state().store)
