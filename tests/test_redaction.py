"""No secret in a recording: each shape a portal's traffic carries one in, planted through a recorder."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests
from stub_portal import StubPortal

from mockmail import MockMailServer
from mockmail.recording import cache_path, load_recording
from mockmail.replay import Replay

ACCOUNTS = "/api/2.0/mail/accounts"
LOGIN_XML = "/api/2.0/authentication.xml"
PAGE = "/api/2.0/portal/page"
PASSWORD = "p@ss/w0rd!"
LOGIN_TOKEN = "XmlLoginToken-7d1c2e"  # the real server's token is also its asc_auth_key cookie
SESSION_COOKIE = "SessionCookie-99af"
PROXY_PASSWORD = "proxy-pa55word"
QUERY_TOKEN = "QueryAccessToken-31"
QUERY_KEY = "QueryApiKey-77"
HEADER_KEY = "HeaderApiKey-5e"
HEADER_TOKEN = "HeaderAuthToken-4a"
FORM_TOKEN = "HtmlFormToken-c0ffee"
META_TOKEN = "HtmlMetaToken-b16b00b5"
LINK_TOKEN = "HtmlLinkToken-facade"
PLANTED = [
    PASSWORD,
    LOGIN_TOKEN,
    SESSION_COOKIE,
    PROXY_PASSWORD,
    QUERY_TOKEN,
    QUERY_KEY,
    HEADER_KEY,
    HEADER_TOKEN,
    FORM_TOKEN,
    META_TOKEN,
    LINK_TOKEN,
]
LOGIN_ANSWER = (
    '<?xml version="1.0" encoding="utf-8"?><result><count>1</count><status>0</status>'
    f"<statusCode>201</statusCode><response><token>{LOGIN_TOKEN}</token>"
    "<expires>2026-12-24T10:38:13.0061200Z</expires></response></result>"
)
PAGE_ANSWER = f"""<!DOCTYPE html><html><head>
<meta name="csrf-token" content="{META_TOKEN}"></head><body>
<form><input type="hidden" name="__RequestVerificationToken" value="{FORM_TOKEN}"></form>
<a href="/products/files/?access_token={LINK_TOKEN}&amp;folder=1">files</a>
</body></html>"""
EMPTY_LIST = '{"count":0,"status":0,"statusCode":200,"response":[]}'


def encodings(secret: str) -> set[str]:
    """The secret as sent, and as a server may echo it: URL-encoded, base64, HTML- and JSON-escaped."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        html.escape(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
    }


def found(path: Path, secrets: list[str]) -> list[tuple[str, str, str]]:
    """Each (file, secret, encoded form) of the secrets in the recording or its cache."""
    return [
        (written.name, secret, form)
        for written in (path, cache_path(path))
        if written.exists()
        for secret in secrets
        for form in encodings(secret)
        if form in written.read_text(encoding="utf-8")
    ]


@pytest.fixture
def portal() -> Iterator[StubPortal]:
    with StubPortal() as stub:
        yield stub


def test_every_planted_secret_is_out_of_the_recording_and_its_cache(tmp_path: Path, portal: StubPortal):
    portal.answer(
        LOGIN_XML,
        201,
        [
            ("Content-Type", "text/xml; charset=utf-8"),
            ("Set-Cookie", f"asc_auth_key={LOGIN_TOKEN}; path=/; HttpOnly"),
            ("Set-Cookie", f"ASP.NET_SessionId={SESSION_COOKIE}; path=/; HttpOnly"),
        ],
        LOGIN_ANSWER,
    )
    portal.answer(ACCOUNTS, 200, [("Content-Type", "application/json; charset=utf-8")], EMPTY_LIST)
    portal.answer(PAGE, 200, [("Content-Type", "text/html; charset=utf-8")], PAGE_ANSWER)
    path = tmp_path / "planted.yaml"
    replay = Replay(path, mode="all", upstream=portal.url)
    proxy_credentials = base64.b64encode(f"proxyuser:{PROXY_PASSWORD}".encode()).decode()
    with MockMailServer(replay=replay) as recorder:
        login = requests.post(
            recorder.url + LOGIN_XML, data={"userName": "alice", "password": PASSWORD}, timeout=5
        )
        listed = requests.get(
            f"{recorder.url}{ACCOUNTS}?access_token={QUERY_TOKEN}&api_key={QUERY_KEY}",
            headers={
                "Authorization": LOGIN_TOKEN,
                "Proxy-Authorization": f"Basic {proxy_credentials}",
                "X-Api-Key": HEADER_KEY,
                "X-Auth-Token": HEADER_TOKEN,
            },
            timeout=5,
        )
        page = requests.get(recorder.url + PAGE, cookies={"asc_auth_key": LOGIN_TOKEN}, timeout=5)
    assert [login.status_code, listed.status_code, page.status_code] == [201, 200, 200]
    assert not replay.problems
    assert LOGIN_TOKEN in login.text  # the client gets the portal's answer unchanged
    assert QUERY_TOKEN in portal.seen[1].target  # and the portal the client's request
    assert found(path, PLANTED) == []
    login_answer, list_request, page_answer = (
        interaction.to_yaml() for interaction in load_recording(path).interactions
    )
    assert "<token><redacted:token></token>" in login_answer["response"]["body"]
    assert login_answer["response"]["headers"]["Set-Cookie"] == [
        "asc_auth_key=<redacted:cookie>; path=/; HttpOnly",
        "ASP.NET_SessionId=<redacted:cookie>; path=/; HttpOnly",
    ]
    assert list_request["request"]["query"] == {
        "access_token": "<redacted:access_token>",
        "api_key": "<redacted:api_key>",
    }
    headers = list_request["request"]["headers"]
    assert headers["Proxy-Authorization"] == "Basic <redacted:basic>"
    assert headers["X-Api-Key"] == "<redacted:x-api-key>"
    assert headers["X-Auth-Token"] == "<redacted:x-auth-token>"
    body = page_answer["response"]["body"]
    assert 'content="&lt;redacted:csrf-token&gt;"' in body
    assert 'value="&lt;redacted:__requestverificationtoken&gt;"' in body
    assert "?access_token=<redacted:access_token>&amp;folder=1" in body


ECHOED = 'p@ss/w0rd! "<&>"'


@pytest.mark.parametrize(
    "echo",
    [
        quote(ECHOED, safe=""),
        quote_plus(ECHOED),
        quote(ECHOED, safe="").lower(),  # .NET's HttpUtility.UrlEncode writes lower-case hex
        base64.b64encode(ECHOED.encode()).decode(),
        base64.b64encode(b"bob:" + ECHOED.encode()).decode(),  # inside a longer encoded value
        html.escape(ECHOED),
        json.dumps(ECHOED),
        json.dumps(ECHOED).replace("/", "\\/"),  # the real server's JSON writer escapes '/'
    ],
    ids=["quote", "quote-plus", "lower-hex", "base64", "base64-inside", "html", "json", "json-slash"],
)
def test_a_password_echoed_in_any_encoding_is_refused_and_nothing_is_written(
    tmp_path: Path, portal: StubPortal, echo: str
):
    portal.answer(ACCOUNTS, 200, [("Content-Type", "text/html")], f"<p>saved {echo} for you</p>")
    path = tmp_path / "echo.yaml"
    replay = Replay(path, mode="all", upstream=portal.url)
    with MockMailServer(replay=replay) as recorder:
        response = requests.put(
            recorder.url + ACCOUNTS,
            json={"email": "alice@example.com", "password": ECHOED},
            headers={"Authorization": LOGIN_TOKEN},
            timeout=5,
        )
    assert response.status_code == 502
    assert response.json()["mockmail"] == (
        f"refusing to write {path}: interactions[0].response.body holds a secret seen in the traffic"
    )
    assert not path.exists()
    assert not cache_path(path).exists()


def test_a_login_token_inside_a_later_page_is_refused(tmp_path: Path, portal: StubPortal):
    portal.answer(LOGIN_XML, 201, [("Content-Type", "text/xml")], LOGIN_ANSWER)
    script = f'<script>var auth = "{LOGIN_TOKEN}";</script>'
    portal.answer(PAGE, 200, [("Content-Type", "text/html")], f"<html>{script}</html>")
    path = tmp_path / "page.yaml"
    replay = Replay(path, mode="all", upstream=portal.url)
    with MockMailServer(replay=replay) as recorder:
        login = requests.post(
            recorder.url + LOGIN_XML, data={"userName": "alice", "password": PASSWORD}, timeout=5
        )
        page = requests.get(recorder.url + PAGE, timeout=5)
    assert (login.status_code, page.status_code) == (201, 502)
    assert len(load_recording(path).interactions) == 1
    assert found(path, PLANTED) == []
