"""PUT /api/2.0/mail/accounts over real HTTP: the success body, the update's semantics, the state after."""

from __future__ import annotations

import http.client
import json
from datetime import datetime, timedelta
from pathlib import Path

import requests

from mockmail.models import Account
from mockmail.server import MockMailServer

ACCOUNTS = "/api/2.0/mail/accounts"

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "requests"
# The web client's exact request (reference Part B): form-encoded strings, `+` for spaces, an
# empty password meaning "keep", the cookie as the only credential, and the cache-buster.
WEB_CLIENT_BODY = (FIXTURES / "web-client-update.txt").read_text(encoding="utf-8").strip()
WEB_CLIENT_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
    "Accept": "application/json, text/javascript, */*; q=0.01",
    "X-Requested-With": "XMLHttpRequest",
    "Cookie": "asc_auth_key=864FE52C-1C1C-469F-9308-51DAFEFE7436",
}
# What a generated SDK client sends: JSON, numbers and booleans as JSON values.
ALICE_SETTINGS = json.loads((FIXTURES / "sdk-update.json").read_text(encoding="utf-8"))

# MailApi.UpdateAccount's answer composed for alice's mailbox (id 1): byte for byte, field order included.
EXPECTED_BODY = (
    '{"count":1,"status":0,"statusCode":200,"response":{"mailboxId":1,"email":"alice@example.com",'
    '"enabled":true,"name":"Alice Liddell","oAuthConnection":false,'
    '"signature":{"mailboxId":1,"html":"","isActive":false},'
    '"autoreply":{"mailboxId":1,"turnOn":false,"onlyContacts":false,"turnOnToDate":false,'
    '"fromDate":"0001-01-01T00:00:00","toDate":"0001-01-01T00:00:00","subject":"","html":""},'
    '"eMailInFolder":null,"quotaError":false,"authError":false,"isGroup":false,"isAlias":false,'
    '"isTeamlabMailbox":false,"isDefault":true,"isSharedDomainMailbox":false,"dateCreated":null}}'
)


def listed(url: str, headers: dict[str, str], email: str) -> dict[str, object]:
    response = requests.get(url + ACCOUNTS, headers=headers, timeout=5)
    assert response.status_code == 200
    return next(item for item in response.json()["response"] if item["email"] == email)


def stored(server: MockMailServer, headers: dict[str, str], email: str = "alice@example.com") -> Account:
    """The account as the server's store holds it now."""
    store = server.state.store
    user = store.user_for_token(headers["Authorization"])
    assert user is not None
    return next(account for account in store.accounts(user) if account.email == email)


def test_json_request_gets_the_real_envelope_byte_for_byte(url, alice):
    response = requests.put(url + ACCOUNTS, json=ALICE_SETTINGS, headers=alice, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.text == EXPECTED_BODY


def test_the_web_clients_form_request_gets_the_same_body(server: MockMailServer):
    # http.client sends the headers exactly as given (requests would move the Cookie header).
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("PUT", ACCOUNTS + ".json?__=123456", body=WEB_CLIENT_BODY, headers=WEB_CLIENT_HEADERS)
    response = connection.getresponse()
    assert response.status == 200
    assert response.read().decode() == EXPECTED_BODY
    connection.close()


def test_query_string_request_gets_the_same_body(url, alice):
    response = requests.put(
        url + ACCOUNTS, params=ALICE_SETTINGS | {"smtp_auth": "true"}, headers=alice, timeout=5
    )
    assert response.status_code == 200
    assert response.text == EXPECTED_BODY


def test_xml_body_and_xml_path_give_the_envelope_as_xml(url, alice):
    body = "<request><email>alice@example.com</email><name>Al</name><port>993</port>" + (
        "<server>imap.example.com</server><account>alice@example.com</account></request>"
    )
    response = requests.put(
        url + ACCOUNTS + ".xml", data=body, headers=alice | {"Content-Type": "text/xml"}, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert response.text.startswith(
        "<result><count>1</count><status>0</status><statusCode>200</statusCode>"
        "<response><mailboxId>1</mailboxId><email>alice@example.com</email><enabled>true</enabled><name>Al</name>"
    )
    assert "<eMailInFolder /><quotaError>false</quotaError>" in response.text


def test_xml_path_with_a_json_request_answers_json(url, alice):
    response = requests.put(url + ACCOUNTS + ".xml", json=ALICE_SETTINGS, headers=alice, timeout=5)
    assert response.text == EXPECTED_BODY


def test_the_update_is_visible_in_get(url, alice):
    settings = ALICE_SETTINGS | {"name": "Renamed", "smtp_auth": False}
    assert requests.put(url + ACCOUNTS, json=settings, headers=alice, timeout=5).status_code == 200
    account = listed(url, alice, "alice@example.com")
    assert account["name"] == "Renamed"


def test_the_echoed_email_keeps_the_senders_case_and_display_name(url, alice):
    settings = ALICE_SETTINGS | {"email": '"Alice L" <Alice@Example.com>'}
    response = requests.put(url + ACCOUNTS, json=settings, headers=alice, timeout=5)
    assert response.status_code == 200
    assert response.json()["response"]["email"] == '"Alice L" <Alice@Example.com>'
    # isDefault compares the sent text with the stored (lower-case) default, as the real server does.
    assert response.json()["response"]["isDefault"] is False


def test_empty_passwords_keep_the_stored_ones(server: MockMailServer, url, alice):
    requests.put(url + ACCOUNTS, json=ALICE_SETTINGS, headers=alice, timeout=5)
    account = stored(server, alice)
    assert (account.password, account.smtp_password) == ("imap-secret", "smtp-secret")


def test_omitted_fields_are_replaced_not_kept(server: MockMailServer, url, alice):
    response = requests.put(url + ACCOUNTS, json={"email": "alice@example.com"}, headers=alice, timeout=5)
    assert response.status_code == 200
    assert response.json()["response"]["name"] is None
    account = stored(server, alice)
    assert (account.server, account.port, account.smtp_auth, account.name) == ("", 0, False, None)
    assert account.password == "imap-secret"


def test_smtp_auth_off_forces_the_smtp_auth_type_to_none(server: MockMailServer, url, alice):
    settings = ALICE_SETTINGS | {"smtp_auth": False, "auth_type_smtp": 4}
    assert requests.put(url + ACCOUNTS, json=settings, headers=alice, timeout=5).status_code == 200
    assert stored(server, alice).auth_type_smtp == 0


def test_restrict_sets_the_import_start_to_30_days_ago(server: MockMailServer, url, alice):
    requests.put(url + ACCOUNTS, json=ALICE_SETTINGS | {"restrict": True}, headers=alice, timeout=5)
    begin = stored(server, alice).begin_date
    assert abs(begin - (datetime.now() - timedelta(days=30))) < timedelta(minutes=1)


def test_enabled_and_imap_are_kept(url, bob):
    response = requests.put(
        url + ACCOUNTS, json={"email": "bob@example.com", "name": "B"}, headers=bob, timeout=5
    )
    assert response.json()["response"]["enabled"] is False
    assert listed(url, bob, "bob@example.com")["enabled"] is False


def test_names_match_case_insensitively_and_the_query_wins(url, alice):
    response = requests.put(
        url + ACCOUNTS + "?NAME=from-query",
        json={"EMAIL": "alice@example.com", "Name": "from-body", "Account": "ALICE@example.com"},
        headers=alice,
        timeout=5,
    )
    assert response.status_code == 200
    assert response.json()["response"]["name"] == "from-query"


def test_values_may_arrive_as_strings_and_enums_by_name(server: MockMailServer, url, alice):
    settings = {
        key: str(value).lower() if isinstance(value, bool) else str(value)
        for key, value in ALICE_SETTINGS.items()
    }
    settings |= {
        "incoming_encryption_type": "SSL",
        "auth_type_smtp": "cRaMmD5",
        "outcoming_encryption_type": "StartTLS",
    }
    assert requests.put(url + ACCOUNTS, json=settings, headers=alice, timeout=5).status_code == 200
    account = stored(server, alice)
    assert (account.incoming_encryption_type, account.outcoming_encryption_type, account.auth_type_smtp) == (
        1,
        2,
        4,
    )


def test_empty_numbers_and_booleans_become_zero_and_false(url, alice):
    settings = ALICE_SETTINGS | {"port": "", "smtp_auth": "", "auth_type_in": None}
    response = requests.put(url + ACCOUNTS, json=settings, headers=alice, timeout=5)
    assert response.status_code == 200


def test_a_doubled_leading_slash_is_served(server: MockMailServer, alice):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request(
        "PUT",
        "//api/2.0/mail/accounts",
        body=json.dumps(ALICE_SETTINGS),
        headers=alice | {"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    assert response.status == 200
    assert response.read().decode() == EXPECTED_BODY
    connection.close()


def test_list_shows_real_extras_aliases_after_mailboxes_and_the_builtin_mailbox(url, alice):
    response = requests.get(url + ACCOUNTS + ".json", headers=alice, timeout=5)
    body = response.json()
    assert body["count"] == 2
    emails = [(item["email"], item["isTeamlabMailbox"], item["isDefault"]) for item in body["response"]]
    assert emails == [("alice@example.com", False, True), ("alice@portal.example.com", True, False)]
    assert body["response"][0]["dateCreated"] == "2024-01-01T00:00:00"


def test_a_json_number_with_a_fraction_is_read_as_json_net_writes_it(server: MockMailServer, bob):
    # XmlNodeConverter writes a float token with XmlConvert.ToString(double): 993.0 is "993".
    whole = requests.put(
        server.url + ACCOUNTS, json={"email": "bob@example.com", "port": 993.0}, headers=bob, timeout=5
    )
    assert whole.status_code == 200
    assert stored(server, bob, "bob@example.com").port == 993
    half = requests.put(
        server.url + ACCOUNTS, json={"email": "bob@example.com", "port": 993.5}, headers=bob, timeout=5
    )
    assert (half.status_code, half.json()["error"]["message"]) == (
        400,
        "Input string was not in a correct format.",
    )
