"""CORS, so a page served from another origin (a front-end dev server) can call the mock."""

from __future__ import annotations

from flask import Flask, Response, request

# The real server's preflight answer (reference C2); requested headers are allowed on top,
# so a page that sends X-Requested-With, as jQuery does, is not refused by the mock.
ALLOW_METHODS = "GET, POST, PUT, DELETE"
ALLOW_HEADERS = "origin, authorization, accept, content-type"
MAX_AGE = "1728000"
EXPOSE_HEADERS = "WWW-Authenticate, Retry-After"


def install_cors(app: Flask) -> None:
    """Answer preflights and let every answer to a request with an ``Origin`` be read by it."""
    app.before_request(_preflight)
    app.after_request(_allow_origin)


def _preflight() -> Response | None:
    if request.method != "OPTIONS":
        return None
    response = Response(status=200)
    requested = request.headers.get("Access-Control-Request-Headers", "")
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = (
        f"{ALLOW_HEADERS}, {requested}" if requested else ALLOW_HEADERS
    )
    response.headers["Access-Control-Max-Age"] = MAX_AGE
    if request.headers.get("Access-Control-Request-Private-Network") == "true":
        response.headers["Access-Control-Allow-Private-Network"] = "true"
    return response


def _allow_origin(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if origin:
        # Echoing the origin, not "*", is what lets the browser send the cookie or Authorization.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        response.vary.add("Origin")
    return response
