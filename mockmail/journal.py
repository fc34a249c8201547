"""The request journal: what the mocked API was asked and what it answered, newest last, bounded."""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException

from mockmail.api_request import ApiRequest, named_address
from mockmail.errors import ApiError
from mockmail.paths import API_PREFIX, CONTROL_PREFIX, normalize_path
from mockmail.reasons import FAULT_HEADER, REASON_HEADER, printable
from mockmail.secret_fields import CREDENTIAL_FIELDS, SECRET_FIELDS
from mockmail.store import AccountStore
from mockmail.wsgi import CONNECTION_FAULT, LOG_LINE, Environ, WsgiApp

JOURNAL_LIMIT = 1000
MASKED_FIELDS = frozenset({*SECRET_FIELDS, *CREDENTIAL_FIELDS})
MASK = "***"


def masked(params: Mapping[str, str]) -> dict[str, str]:
    """Parameters fit for the journal: passwords and tokens are never kept, only whether one was sent."""
    return {name: MASK if name in MASKED_FIELDS and value else value for name, value in params.items()}


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
    seq: int = 0  # 1, 2, ... in the order requests finished; never reused, not even after a reset
    reason: str | None = None  # why mockmail answered as it did (X-Mockmail-Reason), if it decided

    def to_json(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["time"] = iso_time(self.time)
        entry["fields"] = dict(self.fields)
        return entry


def iso_time(seconds: float) -> str:
    """An epoch time as ISO 8601 in UTC, to the millisecond: ``2026-12-01T14:47:15.123Z``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class JournalQuery:
    """Which entries to read: each given field must hold (None: any)."""

    method: str | None = None  # any case
    path: str | None = None  # compared as faults compare it: no .json/.xml, query or doubled slash
    user: str | None = None
    email: str | None = None
    status: int | None = None
    fault: str | None = None
    since: float | None = None  # epoch seconds: entries at or after it
    after: int | None = None  # a seq: entries after it (a page following the journal)

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> JournalQuery:
        """A query from URL parameters; ValueError naming the one that is wrong."""
        names = [name.name for name in fields(cls)]
        unknown = sorted(set(args) - set(names))
        if unknown:
            raise ValueError(f"unknown journal filter {unknown[0]!r}; valid: {', '.join(names)}")
        values: dict[str, Any] = {name: value for name, value in args.items() if value != ""}
        for name in ("status", "after"):
            if name in values:
                try:
                    values[name] = int(values[name])
                except ValueError:
                    raise ValueError(f"{name}: expected an integer, got {values[name][:50]!r}") from None
        if "since" in values:
            values["since"] = parse_time(values["since"])
        return cls(**values)

    def matches(self, record: _Record) -> bool:
        return (
            (self.after is None or record.seq > self.after)
            and (self.since is None or record.at >= self.since)
            and (self.method is None or record.method == self.method.upper())
            and (self.path is None or normalize_path(record.path) == normalize_path(self.path))
            and (self.user is None or record.user == self.user.lower())
            and (self.status is None or record.status == self.status)
            and (self.fault is None or record.fault == self.fault)
            and (self.email is None or named_address(record.params or {}) == self.email.lower())
        )


def journal_query(filters: Mapping[str, Any]) -> JournalQuery:
    """A query from Python keyword filters; ``since`` may be a datetime, ISO 8601 text or epoch seconds.

    TypeError names an unknown filter, as a misspelled keyword argument would.
    """
    names = {name.name for name in fields(JournalQuery)}
    unknown = sorted(set(filters) - names)
    if unknown:
        raise TypeError(f"unknown journal filter {unknown[0]!r}; valid: {', '.join(sorted(names))}")
    since = filters.get("since")
    if isinstance(since, datetime):
        since = (since if since.tzinfo else since.replace(tzinfo=UTC)).timestamp()
    elif isinstance(since, str):
        since = parse_time(since)
    return JournalQuery(**{**filters, "since": since})


def parse_time(text: str) -> float:
    """ISO 8601 (``2026-12-01T14:47:15Z``; without a zone: UTC) as epoch seconds; ValueError if not."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"since: expected an ISO 8601 time such as 2026-12-01T14:47:15Z, got {text[:50]!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


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
    reason: str | None
    duration_s: float
    seq: int

    def log_line(self) -> str:
        """The ``serve`` log's line: what was asked, what answered and why; never a query, token or password.

        ``PUT /api/2.0/mail/accounts 401 user=- email=bob@example.com reason="no user has this token" 0.4ms``
        """
        email = named_address(self.params) if self.params else None
        if self.fault is not None:
            why = f" fault={printable(self.fault)}"
        elif self.reason is not None:
            why = ' reason="' + printable(self.reason).replace("\\", "\\\\").replace('"', '\\"') + '"'
        else:
            why = ""
        return (
            f"{self.method} {printable(self.path)} {'-' if self.status is None else self.status}"
            f" user={printable(self.user) if self.user else '-'} email={printable(email) if email else '-'}"
            f"{why} {self.duration_s * 1000:.1f}ms"
        )


ANY = JournalQuery()


class Journal:
    """The last ``limit`` requests, so a server left running for days stays small."""

    def __init__(self, limit: int = JOURNAL_LIMIT) -> None:
        self._records: deque[_Record] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self.total = 0  # requests recorded since the journal was made, cleared or not: the last seq

    def add(self, request: ApiRequest, status: int | None) -> _Record:
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
            reason=request.reason,
            duration_s=time.perf_counter() - request.started,
            seq=0,
        )
        with self._lock:  # numbered in the order they are kept
            self.total += 1
            record = dataclasses.replace(record, seq=self.total)
            self._records.append(record)
        return record

    def entries(self, query: JournalQuery = ANY) -> list[JournalEntry]:
        """The entries ``query`` selects, oldest first."""
        with self._lock:
            records = list(self._records)
        return [_entry(record) for record in records if query is ANY or query.matches(record)]

    def count(self, query: JournalQuery = ANY) -> int:
        with self._lock:
            records = list(self._records)
        return sum(1 for record in records if query.matches(record))

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
        seq=record.seq,
        reason=record.reason,
    )


class JournalMiddleware:
    """Records each request to the mocked API (``/api/...``) once, from what the app answered.

    It is the one place that adds ``X-Mockmail-Reason`` and ``X-Mockmail-Fault`` to an app's answer
    (the body stays the real server's), and that gives the server the request's log line.
    """

    def __init__(self, app: WsgiApp, journal: Journal, store: AccountStore) -> None:
        self.app = app
        self.journal = journal
        self.store = store

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(API_PREFIX):
            if LOG_LINE in environ and path.startswith(CONTROL_PREFIX):
                environ[LOG_LINE] = ""  # the workbench polls every half second: its calls stay out
            return self.app(environ, start_response)
        request = ApiRequest.of(environ, self.store)
        statuses: list[str] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            statuses.append(status)
            if request.fault is not None:
                headers = [*headers, (FAULT_HEADER, printable(request.fault))]
            if request.reason is not None:
                headers = [*headers, (REASON_HEADER, printable(request.reason))]
            return start_response(status, headers, exc_info)

        result = self.app(environ, start)
        status = None if environ.get(CONNECTION_FAULT) is not None or not statuses else int(statuses[-1][:3])
        if request.params is None and status is not None and status >= 400:
            # Refused before its parameters were read (a 401): the journal still names its account.
            with contextlib.suppress(ApiError, HTTPException):
                request.parameters()
        record = self.journal.add(request, status)
        if LOG_LINE in environ:
            environ[LOG_LINE] = record.log_line()
        return result
