"""The request journal: what the mocked API was asked and what it answered, newest last, bounded."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mockmail.api_request import ApiRequest, named_address
from mockmail.paths import API_PREFIX
from mockmail.store import AccountStore
from mockmail.wsgi import CONNECTION_FAULT, Environ, WsgiApp

JOURNAL_LIMIT = 1000
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


@dataclass(frozen=True, slots=True)
class _Record:
    """A finished request as recorded; the entry is built from it when the journal is read."""

    at: float
    method: str
    path: str
    user: str | None
    params: dict[str, str] | None
    status: int | None
    fault: str | None
    duration_s: float


class Journal:
    """The last ``limit`` requests, so a server left running for days stays small."""

    def __init__(self, limit: int = JOURNAL_LIMIT) -> None:
        self._records: deque[_Record] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, request: ApiRequest, status: int | None) -> None:
        """Record a finished request; ``status`` None: a connection fault answered nothing."""
        caller = request.caller  # now: a later revocation or reset must not change who it was
        record = _Record(
            at=time.time(),
            method=request.method,
            path=request.raw_path,
            user=caller.name if caller else None,
            params=request.params,
            status=status,
            fault=request.fault,
            duration_s=time.perf_counter() - request.started,
        )
        with self._lock:
            self._records.append(record)

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            records = list(self._records)
        return [_entry(record) for record in records]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def _entry(record: _Record) -> JournalEntry:
    params = record.params or {}
    return JournalEntry(
        time=record.at,
        method=record.method,
        path=record.path,
        user=record.user,
        email=named_address(params),
        status=record.status,
        fault=record.fault,
        duration_ms=round(record.duration_s * 1000, 3),
        fields=masked(params),
    )


class JournalMiddleware:
    """Records each request to the mocked API (``/api/...``) once, from what the app answered."""

    def __init__(self, app: WsgiApp, journal: Journal, store: AccountStore) -> None:
        self.app = app
        self.journal = journal
        self.store = store

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return self.app(environ, start_response)
        request = ApiRequest.of(environ, self.store)
        statuses: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        dropped = environ.get(CONNECTION_FAULT) is not None
        self.journal.add(request, None if dropped or not statuses else int(statuses[-1][:3]))
        return result
