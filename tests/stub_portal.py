"""A stub of the real portal for recording tests: on a loopback port 0, it answers what a test sets."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


@dataclass(frozen=True, slots=True)
class Canned:
    """One answer: status, headers in order (a name may repeat, as Set-Cookie does), body."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Seen:
    """A request as the portal received it."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


class StubPortal:
    """Answers each path with the answer set for it, a 404 otherwise; remembers every request."""

    def __init__(self) -> None:
        self.answers: dict[str, Canned] = {}
        self.seen: list[Seen] = []
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                portal.seen.append(Seen(self.command, self.path, list(self.headers.items()), body))
                canned = portal.answers.get(self.path.partition("?")[0], Canned(404))
                self.send_response(canned.status)
                for name, value in canned.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def answer(
        self,
        path: str,
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        body: bytes | str = b"",
    ) -> None:
        """Answer requests to ``path`` (without its query) so from now on."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.answers[path] = Canned(status, headers or [], data)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
