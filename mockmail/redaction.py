"""Secrets out of recordings: credentials and passwords replaced before anything touches the disk.

Failing closed: every secret value seen is remembered, and a recording in which one still
appears anywhere, as sent or URL-, JSON-, HTML- or base64-encoded, is refused, never written.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from mockmail.errors import MockmailError
from mockmail.recording import Body, HeaderValue, Interaction, Message, Recording
from mockmail.secret_fields import CREDENTIAL_FIELDS, SECRET_FIELDS

# What names a credential: headers (Authorization, Proxy-Authorization, X-Api-Key, X-Auth-Token,
# X-Session-Id, X-CSRF-Token, ...) and the HTML form fields and meta tags of a page.
SECRET_NAME = re.compile(r"token|key|secret|auth|session|cookie|passw|credential|csrf|xsrf", re.IGNORECASE)
# ... except the challenges, which name a scheme and realm, never a credential.
CHALLENGES = frozenset({"www-authenticate", "proxy-authenticate"})
# An HTML element carrying a credential in an attribute: a hidden form field, a <meta> tag.
_HTML_ELEMENT = re.compile(r"<(?:input|meta)\b[^<>]*>", re.IGNORECASE)
_HTML_ATTRIBUTE = re.compile(
    r"(?P<name>[a-z][a-z0-9_:-]*)\s*=\s*(?:\"(?P<double>[^\"]*)\"|'(?P<single>[^']*)')", re.IGNORECASE
)
Decoder = Callable[[str], str]  # from a value as it stands in a text body to the secret itself
MIN_SECRET_LENGTH = 4  # shorter values would match by chance anywhere in a file


def placeholder(kind: str) -> str:
    """The stable stand-in for a redacted value; in replay it matches whatever the client sends."""
    return f"<redacted:{kind}>"


PLACEHOLDER_PATTERN = re.compile(r"<redacted:[^<>]*>")


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and value.startswith("<redacted:") and value.endswith(">")


class SecretLeak(MockmailError, ValueError):
    """A recording still holds a secret seen in the traffic: it is not written."""


class Redactor:
    """Scrubs interactions and remembers every secret it took out."""

    def __init__(self, extra_fields: Iterable[str] = ()) -> None:
        self.fields = {name.lower() for name in (*SECRET_FIELDS, *CREDENTIAL_FIELDS, *extra_fields)}
        self.secrets: set[str] = set()
        self._forms: dict[str, frozenset[str]] = {}  # each secret's encoded forms, made once
        self._text_fields = _text_field_patterns(self.fields)
        # How far check_recording got: that many interactions, against these secrets.
        self._checked_count = 0
        self._checked_secrets: set[str] = set()

    def scrub(self, interaction: Interaction) -> Interaction:
        """The interaction with its credentials, cookies, tokens and password fields replaced."""
        request_headers = {
            name: self._header_values(name, value) for name, value in interaction.request.headers.items()
        }
        response_headers = {
            name: self._header_values(name, value) for name, value in interaction.response.headers.items()
        }
        return Interaction(
            method=interaction.method,
            path=interaction.path,
            query={name: self._field(name, value) for name, value in interaction.query.items()},
            request=Message(request_headers, self._body(interaction.request.body)),
            status=interaction.status,
            response=Message(response_headers, self._body(interaction.response.body)),
        )

    def check_recording(self, recording: Recording, where: str) -> None:
        """Refuse the recording if any secret seen so far, in any encoded form, appears in it.

        Each interaction's names and values are searched, which sees a secret that YAML or JSON
        would escape or fold (``it''s``, ``\\"``, a line break at a space), and its text as written.
        Only what was not checked before is: new interactions against every secret, older ones
        against the secrets learned since, so a long recording costs little more per exchange.
        """
        learned = self.secrets - self._checked_secrets
        pieces = recording.pieces()
        for index, interaction in enumerate(recording.interactions):
            secrets = self.secrets if index >= self._checked_count else learned
            forms = {form for secret in secrets for form in self._encoded(secret)}
            if not forms:
                continue
            for location, text in _strings(interaction.to_yaml(), ""):
                if any(form in text for form in forms):
                    raise SecretLeak(
                        f"refusing to write {where}: interactions[{index}]{location} holds a secret "
                        "seen in the traffic"
                    )
            if any(form in text for text in pieces[index] for form in forms):
                raise SecretLeak(
                    f"refusing to write {where}: interactions[{index}] holds a secret seen in the traffic"
                )
        self._checked_count, self._checked_secrets = len(recording.interactions), set(self.secrets)

    def _remember(self, value: str) -> None:
        # A placeholder sent back (a replayed Set-Cookie, recorded anew) is no secret.
        if value and not PLACEHOLDER_PATTERN.search(value):
            self.secrets.add(value)

    def _encoded(self, secret: str) -> frozenset[str]:
        if len(secret) < MIN_SECRET_LENGTH:
            return frozenset()
        forms = self._forms.get(secret)
        if forms is None:
            forms = self._forms[secret] = encoded_forms(secret)
        return forms

    def _header_values(self, name: str, value: HeaderValue) -> HeaderValue:
        if isinstance(value, str):
            return self._header(name, value)
        return tuple(self._header(name, each) for each in value)

    def _header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            return self._authorization(value)
        if lowered == "cookie":
            return self._cookies(value)
        if lowered in ("set-cookie", "set-cookie2"):
            return self._set_cookie(value)
        if lowered in CHALLENGES or not SECRET_NAME.search(lowered) or not value:
            return value
        self._remember(value.strip())
        return placeholder(lowered)

    def _set_cookie(self, value: str) -> str:
        """The cookie's name and attributes kept, its value replaced, so a replay still sets it.

        ``Domain`` is dropped: it names the portal, and a browser refuses a cookie for another
        host than the one it talks to, the replaying mockmail.
        """
        pair, *attributes = value.split(";")
        cookie_name, _, cookie_value = pair.partition("=")
        cookie_value = cookie_value.strip()
        self._remember(cookie_value)
        self._remember(cookie_value.strip('"'))
        self._remember(unquote_plus(cookie_value))
        kept = [
            attribute.strip()
            for attribute in attributes
            if attribute.strip() and attribute.partition("=")[0].strip().lower() != "domain"
        ]
        shown = placeholder("cookie") if cookie_value else ""  # an empty value deletes the cookie
        return "; ".join([f"{cookie_name.strip()}={shown}", *kept])

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
            self._remember(morsel.coded_value)
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

    def _text_fields_scrubbed(self, text: str) -> str:
        """Secret fields in a body kept as text, whatever its Content-Type claims.

        JSON pairs (``"password": "..."``), form pairs (``password=...``, a link's
        ``?access_token=...``), XML elements (``<token>...</token>``) and HTML form fields and
        meta tags (``<input name="token" value="...">``): a JSON body sent as text/plain must not
        slip through.
        """
        for pattern, decode, mark in self._text_fields:
            text = pattern.sub(partial(self._text_value, decode=decode, quote=mark), text)
        return _HTML_ELEMENT.sub(self._html_element, text)

    def _html_element(self, match: re.Match[str]) -> str:
        """An ``<input>`` or ``<meta>`` whose name says it holds a secret, its value replaced."""
        element = match.group(0)
        attributes = {found["name"].lower(): found for found in _HTML_ATTRIBUTE.finditer(element)}
        named = next((attributes[key] for key in ("name", "id", "property") if key in attributes), None)
        held = attributes.get("value") or attributes.get("content")
        if named is None or held is None:
            return element
        name = named["double"] if named["double"] is not None else named["single"]
        group = "double" if held["double"] is not None else "single"
        value = held[group]
        if not SECRET_NAME.search(name) or not value or is_placeholder(html.unescape(value)):
            return element
        self._remember(value)
        self._remember(html.unescape(value))
        start, end = held.span(group)
        return element[:start] + html.escape(placeholder(name.lower())) + element[end:]

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
                # a form value never holds a raw quote, angle bracket or '#': those end a link in a page
                rf"(?P<prefix>(?:^|(?<=[&?;\s]))(?P<name>{names})=)(?P<value>[^&\s\"'<>#]*)(?P<suffix>)",
                flags,
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


def encoded_forms(secret: str) -> frozenset[str]:
    """The forms in which ``secret`` may stand in a recording: as sent, and encoded as servers echo it.

    URL-encoded (``quote`` and ``quote_plus``, upper- and lower-case hex, as Python and .NET's
    HttpUtility write them), JSON-escaped (``\\/`` too, as the real server's JSON writer does),
    HTML-escaped, and base64 at each of the three alignments it may have inside a longer encoded
    value (``Basic`` credentials): only the characters that depend on the secret alone.
    """
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
        html.escape(secret).replace("&#x27;", "&#39;"),
    }
    forms |= {form.replace("/", "\\/") for form in forms}
    for encoded in (
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        quote_plus(secret, safe="!()*"),
    ):
        forms |= {encoded, _LOWER_HEX.sub(lambda match: match.group(0).lower(), encoded)}
    data = secret.encode("utf-8")
    for shift in range(3):
        text = base64.b64encode(bytes(shift) + data).decode("ascii")
        fragment = text[-(-4 * shift // 3) : 8 * (shift + len(data)) // 6]
        forms |= {fragment, fragment.translate(_URLSAFE)}
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_LENGTH)


_LOWER_HEX = re.compile(r"%[0-9A-F]{2}")
_URLSAFE = str.maketrans("+/", "-_")


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
