"""Credentials over real HTTP: every form the real server accepts, its 401, and logging in first."""

from __future__ import annotations

import base64
import re

import pytest
import requests

ALICE_TOKEN = "864FE52C-1C1C-469F-9308-51DAFEFE7436"
ACCOUNTS = "/api/2.0/mail/accounts"
AUTHENTICATION = "/api/2.0/authentication"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "cookies"),
    [
        pytest.param({"Authorization": ALICE_TOKEN}, {}, id="raw-token"),
        pytest.param({"Authorization": f"Bearer {ALICE_TOKEN}"}, {}, id="bearer"),
        pytest.param({"Authorization": basic("alice", "alice-password")}, {}, id="basic"),
        pytest.param({"Authorization": basic("ALICE", "alice-password")}, {}, id="basic-any-case-name"),
        pytest.param({}, {"asc_auth_key": ALICE_TOKEN}, id="cookie"),
        pytest.param({"Authorization": "wrong"}, {"asc_auth_key": ALICE_TOKEN}, id="cookie-wins"),
    ],
)
def test_each_credential_form_reaches_alices_accounts(url, headers, cookies):
    response = requests.get(url + ACCOUNTS, headers=headers, cookies=cookies, timeout=5)
    assert response.status_code == 200
    assert response.json()["response"][0]["email"] == "alice@example.com"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("not-a-token", id="unknown-token"),
        pytest.param("Bearer not-a-token", id="unknown-bearer"),
        pytest.param(basic("alice", "wrong"), id="wrong-password"),
        pytest.param(basic("bob", ""), id="user-without-password"),
        pytest.param("Basic !!!", id="broken-basic"),
        pytest.param(f"Token {ALICE_TOKEN}", id="unknown-scheme"),
    ],
)
def test_bad_credentials_get_the_plain_text_401_with_a_basic_challenge(url, authorization):
    response = requests.put(
        url + ACCOUNTS,
        json={"email": "alice@example.com"},
        headers={"Authorization": authorization},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.text == "Unauthorized"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"  # ASP.NET's default
    assert response.headers["WWW-Authenticate"] == 'Basic Realm="127.0.0.1"'


def test_no_credentials_get_the_401_without_a_challenge(url):
    response = requests.put(url + ACCOUNTS, json={"email": "alice@example.com"}, timeout=5)
    assert (response.status_code, response.text) == (401, "Unauthorized")
    assert "WWW-Authenticate" not in response.headers


def test_a_401_changes_nothing(server, url, alice):
    requests.put(
        url + ACCOUNTS,
        json={"email": "alice@example.com", "name": "X"},
        headers={"Authorization": "no"},
        timeout=5,
    )
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).json()["response"][0]["name"] == "Alice"


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(
            lambda url: requests.post(
                url, data={"userName": "alice", "password": "alice-password"}, timeout=5
            ),
            id="form",
        ),
        pytest.param(
            lambda url: requests.post(
                url, json={"userName": "alice", "password": "alice-password"}, timeout=5
            ),
            id="json",
        ),
        pytest.param(
            lambda url: requests.post(
                url, data={"username": "Alice", "password": "alice-password"}, timeout=5
            ),
            id="any-case",
        ),
    ],
)
def test_logging_in_returns_the_users_token_with_201(url, send):
    response = send(url + AUTHENTICATION)
    assert response.status_code == 201
    body = response.json()
    assert (body["count"], body["status"], body["statusCode"]) == (1, 0, 201)
    assert list(body["response"]) == ["token", "expires"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", body["response"]["expires"])  # ApiDateTime
    assert body["response"]["token"] == ALICE_TOKEN


def test_a_failed_login_is_a_500(url):
    response = requests.post(url + AUTHENTICATION, data={"userName": "alice", "password": "nope"}, timeout=5)
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "User authentication failed"


def test_the_ruby_clients_flow_logs_in_then_updates_with_the_raw_token(url):
    token = requests.post(
        url + AUTHENTICATION, data={"userName": "alice", "password": "alice-password"}, timeout=5
    ).json()["response"]["token"]
    response = requests.put(
        url + ACCOUNTS,
        data="email=alice%40example.com&name=Alice%20L&account=alice%40example.com&server=imap.example.com&port=993",
        headers={"Authorization": token, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.json()["response"]["name"] == "Alice L"


def test_another_users_token_cannot_reach_alices_account(url, bob):
    response = requests.put(
        url + ACCOUNTS, json={"email": "alice@example.com", "name": "hijack"}, headers=bob, timeout=5
    )
    assert response.status_code == 500
    assert [
        item["email"] for item in requests.get(url + ACCOUNTS, headers=bob, timeout=5).json()["response"]
    ] == ["bob@example.com"]
