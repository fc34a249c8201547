"""A JSON body read as Json.NET's ``JsonTextReader`` reads it: its depth limit and its error messages."""

from __future__ import annotations

import json
import re
from typing import Any

from mockmail.errors import HRESULT_EXCEPTION, ApiError

# Json.NET 13's JsonReader refuses a container opened deeper than this (JsonReader.MaxDepth).
MAX_DEPTH = 64

# A string (unrolled, so it never backtracks), a lone quote that starts an unterminated one, or
# the punctuation that opens, closes or separates; the regex engine skips everything else.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{},:]', re.DOTALL)
_UNREADABLE = "Unexpected character encountered while parsing value. Path '', line 0, position 0."
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# JsonPosition.WriteTo writes a property name with one of these as ['name'], not .name.
_PATH_SPECIAL = frozenset(".' /\"[]()\t\n\r\f\b\\\x85\u2028\u2029")
_PATH_ESCAPES = {"'": "\\'", "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def read_json(body: bytes) -> Any:
    """The document in ``body``; a 400 with Json.NET's message where its reader stops.

    Integers stay the digits that were sent, as Json.NET's reader keeps any length (a
    BigInteger) where Python's ``int()`` refuses more than 4,300 digits.
    """
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")  # as json.loads decodes bytes
    except UnicodeDecodeError:
        raise _reader_error(_UNREADABLE) from None
    too_deep = _too_deep(text)
    # Nothing past the container that breaks the limit is read: an earlier error wins, as the
    # reader would meet it first, and Python's parser never recurses deeper than the limit.
    source = text if too_deep is None else text[: too_deep[0]]
    try:
        document = json.loads(source, parse_int=_integer_text)
    except json.JSONDecodeError as error:
        if too_deep is None or error.pos < too_deep[0]:
            raise _reader_error(_json_net_message(error)) from None
    if too_deep is not None:
        raise _reader_error(too_deep[1])
    return document


def _reader_error(message: str) -> ApiError:
    return ApiError(400, message, HRESULT_EXCEPTION)


def _integer_text(digits: str) -> str:
    """A JSON integer as Json.NET writes it back: its digits (``-0`` reads as 0)."""
    return "0" if digits == "-0" else digits


def _too_deep(text: str) -> tuple[int, str] | None:
    """Where the first container past ``MAX_DEPTH`` opens, and the reader's message; None if none does.

    One pass over the strings and punctuation, keeping for each open container what
    ``JsonReader.Path`` shows: the current property name of an object, the index in an array.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None  # too few brackets to nest that deep, even inside strings: the common case, at C speed
    stack: list[list[Any]] = []  # [is_array, property name or index] per open container
    last_string = ""
    for token in _TOKENS.finditer(text):
        found = token.group()
        if found[0] == '"':
            if len(found) == 1:
                return None  # an unterminated string: the parser reports it
            last_string = found
        elif found in "[{":
            if len(stack) == MAX_DEPTH:
                return token.start(), _depth_message(text, token.start(), stack)
            stack.append([found == "[", 0 if found == "[" else ""])
        elif found in "]}":
            if stack:
                stack.pop()
        elif stack and found == "," and stack[-1][0]:
            stack[-1][1] += 1
        elif stack and found == ":" and not stack[-1][0]:
            stack[-1][1] = _decoded(last_string)
    return None


def _depth_message(text: str, offset: int, stack: list[list[Any]]) -> str:
    path = ""
    for is_array, key in stack:
        if is_array:
            path += f"[{key}]"
        elif _PATH_SPECIAL.intersection(key):
            path += "['" + "".join(_path_escape(char) for char in key) + "']"
        else:
            path += f".{key}" if path else key
    breaks = list(_LINE_BREAK.finditer(text, 0, offset))
    line_start = breaks[-1].end() if breaks else 0
    return (
        f"The reader's MaxDepth of {MAX_DEPTH} has been exceeded. "
        f"Path '{path}', line {len(breaks) + 1}, position {offset - line_start + 1}."
    )


def _decoded(token: str) -> str:
    try:
        name: str = json.loads(token)
    except json.JSONDecodeError:
        return token[1:-1]  # a bad escape: the parser reports it before the depth
    return name


def _path_escape(char: str) -> str:
    """JavaScriptUtils' escaping of a property name in single quotes."""
    if char in _PATH_ESCAPES:
        return _PATH_ESCAPES[char]
    if char < " " or char in "\x85\u2028\u2029":
        return f"\\u{ord(char):04x}"
    return char


def _json_net_message(error: json.JSONDecodeError) -> str:
    """A Json.NET reader message for a body Python's parser refused."""
    line, position = (0, 0) if error.pos == 0 else (error.lineno, error.colno - 1)
    if error.pos >= len(error.doc.rstrip()):
        return f"Unexpected end when reading JSON. Path '', line {line}, position {position}."
    character = error.doc[error.pos]
    return (
        f"Unexpected character encountered while parsing value: {character}. "
        f"Path '', line {line}, position {position}."
    )
