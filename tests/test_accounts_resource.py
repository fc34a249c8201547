"""The account calls around the update, over real HTTP: create, simple, delete, single, state, default, ..."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from mockmail.scenarios import ScenarioError, parse_scenario
from mockmail.server import MockMailServer

ACCOUNTS = "/api/2.0/mail/accounts"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "requests"
ALICE = {"Authorization": "alice-token"}
BOB = {"Authorization": "bob-token"}

# Alice's mailbox has id 7, so created ones are numbered from 8; the servers know carol's passwords.
SCENARIO = """
users:
  - name: alice
    token: alice-token
    default_account: alice@example.com
    accounts:
      - email: alice@example.com
        mailbox_id: 7
        name: Alice
        password: imap-secret
        server: imap.example.com
        port: 993
        smtp_password: smtp-secret
        smtp_server: smtp.example.com
        smtp_port: 465
        smtp_auth: true
        auth_type_smtp: 1
        aliases: [al@example.com]
      - {email: alice@portal.example.com, teamlab: true}
  - name: bob
    token: bob-token
    accounts:
      - {email: bob@example.com, enabled: false, server: imap.example.com, port: 993, password: bob-old}
mail_servers:
  - host: imap.example.com
    port: 993
    logins: {alice@example.com: imap-secret, carol@example.com: carol-imap, carol@mail.test: carol-secret}
  - {host: smtp.example.com, port: 465, logins: {alice@example.com: smtp-secret, carol@example.com: carol-smtp}}
  - {host: imap.mail.test, port: 993, logins: {}}
  - {host: pop.mail.test, port: 995, logins: {carol@mail.test: carol-secret}}
  - {host: smtp.mail.test, port: 465, logins: {carol@mail.test: carol-secret}}
providers:
  - domains: [corp.test]
    incoming: [{type: pop3, server: mail.%EMAILDOMAIN%, port: 110, encryption: None, login: "%EMAILLOCALPART%"}]
    outgoing: [{server: mail.corp.test, port: 587, encryption: StartTLS, auth: CramMd5}]
"""
CAROL = json.loads((FIXTURES / "sdk-create.json").read_text(encoding="utf-8"))
IMAP_FAILED = '<span class="attempt_header">IMAP response:</span><br/>Authentication failed.'
POP_FAILED = '<span class="attempt_header">POP3 response:</span><br/>Authentication failed.'
SMTP_FAILED = '<span class="attempt_header">SMTP response:</span><br/>Authentication failed.'


@pytest.fixture
def team(server: MockMailServer) -> str:
    """The server reset to ``SCENARIO``; its URL."""
    server.reset(parse_scenario(SCENARIO))
    return server.url


def call(
    url: str, method: str, path: str = "", headers: dict[str, str] = ALICE, **kwargs: Any
) -> requests.Response:
    return requests.request(method, url + ACCOUNTS + path, headers=headers, timeout=5, **kwargs)


def listed(url: str, headers: dict[str, str] = ALICE) -> dict[str, dict[str, Any]]:
    """GET /api/2.0/mail/accounts, by email."""
    response = call(url, "GET", headers=headers)
    assert response.status_code == 200
    return {item["email"]: item for item in response.json()["response"]}


def single(url: str, email: str, headers: dict[str, str] = ALICE) -> dict[str, Any]:
    response = call(url, "GET", "/single", headers=headers, params={"email": email})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["response"]
    return result


def error(response: requests.Response) -> tuple[int, str, int]:
    body = response.json()
    assert body["status"] == 1
    return response.status_code, body["error"]["message"], body["error"]["hresult"]


# --- POST /api/2.0/mail/accounts --------------------------------------------------------------


def test_create_answers_201_and_the_account_is_listed_with_the_next_id(team):
    response = call(team, "POST", json=CAROL)
    assert response.status_code == 201
    body = response.json()
    assert (body["count"], body["statusCode"]) == (1, 201)
    account = body["response"]
    assert (account["mailboxId"], account["email"], account["name"], account["enabled"]) == (
        8,
        "carol@example.com",
        "Carol",
        True,
    )
    assert (account["dateCreated"], account["signature"]["html"]) == (None, "")
    assert listed(team)["carol@example.com"]["mailboxId"] == 8
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", listed(team)["carol@example.com"]["dateCreated"])
    stored = single(team, "carol@example.com")
    assert (stored["server"], stored["port"], stored["smtp_port"], stored["imap"]) == (
        "imap.example.com",
        "993",
        "465",
        True,
    )


def test_ids_are_never_given_twice_even_after_a_delete(team):
    assert call(team, "POST", json=CAROL).json()["response"]["mailboxId"] == 8
    assert call(team, "DELETE", data={"email": "carol@example.com"}).status_code == 200
    assert call(team, "POST", json=CAROL).json()["response"]["mailboxId"] == 9


def test_create_on_an_existing_email_replaces_it_keeping_its_id_state_and_date(team, server):
    # Bob's mailbox is disabled: SaveMailBox keeps that, while the answer says enabled.
    settings = CAROL | {"email": "Bob@Example.com", "name": "Bobby", "account": "bob", "password": ""}
    response = call(
        team, "POST", json=settings | {"server": "imap.bob.test", "smtp_auth": False}, headers=BOB
    )
    assert response.status_code == 201
    assert (response.json()["response"]["mailboxId"], response.json()["response"]["enabled"]) == (2, True)
    assert response.json()["response"]["email"] == "Bob@Example.com"
    after = listed(team, BOB)
    assert list(after) == ["bob@example.com"]
    assert (after["bob@example.com"]["name"], after["bob@example.com"]["enabled"]) == ("Bobby", False)
    assert after["bob@example.com"]["dateCreated"] == "2024-01-01T00:00:00"
    # Unlike the update, an empty password is saved empty.
    assert (
        server.state.store.account(server.state.store.user_for_token("bob-token"), "bob@example.com").password
        == ""
    )


def test_create_runs_the_login_test_and_saves_nothing_when_it_fails(team):
    response = call(team, "POST", json=CAROL | {"password": "wrong", "smtp_password": "wrong"})
    assert error(response) == (500, IMAP_FAILED + "\r\n" + SMTP_FAILED, -2146233088)
    assert "carol@example.com" not in listed(team)


def test_create_refuses_the_built_in_mailbox(team):
    response = call(team, "POST", json={"email": "alice@portal.example.com", "imap": True})
    assert error(response) == (
        500,
        "Some unexpected error has occurred. Please try again later.",
        -2146233088,
    )
    assert (
        response.headers["X-Mockmail-Reason"]
        == "mailbox alice@portal.example.com is the portal's built-in one"
    )
    assert listed(team)["alice@portal.example.com"]["isTeamlabMailbox"] is True


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, "Value cannot be null.\nParameter name: address", -2147467261)),
        (
            {"email": ""},
            (400, "The parameter 'address' cannot be an empty string.\nParameter name: address", -2147024809),
        ),
        (
            {"email": "carol"},
            (500, "The specified string is not in the form required for an e-mail address.", -2146233033),
        ),
        (
            {"email": "carol@example.com", "imap": "yes"},
            (400, "String was not recognized as a valid Boolean.", -2146233033),
        ),
    ],
)
def test_create_errors(team, body, expected):
    assert error(call(team, "POST", data=body)) == expected
    assert len(listed(team)) == 3  # alice's mailbox, its alias, the built-in one


# --- POST /api/2.0/mail/accounts/simple -------------------------------------------------------


def test_simple_tries_the_providers_servers_imap_first_and_saves_the_first_that_logs_in(team):
    # The example provider for mail.test: IMAP (refused here), then POP3 (accepted).
    response = call(team, "POST", "/simple", json={"email": "carol@mail.test", "password": "carol-secret"})
    assert response.status_code == 201
    answer = response.json()["response"]
    assert (answer["mailboxId"], answer["email"], answer["name"], answer["enabled"]) == (
        8,
        "carol@mail.test",
        "",
        True,
    )
    stored = single(team, "carol@mail.test")
    assert (stored["server"], stored["port"], stored["imap"], stored["smtp_server"], stored["restrict"]) == (
        "pop.mail.test",
        "995",
        False,
        "smtp.mail.test",
        True,
    )


def test_simple_lists_every_failed_attempt(team):
    response = call(team, "POST", "/simple", data={"email": "carol@mail.test", "password": "nope"})
    expected = f"#1:<br>{IMAP_FAILED}<br>{SMTP_FAILED}<br>#2:<br>{POP_FAILED}<br>{SMTP_FAILED}<br>"
    assert error(response) == (500, expected, -2146233088)
    assert "carol@mail.test" not in listed(team)


def test_simple_uses_the_scenarios_provider_table(team):
    response = call(team, "POST", "/simple", data={"email": "Dave@Corp.test", "password": "pw"})
    assert response.status_code == 201
    assert response.json()["response"]["email"] == "Dave@Corp.test"
    stored = single(team, "dave@corp.test")
    assert (stored["account"], stored["server"], stored["port"], stored["incoming_encryption_type"]) == (
        "Dave",
        "mail.corp.test",
        "110",
        0,
    )
    assert (stored["smtp_port"], stored["outcoming_encryption_type"], stored["auth_type_smtp"]) == (
        "587",
        2,
        4,
    )


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("zed@gmail.com", "no provider settings for gmail.com: add it to the scenario's providers"),
        ("a..b@mail.test", "'a..b@mail.test' is not an address (ToMailboxList's MailAddress)"),
    ],
)
def test_simple_without_provider_or_address_is_the_generic_500(team, email, reason):
    response = call(team, "POST", "/simple", data={"email": email, "password": "pw"})
    assert error(response) == (
        500,
        "Some unexpected error has occurred. Please try again later.",
        -2146233088,
    )
    assert response.headers["X-Mockmail-Reason"] == reason


def test_simple_without_email_is_a_400(team):
    response = call(team, "POST", "/simple", data={"password": "pw"})
    assert error(response) == (400, "Empty email\nParameter name: email", -2147024809)


# --- DELETE /api/2.0/mail/accounts ------------------------------------------------------------


def test_delete_answers_the_queued_operation_and_the_account_is_gone_at_once(team):
    response = call(team, "DELETE", data={"email": "Alice@Example.com"})
    assert response.status_code == 200
    status = response.json()["response"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", status.pop("id"))
    assert status == {
        "completed": False,
        "status": "",
        "error": "",
        "percents": 0,
        "source": "7",
        "operationType": 2,
        "operation": "RemoveMailbox",
    }
    assert list(listed(team)) == ["alice@portal.example.com"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, "Email empty\nParameter name: email", -2147024809)),
        ({"email": "bob@example.com"}, (500, "Account wasn't found by email: bob@example.com", -2147467261)),
        (
            {"email": "Nobody@Example.com"},
            (500, "Account wasn't found by email: Nobody@Example.com", -2147467261),
        ),
        (
            {"email": "alice@portal.example.com"},
            (400, "Mailbox with specified email can't be deleted", -2147024809),
        ),
        (
            {"email": "alice"},
            (500, "The specified string is not in the form required for an e-mail address.", -2146233033),
        ),
    ],
)
def test_delete_errors(team, body, expected):
    assert error(call(team, "DELETE", data=body)) == expected
    assert len(listed(team)) == 3
    assert "bob@example.com" in listed(team, BOB)


def test_a_delete_fault_answers_a_delete_and_nothing_is_removed(team, server):
    server.add_fault(
        {
            "match": {"method": "DELETE"},
            "times": 1,
            "respond": {"status": 500, "message": "Remove mailbox operation already running."},
        }
    )
    assert (
        call(team, "PUT", "/state", data={"email": "alice@example.com", "state": "false"}).status_code == 200
    )
    response = call(team, "DELETE", data={"email": "alice@example.com"})
    assert error(response) == (500, "Remove mailbox operation already running.", -2146233088)
    assert "alice@example.com" in listed(team)


# --- PUT /api/2.0/mail/accounts/state ---------------------------------------------------------


def test_state_disables_and_enables_and_answers_the_mailbox_id(team):
    off = call(team, "PUT", "/state", data={"email": "alice@example.com", "state": "false"})
    assert off.json() == {"count": 1, "status": 0, "statusCode": 200, "response": 7}
    assert listed(team)["alice@example.com"]["enabled"] is False
    on = call(team, "PUT", "/state.json", json={"email": "ALICE@example.com", "state": True})
    assert on.json()["response"] == 7
    assert listed(team)["alice@example.com"]["enabled"] is True


def test_enabling_runs_the_login_test_on_the_stored_settings(team):
    response = call(team, "PUT", "/state", headers=BOB, data={"email": "bob@example.com", "state": "true"})
    assert error(response) == (500, IMAP_FAILED, -2146233088)
    assert listed(team, BOB)["bob@example.com"]["enabled"] is False


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"state": "true"}, (400, "Value cannot be null.\nParameter name: email", -2147467261)),
        (
            {"email": "Carol@Example.com", "state": "false"},
            (500, "Account wasn't found by email: Carol@Example.com", -2147467261),
        ),
        (
            {"email": "alice@example.com", "state": "1"},
            (400, "String was not recognized as a valid Boolean.", -2146233033),
        ),
    ],
)
def test_state_errors(team, body, expected):
    assert error(call(team, "PUT", "/state", data=body)) == expected
    assert listed(team)["alice@example.com"]["enabled"] is True


def test_the_database_failure_is_a_fault_away_with_the_real_typo(team, server):
    server.add_fault(
        {
            "match": {"path": ACCOUNTS + "/state"},
            "respond": {"status": 500, "message": "EnableMaibox failed."},
        }
    )
    response = call(team, "PUT", "/state", data={"email": "alice@example.com", "state": "false"})
    assert (
        response.text
        == '{"status":1,"statusCode":500,"error":{"message":"EnableMaibox failed.","hresult":-2146233088,"data":{}}}'
    )
    assert listed(team)["alice@example.com"]["enabled"] is True


# --- PUT /api/2.0/mail/accounts/default -------------------------------------------------------


def test_default_answers_the_lowercased_email_with_its_length_as_count(team):
    response = call(team, "PUT", "/default", data={"email": "Alice@Portal.Example.com", "isDefault": "true"})
    assert response.json() == {
        "count": 24,
        "status": 0,
        "statusCode": 200,
        "response": "alice@portal.example.com",
    }
    defaults = {email: item["isDefault"] for email, item in listed(team).items()}
    assert defaults == {"alice@example.com": False, "al@example.com": False, "alice@portal.example.com": True}


def test_an_alias_may_be_the_default_and_false_clears_it_whatever_the_email(team):
    assert (
        call(team, "PUT", "/default", data={"email": "al@example.com", "isDefault": "true"}).status_code
        == 200
    )
    assert listed(team)["al@example.com"]["isDefault"] is True
    cleared = call(team, "PUT", "/default", data={"email": "Whoever@Else", "isDefault": "false"})
    assert cleared.json()["response"] == "whoever@else"
    assert not any(item["isDefault"] for item in listed(team).values())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"email": "bob@example.com", "isDefault": "true"}, (400, "Account not found", -2147024809)),
        ({"isDefault": "true"}, (400, "Value cannot be null.\nParameter name: email", -2147467261)),
        (
            {"email": "alice@example.com", "isDefault": "no"},
            (400, "String was not recognized as a valid Boolean.", -2146233033),
        ),
    ],
)
def test_default_errors(team, body, expected):
    assert error(call(team, "PUT", "/default", data=body)) == expected
    assert listed(team)["alice@example.com"]["isDefault"] is True


# --- GET /api/2.0/mail/accounts/single --------------------------------------------------------


def test_single_is_mailboxdata_with_passwords_blanked_and_ports_as_strings(team):
    response = call(team, "GET", "/single.json", params={"email": "alice@example.com", "__": "123456"})
    assert response.text == (
        '{"count":1,"status":0,"statusCode":200,"response":{"id":7,"email":"alice@example.com","name":"Alice",'
        '"account":"alice@example.com","password":"","server":"imap.example.com","smtp_server":"smtp.example.com",'
        '"smtp_port":"465","smtp_account":"alice@example.com","smtp_password":"","smtp_auth":true,"port":"993",'
        '"incoming_encryption_type":0,"outcoming_encryption_type":0,"auth_type_in":0,"auth_type_smtp":1,'
        '"imap":true,"begin_date":"1975-01-01T00:00:00","is_oauth":false,"restrict":false,'
        '"email_in_folder":null,"is_teamlab":false}}'
    )


def test_single_shows_the_built_in_mailbox_with_its_mx_host(team):
    mailbox = single(team, "alice@portal.example.com")
    assert (mailbox["server"], mailbox["smtp_server"], mailbox["is_teamlab"]) == (
        "portal.example.com",
        "portal.example.com",
        True,
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (400, "Email empty\nParameter name: email", -2147024809)),
        ({"email": "bob@example.com"}, (500, "Account wasn't found by email: bob@example.com", -2147467261)),
    ],
)
def test_single_errors(team, params, expected):
    assert error(call(team, "GET", "/single", params=params)) == expected


# --- GET /api/2.0/mail/accounts/setups --------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "action", "expected"),
    [
        (
            "carol@mail.test",
            "get_imap_server",
            ("imap.mail.test", "993", 1, True, "smtp.mail.test", "465", 1),
        ),
        (
            "carol@mail.test",
            "get_pop_server_full",
            ("pop.mail.test", "995", 1, False, "smtp.mail.test", "465", 1),
        ),
        (
            "dave@corp.test",
            "get_imap_pop_settings",
            ("mail.corp.test", "110", 0, False, "mail.corp.test", "587", 2),
        ),
        (
            "zed@gmail.com",
            "get_imap_pop_settings",
            ("pop.gmail.com", "110", 0, False, "smtp.gmail.com", "25", 0),
        ),
        ("zed@gmail.com", "get_imap_server", ("imap.gmail.com", "993", 1, True, "smtp.gmail.com", "25", 0)),
        ("carol@mail.test", None, ("imap.mail.test", "993", 1, True, "smtp.mail.test", "25", 0)),
    ],
)
def test_setups_give_the_providers_settings_or_the_servers_guess(team, email, action, expected):
    response = call(team, "GET", "/setups", params={"email": email, "action": action})
    got = response.json()["response"]
    shown = (got["server"], got["port"], got["incoming_encryption_type"], got["imap"])
    assert (*shown, got["smtp_server"], got["smtp_port"], got["outcoming_encryption_type"]) == expected
    assert (got["id"], got["email"], got["password"], got["restrict"], got["is_teamlab"]) == (
        0,
        email,
        "",
        True,
        False,
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", got["begin_date"])


def test_setups_logins_follow_the_provider_or_echo_the_email(team):
    corp = call(team, "GET", "/setups", params={"email": "Dave@corp.test", "action": "get_pop_server"})
    assert (corp.json()["response"]["account"], corp.json()["response"]["smtp_account"]) == (
        "Dave",
        "Dave@corp.test",
    )
    guess = call(team, "GET", "/setups", params={"email": "Zed <zed@gmail.com>"})
    assert (guess.json()["response"]["account"], guess.json()["response"]["email"]) == (
        "Zed <zed@gmail.com>",
        '"Zed" <zed@gmail.com>',
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (400, "Value cannot be null.\nParameter name: address", -2147467261)),
        (
            {"email": "zed"},
            (500, "The specified string is not in the form required for an e-mail address.", -2146233033),
        ),
    ],
)
def test_setups_errors(team, params, expected):
    assert error(call(team, "GET", "/setups", params=params)) == expected


# --- PUT .../emailinfolder and .../updateuseractivity ------------------------------------------


def test_email_in_folder_is_void_and_shows_in_the_list_and_single(team):
    response = call(team, "PUT", "/emailinfolder", data={"mailbox_id": "7", "email_in_folder": "1234"})
    assert response.text == '{"status":0,"statusCode":200,"response":{}}'
    assert listed(team)["alice@example.com"]["eMailInFolder"] == "1234"
    assert single(team, "alice@example.com")["email_in_folder"] == "1234"


def test_email_in_folder_for_a_mailbox_the_user_lacks_changes_nothing_silently(team):
    response = call(
        team, "PUT", "/emailinfolder", headers=BOB, data={"mailbox_id": "7", "email_in_folder": "1"}
    )
    assert response.json() == {"status": 0, "statusCode": 200, "response": {}}
    assert (
        response.headers["X-Mockmail-Reason"] == "bob has no mailbox 7: nothing saved, as on the real server"
    )
    assert listed(team)["alice@example.com"]["eMailInFolder"] is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"mailbox_id": "-1"}, (400, "Value cannot be null.\nParameter name: mailbox_id", -2147467261)),
        ({"mailbox_id": "x"}, (400, "Input string was not in a correct format.", -2146233033)),
    ],
)
def test_email_in_folder_errors(team, body, expected):
    assert error(call(team, "PUT", "/emailinfolder", data=body)) == expected


def test_user_activity_is_void_and_recorded(team, server):
    response = call(team, "PUT", "/updateuseractivity", json={"userOnline": False})
    assert response.text == '{"status":0,"statusCode":200,"response":{}}'
    assert server.state.store.online(server.state.store.user_for_token("alice-token")) is False
    bad = call(team, "PUT", "/updateuseractivity", data={"userOnline": "on"})
    assert error(bad) == (400, "String was not recognized as a valid Boolean.", -2146233033)


# --- what every call shares -------------------------------------------------------------------

NEW_CALLS = [
    ("POST", ""),
    ("POST", "/simple"),
    ("DELETE", ""),
    ("GET", "/single"),
    ("PUT", "/state"),
    ("PUT", "/default"),
    ("GET", "/setups"),
    ("PUT", "/emailinfolder"),
    ("PUT", "/updateuseractivity"),
]


@pytest.mark.parametrize(("method", "path"), NEW_CALLS)
def test_every_call_needs_credentials(team, method, path):
    response = call(
        team, method, path + ".json", headers={"Authorization": "wrong"}, data={"email": "alice@example.com"}
    )
    assert (response.status_code, response.text) == (401, "Unauthorized")


def test_an_xml_path_answers_xml(team):
    response = call(team, "PUT", "/state.xml", data={"email": "alice@example.com", "state": "false"})
    assert response.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert (
        response.text
        == "<result><count>1</count><status>0</status><statusCode>200</statusCode><response>7</response></result>"
    )


def test_the_journal_records_the_new_calls_with_their_email(team, server):
    call(team, "POST", json=CAROL)
    call(team, "DELETE", data={"email": "Carol@Example.com"})
    call(team, "GET", "/single", params={"email": "carol@example.com"})
    entries = [(entry.method, entry.path, entry.email, entry.status) for entry in server.journal()]
    assert entries == [
        ("POST", ACCOUNTS, "carol@example.com", 201),
        ("DELETE", ACCOUNTS, "carol@example.com", 200),
        ("GET", ACCOUNTS + "/single", "carol@example.com", 500),
    ]
    assert server.journal()[0].fields["password"] == "***"


# --- the real clients' requests, replayed -------------------------------------------------------

WEB_CLIENT_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
    "Accept": "application/json, text/javascript, */*; q=0.01",
    "X-Requested-With": "XMLHttpRequest",
    "Cookie": "asc_auth_key=alice-token",
}
SDK_HEADERS = {
    "Authorization": "Bearer alice-token",
    "Accept": "application/json",
    "Content-Type": "application/json",
}
REPLAYED = [
    ("POST", "", "create", 201, lambda body: body["response"]["mailboxId"] == 8),
    ("POST", "/simple", "simple", 201, lambda body: body["response"]["email"] == "carol@mail.test"),
    ("DELETE", "", "delete", 200, lambda body: body["response"]["source"] == "7"),
    ("PUT", "/state", "state", 200, lambda body: body["response"] == 7),
    ("PUT", "/default", "default", 200, lambda body: body["count"] == 24),
    ("PUT", "/emailinfolder", "emailinfolder", 200, lambda body: body["response"] == {}),
    ("PUT", "/updateuseractivity", "updateuseractivity", 200, lambda body: "count" not in body),
]


def replay(
    server: MockMailServer, method: str, target: str, body: str | None, headers: dict[str, str]
) -> tuple[int, Any]:
    # http.client sends the headers exactly as given (requests would move the Cookie header).
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request(method, target, body=body, headers=headers)
    response = connection.getresponse()
    answer = response.status, json.loads(response.read())
    connection.close()
    return answer


@pytest.mark.parametrize("case", REPLAYED, ids=[row[2] for row in REPLAYED])
def test_the_web_clients_form_requests(team, server, case):
    method, path, name, status, check = case
    body = (FIXTURES / f"web-client-{name}.txt").read_text(encoding="utf-8").strip()
    got_status, answer = replay(server, method, f"{ACCOUNTS}{path}.json?__=123456", body, WEB_CLIENT_HEADERS)
    assert (got_status, answer["status"]) == (status, 0), answer
    assert check(answer)


@pytest.mark.parametrize("case", REPLAYED, ids=[row[2] for row in REPLAYED])
def test_the_sdk_json_requests(team, server, case):
    method, path, name, status, check = case
    body = (FIXTURES / f"sdk-{name}.json").read_text(encoding="utf-8")
    got_status, answer = replay(server, method, ACCOUNTS + path, body, SDK_HEADERS)
    assert (got_status, answer["status"]) == (status, 0), answer
    assert check(answer)


@pytest.mark.parametrize(
    ("name", "expected"), [("single", ("id", 7)), ("setups", ("server", "imap.mail.test"))]
)
def test_the_web_clients_queries(team, server, name, expected):
    query = (FIXTURES / f"web-client-{name}.txt").read_text(encoding="utf-8").strip()
    got_status, answer = replay(
        server, "GET", f"{ACCOUNTS}/{name}.json?{query}&__=123456", None, WEB_CLIENT_HEADERS
    )
    key, value = expected
    assert (got_status, answer["response"][key]) == (200, value)


# --- the scenario's provider table ------------------------------------------------------------


def test_a_provider_domain_named_twice_is_refused_with_its_place():
    text = (
        SCENARIO
        + "  - domains: [other.test, CORP.test]\n    incoming: [{server: a, port: 1}]\n    outgoing: [{server: b, port: 2}]\n"
    )
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "team.yaml")
    assert (
        str(raised.value)
        == "team.yaml: providers[1].domains[1]: domain 'CORP.test' already in providers[0] (line 36)"
    )
