"""Answers that say why: X-Mockmail-Reason and X-Mockmail-Fault beside the real server's bodies."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from mockmail import MockMailServer
from mockmail.replay import Replay

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = "/api/2.0/mail/accounts"
ALICE = {"Authorization": "864FE52C-1C1C-469F-9308-51DAFEFE7436"}
GENERIC = "Some unexpected error has occurred. Please try again later."
REASON, FAULT = "X-Mockmail-Reason", "X-Mockmail-Fault"


def basic(credentials: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode()}


def put(url: str, headers: dict[str, str], **body: object) -> requests.Response:
    return requests.put(url + ACCOUNTS, json=body, headers=headers, timeout=5)


def test_a_wrong_token_gets_the_real_401_and_the_reason_beside_it(url: str):
    answer = put(url, {"Authorization": "expired-token"}, email="alice@example.com")
    assert (answer.status_code, answer.text) == (401, "Unauthorized")
    assert answer.headers["WWW-Authenticate"] == 'Basic Realm="127.0.0.1"'
    assert answer.headers[REASON] == "no user has this token"
    assert FAULT not in answer.headers


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no credentials: send an Authorization header or the asc_auth_key cookie"),
        ({"Authorization": "Bearer nope"}, "no user has this token"),
        (basic(b"alice:wrong"), "Basic: wrong password for alice"),
        (basic(b"carol:x"), "Basic: no user carol"),
        (basic(b"bob:x"), "Basic: bob has no password in the scenario: use the token"),
        ({"Authorization": "Basic !!!"}, "Basic: not base64 of user:password"),
        ({"Cookie": "asc_auth_key=stale"}, "no user has the token in the asc_auth_key cookie"),
    ],
)
def test_each_401_says_what_was_wrong_with_the_credentials(url: str, headers: dict[str, str], reason: str):
    answer = put(url, headers, email="alice@example.com")
    assert (answer.status_code, answer.headers[REASON]) == (401, reason)


def test_a_revoked_token_says_so_until_the_reset(server: MockMailServer):
    server.revoke_token("alice")
    revoked = put(server.url, ALICE, email="alice@example.com")
    server.reset()
    again = put(server.url, ALICE, email="alice@example.com")
    assert (revoked.status_code, revoked.headers[REASON]) == (
        401,
        "token revoked (alice's, until the next reset)",
    )
    assert again.status_code == 200
    assert REASON not in again.headers


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("nobody@example.com", "alice has no account nobody@example.com"),
        ("bob@example.com", "alice has no account bob@example.com (it is bob's)"),
        ("alice@portal.example.com", "alice@portal.example.com is the portal's built-in mailbox"),
    ],
)
def test_the_generic_500_says_which_of_its_causes_it_was(url: str, email: str, reason: str):
    answer = put(url, ALICE, email=email)
    assert (answer.status_code, answer.json()["error"]["message"]) == (500, GENERIC)
    assert answer.headers[REASON] == reason


def test_a_failed_login_test_names_the_server_and_the_login(url: str):
    login = {"email": "alice@example.com", "account": "alice@example.com", "server": "imap.example.com"}
    smtp = {"smtp_account": "alice@example.com", "smtp_server": "smtp.example.com", "smtp_port": 465}
    imap = put(url, ALICE, **login, port=993, password="wrong")
    both = put(url, ALICE, **login, port=993, password="wrong", **smtp, smtp_auth=True, smtp_password="no")
    assert imap.status_code == 500
    assert "Authentication failed" in imap.json()["error"]["message"]
    assert imap.headers[REASON] == "imap.example.com refused alice@example.com's password"
    assert both.headers[REASON] == (
        "imap.example.com refused alice@example.com's password; "
        "smtp.example.com refused alice@example.com's password"
    )


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        (None, "body read as a form: send Content-Type: application/json"),
        ("text/plain", "body read as a form: send Content-Type: application/json"),
        ("application/x-www-form-urlencoded", "body read as a form: send Content-Type: application/json"),
        ("text/xml", "body read as XML: send Content-Type: application/json"),
    ],
)
def test_json_sent_without_its_content_type_gets_a_hint(url: str, content_type: str | None, reason: str):
    headers = {**ALICE, **({"Content-Type": content_type} if content_type else {})}
    answer = requests.put(
        url + ACCOUNTS, data=b'\n {"email": "alice@example.com"}', headers=headers, timeout=5
    )
    assert answer.status_code == 400
    assert answer.headers[REASON] == reason


def test_no_hint_when_the_binding_found_what_it_needed(url: str):
    answer = requests.put(
        url + ACCOUNTS + "?email=alice@example.com", data=b'{"name": "x"}', headers=ALICE, timeout=5
    )
    form = requests.put(url + ACCOUNTS, data={"email": "nobody@example.com"}, headers=ALICE, timeout=5)
    assert answer.status_code == 200
    assert REASON not in answer.headers
    assert form.headers[REASON] == "alice has no account nobody@example.com"


def test_a_failed_login_says_why(url: str):
    answer = requests.post(
        url + "/api/2.0/authentication", data={"userName": "alice", "password": "x"}, timeout=5
    )
    assert (answer.status_code, answer.headers[REASON]) == (500, "wrong password for alice")


def test_a_fault_names_itself(server: MockMailServer):
    server.add_fault({"name": "token-expires", "match": {"method": "PUT"}, "respond": "unauthorized"})
    faulted = put(server.url, ALICE, email="alice@example.com")
    listed = requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5)
    assert (faulted.status_code, faulted.headers[FAULT], faulted.headers[REASON]) == (
        401,
        "token-expires",
        "fault token-expires",
    )
    assert listed.status_code == 200
    assert FAULT not in listed.headers
    assert REASON not in listed.headers


def test_the_journal_keeps_the_reason(server: MockMailServer):
    put(server.url, {"Authorization": "nope"}, email="bob@example.com")
    put(server.url, ALICE, email="alice@example.com")
    entries = server.journal()
    shown = requests.get(server.url + "/_mockmail/journal", timeout=5).json()["requests"]
    assert [(entry.status, entry.email, entry.reason) for entry in entries] == [
        (401, "bob@example.com", "no user has this token"),
        (200, "alice@example.com", None),
    ]
    assert [entry["reason"] for entry in shown] == ["no user has this token", None]


def test_the_header_carries_only_printable_ascii_and_the_journal_the_text(server: MockMailServer):
    answer = put(server.url, ALICE, email="jürgen@example.com")
    assert answer.headers[REASON] == "alice has no account j\\xfcrgen@example.com"
    assert server.journal()[-1].reason == "alice has no account jürgen@example.com"


def test_a_long_reason_is_cut_in_the_header(url: str):
    email = "a" * 300 + "@example.com"
    answer = put(url, ALICE, email=email)
    assert answer.headers[REASON] == f"alice has no account {email}"[:200] + "..."


def test_a_replay_miss_says_which_recorded_request_came_closest():
    path = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    with MockMailServer(replay=Replay(path)) as offline:
        missed = requests.delete(offline.url + ACCOUNTS, headers=ALICE, timeout=5)
    assert missed.status_code == 404
    assert missed.headers[REASON].startswith("replay: no recorded request matches; the closest, ")


def test_a_replayed_answer_is_the_recordings_not_a_decision():
    path = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    with MockMailServer(replay=Replay(path)) as offline:
        listed = requests.get(offline.url + ACCOUNTS, headers=ALICE, timeout=5)
    assert listed.status_code == 200
    assert REASON not in listed.headers


def test_pages_of_a_local_origin_may_read_both_headers(url: str):
    answer = put(url, {"Authorization": "nope", "Origin": "http://localhost:3000"}, email="alice@example.com")
    exposed = {name.strip() for name in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {REASON, FAULT} <= exposed


def test_without_the_basic_challenge_the_401_carries_no_www_authenticate():
    with MockMailServer(basic_challenge=False) as server:
        server.add_fault({"name": "expired", "match": {"method": "GET"}, "respond": "unauthorized"})
        refused = put(server.url, {"Authorization": "nope"}, email="alice@example.com")
        faulted = requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5)
    assert (refused.status_code, refused.text, refused.headers[REASON]) == (
        401,
        "Unauthorized",
        "no user has this token",
    )
    assert faulted.status_code == 401
    assert "WWW-Authenticate" not in refused.headers
    assert "WWW-Authenticate" not in faulted.headers


def test_the_scenario_can_drop_the_challenge(write_scenario: Callable[..., Path]):
    path = write_scenario("basic_challenge: false\nusers: [{name: ann, token: ann-token}]\n")
    with MockMailServer(path) as server:
        refused = put(server.url, {"Authorization": "nope"}, email="ann@example.com")
    assert refused.status_code == 401
    assert "WWW-Authenticate" not in refused.headers


def test_a_path_mockmail_does_not_mock_says_so_in_the_reason_too(url: str):
    answer = requests.patch(url + "/api/2.0/mail/accounts", timeout=5)
    assert answer.status_code == 404
    assert answer.headers["X-Mockmail-Reason"] == "mockmail does not mock PATCH /api/2.0/mail/accounts"


def test_refusals_of_the_access_rules_say_why(url: str):
    foreign = requests.get(url + "/api/2.0/mail/accounts", headers={"Host": "rebound.example"}, timeout=5)
    assert foreign.status_code == 403
    assert foreign.headers["X-Mockmail-Reason"].startswith("mockmail answers only local Host names")
    with MockMailServer(control_token="t0k3n") as guarded:
        refused = requests.get(guarded.url + "/_mockmail/faults", timeout=5)
    assert refused.headers["X-Mockmail-Reason"] == "no control token: send Authorization: Bearer TOKEN"
