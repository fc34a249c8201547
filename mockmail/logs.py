"""The ``serve`` log on stderr, written so that a logged request costs little more than a quiet one.

Two costs made a logged request slower: a write and flush per line, each waking whoever reads
stderr (a terminal, a CI runner), and the logging module's record for each line. Here lines
are formatted at once, in order, and a thread writes what has gathered a moment later
(``LINGER``) in one write; lines stay whole and in order, and ``flush()``/``close()`` at stop
write the rest. A request's line skips the logging record and goes straight into that handler
(``log_request``). The thread, with nothing to write, waits on an event and costs nothing.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from typing import ClassVar, TextIO

LINGER = 0.1  # seconds a line may wait for others to go out with it: less than a reader notices
PENDING_LIMIT = 100_000  # lines kept while stderr is not read; later ones are counted, not kept
FORMAT = "%(asctime)s %(message)s"

log = logging.getLogger("mockmail")


class _Clock:
    """The time as ``logging.Formatter`` writes it (``2026-12-01 14:47:15,123``), made once a second."""

    def __init__(self) -> None:
        self._second: tuple[int, str] = (-1, "")  # one tuple, replaced whole: safe from any thread

    def text(self, seconds: float) -> str:
        second, text = self._second
        if int(seconds) != second:
            second = int(seconds)
            text = time.strftime(logging.Formatter.default_time_format, time.localtime(seconds))
            self._second = (second, text)
        return f"{text},{int((seconds - second) * 1000):03d}"


class LogFormatter(logging.Formatter):
    """``FORMAT``, the time worked out once a second."""

    def __init__(self) -> None:
        super().__init__(FORMAT)
        self._clock = _Clock()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return self._clock.text(record.created)


class BatchingHandler(logging.StreamHandler[TextIO]):
    """A stream handler that writes its lines in batches, from a thread of its own."""

    installed: ClassVar[BatchingHandler | None] = (
        None  # the one log_to_stderr() set up: it takes lines directly
    )

    def __init__(self, stream: TextIO, linger: float = LINGER) -> None:
        super().__init__(stream)
        self.setFormatter(LogFormatter())
        self.linger = linger
        self._clock = _Clock()
        self._pending: list[str] = []
        self._dropped = 0
        self._wake = threading.Event()
        # Never the handler's own lock for these: logging.shutdown() flushes while holding it.
        self._lines = threading.Lock()  # guards _pending and _dropped
        self._writing = threading.Lock()  # one batch at a time, so batches keep their order
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="mockmail-log", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        """Format the record now, in the order records come, and leave the line for the writer."""
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._add(line)

    def write_line(self, message: str) -> None:
        """Log ``message`` as ``FORMAT`` shows a record of it, without making the record."""
        self._add(f"{self._clock.text(time.time())} {message}{self.terminator}")

    def _add(self, line: str) -> None:
        with self._lines:
            if len(self._pending) >= PENDING_LIMIT:
                self._dropped += 1
                return
            self._pending.append(line)
            first = len(self._pending) == 1
        if first:
            self._wake.set()

    def flush(self) -> None:
        """Write every line so far, now."""
        with self._writing:
            with self._lines:
                lines, self._pending = self._pending, []
                dropped, self._dropped = self._dropped, 0
            if dropped:
                lines.append(f"mockmail: {dropped} log lines left out: stderr was not being read\n")
            if lines:
                self.stream.write("".join(lines))
            self.stream.flush()

    def close(self) -> None:
        """Write what is left and stop the writer thread."""
        self._closed = True
        self._wake.set()
        with contextlib.suppress(OSError, ValueError):  # stderr closed already: nothing can be written
            self.flush()
        super().close()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            if self._closed:
                return
            time.sleep(self.linger)
            self._wake.clear()  # before taking the lines: one added after this wakes the next round
            with contextlib.suppress(OSError, ValueError):  # the reader is gone: nothing to write to
                self.flush()


def log_to_stderr() -> BatchingHandler | None:
    """Log INFO and above to stderr through a BatchingHandler, unless logging is set up already."""
    root = logging.getLogger()
    if root.handlers:  # as logging.basicConfig() leaves a configuration alone
        return None
    # What the logging HOWTO's "Optimization" section lists: records need no caller, thread or process.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = BatchingHandler.installed = BatchingHandler(sys.stderr)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def log_request(line: str) -> None:
    """Log a request's line: into the handler ``log_to_stderr()`` set up, else as INFO on ``mockmail``.

    Going straight to the handler skips the logging record, which cost a request a twentieth of its time.
    """
    handler = BatchingHandler.installed
    if handler is not None:
        handler.write_line(line)
    else:
        log.info(line)
