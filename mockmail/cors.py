"""CORS, so a page served from another origin (a front-end dev server) can call the mock.

WSGI middleware rather than Flask hooks: it reads two environ keys per request and answers
preflights before Flask builds a request at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from mockmail.access import AccessPolicy
from mockmail.wsgi import WsgiApp

# The real server's preflight answer (reference C2); requested headers are allowed on top,
# so a page that sends X-Requested-With, as jQuery does, is not refused by the mock.
ALLOW_METHODS = "GET, POST, PUT, DELETE"
ALLOW_HEADERS = "origin, authorization, accept, content-type"
MAX_AGE = "1728000"
EXPOSE_HEADERS = "WWW-Authenticate, Retry-After"
_HEADER_NAMES = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:[ \t]*,[ \t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*|")


class Cors:
    """Answer preflights; let an allowed origin read every answer, and no other origin any."""

    def __init__(self, app: WsgiApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self.policy.allows_origin(origin):
            if environ.get("REQUEST_METHOD") == "OPTIONS":  # a foreign page learns nothing
                start_response("200 OK", [("Content-Length", "0")])
                return [b""]
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            start_response("200 OK", [*_preflight(environ, origin), *_allow(origin), ("Content-Length", "0")])
            return [b""]
        if not origin:
            return self.app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *_allow(origin)], exc_info)

        return self.app(environ, start)


def _preflight(environ: dict[str, Any], origin: str | None) -> list[tuple[str, str]]:
    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
    if not _HEADER_NAMES.fullmatch(requested):
        requested = ""  # never echoed unless it is a list of header names
    headers = [
        ("Access-Control-Allow-Methods", ALLOW_METHODS),
        ("Access-Control-Allow-Headers", f"{ALLOW_HEADERS}, {requested}" if requested else ALLOW_HEADERS),
        ("Access-Control-Max-Age", MAX_AGE),
    ]
    # Chrome asks before a public page reaches a local server: only an allowed origin is told yes.
    if origin and environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true":
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    return headers


def _allow(origin: str | None) -> list[tuple[str, str]]:
    if not origin:
        return []
    # Echoing the origin, not "*", is what lets the browser send the cookie or Authorization.
    return [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", EXPOSE_HEADERS),
        ("Vary", "Origin"),
    ]
