"""Where the HTTP server and the app meet: the WSGI environ, the answer, and what WSGI cannot say.

WSGI carries a status, headers and a body. What a mock server does beyond that travels in the
environ instead: a connection fault (the app asks the transport to reset, close or cut the
connection short, see ``CONNECTION_FAULT``), a wait the server can cut short when it stops
(``STOPPING``), why the app answered as it did (``REASON``), and the line the server logs for the
request (``LOG_LINE``). ``call_app`` runs the app once and returns all of it as an ``Answer``,
for the socket server and the in-process clients alike.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

Environ = dict[str, Any]
WsgiApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]
MayBlock = Callable[[Environ], bool]
"""Whether the app may take long on a request (a latency fault, an upstream): it then runs off the loop."""

BODY_LIMIT = 1 << 20  # bytes of a request body; a larger one is answered the API's 413, unread
CONNECTION_FAULT = "mockmail.connection_fault"  # environ key: the ConnectionFault the app chose
STOPPING = "mockmail.stopping"  # environ key: a threading.Event set when the server stops
REASON = "mockmail.reason"  # environ key: why mockmail answered as it did, where it decided something
# environ key: present (None) when the server logs requests; the app may set it to the request's
# line, or to "" to leave the request out of the log. Left None, the server logs a plain line.
LOG_LINE = "mockmail.log_line"


class ConnectionFault(StrEnum):
    """How the transport ends a connection instead of answering normally."""

    RESET = "reset"  # TCP RST, no answer
    EMPTY = "empty"  # FIN, no answer
    TRUNCATED = "truncated"  # the head and the body the app gave (shorter than its Content-Length), then FIN


def set_connection_fault(environ: Environ, fault: ConnectionFault) -> None:
    """Ask the transport to end this request's connection as ``fault`` says."""
    environ[CONNECTION_FAULT] = fault


def wait(environ: Environ, seconds: float) -> None:
    """Sleep ``seconds``, or less if the server stops meanwhile."""
    stopping: threading.Event | None = environ.get(STOPPING)
    if stopping is None:
        time.sleep(seconds)
    else:
        stopping.wait(seconds)


def build_environ(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    server: tuple[str, str],
    client: tuple[str, int],
    version: str = "HTTP/1.1",
    scheme: str = "http",
    content_length: int | None = None,
) -> Environ:
    """The WSGI environ of a request whose body has been read whole.

    ``content_length`` is the length the client declared where the body was left unread (over
    the limit); the app answers 413 from it. Header names with ``_`` are dropped, as gunicorn
    and nginx drop them: ``Content_Length`` must not pass for ``Content-Length``.
    """
    path, _, query = target.partition("?")
    if "://" in path:  # the absolute form a proxy client sends
        parts = urlsplit(target)
        path, query = parts.path or "/", parts.query
    environ: Environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query,
        "REQUEST_URI": target,
        "RAW_URI": target,
        "SERVER_NAME": server[0],
        "SERVER_PORT": server[1],
        "SERVER_PROTOCOL": version,
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": client[1],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is whole here: its length is set below
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        if key in environ:  # a repeated header: its values joined, as RFC 9110 reads them
            environ[key] += ("; " if key == "HTTP_COOKIE" else ",") + value
        else:
            environ[key] = value
    environ["CONTENT_LENGTH"] = str(len(body) if content_length is None else content_length)
    return environ


@dataclass(slots=True)
class Answer:
    """What the app answered to one request."""

    status: str  # "200 OK"
    headers: list[tuple[str, str]]
    body: bytes
    fault: ConnectionFault | None = None

    @property
    def code(self) -> int:
        return int(self.status[:3])


def call_app(app: WsgiApp, environ: Environ) -> Answer:
    """Run ``app`` on ``environ`` and collect its whole answer."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return chunks.append

    chunks: list[bytes] = []
    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = started
    return Answer(status, headers, b"".join(chunks), environ.get(CONNECTION_FAULT))
