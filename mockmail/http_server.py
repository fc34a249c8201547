"""The HTTP/1.1 server under the mock: h11 reads and frames HTTP, asyncio moves the bytes.

One event loop, on the server's thread, owns every connection: each is an asyncio ``Protocol``
that feeds its bytes to an ``h11.Connection`` and acts on the events it parses (uvicorn's
construction). No HTTP parsing or framing is done here: h11 refuses malformed and ambiguous
requests (smuggling shapes, bad chunk sizes, oversized heads) and frames our answers.

A request is answered on the loop as soon as it has arrived whole, unless the app says it may
take long (``may_block``: a latency fault, a recording's upstream); then a bounded pool of
worker threads runs it and the loop sends the answer. Answers go out through the transport,
buffered and never blocking the loop; a client that stops reading stops being read from.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import email.utils
import functools
import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import h11

from mockmail.logs import log_request
from mockmail.reasons import printable
from mockmail.wsgi import (
    BODY_LIMIT,
    LOG_LINE,
    STOPPING,
    Answer,
    ConnectionFault,
    Environ,
    MayBlock,
    WsgiApp,
    build_environ,
    call_app,
)

log = logging.getLogger("mockmail")

HEAD_LIMIT = 64 * 1024  # request line and headers; more is answered 431
IDLE_TIMEOUT = 30.0  # seconds a connection may send nothing while the server waits for a request
SEND_TIMEOUT = 30.0  # seconds a client may leave an answer unread before its connection is dropped
# Connections the kernel queues before we accept them: a burst of clients waits instead of retrying.
LISTEN_BACKLOG = 1024
MAX_CONNECTIONS = 1000  # open connections; one more is answered 503 and closed
WORKERS = 32  # threads for requests that may take long; more wait for one
STOP_TIMEOUT = 1.0  # seconds stop() waits for the loop

CONTINUE = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
_LINGER_ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST
_NO_BODY = (204, 304)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may cost the server."""

    head_bytes: int = HEAD_LIMIT
    body_bytes: int = BODY_LIMIT
    idle_timeout: float = IDLE_TIMEOUT
    send_timeout: float = SEND_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    workers: int = WORKERS


DEFAULT_LIMITS = Limits()


class HttpServer:
    """Serves ``app`` on ``listener`` (bound and listening) from ``serve_forever()`` until ``stop()``."""

    def __init__(
        self,
        listener: socket.socket,
        app: WsgiApp,
        *,
        may_block: MayBlock = lambda environ: False,
        log_requests: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.app = app
        self.may_block = may_block
        self.log_requests = log_requests
        self.limits = limits
        self.connections: set[HttpConnection] = set()
        self.stopping = threading.Event()  # waits in the app (latency faults) end when it is set
        host, port = listener.getsockname()[:2]
        self.server_name = (str(host), str(port))
        self._listener = listener
        self._loop = asyncio.new_event_loop()
        self._stopped = self._loop.create_future()
        self._sweeping: asyncio.TimerHandle | None = None
        self._accept_warned = -1.0
        self._pool = concurrent.futures.ThreadPoolExecutor(limits.workers, f"mockmail-worker:{port}")

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop()`` (or KeyboardInterrupt, which propagates)."""
        try:
            self._loop.run_until_complete(self._serve())
        finally:
            self.close()

    async def _serve(self) -> None:
        self._loop.set_exception_handler(self._on_loop_error)
        server = await self._loop.create_server(
            lambda: HttpConnection(self), sock=self._listener, backlog=LISTEN_BACKLOG
        )
        self._sweep()
        try:
            await self._stopped
        finally:
            if self._sweeping is not None:
                self._sweeping.cancel()
            server.close()

    def stop(self) -> None:
        """Ask the loop to stop, from any thread; nothing is answered after this."""
        self.stopping.set()
        with contextlib.suppress(RuntimeError):  # the loop is closed already
            self._loop.call_soon_threadsafe(_resolve, self._stopped)

    def close(self) -> None:
        """Drop every connection and close the listener; call when the loop is not running."""
        if self._loop.is_closed() or self._loop.is_running():
            return
        self.stopping.set()
        for connection in list(self.connections):
            connection.drop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._listener.close()
        self._loop.run_until_complete(_finish(asyncio.all_tasks(self._loop)))
        self._loop.close()

    # Called on the loop

    @property
    def _sweep_interval(self) -> float:
        return min(1.0, self.limits.idle_timeout / 4, self.limits.send_timeout / 4)

    def _sweep(self) -> None:
        """Close connections idle past ``idle_timeout`` and those whose client stopped reading."""
        now = self._loop.time()
        for connection in list(self.connections):
            connection.check_timeouts(now)
        self._sweeping = self._loop.call_later(self._sweep_interval, self._sweep)

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # Out of descriptors, asyncio pauses accepting for a second but reports every accept it
        # tried (up to the backlog, with a traceback each): one line a second says it all.
        if context.get("message") != "socket.accept() out of system resource":
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._accept_warned >= 1:
            self._accept_warned = now
            log.warning("mockmail cannot accept connections for now: %s", context.get("exception"))

    def now(self) -> float:
        return self._loop.time()

    def run(self, connection: HttpConnection, environ: Environ) -> Answer | None:
        """The app's answer to a request; None if a worker answers it later, as it may take long."""
        environ[STOPPING] = self.stopping
        if not self.may_block(environ):
            return self._call(environ)
        connection.pause_reading()  # until the answer is out
        job = self._pool.submit(self._call, environ)
        job.add_done_callback(functools.partial(self._answer_from_worker, connection))
        return None

    def _answer_from_worker(self, connection: HttpConnection, job: concurrent.futures.Future[Answer]) -> None:
        if job.cancelled():
            return
        with contextlib.suppress(RuntimeError):  # the server has stopped: nothing answers now
            self._loop.call_soon_threadsafe(connection.answer_from_worker, job.result())

    def _call(self, environ: Environ) -> Answer:
        started = time.perf_counter()
        if self.log_requests:
            environ[LOG_LINE] = None  # the app's journal gives the line of a request to the API
        try:
            answer = call_app(self.app, environ)
        except Exception:  # the app's handlers answer its errors: this is a bug below them
            log.exception("mockmail failed on %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            answer = Answer(
                "500 Internal Server Error", [("Connection", "close")], b"mockmail internal error"
            )
        if self.log_requests:
            _log_request(environ, answer, time.perf_counter() - started)
        return answer


def _log_request(environ: Environ, answer: Answer, seconds: float) -> None:
    """Log the line the app gave for the request ("": none), or else a plain one."""
    line = environ[LOG_LINE]
    if line is None:  # a request the app did not describe (a preflight, a refused Host)
        code = "-" if answer.fault is not None else answer.status[:3]
        line = f"{environ['REQUEST_METHOD']} {printable(environ['PATH_INFO'])} {code} {seconds * 1000:.1f}ms"
    if line:
        log_request(line)


async def _finish(pending: set[asyncio.Task[Any]]) -> None:
    """End the tasks an interrupted serve_forever left, and let the transports close their sockets."""
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await asyncio.sleep(0)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class HttpConnection(asyncio.Protocol):
    """One client connection: bytes in to h11, requests to the app, answers out."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.limits = server.limits
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.head_bytes)
        self.transport: asyncio.Transport | None = None
        self.request: h11.Request | None = None
        self.body = bytearray()
        self.busy = False  # a request is with the app
        self.write_paused_since: float | None = None  # the client is not reading our answers
        self.last_read = server.now()

    # asyncio's side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)
        if len(self.server.connections) > self.limits.max_connections:
            self._refuse(503, "too many connections")

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.last_read = self.server.now()
        self.h11.receive_data(data)
        if self._free:
            self._handle_events()
        elif len(self.h11.trailing_data[0]) > self.limits.head_bytes:
            self._transport.pause_reading()  # pipelined requests pile up: wait until they are taken

    def eof_received(self) -> bool:
        self.h11.receive_data(b"")
        if self._free:
            self._handle_events()
        return True  # keep the transport: an answer may still be on its way

    def pause_writing(self) -> None:
        self.write_paused_since = self.server.now()
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused_since = None
        if not self.busy:
            self._handle_events()

    # The requests

    @property
    def _transport(self) -> asyncio.Transport:
        assert self.transport is not None
        return self.transport

    @property
    def _free(self) -> bool:
        return not self.busy and self.write_paused_since is None

    def _handle_events(self) -> None:
        """Act on every event h11 has parsed, until it needs more bytes or a request is with the app."""
        while self._free and not self._transport.is_closing():
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as error:
                self._refuse(error.error_status_hint, str(error))
                return
            if event is h11.NEED_DATA:
                if self.h11.they_are_waiting_for_100_continue:
                    self._transport.write(self.h11.send(CONTINUE) or b"")
                self._transport.resume_reading()
                return
            if isinstance(event, h11.Request):
                if not self._start(event):
                    return
            elif isinstance(event, h11.Data):
                self.body += event.data
                if len(self.body) > self.limits.body_bytes:
                    self._dispatch(content_length=len(self.body))  # answered 413, then closed
            elif isinstance(event, h11.EndOfMessage):
                self._dispatch()
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                self._transport.close()
                return

    def _start(self, request: h11.Request) -> bool:
        """Take a request's head; False if it was answered already."""
        if request.http_version not in (b"1.0", b"1.1"):
            self._refuse(505, f"HTTP/{request.http_version.decode()} is not supported")
            return False
        names = {name for name, _ in request.headers}
        if b"transfer-encoding" in names and b"content-length" in names:
            # h11 lets Transfer-Encoding win, as RFC 9112 allows; the RFC also calls the pair a sign
            # of request smuggling that a server may refuse, which we do.
            self._refuse(400, "both Content-Length and Transfer-Encoding")
            return False
        self.request = request
        self.body = bytearray()
        length = _content_length(request)
        if length is not None and length > self.limits.body_bytes:
            self._dispatch(content_length=length)  # unread: answered 413, then closed
            return False
        return True

    def _dispatch(self, content_length: int | None = None) -> None:
        request = self.request
        assert request is not None
        self.busy = True
        address = self._transport.get_extra_info("peername") or ("", 0)
        environ = build_environ(
            request.method.decode("ascii"),
            request.target.decode("latin-1"),
            [(name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers],
            b"" if content_length is not None else bytes(self.body),  # over the limit: unread
            server=self.server.server_name,
            client=(str(address[0]), int(address[1])),
            version=f"HTTP/{request.http_version.decode()}",
            content_length=content_length,
        )
        self.body = bytearray()
        answer = self.server.run(self, environ)
        if answer is not None:
            self._send(answer)

    def answer_from_worker(self, answer: Answer) -> None:
        """Send the answer a worker made, then go on to the requests pipelined behind it."""
        self._send(answer)
        self._handle_events()

    def _send(self, answer: Answer) -> None:
        """Send the app's answer, or carry out the connection fault it asks for."""
        self.busy = False
        if self._transport.is_closing() or self.server.stopping.is_set():  # nothing answers after stop()
            return
        if answer.fault == ConnectionFault.RESET:
            self.reset()
            return
        if answer.fault == ConnectionFault.EMPTY:
            self._transport.close()
            return
        # Answered before the body was read (over the limit): the connection closes after.
        response, body = _response(answer, close=self.h11.their_state is not h11.DONE)
        data = self.h11.send(response) or b""
        if self.request is not None and self.request.method == b"HEAD":
            body = b""
        if body and response.status_code not in _NO_BODY:
            data += self.h11.send(h11.Data(data=body)) or b""
        if answer.fault == ConnectionFault.TRUNCATED:  # the body is shorter than its Content-Length
            self._transport.write(data)
            self._transport.close()
            return
        data += self.h11.send(h11.EndOfMessage()) or b""
        self._transport.write(data)
        if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            self._transport.close()  # Connection: close, or a body we did not read
            return
        self.h11.start_next_cycle()

    def _refuse(self, status: int, reason: str) -> None:
        """Answer a request that cannot be served, then close the connection."""
        log.info("mockmail refused a request: %s %s", status, reason)
        if self.h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            text = reason.encode("latin-1", "replace")
            status_line = f"{status} {HTTPStatus(status).phrase}"
            response, _ = _response(Answer(status_line, [("Content-Type", "text/plain")], text), close=True)
            self._transport.write(self.h11.send(response) + self.h11.send(h11.Data(data=text)))
        self._transport.close()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def reset(self) -> None:
        """End the connection with a TCP reset, as a crashed server's connection ends."""
        sock = self._transport.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ABORT)
        self._transport.abort()

    def drop(self) -> None:
        """Close the connection now, whatever is unsent."""
        self._transport.abort()

    def check_timeouts(self, now: float) -> None:
        if self.write_paused_since is not None:
            if now - self.write_paused_since > self.limits.send_timeout:
                self.drop()
        elif not self.busy and now - self.last_read > self.limits.idle_timeout:
            self._transport.close()


def _content_length(request: h11.Request) -> int | None:
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)  # h11 has checked it: digits, and one value
    return None


def _response(answer: Answer, *, close: bool) -> tuple[h11.Response, bytes]:
    """The answer's head, with Date, Server and Content-Length where the app gave none; its body."""
    code = answer.code
    names = set()
    headers = [(b"Connection", b"close")] if close else []
    for name, value in answer.headers:
        names.add(name.lower())
        # HTTP header values are latin-1; a hand-edited recording may hold more
        headers.append((name.encode("latin-1", "replace"), value.encode("latin-1", "replace")))
    if "content-length" not in names and code not in _NO_BODY:
        headers.append((b"Content-Length", str(len(answer.body)).encode()))
    if "date" not in names:
        headers.append((b"Date", _http_date(int(time.time()))))
    if "server" not in names:
        headers.append((b"Server", b"mockmail"))
    reason = answer.status[4:].encode("latin-1", "replace")
    try:
        return h11.Response(status_code=code, headers=headers, reason=reason), answer.body
    except h11.LocalProtocolError as error:  # a header the app should not have made: say so
        log.error("mockmail could not send a %s answer: %s", code, error)
        headers = [(b"Content-Length", b"0"), (b"Connection", b"close"), (b"Server", b"mockmail")]
        return h11.Response(status_code=500, headers=headers, reason=b"Internal Server Error"), b""


@functools.lru_cache(maxsize=1)
def _http_date(second: int) -> bytes:
    return email.utils.formatdate(second, usegmt=True).encode()
