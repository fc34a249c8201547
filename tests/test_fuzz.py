"""Any PUT body, in any encoding: a well-formed answer, never a mockmail 500, the server still up, nothing changed.

Hypothesis writes the requests (JSON, form, query string, XML) from the real field names and
junk, with values the issue found harmful: huge numbers, deep nesting, control characters,
lone surrogates, odd encodings. One real server serves them all over HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockmail import MockMailServer
from mockmail.errors import BAD_EMAIL_MESSAGE, GENERIC_MESSAGE
from mockmail.models import Account
from mockmail.scenarios import Scenario

ACCOUNTS = "/api/2.0/mail/accounts"
TOKENS = ("864FE52C-1C1C-469F-9308-51DAFEFE7436", "bob-token")  # alice's and bob's, as conftest has them
EXAMPLES = 800
FIELDS = [
    "email", "name", "account", "password", "port", "server", "smtp_account", "smtp_password",
    "smtp_port", "smtp_server", "smtp_auth", "restrict", "incoming_encryption_type",
    "outcoming_encryption_type", "auth_type_in", "auth_type_smtp",
]  # fmt: skip
# The 500s the real server documents for this call: a malformed email, an engine failure, a login test.
DOCUMENTED_500 = (BAD_EMAIL_MESSAGE, GENERIC_MESSAGE)
LOGIN_TEST_500 = '<span class="attempt_header">'
HUGE_NUMBER = "huge-number"  # written as a JSON number of 5,000 digits (json.dumps cannot write one)
ENCODINGS = ["utf-8", "UTF-16", "latin-1", "bogus", "shift_jis", "rot13", "idna", "utf-7", ""]

names = st.one_of(
    st.sampled_from(FIELDS),
    st.sampled_from(FIELDS).map(str.upper),
    st.text(max_size=8),
)
anything = st.characters(codec=None, exclude_categories=())  # surrogates and control characters too
texts = st.one_of(
    st.sampled_from(
        ["alice@example.com", "Alice@Example.com", '"Al" <alice@example.com>', "bob@example.com", "x@y.z"]
    ),
    st.sampled_from(["true", "FALSE", "SSL", "Login, CramMd5", "993", "-1", "0x1F", "", " "]),
    st.integers(1, 3000).map(lambda n: " " * n + "x"),
    st.integers(4000, 6000).map(lambda n: "9" * n),
    st.integers(4000, 6000).map(lambda n: "-" + "0" * n + "7"),
    st.text(anything, max_size=12),
    st.text(st.sampled_from("\x00\x01\x0b\x1f\ud800\udfff\ufffe\uffff<>&\"'@ a"), max_size=12),
)
json_values = st.recursive(
    st.one_of(
        texts,
        st.none(),
        st.booleans(),
        st.integers(),
        st.just(HUGE_NUMBER),
        st.floats(allow_nan=False),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)
fields = st.dictionaries(names, texts, max_size=6)


def nested(depth: int, value: str) -> str:
    return '{"email": "alice@example.com", "name": ' + "[" * depth + value + "]" * depth + "}"


def encoded(text: str, encoding: str) -> bytes:
    """``text`` in ``encoding`` as far as it goes: a client's odd bytes, not Python's refusals."""
    try:
        return text.encode(encoding or "utf-8", "surrogatepass")
    except (LookupError, UnicodeError):
        return text.encode("utf-8", "surrogatepass")


def form(pairs: dict[str, str], encoding: str) -> str:
    return "&".join(
        f"{quote_from_bytes(encoded(name, encoding))}={quote_from_bytes(encoded(value, encoding))}"
        for name, value in pairs.items()
    )


def xml_body(pairs: dict[str, str], encoding: str, depth: int) -> bytes:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    children = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in pairs.items())
    return encoded(f"{declaration}<request>{'<x>' * depth}{children}{'</x>' * depth}</request>", encoding)


@st.composite
def requests_to_put(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes]:
    """A PUT's path with its query string, its headers and its body."""
    path = ACCOUNTS + draw(st.sampled_from(["", ".json", ".xml"]))
    if draw(st.booleans()):
        path += "?" + form(draw(fields), draw(st.sampled_from(ENCODINGS)))
    kind = draw(st.sampled_from(["json", "json-text", "deep-json", "form", "xml", "other"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    if kind == "json":
        document = draw(st.dictionaries(names, json_values, max_size=6))
        text = json.dumps(document, ensure_ascii=draw(st.booleans()))
        body = encoded(text.replace(f'"{HUGE_NUMBER}"', "-" + "9" * 5000), encoding)
    elif kind == "json-text":
        body = encoded(draw(st.text(st.sampled_from('{}[]":,0123456789e.-+ \\ux'), max_size=80)), encoding)
    elif kind == "deep-json":
        body = nested(draw(st.integers(60, 3000)), draw(st.sampled_from(["", "1", '"x"', "{", "x"]))).encode()
    elif kind == "form":
        body = form(draw(fields), encoding).encode()
    elif kind == "xml":
        body = xml_body(draw(fields), encoding, draw(st.sampled_from([0, 1, 70, 3000])))
    else:
        body = draw(st.binary(max_size=64))
    content_type = {
        "form": "application/x-www-form-urlencoded",
        "xml": draw(st.sampled_from(["text/xml", "application/xml"])),
        "other": draw(
            st.sampled_from(["", "text/plain", "multipart/form-data; boundary=x", "application/json"])
        ),
    }.get(kind, "application/json")
    headers = {"Authorization": TOKENS[0], "Content-Type": content_type}
    return path, headers, body


@pytest.fixture(scope="module")
def fuzzed(session_server: MockMailServer, default: Scenario) -> Iterator[MockMailServer]:
    """The session's server, reset before and after the fuzzing; the run's size and time reported."""
    session_server.reset(default)
    started = time.perf_counter()
    yield session_server
    print(f"\nfuzz: {EXAMPLES} examples in {time.perf_counter() - started:.1f} s")
    session_server.reset(default)


def stored(server: MockMailServer) -> list[list[Account]]:
    store = server.state.store
    users = [store.user_for_token(token) for token in TOKENS]
    return [store.accounts(user) for user in users if user is not None]


def answer_of(response: requests.Response, xml: bool) -> dict[str, Any]:
    """The envelope's status, statusCode and error message, from JSON or XML; asserting its shape."""
    if xml and response.headers["Content-Type"].startswith("text/xml"):
        root = ElementTree.fromstring(response.content)
        assert root.tag == "result"
        fields = {child.tag: child for child in root}
        message = root.findtext("error/message")
        body: dict[str, Any] = {
            "status": int(fields["status"].text or ""),
            "statusCode": int(fields["statusCode"].text or ""),
            "message": message,
            "keys": list(fields),
        }
    else:
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
        parsed = response.json()
        body = parsed | {"message": parsed.get("error", {}).get("message"), "keys": list(parsed)}
    assert body["statusCode"] == response.status_code
    if response.status_code >= 400:
        assert body["keys"] == ["status", "statusCode", "error"]
        assert body["status"] == 1
    else:
        assert body["status"] == 0
    return body


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(request=requests_to_put())
def test_any_put_answers_the_envelope_and_a_refused_one_changes_nothing(
    fuzzed: MockMailServer, default: Scenario, request: tuple[str, dict[str, str], bytes]
) -> None:
    path, headers, body = request
    fuzzed.reset(default)
    before = stored(fuzzed)
    response = requests.put(fuzzed.url + path, data=body, headers=headers, timeout=5)
    answer = answer_of(response, xml=".xml" in path)
    assert response.status_code < 500 or (
        answer["message"] in DOCUMENTED_500 or answer["message"].startswith(LOGIN_TEST_500)
    ), answer["message"]
    if response.status_code != 200:
        assert stored(fuzzed) == before
    assert fuzzed.state.errors == []
    for suffix in ("", ".xml"):  # the server still answers, and what it stored still renders
        listed = requests.get(fuzzed.url + ACCOUNTS + suffix, headers=headers, timeout=5)
        assert answer_of(listed, xml=suffix == ".xml")["statusCode"] == 200
