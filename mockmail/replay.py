"""Replay: answer each request with the recorded answer it matches, and record what the mode allows."""

from __future__ import annotations

import io
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from mockmail.errors import HRESULT_EXCEPTION, ApiError
from mockmail.paths import API_PREFIX, normalize_path
from mockmail.proxy import UpstreamError, forward
from mockmail.reasons import REPLAY_MISS
from mockmail.record_mode import OnMiss, RecordMode
from mockmail.recording import (
    CORS_PREFIX,
    Body,
    Interaction,
    Message,
    Recording,
    RecordingError,
    decode_body,
    kept_headers,
    load_recording,
    remove_leftovers,
    save_recording,
)
from mockmail.redaction import PLACEHOLDER_PATTERN, Redactor, SecretLeak, is_placeholder
from mockmail.wire import JSON_TYPE, error_envelope, render_json
from mockmail.wsgi import REASON, WsgiApp

RECORD_MODES = tuple(RecordMode)
ON_MISS = tuple(OnMiss)
KEPT = 100
# A miss: not one of the real server's 200/401/500 shapes, and a 4xx, which no client retries
# (a 5xx would send retrying clients into back-off and hide the miss). Its body is mockmail's
# own report, not the ONLYOFFICE envelope, and X-Mockmail: replay-miss marks it.
MISS_STATUS = 404
CACHE_BUSTER = "__"  # the web client's ?__=123456
WILDCARD = "<*>"
_DIGITS = re.compile(r"[0-9]+")


def check_record_mode(value: str) -> RecordMode:
    """``value`` as a record mode; else a ValueError listing the valid ones."""
    return RecordMode.parse(value)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as replay sees it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: list[tuple[str, str]]
    body: bytes
    raw_query: str = ""  # as the client sent it: repeated names and their encoding kept

    @property
    def target(self) -> str:
        """Path and query to forward upstream, as the client sent them."""
        return _wire_path(self.path) + (f"?{self.raw_query}" if self.raw_query else "")

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer to send: recorded, forwarded, or mockmail's own miss report."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    reason: str | None = None  # mockmail's own answer: why (X-Mockmail-Reason)


@dataclass(frozen=True, slots=True)
class Miss:
    """A request no recorded interaction matches, with the closest one and how they differ."""

    request: Mapping[str, Any]
    closest: Mapping[str, Any] | None
    differences: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "mockmail": "no recorded interaction matches this request",
            "request": dict(self.request),
            "closest": self.closest,
            "differences": self.differences,
        }

    def reason(self) -> str:
        """The miss in one line, for ``X-Mockmail-Reason`` and the log: what the closest one differs in."""
        if self.closest is None:
            return f"{REPLAY_MISS} (the recording is empty)"
        names = ", ".join(item["field"] for item in self.differences)
        return (
            f"{REPLAY_MISS}; the closest, {self.closest['method']} {self.closest['path']}, differs in {names}"
        )

    def describe(self) -> str:
        lines = [f"no recorded interaction matches {self.request['method']} {self.request['path']}"]
        if self.closest is None:
            lines.append("  the recording has no interaction at all")
        else:
            lines.append(f"  closest: {self.closest['method']} {self.closest['path']}")
            lines += [
                f"  {item['field']}: recorded {item['recorded']!r}, received {item['received']!r}"
                for item in self.differences
            ]
        return "\n".join(lines)


@dataclass(slots=True)
class _Entry:
    interaction: Interaction
    fields: dict[str, str]
    credentials: bool  # whether the recorded request carried any
    used: bool = False


@dataclass(slots=True)
class Replay:
    """A recording being replayed (and, as the mode says, added to) by a server."""

    path: Path
    mode: RecordMode | str = RecordMode.NONE  # a plain string is taken too, and checked
    upstream: str | None = None
    on_miss: OnMiss | str = OnMiss.FAIL
    redact: Iterable[str] = ()
    # The latest misses (with on_miss "fail") and problems (upstream failures, refused writes),
    # bounded so a server left running does not grow.
    misses: deque[Miss] = field(default_factory=lambda: deque(maxlen=KEPT))
    problems: deque[Exception] = field(default_factory=lambda: deque(maxlen=KEPT))
    recorded: int = field(default=0, init=False)  # exchanges recorded since it was made
    _recording: Recording = field(init=False)
    _records: bool = field(init=False)
    _redactor: Redactor = field(init=False)
    _index: dict[tuple[Any, ...], list[_Entry]] = field(init=False)
    _entries: list[_Entry] = field(init=False)
    _lock: threading.Lock = field(init=False)

    def __post_init__(self) -> None:
        self.mode = mode = RecordMode.parse(self.mode)
        self.on_miss = OnMiss.parse(self.on_miss)
        self.redact = tuple(self.redact)  # read again for each miss report
        exists = self.path.exists()
        if mode is RecordMode.NONE and not exists:
            raise RecordingError(f"{self.path}: no such recording (record mode 'none' {mode.description})")
        self._records = mode in (RecordMode.NEW, RecordMode.ALL) or (mode is RecordMode.ONCE and not exists)
        if self._records and not self.upstream:
            raise ValueError(f"record mode {mode.value!r} needs an upstream to record from")
        remove_leftovers(self.path)  # of a recorder killed mid-write
        self._recording = load_recording(self.path) if exists and mode is not RecordMode.ALL else Recording()
        self._redactor = Redactor(self.redact)
        self._lock = threading.Lock()
        self._index, self._entries = {}, []
        for interaction in self._recording.interactions:
            self._add(interaction)

    @property
    def records(self) -> bool:
        """Whether a request it has no answer for goes to the upstream (and is recorded)."""
        return self._records

    def answer(self, request: Incoming) -> Reply | None:
        """The reply to ``request``; None to let the stateful mock answer (a miss, falling through)."""
        fields = _fields(request.query, decode_body(request.header("Content-Type"), request.body))
        key = _key(request.method, request.path, _has_credentials(request.headers), fields)
        if self.mode is not RecordMode.ALL:
            with self._lock:
                entry = self._match(key, request, fields)
            if entry is not None:
                return _recorded(entry.interaction)
        if self._records:
            return self._record(request)
        if self.on_miss is OnMiss.FALLTHROUGH:
            return None
        # The report goes to the client and into test output: the client's secrets stay out of it.
        scrubbed = Redactor(self.redact)
        shown = _fields(
            {name: scrubbed.field(name, value) for name, value in request.query.items()},
            scrubbed.body(decode_body(request.header("Content-Type"), request.body)),
        )
        miss = self._miss(request, shown)
        self.misses.append(miss)
        body = json.dumps(miss.to_json(), indent=2).encode("utf-8")
        headers = [("Content-Type", "application/json"), ("X-Mockmail", "replay-miss")]
        return Reply(MISS_STATUS, headers, body, miss.reason())

    def _match(self, key: tuple[Any, ...], request: Incoming, fields: dict[str, str]) -> _Entry | None:
        candidates = self._index.get(key)
        if candidates is None:  # a placeholder other than a password's: compare field by field
            has_credentials = _has_credentials(request.headers)
            candidates = [
                entry
                for entry in self._entries
                if entry.interaction.method == request.method
                and normalize_path(entry.interaction.path) == normalize_path(request.path)
                and entry.credentials == has_credentials
                and not _differences(entry.fields, fields)
            ]
        # Identical requests replay their recorded answers in order; once all are used, a replay
        # answers the last again, while a recording session records the request anew.
        entry = next((entry for entry in candidates if not entry.used), None)
        if entry is None and candidates and not self._records:
            entry = candidates[-1]
        if entry is not None:
            entry.used = True
        return entry

    def _record(self, request: Incoming) -> Reply:
        assert self.upstream is not None
        answer = forward(self.upstream, request.method, request.target, request.headers, request.body)
        interaction = Interaction(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            request=Message(
                kept_headers(request.headers), decode_body(request.header("Content-Type"), request.body)
            ),
            status=answer.status,
            response=Message(
                kept_headers(answer.headers),
                decode_body(dict(answer.headers).get("Content-Type", ""), answer.body),
            ),
        )
        with self._lock:
            scrubbed = self._redactor.scrub(interaction)
            self._recording.interactions.append(scrubbed)
            try:  # fails closed: nothing is written
                self._redactor.check_recording(self._recording, str(self.path))
            except SecretLeak:
                self._recording.forget_last()
                raise
            save_recording(self.path, self._recording)
            self.recorded += 1
            self._add(scrubbed).used = True  # played by being recorded
        headers = _sendable(answer.headers)
        return Reply(answer.status, [*headers, ("Content-Length", str(len(answer.body)))], answer.body)

    def _add(self, interaction: Interaction) -> _Entry:
        fields = _fields(interaction.query, interaction.request.body)
        entry = _Entry(interaction, fields, _has_credentials(interaction.request.header_items()))
        key = _key(interaction.method, interaction.path, entry.credentials, fields)
        self._index.setdefault(key, []).append(entry)
        self._entries.append(entry)
        return entry

    def _miss(self, request: Incoming, fields: dict[str, str]) -> Miss:
        received = {"method": request.method, "path": request.path, "fields": fields}
        credentials = _has_credentials(request.headers)
        scored = []
        for entry in self._entries:
            interaction = entry.interaction
            differences = _differences(entry.fields, fields)
            if interaction.method != request.method:
                differences.insert(0, _difference("method", interaction.method, request.method))
            if normalize_path(interaction.path) != normalize_path(request.path):
                differences.insert(0, _difference("path", interaction.path, request.path))
            if entry.credentials != credentials:
                differences.append(_difference("credentials", entry.credentials, credentials))
            scored.append((len(differences), entry, differences))
        if not scored:
            return Miss(received, None, [])
        _, entry, differences = min(scored, key=lambda item: item[0])
        closest = {"method": entry.interaction.method, "path": entry.interaction.path, "fields": entry.fields}
        return Miss(received, closest, differences)


def _fields(query: Mapping[str, str], body: Body) -> dict[str, str]:
    """What a request is matched on: its query and body fields, names lower-cased, values as text."""
    fields = {f"query.{name.lower()}": str(value) for name, value in query.items() if name != CACHE_BUSTER}
    if isinstance(body, Mapping):
        for name, value in body.items():
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            fields[f"body.{name.lower()}"] = text
    elif body is not None:
        fields["body"] = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
    return fields


def _key(method: str, path: str, credentials: bool, fields: Mapping[str, str]) -> tuple[Any, ...]:
    """The exact-match key; redacted fields and secrets count by name only."""
    signature = tuple(
        sorted(
            (name, WILDCARD if is_placeholder(value) or name.endswith("password") else value)
            for name, value in fields.items()
        )
    )
    return (method.upper(), normalize_path(path), credentials, signature)


def _has_credentials(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        if name.lower() == "authorization" and value:
            return True
        if name.lower() == "cookie" and "asc_auth_key=" in value:
            return True
    return False


def _differences(recorded: Mapping[str, str], received: Mapping[str, str]) -> list[dict[str, Any]]:
    differences = []
    for name in sorted({*recorded, *received}):
        want, got = recorded.get(name), received.get(name)
        if want is not None and got is not None and _redacted_match(want, got):
            continue
        if want != got:
            differences.append(_difference(name, want, got))
    return differences


def _redacted_match(recorded: str, received: str) -> bool:
    """Whether ``received`` is ``recorded`` with anything in place of each placeholder in it.

    A placeholder may be the whole value (a JSON or form field) or inside a text body (XML).
    """
    if is_placeholder(recorded):
        return True
    parts = PLACEHOLDER_PATTERN.split(recorded)
    if len(parts) == 1:
        return False
    pattern = ".*?".join(re.escape(part) for part in parts)
    return re.fullmatch(pattern, received, re.DOTALL) is not None


def _difference(name: str, recorded: Any, received: Any) -> dict[str, Any]:
    return {"field": name, "recorded": recorded, "received": received}


def _recorded(interaction: Interaction) -> Reply:
    response = interaction.response
    body = response.body
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode("utf-8")
    else:
        data = render_json(body)
    headers = _sendable(response.header_items())
    return Reply(interaction.status, [*headers, ("Content-Length", str(len(data)))], data)


def _sendable(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """An answer's headers less its length, set anew, and the portal's CORS headers.

    mockmail's Access middleware adds its own CORS headers outside; with the portal's
    ``Access-Control-Allow-Origin: *`` beside them a browser would refuse every answer. A
    recording made before they were left out may still hold them.
    """
    return [
        (name, value)
        for name, value in headers
        if name.lower() != "content-length" and not name.lower().startswith(CORS_PREFIX)
    ]


class ReplayMiddleware:
    """Hands requests to the mocked API to the replay in force, if any, before the stateful mock."""

    def __init__(self, app: WsgiApp, current: Callable[[], Replay | None]) -> None:
        self.app = app
        self.current = current

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        replay = self.current()
        if replay is None or not environ.get("PATH_INFO", "").startswith(API_PREFIX):
            return self.app(environ, start_response)
        try:
            request = _incoming(environ)
        except ApiError as error:
            environ[REASON] = error.reason
            body = render_json(error_envelope(error))
            start_response(
                _status_line(error.status), [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body)))]
            )
            return [body]
        try:
            reply = replay.answer(request)
        except (UpstreamError, SecretLeak, OSError) as error:
            replay.problems.append(error)
            body = json.dumps({"mockmail": str(error)}).encode("utf-8")
            headers = [("Content-Type", "application/json"), ("X-Mockmail", "record-failed")]
            reply = Reply(502, headers, body, f"recording: {error}")
        if reply is None:  # fall through: the body was read here, so hand it on
            environ["wsgi.input"] = io.BytesIO(request.body)
            environ["CONTENT_LENGTH"] = str(len(request.body))
            return self.app(environ, start_response)
        if reply.reason is not None:
            environ[REASON] = reply.reason
        start_response(_status_line(reply.status), reply.headers)
        return [reply.body]


_KNOWN = {status.value for status in HTTPStatus}


def _status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase if status in _KNOWN else 'Unknown'}"


def _wire_path(path: str) -> str:
    """A decoded path (WSGI's PATH_INFO: bytes as latin-1) encoded again for a request line."""
    try:
        data = path.encode("latin-1")
    except UnicodeEncodeError:
        data = path.encode("utf-8")
    return quote(data, safe="/:@!$&'()*+,;=-._~")


def _incoming(environ: dict[str, Any]) -> Incoming:
    headers = [
        (key[5:].replace("_", "-").title(), value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    length = _content_length(environ.get("CONTENT_LENGTH") or "")
    return Incoming(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=environ.get("PATH_INFO", "/"),
        query=dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)),
        headers=headers,
        body=environ["wsgi.input"].read(length) if length else b"",
        raw_query=environ.get("QUERY_STRING", ""),
    )


def _content_length(value: str) -> int:
    """The body's length from ``CONTENT_LENGTH``, which a server may give as a list.

    A Content-Length sent twice, or as ``5, 5``, is one length when every value agrees, as
    RFC 9110 lets a recipient read it; values that differ are a 400, in the API's envelope.
    """
    lengths = {part.strip() for part in value.split(",")} if value.strip() else {"0"}
    if len(lengths) != 1 or not _DIGITS.fullmatch(next(iter(lengths))):
        message = f"invalid Content-Length {value[:100]!r}"
        raise ApiError(400, message, HRESULT_EXCEPTION, reason=f"replay: {message}")
    return int(lengths.pop())
