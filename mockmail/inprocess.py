"""Clients that call the mock's app in-process, without a socket: the same answers, far cheaper."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mockmail.errors import MissingPackage
from mockmail.wsgi import Answer, ConnectionFault, Environ, WsgiApp, build_environ, call_app

if TYPE_CHECKING:
    import httpx
    import requests

IN_PROCESS_ADDRESS = ("127.0.0.1", 0)


def environ_for(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Environ:
    """The environ the socket server would build for this request, with ``Host`` from the URL."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    port = str(parts.port or (443 if parts.scheme == "https" else 80))
    given = list(headers.items())
    if not any(name.lower() == "host" for name, _ in given):
        given.insert(0, ("Host", parts.netloc))
    return build_environ(
        method,
        target or "/",
        given,
        body,
        server=(parts.hostname or "localhost", port),
        client=IN_PROCESS_ADDRESS,
        scheme=parts.scheme or "http",
    )


def _fault_text(answer: Answer) -> str:
    return f"mockmail fault: {answer.fault}"


def require(package: str, needed_by: str) -> None:
    """Import the optional ``package``; MissingPackage says how to install it if it is not."""
    try:
        importlib.import_module(package)
    except ModuleNotFoundError as error:
        if error.name != package:
            raise  # the package is there, but something it imports is not
        raise MissingPackage(package, needed_by) from None


def requests_session(app: WsgiApp) -> requests.Session:
    """A ``requests`` session whose every request goes to ``app``, never to a socket."""
    require("requests", "mockmail's session()")
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    class InProcessAdapter(BaseAdapter):
        """A requests transport adapter that hands each request to the app."""

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
            body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body or b""
            environ = environ_for(request.method or "GET", request.url or "", request.headers, body)
            answer = call_app(app, environ)
            # The same exceptions a socket client sees for these faults.
            if answer.fault == ConnectionFault.TRUNCATED:
                raise requests.exceptions.ChunkedEncodingError(_fault_text(answer), request=request)
            if answer.fault is not None:
                raise requests.ConnectionError(_fault_text(answer), request=request)
            response = requests.Response()
            code, _, reason = answer.status.partition(" ")
            response.status_code, response.reason = int(code), reason
            response.headers = CaseInsensitiveDict(answer.headers)
            response.encoding = get_encoding_from_headers(response.headers)
            response._content = answer.body
            response.url, response.request = request.url or "", request
            return response

        def close(self) -> None:
            pass

    session = requests.Session()
    session.trust_env = False  # no proxy or netrc look-ups: nothing leaves the process
    adapter = InProcessAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def httpx_client(app: WsgiApp, base_url: str) -> httpx.Client:
    """An ``httpx`` client whose every request goes to ``app``; MissingPackage if httpx is not installed."""
    require("httpx", "mockmail's httpx_client()")
    import httpx

    class InProcessTransport(httpx.BaseTransport):
        """An httpx transport that hands each request to the app, as requests_session's adapter does."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            environ = environ_for(request.method, str(request.url), dict(request.headers), request.read())
            answer = call_app(app, environ)
            if answer.fault == ConnectionFault.TRUNCATED:
                raise httpx.RemoteProtocolError(_fault_text(answer), request=request)
            if answer.fault is not None:
                raise httpx.ConnectError(_fault_text(answer), request=request)
            return httpx.Response(answer.code, headers=answer.headers, content=answer.body, request=request)

    return httpx.Client(transport=InProcessTransport(), base_url=base_url)
