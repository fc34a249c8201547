"""Secrets out of recordings: credentials and passwords replaced before anything touches the disk.

Failing closed: every secret value seen is remembered, and a recording in which one still
appears anywhere is refused, never written.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import unquote_plus

from mockmail.recording import Body, Interaction, Message

SECRET_FIELDS = ("password", "smtp_password")
Decoder = Callable[[str], str]  # from a value as it stands in a text body to the secret itself
MIN_SECRET_LENGTH = 4  # shorter values would match by chance anywhere in a file


def placeholder(kind: str) -> str:
    """The stable stand-in for a redacted value; in replay it matches whatever the client sends."""
    return f"<redacted:{kind}>"


PLACEHOLDER_PATTERN = re.compile(r"<redacted:[^<>]*>")


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and value.startswith("<redacted:") and value.endswith(">")


class SecretLeak(ValueError):
    """A recording still holds a secret seen in the traffic: it is not written."""


class Redactor:
    """Scrubs interactions and remembers every secret it took out."""

    def __init__(self, extra_fields: Iterable[str] = ()) -> None:
        self.fields = {name.lower() for name in (*SECRET_FIELDS, *extra_fields)}
        self.secrets: set[str] = set()
        self._text_fields = _text_field_patterns(self.fields)
        # How far check_interactions got: that many interactions, against these secrets.
        self._checked_count = 0
        self._checked_secrets: set[str] = set()

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

    def check_interactions(self, interactions: Sequence[Interaction], where: str) -> None:
        """Refuse the interactions if any secret seen so far appears in any of their names or values.

        Unlike ``check`` on the written text, this sees a secret that YAML or JSON would escape
        or fold (``it''s``, ``\\"``, a line break at a space). Only what was not checked before is
        checked: new interactions against every secret, older ones against the secrets learned since.
        """
        learned = self.secrets - self._checked_secrets
        for index, interaction in enumerate(interactions):
            secrets = self.secrets if index >= self._checked_count else learned
            if not secrets:
                continue
            for location, text in _strings(interaction.to_yaml(), ""):
                if any(len(secret) >= MIN_SECRET_LENGTH and secret in text for secret in secrets):
                    raise SecretLeak(
                        f"refusing to write {where}: interactions[{index}]{location} holds a secret "
                        "seen in the traffic"
                    )
        self._checked_count, self._checked_secrets = len(interactions), set(self.secrets)

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

    def field(self, name: str, value: Any) -> Any:
        """A query or body field's value, redacted if ``name`` is a secret field."""
        return self._field(name, value)

    def body(self, body: Body) -> Body:
        """A request body with its secret fields redacted."""
        return self._body(body)

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
            return self._text_fields_scrubbed(body)
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

    def _text_fields_scrubbed(self, text: str) -> str:
        """Secret fields in a body kept as text, whatever its Content-Type claims.

        JSON pairs (``"password": "..."``), form pairs (``password=...``) and XML elements
        (``<password>...</password>``): a JSON body sent as text/plain must not slip through.
        """
        for pattern, decode, quote in self._text_fields:
            text = pattern.sub(partial(self._text_value, decode=decode, quote=quote), text)
        return text

    def _text_value(self, match: re.Match[str], *, decode: Decoder, quote: str) -> str:
        prefix, value, suffix = match.group("prefix", "value", "suffix")
        if not value or is_placeholder(value):
            return match.group(0)
        self._remember(value)
        self._remember(decode(value))
        return f"{prefix}{quote}{placeholder(match.group('name').lower())}{quote}{suffix}"


def _json_string(raw: str) -> str:
    try:
        decoded = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return decoded if isinstance(decoded, str) else raw


def _xml_text(raw: str) -> str:
    if raw.startswith("<![CDATA[") and raw.endswith("]]>"):
        return raw[len("<![CDATA[") : -len("]]>")]
    return html.unescape(raw)


def _text_field_patterns(fields: Iterable[str]) -> list[tuple[re.Pattern[str], Decoder, str]]:
    """Patterns that find a secret field's value in text: as JSON, as a form, as XML.

    Each comes with how to decode the value it finds, and the quote its placeholder needs (a
    JSON number's placeholder is a string).
    """
    names = "|".join(re.escape(name) for name in sorted(fields, key=len, reverse=True))
    flags = re.IGNORECASE | re.DOTALL
    json_name = rf'(?P<prefix>"(?P<name>{names})"\s*:\s*'
    return [
        (re.compile(rf'{json_name}")(?P<value>(?:[^"\\]|\\.)*)(?P<suffix>")', flags), _json_string, ""),
        (re.compile(rf"{json_name})(?P<value>-?[0-9][0-9.eE+-]*)(?P<suffix>)", flags), str, '"'),
        (
            re.compile(
                rf"(?P<prefix>(?:^|(?<=[&?;\s]))(?P<name>{names})=)(?P<value>[^&\s]*)(?P<suffix>)", flags
            ),
            unquote_plus,
            "",
        ),
        (
            re.compile(
                rf"(?P<prefix><(?P<name>{names})(?:\s[^>]*)?>)"
                rf"(?P<value><!\[CDATA\[.*?\]\]>|[^<]*)(?P<suffix></(?P=name)\s*>)",
                flags,
            ),
            _xml_text,
            "",
        ),
    ]


def _strings(value: Any, location: str) -> Iterator[tuple[str, str]]:
    """Every name and text value in a nested structure, with where it is (``.request.body.name``)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield f"{location} (a name)", str(key)
            yield from _strings(item, f"{location}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{location}[{index}]")
    elif value is not None:
        yield location, str(value)
