"""The Flask application factory."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

import mockmail.account_routes  # noqa: F401  # registers the account calls on the api blueprint
from mockmail.access import Access, AccessPolicy, with_origins
from mockmail.api import api
from mockmail.control import control
from mockmail.errors import HRESULT_EXCEPTION, ApiError, Unauthorized
from mockmail.journal import JournalMiddleware
from mockmail.journal_api import journal_api
from mockmail.openapi import openapi
from mockmail.paths import CONTROL_PREFIX
from mockmail.replay import Replay, ReplayMiddleware
from mockmail.responses import render_error, unauthorized
from mockmail.scenarios import Scenario, Style, resolve_scenario
from mockmail.state import MockState
from mockmail.workbench import workbench
from mockmail.wsgi import BODY_LIMIT, WsgiApp

log = logging.getLogger("mockmail")
LOCAL_ONLY = AccessPolicy()


def create_app(
    scenario: Scenario | str | Path | None = None,
    style: Style | None = None,
    replay: Replay | None = None,
    access: AccessPolicy = LOCAL_ONLY,
) -> Flask:
    """A mock server app for ``scenario`` (a loaded one, a file, or the bundled default).

    ``style`` overrides the scenario's own; ``replay``, a recording, answers before the stateful
    mock (``app.extensions["mockmail"].replay`` changes it later); ``access`` names the Hosts
    and Origins it answers besides the local ones (the scenario's ``cors_origins`` add to them)
    and the control token.
    """
    scenario = resolve_scenario(scenario)
    app = Flask("mockmail", static_folder=None)  # the workbench serves its own files under /_mockmail/
    app.config["MAX_CONTENT_LENGTH"] = BODY_LIMIT
    app.json.sort_keys = False  # type: ignore[attr-defined]  # control answers keep their reading order
    state = app.extensions["mockmail"] = MockState(
        scenario=scenario, style=style or scenario.style, replay=replay, style_override=style
    )
    # The path is made canonical first, so `//_mockmail/...` cannot slip past the access rules,
    # which refuse a foreign Host or page and answer preflights before anything else runs.
    replayed = ReplayMiddleware(app.wsgi_app, lambda: state.replay)
    app.wsgi_app = _collapse_leading_slashes(  # type: ignore[method-assign,assignment]
        Access(
            JournalMiddleware(replayed, state.journal, state.store),
            lambda: with_origins(access, state.scenario.cors_origins),
            recording=lambda: state.replay is not None and state.replay.records,
        )
    )
    app.register_blueprint(api)
    app.register_blueprint(control)
    app.register_blueprint(journal_api)
    app.register_blueprint(workbench)
    app.register_blueprint(openapi)
    app.register_error_handler(ApiError, render_error)
    app.register_error_handler(Unauthorized, lambda _: unauthorized())
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    return app


def _http_error(error: HTTPException) -> Response | tuple[Response, int]:
    """Under /_mockmail/, the control endpoints' ``{"error": ...}``; elsewhere the API's envelope."""
    if request.path.startswith(CONTROL_PREFIX):
        message = error.description or str(error)
        if error.code in (404, 405):
            message = f"mockmail has no control endpoint {request.method} {request.path}"
        return jsonify(error=message), error.code or 500
    if error.code in (404, 405):
        message = f"mockmail does not mock {request.method} {request.path}"
        return render_error(ApiError(404, message, HRESULT_EXCEPTION, reason=message))
    message = error.description or str(error)
    return render_error(ApiError(error.code or 500, message, HRESULT_EXCEPTION, reason=message))


def _internal_error(error: Exception) -> Response:
    """A bug in mockmail: answered as a 500 envelope, logged, and kept for the test that caused it."""
    current_app.extensions["mockmail"].errors.append(error)
    log.exception("mockmail failed on %s %s", request.method, request.path)
    return render_error(ApiError(500, f"mockmail internal error: {error!r}", HRESULT_EXCEPTION))


def _collapse_leading_slashes(wsgi_app: WsgiApp) -> WsgiApp:
    """Serve ``//api/...`` (a base URL with a trailing slash) as ``/api/...``, as the real server does."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("//"):
            environ["PATH_INFO"] = "/" + path.lstrip("/")
        return wsgi_app(environ, start_response)

    return app
