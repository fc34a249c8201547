"""The request journal: what the mocked API was asked and what it answered, newest last, bounded."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

JOURNAL_LIMIT = 1000
API_PREFIX = "/api/"
EXCHANGE_KEY = "mockmail.exchange"  # the environ key of the request's Exchange
SECRET_FIELDS = frozenset({"password", "smtp_password"})
MASK = "***"


def masked(params: Mapping[str, str]) -> dict[str, str]:
    """Parameters fit for the journal: passwords are never kept, only whether one was sent."""
    return {name: MASK if name in SECRET_FIELDS and value else value for name, value in params.items()}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request to the mocked API."""

    time: float  # seconds since the epoch
    method: str
    path: str  # without the query string, which may carry a password
    user: str | None  # whose credentials it carried, if valid
    email: str | None  # the account it named, if any
    status: int | None  # None: a connection fault answered nothing
    fault: str | None  # the fault that answered, if any
    duration_ms: float
    fields: Mapping[str, str] = field(default_factory=dict)  # the bound parameters, secrets masked

    def to_json(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["fields"] = dict(self.fields)
        return entry


@dataclass(slots=True)
class Exchange:
    """What the journal will say of the request being handled, filled in as it is handled."""

    started: float  # time.perf_counter()
    user: str | None = None
    email: str | None = None
    fault: str | None = None
    dropped: bool = False
    params: dict[str, str] | None = None  # as bound, cached for the request


class Journal:
    """The last ``limit`` requests, so a server left running for days stays small."""

    def __init__(self, limit: int = JOURNAL_LIMIT) -> None:
        # Raw records: entries are built when read, which keeps the request path cheap.
        self._records: deque[tuple[float, str, str, int, Exchange, float]] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, method: str, path: str, status: int, exchange: Exchange) -> None:
        """Record a finished request."""
        record = (time.time(), method, path, status, exchange, time.perf_counter())
        with self._lock:
            self._records.append(record)

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            records = list(self._records)
        return [
            JournalEntry(
                time=at,
                method=method,
                path=path,
                user=exchange.user,
                email=exchange.email,
                status=None if exchange.dropped else status,
                fault=exchange.fault,
                duration_ms=round((finished - exchange.started) * 1000, 3),
                fields=masked(exchange.params or {}),
            )
            for at, method, path, status, exchange, finished in records
        ]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class JournalMiddleware:
    """Writes each request to the mocked API (``/api/...``) to the journal as it is answered."""

    def __init__(self, app: WsgiApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(API_PREFIX):
            return self.app(environ, start_response)
        exchange = environ[EXCHANGE_KEY] = Exchange(started=time.perf_counter())
        method: str = environ.get("REQUEST_METHOD", "")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            self.journal.add(method, path, int(status[:3]), exchange)
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
