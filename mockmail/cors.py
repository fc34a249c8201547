"""CORS headers in the real server's shapes, for the pages that may read the mock's answers, and
what an origin looks like.

Which origins those are is access.py's decision; this module only says what they are told.
"""

from __future__ import annotations

import re

from mockmail.paths import CONTROL_PREFIX
from mockmail.reasons import FAULT_HEADER, REASON_HEADER
from mockmail.wsgi import Environ

# The real server's preflight answer (CommunityServer's `ApiAccessControlRouteRegistrator`);
# requested headers are allowed on top, so a page that sends X-Requested-With, as jQuery does,
# is not refused by the mock.
ALLOW_METHODS = "GET, POST, PUT, DELETE"
CONTROL_METHODS = "GET, POST, PUT, PATCH, DELETE"  # /_mockmail/ switches faults on and off with PATCH
ALLOW_HEADERS = "origin, authorization, accept, content-type"
MAX_AGE = "1728000"
# What a page may read of an answer besides the safelisted headers: mockmail's own notes too.
EXPOSE_HEADERS = f"WWW-Authenticate, Retry-After, {REASON_HEADER}, {FAULT_HEADER}"
_HEADER_NAMES = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:[ \t]*,[ \t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*|")

ANY_ORIGIN = "*"
VISIBLE = re.compile(r"[\x21-\x7e]+")  # what an Origin is made of: no space, no control character

Headers = list[tuple[str, str]]


def preflight_headers(environ: Environ, origin: str | None) -> Headers:
    """The answer to a preflight (``origin``, if any, allowed)."""
    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
    if not _HEADER_NAMES.fullmatch(requested):
        requested = ""  # never echoed unless it is a list of header names
    headers = [
        ("Access-Control-Allow-Methods", CONTROL_METHODS if _is_control(environ) else ALLOW_METHODS),
        ("Access-Control-Allow-Headers", f"{ALLOW_HEADERS}, {requested}" if requested else ALLOW_HEADERS),
        ("Access-Control-Max-Age", MAX_AGE),
    ]
    # Chrome asks before a public page reaches a local server: only an allowed origin is told yes.
    if origin and environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true":
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    return [*headers, *allow_headers(origin)]


def _is_control(environ: Environ) -> bool:
    return str(environ.get("PATH_INFO", "")).startswith(CONTROL_PREFIX)


def allow_headers(origin: str | None) -> Headers:
    """What lets the page of an allowed ``origin`` read an answer, with its credentials."""
    if not origin:
        return []
    # Echoing the origin, not "*", is what lets the browser send the cookie or Authorization.
    return [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", EXPOSE_HEADERS),
        ("Vary", "Origin"),
    ]


def check_origin(origin: str) -> str:
    """``origin`` if it is ``*`` or ``scheme://host[:port]``; ValueError saying why not."""
    scheme, separator, host = origin.partition("://")
    if origin == ANY_ORIGIN or (
        VISIBLE.fullmatch(origin) and scheme and separator and host and "/" not in host.rstrip("/")
    ):
        return origin
    raise ValueError(
        f"{origin!r} is not an origin: expected scheme://host[:port], as http://localhost:3000, or *"
    )
