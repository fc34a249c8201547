"""Recordings: captured request/answer pairs as versioned YAML a person can review, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml

from mockmail.errors import MockmailError

VERSION = 1
# Headers that change on every answer or describe the connection, not the exchange.
NOISY_HEADERS = frozenset(
    {"date", "server", "content-length", "connection", "keep-alive", "transfer-encoding", "host"}
)

# The portal's CORS answers speak for the portal's origin; mockmail's Access middleware adds its
# own, and a second Access-Control-Allow-Origin makes a browser refuse the answer.
MAX_JSON_DEPTH = 64  # Json.NET's JsonReader.MaxDepth: the real server reads no deeper
CORS_PREFIX = "access-control-"
# A temporary file of write_atomically: ".NAME.PID.RANDOM.tmp", the PID of the writing process.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[A-Za-z0-9_]+\.tmp")

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

Body = Mapping[str, Any] | list[Any] | str | None
HeaderValue = str | tuple[str, ...]  # a header sent more than once (Set-Cookie) keeps each value
Headers = Mapping[str, HeaderValue]


class RecordingError(MockmailError, ValueError):
    """A recording that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Message:
    """One side of an interaction: a request (method, path, query) or an answer (status)."""

    headers: Headers = field(default_factory=dict)
    body: Body = None  # a mapping for JSON and form bodies, text otherwise

    def header_items(self) -> list[tuple[str, str]]:
        """The headers as sent: a repeated one once for each of its values."""
        return [(name, value) for name, values in self.headers.items() for value in _values(values)]


@dataclass(frozen=True, slots=True)
class Interaction:
    """A request and the answer the upstream gave it."""

    method: str
    path: str
    query: Mapping[str, str]
    request: Message
    status: int
    response: Message

    def to_yaml(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "path": self.path,
                **({"query": dict(self.query)} if self.query else {}),
                "headers": _yaml_headers(self.request.headers),
                **({"body": self.request.body} if self.request.body is not None else {}),
            },
            "response": {
                "status": self.status,
                "headers": _yaml_headers(self.response.headers),
                **({"body": self.response.body} if self.response.body is not None else {}),
            },
        }


def _values(value: HeaderValue) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else value


def _yaml_headers(headers: Headers) -> dict[str, str | list[str]]:
    return {name: value if isinstance(value, str) else list(value) for name, value in headers.items()}


@dataclass(slots=True)
class Recording:
    """The interactions of a recording, oldest first."""

    interactions: list[Interaction] = field(default_factory=list)
    # Each interaction's text, made once: a recorder rewrites the file after every exchange.
    _yaml: list[str] = field(default_factory=list)
    _json: list[str] = field(default_factory=list)

    def texts(self) -> tuple[str, str]:
        """The recording as YAML, for people, and as JSON, the cache that loads fast."""
        self.pieces()
        items = "".join(self._yaml) if self._yaml else "[]\n"
        return (
            f"version: {VERSION}\ninteractions:\n{items}",
            f'{{"version":{VERSION},"interactions":[{",".join(self._json)}]}}',
        )

    def pieces(self) -> list[tuple[str, str]]:
        """Each interaction's text, as it stands in the YAML and in the JSON cache."""
        for interaction in self.interactions[len(self._yaml) :]:
            item = interaction.to_yaml()
            self._yaml.append(
                yaml.dump([item], Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100)
            )
            self._json.append(json.dumps(item, separators=(",", ":")))
        return list(zip(self._yaml, self._json, strict=True))

    def forget_last(self) -> None:
        """Take the newest interaction back out (one that may not be written)."""
        self.interactions.pop()
        del self._yaml[len(self.interactions) :]
        del self._json[len(self.interactions) :]


def cache_path(path: Path) -> Path:
    """Where a recording's JSON cache lives: beside it, hidden."""
    return path.with_name(f".{path.name}.json")


def save_recording(path: Path, recording: Recording) -> None:
    """Write the recording and its cache, each complete at every moment (see write_atomically)."""
    yaml_text, json_text = recording.texts()
    write_atomically(path, yaml_text)
    _write_cache(path, yaml_text.encode("utf-8"), json_text)


def _write_cache(path: Path, yaml_bytes: bytes, json_text: str) -> None:
    digest = hashlib.sha256(yaml_bytes).hexdigest()
    with contextlib.suppress(OSError):  # the cache only saves time: without it the YAML is parsed
        write_atomically(cache_path(path), f'{{"sha256":"{digest}","recording":{json_text}}}')


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` so that ``path`` is complete at every moment: a temporary file, then a rename.

    The temporary file is named after this process (``.NAME.PID.RANDOM.tmp``), so one left by a
    process killed mid-write is recognised and removed by ``remove_leftovers``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{path.name}.{os.getpid()}."
    descriptor, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_leftovers(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` and its cache that a killed process left; those removed.

    A file whose process still runs is being written and stays.
    """
    names = {path.name, cache_path(path).name}
    removed = []
    with contextlib.suppress(OSError):  # a directory that cannot be listed has nothing of ours
        for candidate in path.parent.iterdir():
            match = _TEMPORARY.fullmatch(candidate.name)
            if match is None or match["name"] not in names or _running(int(match["pid"])):
                continue
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except PermissionError:  # it does, as another user's
        return True
    except (ProcessLookupError, OverflowError):
        return False
    return True


def load_recording(path: Path) -> Recording:
    """Read and check a recording file; from its JSON cache when that is of the same YAML."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RecordingError(f"{path}: no such recording") from None
    document = _cached(path, data)
    if document is None:
        try:
            document = yaml.load(data.decode("utf-8"), Loader=_LOADER)
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise RecordingError(f"{path}: invalid YAML: {error}") from None
        if isinstance(document, dict):
            _write_cache(path, data, json.dumps(document, separators=(",", ":"), default=str))
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise RecordingError(f"{path}: not a mockmail recording (expected 'version: {VERSION}' at the top)")
    items = document.get("interactions") or []
    if not isinstance(items, list):
        raise RecordingError(f"{path}: interactions: expected a list")
    return Recording(
        [_interaction(item, f"{path}: interactions[{index}]") for index, item in enumerate(items)]
    )


def _cached(path: Path, data: bytes) -> Any:
    """The recording from its cache, if the cache was made from exactly these YAML bytes."""
    try:
        cache = json.loads(cache_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(cache, dict) or cache.get("sha256") != hashlib.sha256(data).hexdigest():
        return None
    return cache.get("recording")


REQUEST_KEYS = ("method", "path", "query", "headers", "body")
RESPONSE_KEYS = ("status", "headers", "body")


def _interaction(item: Any, where: str) -> Interaction:
    """One interaction of a loaded recording, checked key by key; RecordingError names the bad one."""
    _check_keys(item, ("request", "response"), where, required=("request", "response"))
    request, response = item["request"], item["response"]
    _check_keys(request, REQUEST_KEYS, f"{where}.request", required=("method", "path"))
    _check_keys(response, RESPONSE_KEYS, f"{where}.response", required=("status",))
    method, path = request["method"], request["path"]
    if not isinstance(method, str) or not method.isalpha():
        raise RecordingError(f"{where}.request.method: expected an HTTP method such as GET, got {method!r}")
    if not isinstance(path, str) or not path.startswith("/"):
        raise RecordingError(f"{where}.request.path: expected a path starting with '/', got {path!r}")
    status = response["status"]
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise RecordingError(f"{where}.response.status: expected an HTTP status (100-599), got {status!r}")
    return Interaction(
        method=method.upper(),
        path=path,
        query=_texts(request.get("query"), f"{where}.request.query"),
        request=Message(_headers(request.get("headers"), f"{where}.request.headers"), request.get("body")),
        status=status,
        response=Message(
            _headers(response.get("headers"), f"{where}.response.headers"), response.get("body")
        ),
    )


def _check_keys(value: Any, allowed: tuple[str, ...], where: str, *, required: tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise RecordingError(f"{where}: expected a mapping with {', '.join(required)}, got {value!r}")
    for key in value:
        if key not in allowed:
            raise RecordingError(f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in value:
            raise RecordingError(f"{where}: missing key {key!r}")


def _texts(value: Any, where: str) -> dict[str, str]:
    """Headers or a query: names to values, the values as text (YAML reads ``993`` as a number)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordingError(f"{where}: expected a mapping of names to values, got {value!r}")
    texts = {}
    for name, item in value.items():
        if isinstance(item, dict | list):
            raise RecordingError(f"{where}.{name}: expected a text value, got {item!r}")
        texts[str(name)] = _text(item)
    return texts


def _headers(value: Any, where: str) -> dict[str, HeaderValue]:
    """Headers: names to a text value, or to a list of them for a header sent more than once."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordingError(f"{where}: expected a mapping of names to values, got {value!r}")
    headers: dict[str, HeaderValue] = {}
    for name, item in value.items():
        if isinstance(item, list):
            for index, each in enumerate(item):
                if isinstance(each, dict | list):
                    raise RecordingError(f"{where}.{name}[{index}]: expected a text value, got {each!r}")
            headers[str(name)] = tuple(_text(each) for each in item)
        elif isinstance(item, dict):
            raise RecordingError(f"{where}.{name}: expected a text value, got {item!r}")
        else:
            headers[str(name)] = _text(item)
    return headers


def _text(item: Any) -> str:
    return item if isinstance(item, str) else "" if item is None else json.dumps(item)


def kept_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, HeaderValue]:
    """Headers worth keeping in a recording: noisy, connection and CORS ones dropped, repeated ones kept.

    A header sent more than once (the real server's ``Set-Cookie`` of ``asc_auth_key`` beside
    others) keeps every value, in order, under the name it first had.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    kept: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in items:
        lowered = name.lower()
        if lowered in NOISY_HEADERS or lowered.startswith(CORS_PREFIX):
            continue
        kept.setdefault(names.setdefault(lowered, name), []).append(value)
    return {name: values[0] if len(values) == 1 else tuple(values) for name, values in kept.items()}


def _depth_at_most(value: Any, limit: int) -> bool:
    """Whether ``value``'s lists and mappings nest at most ``limit`` deep (walked without recursion)."""
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(limit):
        level = [
            item
            for container in level
            for item in (container.values() if isinstance(container, dict) else container)
            if isinstance(item, dict | list)
        ]
        if not level:
            return True
    return not level


def decode_body(content_type: str, data: bytes) -> Body:
    """A body as a recording keeps it: JSON and forms as mappings, anything else as text."""
    if not data:
        return None
    mimetype = content_type.partition(";")[0].strip().lower()
    text = data.decode("utf-8", errors="replace")
    if mimetype == "application/json" or mimetype.endswith("+json"):
        try:
            parsed: Body = json.loads(text)
        except (json.JSONDecodeError, RecursionError):  # Python's json reads nesting by recursion
            return text
        # Kept as text past the real server's own limit (Json.NET's MaxDepth), so redaction and the
        # YAML writer, which walk a mapping by recursion too, never meet a body too deep for them.
        return parsed if _depth_at_most(parsed, MAX_JSON_DEPTH) else text
    if mimetype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    return text
