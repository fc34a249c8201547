"""Forwarding a request to the real portal (the upstream) and bringing its answer back unchanged."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

from mockmail.errors import MockmailError

# Headers about this hop, not the exchange: the upstream connection sets its own, and the
# credentials a client gives a proxy are for mockmail, never for the portal.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
    }
)
# Asked of the upstream instead of the client's gzip: a recording keeps bodies a person can read.
NOT_FORWARDED = frozenset({"content-length", "accept-encoding"})
UPSTREAM_TIMEOUT_S = 30.0


class UpstreamError(MockmailError, ConnectionError):
    """The upstream could not be reached or did not answer."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the upstream answered."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def forward(upstream: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
    """Send the request to ``upstream`` (``https://portal.example.com``); ``target`` is path and query."""
    base = urlsplit(upstream)
    if base.scheme not in ("http", "https") or not base.hostname:
        raise UpstreamError(f"upstream {upstream!r} is not an http:// or https:// URL")
    connection_class = http.client.HTTPSConnection if base.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(base.hostname, base.port, timeout=UPSTREAM_TIMEOUT_S)
    try:
        connection.putrequest(method, base.path.rstrip("/") + target, skip_accept_encoding=True)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() not in NOT_FORWARDED:
                connection.putheader(name, value)
        connection.putheader("Accept-Encoding", "identity")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        kept = [(name, value) for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP]
        return Answer(response.status, response.reason, kept, data)
    except OSError as error:
        raise UpstreamError(f"upstream {upstream} did not answer: {error}") from error
    finally:
        connection.close()
