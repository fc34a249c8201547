"""The HTTP server under the mock: Werkzeug's, with reused threads, quiet handlers and dropped connections."""

from __future__ import annotations

import logging
import queue
import socket
import struct
import threading
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from mockmail.faults import ConnectionFault

log = logging.getLogger("mockmail")
_ABORT = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets the connection


class QuietHandler(WSGIRequestHandler):
    """Logs nothing per request, and drops the connection when a fault says so."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        if not isinstance(error, ConnectionFault):
            return
        self.close_connection = True
        if error.kind == "reset":
            # Linger 0: closing the socket sends RST instead of FIN (see PooledServer.shutdown_request).
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _ABORT)


class PathLogHandler(QuietHandler):
    """Logs method, path and status, never the query string, which may carry a password."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("%s %s %s", self.command, urlsplit(self.path).path, code)


class PooledServer(ThreadedWSGIServer):
    """Werkzeug's threaded server, reusing idle threads, able to reset a connection for a fault."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._idle: queue.SimpleQueue[queue.SimpleQueue[Any]] = queue.SimpleQueue()
        self._closing = threading.Lock()
        super().__init__(*args, **kwargs)  # closes a socket of its own on the way: see server_close
        self._closed = False

    def process_request(self, request: Any, client_address: Any) -> None:
        # Starting a thread costs about 80 us, as much as the app spends on a request: reuse
        # idle ones. They are daemon threads, as Werkzeug's are, so none holds up the exit.
        try:
            jobs = self._idle.get_nowait()
        except queue.Empty:
            jobs = queue.SimpleQueue()
            threading.Thread(target=self._work, args=(jobs,), name="mockmail-request", daemon=True).start()
        jobs.put((request, client_address))

    def _work(self, jobs: queue.SimpleQueue[Any]) -> None:
        while (job := jobs.get()) is not None:
            self.process_request_thread(*job)  # serves the connection until the client closes it
            with self._closing:
                if self._closed:
                    return
                self._idle.put(jobs)

    def server_close(self) -> None:
        super().server_close()
        with self._closing:
            self._closed = True
            while not self._idle.empty():
                self._idle.get_nowait().put(None)

    def shutdown_request(self, request: Any) -> None:
        if request.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, len(_ABORT)) == _ABORT:
            self.close_request(request)  # no shutdown(SHUT_WR): that would send FIN first
        else:
            super().shutdown_request(request)
