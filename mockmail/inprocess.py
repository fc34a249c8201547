"""Clients that call the mock's app in-process, without a socket: the same answers, far cheaper."""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from mockmail.faults import ConnectionFault

if TYPE_CHECKING:
    import httpx
    from flask import Flask


class InProcessAdapter(BaseAdapter):
    """A requests transport adapter that hands each request to a WSGI app."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def send(  # noqa: PLR0917 - requests' own signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Run the request through the app; connection faults raise what a socket client would."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return started.append

        try:
            chunks = self.app(_environ(request), start_response)
            try:
                content = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
        except ConnectionFault as fault:
            # The same exceptions a socket client sees for these faults.
            if fault.kind == "truncated":
                raise requests.exceptions.ChunkedEncodingError(str(fault), request=request) from None
            raise requests.ConnectionError(str(fault), request=request) from None
        status, headers = started[:2]
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code, response.reason = int(code), reason
        response.headers = CaseInsensitiveDict(headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response.url, response.request = request.url or "", request
        return response

    def close(self) -> None:
        pass


def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
    """The WSGI environ of a prepared request (werkzeug's EnvironBuilder does this at 10x the cost)."""
    url = urlsplit(request.url or "")
    body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body or b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method or "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(url.path).decode("latin-1"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": url.netloc,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
        environ[key] = value
    environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def requests_session(app: Flask) -> requests.Session:
    """A ``requests`` session whose every request goes to ``app``, never to a socket."""
    session = requests.Session()
    session.trust_env = False  # no proxy or netrc look-ups: nothing leaves the process
    adapter = InProcessAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def httpx_client(app: Flask, base_url: str) -> httpx.Client:
    """An ``httpx`` client on the app through httpx's own WSGI transport (httpx must be installed)."""
    import httpx

    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)
