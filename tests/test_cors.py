"""A page on another origin (a front-end dev server) can call the mock with its credentials."""

from __future__ import annotations

import requests

ACCOUNTS = "/api/2.0/mail/accounts"
ORIGIN = "http://localhost:5173"


def test_preflight_allows_the_credentials_and_body_headers(url):
    response = requests.options(
        url + ACCOUNTS + ".json",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type,x-requested-with",
        },
        timeout=5,
    )
    assert response.status_code == 200
    assert response.content == b""
    headers = response.headers
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "PUT" in headers["Access-Control-Allow-Methods"]
    allowed = {name.strip() for name in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-requested-with"} <= allowed
    assert headers["Access-Control-Max-Age"] == "1728000"


def test_preflight_without_origin_is_the_real_servers_answer(url):
    response = requests.options(url + ACCOUNTS, timeout=5)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, PUT, DELETE"
    assert response.headers["Access-Control-Allow-Headers"] == "origin, authorization, accept, content-type"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_answers_echo_the_origin_with_credentials_allowed(url, alice):
    for response in (
        requests.put(
            url + ACCOUNTS, json={"email": "bob@example.com"}, headers=alice | {"Origin": ORIGIN}, timeout=5
        ),
        requests.get(url + ACCOUNTS, headers=alice | {"Origin": ORIGIN}, timeout=5),
        requests.get(url + ACCOUNTS, headers={"Authorization": "expired", "Origin": ORIGIN}, timeout=5),
    ):
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in response.headers["Vary"]


def test_a_page_can_read_the_401_challenge_and_retry_after(url):
    response = requests.get(url + ACCOUNTS, headers={"Authorization": "expired", "Origin": ORIGIN}, timeout=5)
    assert response.status_code == 401
    exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"WWW-Authenticate", "Retry-After"} <= exposed


def test_a_cookie_authenticated_cross_origin_request_works(url):
    response = requests.get(
        url + ACCOUNTS, headers={"Origin": ORIGIN}, cookies={"asc_auth_key": "bob-token"}, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
