"""Who may use the mock from a browser: local Hosts, local Origins, no cross-site control writes.

A mock on a developer's laptop sits next to their browser, so any page they visit can send it
requests. Three rules keep those pages out (Vite's ``server.allowedHosts`` and WireMock's
advice are the models):
- the ``Host`` must be a local name (``localhost``, ``*.localhost``, ``127.0.0.1``, ``[::1]``) or
  one added, while the server is bound to loopback: a DNS-rebound name is refused with 403;
- only an allowed ``Origin`` (a local one, or one added; ``*`` allows any) gets CORS headers
  (cors.py's shapes), so no other page can read an answer;
- a write to ``/_mockmail/`` carrying another Origin is refused with 403 and changes nothing, and
  so is any request to the API while a recording forwards it to the real portal;
- with a control token (always, when bound beyond loopback), ``/_mockmail/`` answers only requests
  that carry it as ``Authorization: Bearer TOKEN``; others get 401.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from werkzeug.sansio.utils import host_is_trusted

from mockmail.cors import ANY_ORIGIN, VISIBLE, allow_headers, preflight_headers
from mockmail.errors import HRESULT_EXCEPTION, ApiError
from mockmail.paths import API_PREFIX, CONTROL_PREFIX
from mockmail.reasons import REASON_HEADER, printable
from mockmail.wire import JSON_TYPE, error_envelope, render_json
from mockmail.wsgi import Environ, WsgiApp

LOCAL_NAMES = ("localhost", ".localhost", "127.0.0.1")  # werkzeug's form: ".x" allows every name under x
IPV6_LOOPBACK = "[::1]"
OPEN_PATHS = frozenset({CONTROL_PREFIX})  # the workbench page: no data in it
STATIC = "/_mockmail/static/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """The Hosts and Origins the mock answers besides the local ones."""

    hosts: tuple[str, ...] = ()  # more Host names; ".example.test" allows every name under it
    origins: tuple[str, ...] = ()  # more origins, as "http://host:port"; "*" allows any
    check_hosts: bool = True  # off when bound beyond loopback, where clients use its address
    control_token: str | None = None  # when set, /_mockmail/ answers only requests bearing it
    _origins: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_origins", frozenset(origin.rstrip("/").lower() for origin in self.origins))

    def allows_host(self, host: str) -> bool:
        """Whether a ``Host`` header (``name:port``) names this machine, or a name added."""
        return _allows_host(self, host)

    def allows_origin(self, origin: str) -> bool:
        """Whether a page from ``origin`` may read the mock's answers."""
        if not VISIBLE.fullmatch(origin):
            return False  # never echoed into a header
        if ANY_ORIGIN in self._origins or origin.lower() in self._origins:
            return True
        scheme, separator, host = origin.lower().partition("://")
        return bool(scheme and separator) and "/" not in host and _is_listed(host, LOCAL_NAMES)

    def bears_control_token(self, environ: Environ) -> bool:
        """Whether a request may use ``/_mockmail/``: no token is set, or it carries the token."""
        if self.control_token is None:
            return True
        scheme, _, credentials = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.control_token.encode()
        )


@lru_cache(maxsize=16)
def with_origins(policy: AccessPolicy, origins: tuple[str, ...]) -> AccessPolicy:
    """``policy`` allowing ``origins`` too (a scenario's ``cors_origins``); one object per pair."""
    return replace(policy, origins=(*policy.origins, *origins)) if origins else policy


@lru_cache(maxsize=256)
def _allows_host(policy: AccessPolicy, host: str) -> bool:
    """``AccessPolicy.allows_host``, remembered: a client names the server the same way every time."""
    return _is_listed(host.lower(), (*LOCAL_NAMES, *policy.hosts))


def _is_listed(host: str, names: Iterable[str]) -> bool:
    if not host.startswith("["):
        return host_is_trusted(host, list(names))
    # Werkzeug cuts a listed name at its first colon, which breaks IPv6 literals: compare those here,
    # after its check of the host's characters and port.
    literal = host.partition("]")[0] + "]"
    return host_is_trusted(host) and literal in (IPV6_LOOPBACK, *names)


class Access:
    """WSGI middleware applying the policy: refusals, preflights, and CORS headers for allowed pages.

    Preflights are answered here, before Flask builds a request: never journaled, never faulted.
    """

    def __init__(
        self, app: WsgiApp, policy: Callable[[], AccessPolicy], recording: Callable[[], bool]
    ) -> None:
        self.app = app
        self.policy = policy  # read per request: a reset may bring a scenario with other origins
        self.recording = recording

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        policy = self.policy()
        host = environ.get("HTTP_HOST")
        if policy.check_hosts and host and not policy.allows_host(host):
            return _refuse(
                environ,
                start_response,
                f"mockmail answers only local Host names, not {host[:100]!r}; "
                "add one with --allow-host (MockMailServer(allowed_hosts=...))",
            )
        method = environ.get("REQUEST_METHOD", "")
        origin = environ.get("HTTP_ORIGIN")
        allowed = origin is None or policy.allows_origin(origin)
        path = environ.get("PATH_INFO", "")
        # A preflight never carries credentials (the Fetch standard), so it is answered without the
        # token; nor does a page being opened, which holds no data: it asks for the token itself.
        guarded = path.startswith(CONTROL_PREFIX) and path not in OPEN_PATHS and not path.startswith(STATIC)
        if guarded and method != "OPTIONS" and not policy.bears_control_token(environ):
            return _unauthorized(start_response, origin if allowed else None)
        if origin is not None and not allowed:
            return self._foreign(environ, start_response, method, origin)
        if method == "OPTIONS":
            start_response("200 OK", [*preflight_headers(environ, origin), ("Content-Length", "0")])
            return [b""]
        if not origin:
            return self.app(environ, start_response)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *allow_headers(origin)], exc_info)

        return self.app(environ, start)

    def _foreign(self, environ: Environ, start_response: Callable[..., Any], method: str, origin: str) -> Any:
        """A request from a page the policy does not allow: refused, or answered unreadably."""
        path: str = environ.get("PATH_INFO", "")
        if method == "OPTIONS":  # a foreign page learns nothing
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        if path.startswith(CONTROL_PREFIX) and method not in SAFE_METHODS:
            return _refuse(environ, start_response, f"a page on {origin[:100]!r} may not change the mock")
        if path.startswith(API_PREFIX) and self.recording():
            message = f"a page on {origin[:100]!r} may not reach the real portal through the recorder"
            return _refuse(environ, start_response, message)
        return self.app(environ, start_response)  # no CORS header: the page cannot read the answer


def _refuse(environ: Environ, start_response: Callable[..., Any], message: str) -> list[bytes]:
    """403, in the API's error envelope on its paths and as ``{"error": ...}`` elsewhere."""
    if environ.get("PATH_INFO", "").startswith(API_PREFIX):
        body = render_json(error_envelope(ApiError(403, message, HRESULT_EXCEPTION)))
    else:
        body = render_json({"error": message})
    headers = [
        ("Content-Type", JSON_TYPE),
        ("Content-Length", str(len(body))),
        (REASON_HEADER, printable(message)),
    ]
    start_response("403 Forbidden", headers)
    return [body]


def _unauthorized(start_response: Callable[..., Any], origin: str | None) -> list[bytes]:
    """401 for a control request without the control token (the page of an allowed origin may read it)."""
    message = "mockmail's control endpoints need the control token, sent as Authorization: Bearer TOKEN"
    body = render_json({"error": message})
    headers = [
        ("Content-Type", JSON_TYPE),
        ("Content-Length", str(len(body))),
        ("WWW-Authenticate", 'Bearer realm="mockmail control"'),
        (REASON_HEADER, "no control token: send Authorization: Bearer TOKEN"),
        *allow_headers(origin),
    ]
    start_response("401 Unauthorized", headers)
    return [body]
