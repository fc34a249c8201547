"""Reading HTTP/1.1 requests off a connection's bytes: request line, headers, framed body."""

from __future__ import annotations

from dataclasses import dataclass

HEAD_LIMIT = 64 * 1024  # request line and headers
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BadRequest(Exception):
    """A request the server answers with ``status`` and then closes the connection."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(slots=True)
class Request:
    """One request as the client sent it (a body over the limit is left unread: empty here)."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool
    chunked: bool = False


@dataclass(slots=True)
class Pending:
    """What has arrived of a connection's next request; ``take()`` returns it once it is whole."""

    buffer: bytearray
    body_limit: int
    continued: bool = False  # a 100 Continue was sent for the request in the buffer
    wants_continue: bool = False  # the client waits for a 100 Continue before sending its body

    def take(self) -> Request | None:
        """The first whole request in the buffer, removed from it; None while more is to come.

        Raises BadRequest for a request that cannot be read.
        """
        buffer = self.buffer
        while buffer[:2] == b"\r\n":  # blank lines before a request line are allowed
            del buffer[:2]
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > HEAD_LIMIT:
                raise BadRequest("431 Request Header Fields Too Large", "request head over 64 KiB")
            return None
        method, target, version, headers = _head(bytes(buffer[:end]).decode("latin-1"))
        start = end + 4
        fields = {name.lower(): value for name, value in headers}
        if "chunked" in fields.get("transfer-encoding", "").lower():
            framed = _dechunk(buffer, start, self.body_limit)
            if framed is None:
                self._waiting(fields)
                return None
            body, stop = framed
            chunked = True
        else:
            length = _content_length(fields.get("content-length", "0"))
            if length > self.body_limit:
                # Not read: the app answers 413 from the length, and the connection closes after.
                del buffer[:start]
                return Request(method, target, version, headers, b"", keep_alive=False)
            if len(buffer) < start + length:
                self._waiting(fields)
                return None
            body, stop, chunked = bytes(buffer[start : start + length]), start + length, False
        del buffer[:stop]
        self.continued = self.wants_continue = False
        keep_alive = _keep_alive(version, fields.get("connection", ""))
        return Request(method, target, version, headers, body, keep_alive, chunked)

    def _waiting(self, fields: dict[str, str]) -> None:
        self.wants_continue = not self.continued and fields.get("expect", "").lower() == "100-continue"


def _head(text: str) -> tuple[str, str, str, list[tuple[str, str]]]:
    line, *lines = text.split("\r\n")
    parts = line.split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise BadRequest("400 Bad Request", f"bad request line {line[:100]!r}")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest("505 HTTP Version Not Supported", f"unsupported version {version[:20]!r}")
    headers = []
    for header in lines:
        name, colon, value = header.partition(":")
        if not colon or not name or name != name.strip():
            raise BadRequest("400 Bad Request", f"bad header line {header[:100]!r}")
        headers.append((name, value.strip(" \t")))
    return method, target, version, headers


def _content_length(text: str) -> int:
    if not text.isdigit():
        raise BadRequest("400 Bad Request", f"bad Content-Length {text[:20]!r}")
    return int(text)


def _keep_alive(version: str, connection: str) -> bool:
    tokens = {token.strip().lower() for token in connection.split(",")}
    return "keep-alive" in tokens if version == "HTTP/1.0" else "close" not in tokens


def _dechunk(buffer: bytearray, start: int, limit: int) -> tuple[bytes, int] | None:
    """A chunked body from ``start``: the body and where it ends, or None while it is incomplete."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size_text = bytes(buffer[position:line_end]).split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest("400 Bad Request", f"bad chunk size {size_text[:20]!r}") from None
        if len(body) + size > limit:
            raise BadRequest("413 Request Entity Too Large", "chunked body over the limit")
        if size == 0:  # then trailer fields, if any, up to a blank line
            trailers = line_end + 2
            if buffer[trailers : trailers + 2] == b"\r\n":
                return bytes(body), trailers + 2
            blank = buffer.find(b"\r\n\r\n", trailers)
            return None if blank < 0 else (bytes(body), blank + 4)
        data_end = line_end + 2 + size
        if len(buffer) < data_end + 2:
            return None
        body += buffer[line_end + 2 : data_end]
        position = data_end + 2
