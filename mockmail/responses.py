"""Flask responses in the real server's shapes: the envelope as JSON or XML, errors, the plain 401."""

from __future__ import annotations

from typing import Any

from flask import Response, request

from mockmail.api_request import ENVIRON_KEY, ApiRequest
from mockmail.errors import ApiError, reason_phrase
from mockmail.request_context import mock_state
from mockmail.wire import JSON_TYPE, XML_TYPE, error_envelope, render_json, render_xml


def render(body: Any, status: int, extension: str | None = None) -> Response:
    """JSON, or XML for a ``.xml``/``.tml`` path unless the request itself is JSON (``ApiHttpHandler``)."""
    if extension is None:
        extension = (request.view_args or {}).get("extension")
    if extension in ("xml", "tml") and request.mimetype != "application/json":
        text, content_type = render_xml(body), XML_TYPE
    else:
        text, content_type = render_json(body), JSON_TYPE
    phrase = reason_phrase(status)
    return Response(text, status=f"{status} {phrase}" if phrase else status, content_type=content_type)


def render_error(error: ApiError) -> Response:
    """An error in the envelope; the docs style keeps it too, as the docs page shows none.

    The error's reason (or a hint about the body) goes to the request's ``X-Mockmail-Reason``.
    """
    call: ApiRequest | None = request.environ.get(ENVIRON_KEY)  # None: not a request to the API
    if call is not None:
        call.note_error(error.reason)
    return render(error_envelope(error), error.status)


def unauthorized() -> Response:
    """The real 401: the bare text, and a Basic challenge when an Authorization header was sent.

    The scenario's ``basic_challenge: false`` (``--no-basic-challenge``) leaves the challenge out.
    """
    # No JSON: ErrorHttpHandler writes the text and sets no type, so ASP.NET's default applies.
    response = Response("Unauthorized", status="401 Unauthorized", content_type="text/html; charset=utf-8")
    # A browser meets the challenge with its own login dialog, over the page's; without it, the
    # page reads the 401 and runs its own login flow.
    if "Authorization" in request.headers and mock_state().basic_challenge:
        response.headers["WWW-Authenticate"] = f'Basic Realm="{_hostname(request.host)}"'
    return response


def _hostname(host: str) -> str:
    """``Uri.Host``: the Host header without its port."""
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and not host.endswith("]") else host
