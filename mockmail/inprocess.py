"""Clients that call the mock's app in-process, without a socket: the same answers, far cheaper."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

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
        url = urlsplit(request.url or "")
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        environ = EnvironBuilder(
            path=url.path,
            query_string=url.query,
            method=request.method or "GET",
            headers=list(request.headers.items()),
            data=body or b"",
            base_url=f"{url.scheme}://{url.netloc}",
        ).get_environ()
        try:
            chunks, status, headers = run_wsgi_app(self.app, environ, buffered=True)
            content = b"".join(chunks)
        except ConnectionFault as fault:
            # The same exceptions a socket client sees for these faults.
            if fault.kind == "truncated":
                raise requests.exceptions.ChunkedEncodingError(str(fault), request=request) from None
            raise requests.ConnectionError(str(fault), request=request) from None
        response = requests.Response()
        code, _, reason = status.partition(" ")
        response.status_code, response.reason = int(code), reason
        response.headers = CaseInsensitiveDict(headers.items())
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response.url, response.request = request.url or "", request
        return response

    def close(self) -> None:
        pass


def requests_session(app: Flask, base_url: str) -> requests.Session:
    """A ``requests`` session whose requests to ``base_url`` never touch a socket."""
    session = requests.Session()
    session.mount(base_url, InProcessAdapter(app))
    return session


def httpx_client(app: Flask, base_url: str) -> httpx.Client:
    """An ``httpx`` client on the app through httpx's own WSGI transport (httpx must be installed)."""
    import httpx

    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=base_url)
