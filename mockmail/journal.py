"""The request journal: what the mocked API was asked and what it answered, newest last, bounded."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

JOURNAL_LIMIT = 1000


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Journal:
    """The last ``limit`` requests, so a server left running for days stays small."""

    def __init__(self, limit: int = JOURNAL_LIMIT) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
