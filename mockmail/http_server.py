"""The HTTP/1.1 server under the mock: a loop thread answers at once, worker threads take what may wait.

The loop reads every connection without blocking, and answers a whole request right where it
arrives: no thread hand-off, which on loopback costs as much as the mock's own work. A request
that may wait (``may_block(environ)``: a latency fault that may fire on it, a recording's
upstream) goes to a worker thread with its connection, which comes back to the loop after the
answer, so nothing waits behind it. Werkzeug's development server, used before, spent more on a
request than the mock itself (benchmarks/bench_core.py compares the two).
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import queue
import selectors
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from mockmail.faults import ConnectionFault
from mockmail.http_request import CONTINUE, BadRequest, Pending, Request

log = logging.getLogger("mockmail")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SEND_TIMEOUT = 30.0  # seconds a client may take to read an answer before it is dropped
_ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets the connection
_NO_BODY_STATUSES = ("1", "204", "304")


class Connection:
    """One client connection: its socket, address and what has arrived of its next request."""

    def __init__(self, sock: socket.socket, address: Any, body_limit: int) -> None:
        self.sock = sock
        self.address = address
        self.pending = Pending(bytearray(), body_limit)
        self.reset = False  # end with RST instead of FIN, as a crashed server's connection ends

    def send(self, data: bytes) -> bool:
        """Send it all; False if the client went away or stopped reading."""
        try:
            try:
                sent = self.sock.send(data)  # non-blocking: no poll first, as a socket with a timeout does
            except BlockingIOError:
                sent = 0
            if sent < len(data):  # the client's buffer is full: wait for it, up to SEND_TIMEOUT
                self.sock.settimeout(SEND_TIMEOUT)
                self.sock.sendall(data[sent:])
                self.sock.setblocking(False)
        except OSError:
            return False
        return True

    def close(self) -> None:
        try:
            if self.reset:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _ABORT)
            self.sock.close()
        except OSError:
            pass


class HttpServer:
    """Serves ``app`` on ``listener`` (bound and listening) until ``shutdown()``."""

    def __init__(
        self,
        listener: socket.socket,
        app: WsgiApp,
        *,
        may_block: Callable[[dict[str, Any]], bool] = lambda environ: False,
        log_requests: bool = False,
        body_limit: int = 1 << 20,
    ) -> None:
        self.app = app
        self.may_block = may_block
        self.log_requests = log_requests
        self.body_limit = body_limit
        self._listener = listener
        host, port = listener.getsockname()[:2]
        self._server_name, self._server_port = str(host), str(port)
        listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ)
        # A worker hands its connection back through `_returned`, then wakes the loop.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._returned: deque[Connection] = deque()
        self._idle_workers: queue.SimpleQueue[queue.SimpleQueue[Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._stopping = False
        self._closed = False
        self._loop_done = threading.Event()
        self._loop_done.set()

    # The loop

    def serve_forever(self) -> None:
        """Serve in this thread until ``shutdown()`` (or KeyboardInterrupt, which propagates)."""
        self._loop_done.clear()
        try:
            while not self._stopping:
                for key, _ in self._selector.select():
                    self._ready(key)
        finally:
            self._loop_done.set()

    def _ready(self, key: selectors.SelectorKey) -> None:
        if key.fileobj is self._listener:
            self._accept()
        elif key.fileobj is self._wake_reader:
            self._take_back()
        else:
            self._read(key.data)

    def shutdown(self) -> None:
        """Stop the loop and wait until it has stopped."""
        self._stopping = True
        self._wake()
        self._loop_done.wait()

    def server_close(self) -> None:
        """Close the listener, every connection the loop holds, and the idle workers."""
        for key in list(self._selector.get_map().values()):
            if isinstance(key.data, Connection):
                key.data.close()
        self._selector.close()
        self._listener.close()
        with self._lock:
            self._closed = True
            while not self._idle_workers.empty():
                self._idle_workers.get_nowait().put(None)
            for connection in self._returned:
                connection.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def _accept(self) -> None:
        """Accept one connection: the selector reports the listener again while more wait."""
        try:
            sock, address = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:  # out of descriptors, say: the client sees a refused connection
            log.warning("mockmail could not accept a connection: %s", error)
            return
        sock.setblocking(False)
        connection = Connection(sock, address, self.body_limit)
        self._selector.register(sock, selectors.EVENT_READ, connection)
        self._read(connection)  # the request has often arrived with the connection: no select round

    def _read(self, connection: Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(connection)
            return
        connection.pending.buffer += data
        self._serve_buffered(connection)

    def _serve_buffered(self, connection: Connection) -> None:
        """Answer each whole request in the buffer; a request that may wait goes to a worker."""
        try:
            self._serve_each(connection)
        except Exception:  # a bug in this server: lose the connection, never the loop
            log.exception("mockmail dropped a connection after an internal error")
            self._drop(connection)

    def _serve_each(self, connection: Connection) -> None:
        while True:
            try:
                request = connection.pending.take()
            except BadRequest as error:
                _refuse(connection, error)
                self._drop(connection)
                return
            if request is None:
                if connection.pending.wants_continue:
                    connection.pending.continued = True
                    if not connection.send(CONTINUE):
                        self._drop(connection)
                return
            environ = self._environ(connection, request)
            if self.may_block(environ):
                self._selector.unregister(connection.sock)
                self._to_worker(connection, request, environ)
                return
            if not self._answer(connection, request, environ):
                self._drop(connection)
                return

    def _drop(self, connection: Connection) -> None:
        with contextlib.suppress(KeyError, ValueError):  # already unregistered
            self._selector.unregister(connection.sock)
        connection.close()

    def _take_back(self) -> None:
        with contextlib.suppress(BlockingIOError, InterruptedError):
            self._wake_reader.recv(4096)
        while self._returned:
            connection = self._returned.popleft()
            self._selector.register(connection.sock, selectors.EVENT_READ, connection)
            # Pipelined requests read before the hand-off are in the buffer; new bytes wake the selector.
            self._serve_buffered(connection)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # closed, or its buffer full of wake-ups already
            self._wake_writer.send(b"\0")

    # Workers

    def _to_worker(self, connection: Connection, request: Request, environ: dict[str, Any]) -> None:
        try:
            jobs = self._idle_workers.get_nowait()
        except queue.Empty:
            jobs = queue.SimpleQueue()
            threading.Thread(target=self._work, args=(jobs,), name="mockmail-worker", daemon=True).start()
        jobs.put((connection, request, environ))

    def _work(self, jobs: queue.SimpleQueue[Any]) -> None:
        while (job := jobs.get()) is not None:
            connection, request, environ = job
            try:
                keep = self._answer(connection, request, environ)
            except Exception:  # as in the loop: lose the connection, never the worker
                log.exception("mockmail dropped a connection after an internal error")
                keep = False
            with self._lock:
                if keep and not self._closed:
                    self._returned.append(connection)
                    self._wake()
                else:
                    connection.close()
                if self._closed:
                    return
                self._idle_workers.put(jobs)

    # Answers

    def _answer(self, connection: Connection, request: Request, environ: dict[str, Any]) -> bool:
        """Run the app for ``request`` and send its answer; False: close the connection now."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return chunks.append

        chunks: list[bytes] = []
        dropped: str | None = None
        try:
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except ConnectionFault as fault:
            dropped = fault.kind
        except Exception:  # the app's own handlers answer its errors: this is a bug below them
            log.exception("mockmail failed on %s %s", request.method, request.target.partition("?")[0])
            started[:] = ["500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")]]
            chunks[:] = [b"mockmail internal error"]
            request.keep_alive = False
        if self.log_requests:
            code = started[0][:3] if started and dropped is None else "-"
            log.info("%s %s %s", request.method, request.target.partition("?")[0], code)
        body = b"".join(chunks)
        if dropped == "reset" or (dropped and not body):
            connection.reset = dropped == "reset"
            return False
        status, headers = started
        keep_alive = request.keep_alive and dropped is None
        head = _head(status, headers, len(body), keep_alive)
        if request.method == "HEAD" or status.startswith(_NO_BODY_STATUSES):
            body = b""
        return connection.send(head + body) and keep_alive

    def _environ(self, connection: Connection, request: Request) -> dict[str, Any]:
        """The WSGI environ, as Werkzeug's server builds it."""
        target = request.target
        if "://" in target.partition("?")[0]:  # the absolute form a proxy client sends
            parts = urlsplit(target)
            path, query = parts.path or "/", parts.query
        else:
            path, _, query = target.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "SERVER_NAME": self._server_name,
            "SERVER_PORT": self._server_port,
            "SERVER_PROTOCOL": request.version,
            "REMOTE_ADDR": str(connection.address[0]),
            "REMOTE_PORT": connection.address[1],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in request.headers:
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if request.chunked:  # the body is whole here: the app sees its length, not the chunks
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["CONTENT_LENGTH"] = str(len(request.body))
        return environ


def _refuse(connection: Connection, error: BadRequest) -> None:
    """Answer a request that cannot be read; the connection is closed after."""
    log.info("mockmail refused a request: %s", error)
    reason = str(error).encode("latin-1", "replace")
    connection.send(_head(error.status, [("Content-Type", "text/plain")], len(reason), False) + reason)


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> str:
    return formatdate(second, usegmt=True)


def _head(status: str, headers: list[tuple[str, str]], length: int, keep_alive: bool) -> bytes:
    """Status line and headers; Date, Server and Content-Length added where the app gave none."""
    lines = [f"HTTP/1.1 {status}\r\n"]
    given = set()
    for name, value in headers:
        lines.append(f"{name}: {value}\r\n")
        given.add(name.lower())
    if "content-length" not in given and not status.startswith(_NO_BODY_STATUSES):
        lines.append(f"Content-Length: {length}\r\n")
    if "date" not in given:
        lines.append(f"Date: {_http_date(int(time.time()))}\r\n")
    if "server" not in given:
        lines.append("Server: mockmail\r\n")
    if not keep_alive:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    return "".join(lines).encode(
        "latin-1", "replace"
    )  # HTTP headers are latin-1; a hand-edited recording may not be
