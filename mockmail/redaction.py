"""Secrets out of recordings: credentials and passwords replaced before anything touches the disk.

Failing closed: every secret value seen is remembered, and a recording in which one still
appears anywhere is refused, never written.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

from mockmail.recording import Body, Interaction, Message

SECRET_FIELDS = ("password", "smtp_password")
MIN_SECRET_LENGTH = 4  # shorter values would match by chance anywhere in a file


def placeholder(kind: str) -> str:
    """The stable stand-in for a redacted value; in replay it matches whatever the client sends."""
    return f"<redacted:{kind}>"


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and value.startswith("<redacted:") and value.endswith(">")


class SecretLeak(ValueError):
    """A recording still holds a secret seen in the traffic: it is not written."""


class Redactor:
    """Scrubs interactions and remembers every secret it took out."""

    def __init__(self, extra_fields: Iterable[str] = ()) -> None:
        self.fields = {name.lower() for name in (*SECRET_FIELDS, *extra_fields)}
        self.secrets: set[str] = set()

    def scrub(self, interaction: Interaction) -> Interaction:
        """The interaction with its credentials, cookies, tokens and password fields replaced."""
        request_headers = {
            name: self._header(name, value) for name, value in interaction.request.headers.items()
        }
        response_headers = {
            name: self._header(name, value) for name, value in interaction.response.headers.items()
        }
        return Interaction(
            method=interaction.method,
            path=interaction.path,
            query={name: self._field(name, value) for name, value in interaction.query.items()},
            request=Message(request_headers, self._body(interaction.request.body)),
            status=interaction.status,
            response=Message(response_headers, self._answer(interaction.response.body)),
        )

    def check(self, text: str, where: str) -> None:
        """Refuse ``text`` if any secret seen so far appears in it."""
        for secret in self.secrets:
            if len(secret) >= MIN_SECRET_LENGTH and secret in text:
                message = f"refusing to write {where}: a secret seen in the traffic still appears in it"
                raise SecretLeak(message)

    def _remember(self, value: str) -> None:
        if value:
            self.secrets.add(value)

    def _header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered == "authorization":
            return self._authorization(value)
        if lowered == "cookie":
            return self._cookies(value)
        if lowered == "set-cookie":
            self._remember(value)
            cookie_name = value.partition("=")[0].strip()
            self._remember(value.partition("=")[2].partition(";")[0].strip())
            return f"{cookie_name}={placeholder('cookie')}"
        return value

    def _authorization(self, value: str) -> str:
        scheme, _, credentials = value.strip().partition(" ")
        if scheme.lower() == "basic" and credentials:
            self._remember(credentials.strip())
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
                self._remember(decoded.partition(":")[2])
            except (binascii.Error, UnicodeDecodeError):
                pass
            return f"Basic {placeholder('basic')}"
        if scheme.lower() == "bearer" and credentials:
            self._remember(credentials.strip())
            return f"Bearer {placeholder('token')}"
        self._remember(value.strip())
        return placeholder("token")

    def _cookies(self, value: str) -> str:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(value)
        except CookieError:  # an unparsable cookie header is kept out as a whole
            self._remember(value)
            return placeholder("cookie")
        for morsel in jar.values():
            self._remember(morsel.value)
        return "; ".join(f"{name}={placeholder('cookie')}" for name in jar)

    def _field(self, name: str, value: Any) -> Any:
        if name.lower() not in self.fields or isinstance(value, bool) or value is None:
            return value
        text = str(value)
        if not text or is_placeholder(text):
            return value
        self._remember(text)
        return placeholder(name.lower())

    def _body(self, body: Body) -> Body:
        if isinstance(body, Mapping):
            return {name: self._body_value(name, value) for name, value in body.items()}
        if isinstance(body, list):
            return [self._body(item) for item in body]
        if isinstance(body, str):
            return self._xml_fields(body)
        return body

    def _body_value(self, name: str, value: Any) -> Any:
        if isinstance(value, Mapping | list):
            return self._body(value)
        return self._field(name, value)

    def _answer(self, body: Body) -> Body:
        """An answer's body: password fields, and the token of an authentication answer."""
        scrubbed = self._body(body)
        if isinstance(scrubbed, Mapping) and isinstance(scrubbed.get("response"), Mapping):
            inner = dict(scrubbed["response"])
            if isinstance(inner.get("token"), str) and inner["token"]:
                self._remember(inner["token"])
                inner["token"] = placeholder("token")
                scrubbed = {**scrubbed, "response": inner}
        return scrubbed

    def _xml_fields(self, text: str) -> str:
        """Password elements of an XML body (``<password>...</password>``) replaced."""
        for name in self.fields:
            start, end = f"<{name}>", f"</{name}>"
            lowered = text.lower()
            position = lowered.find(start)
            while position != -1:
                close = lowered.find(end, position)
                if close == -1:
                    break
                value = text[position + len(start) : close]
                if value and not is_placeholder(value):
                    self._remember(value)
                    text = text[: position + len(start)] + placeholder(name) + text[close:]
                    lowered = text.lower()
                position = lowered.find(start, position + 1)
        return text
