"""Every error the real server answers, over real HTTP: status, message, hresult, shape; bad input too."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
import requests

from mockmail.errors import BAD_EMAIL_MESSAGE, GENERIC_MESSAGE

ACCOUNTS = "/api/2.0/mail/accounts"
ALICE_LOGIN = {
    "email": "alice@example.com",
    "account": "alice@example.com",
    "server": "imap.example.com",
    "port": 993,
    "smtp_account": "alice@example.com",
    "smtp_server": "smtp.example.com",
    "smtp_port": 465,
    "smtp_auth": True,
}


def error_of(response: requests.Response) -> tuple[int, str, int]:
    """Status, message and hresult, after checking the envelope's shape."""
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    body = response.json()
    assert list(body) == ["status", "statusCode", "error"]
    assert body["status"] == 1
    assert body["statusCode"] == response.status_code
    assert list(body["error"]) == ["message", "hresult", "data"]
    assert body["error"]["data"] == {}
    return response.status_code, body["error"]["message"], body["error"]["hresult"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({}, (400, "Value does not fall within the expected range.", -2147024809), id="no-email"),
        pytest.param(
            {"email": ""},
            (400, "Value does not fall within the expected range.", -2147024809),
            id="empty-email",
        ),
        pytest.param(
            {"email": "foo"},
            (500, "The specified string is not in the form required for an e-mail address.", -2146233033),
            id="malformed-email",
        ),
        pytest.param(
            {"email": "a@"},
            (500, "The specified string is not in the form required for an e-mail address.", -2146233033),
            id="half-an-email",
        ),
        pytest.param(
            {"email": "nobody@example.com"}, (500, GENERIC_MESSAGE, -2146233088), id="unknown-account"
        ),
        pytest.param(
            {"email": "bob@example.com"}, (500, GENERIC_MESSAGE, -2146233088), id="another-users-account"
        ),
        pytest.param(
            {"email": "alice@portal.example.com"}, (500, GENERIC_MESSAGE, -2146233088), id="builtin-mailbox"
        ),
        pytest.param(
            {"email": "alice@example.com", "port": "abc"},
            (400, "Input string was not in a correct format.", -2146233033),
            id="non-numeric-port",
        ),
        pytest.param(
            {"email": "alice@example.com", "smtp_port": "99999999999"},
            (400, "Value was either too large or too small for an Int32.", -2146233066),
            id="port-overflow",
        ),
        pytest.param(
            {"email": "alice@example.com", "smtp_auth": "1"},
            (400, "String was not recognized as a valid Boolean.", -2146233033),
            id="bad-boolean",
        ),
        pytest.param(
            {"email": "alice@example.com", "auth_type_in": "xyz"},
            (400, "Requested value 'xyz' was not found.", -2147024809),
            id="unknown-enum-name",
        ),
        pytest.param(
            {"email": "", "port": "abc"},
            (400, "Input string was not in a correct format.", -2146233033),
            id="binding-fails-before-the-email-check",
        ),
    ],
)
def test_error_table(url, alice, body, expected):
    response = requests.put(url + ACCOUNTS, json=body, headers=alice, timeout=5)
    assert error_of(response) == expected


def test_error_status_lines_carry_the_real_reason_phrases(url, alice):
    assert requests.put(url + ACCOUNTS, json={}, headers=alice, timeout=5).reason == "Invalid arguments"
    assert (
        requests.put(url + ACCOUNTS, json={"email": "x@y.z"}, headers=alice, timeout=5).reason
        == "Server error"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x", "Unexpected character encountered while parsing value: x. Path '', line 0, position 0."),
        ('{"email":', "Unexpected end when reading JSON."),
        ("[1, 2]", "XmlNodeConverter can only convert JSON that begins with an object."),
    ],
)
def test_broken_json_is_a_400_with_the_json_net_message(url, alice, body, message):
    response = requests.put(
        url + ACCOUNTS, data=body, headers=alice | {"Content-Type": "application/json"}, timeout=5
    )
    status, text, hresult = error_of(response)
    assert (status, hresult) == (400, -2146233088)
    assert text.startswith(message)


def test_an_empty_json_body_is_the_missing_email_400(url, alice):
    response = requests.put(
        url + ACCOUNTS, data="", headers=alice | {"Content-Type": "application/json"}, timeout=5
    )
    assert error_of(response)[:2] == (400, "Value does not fall within the expected range.")


def test_broken_xml_is_a_400(url, alice):
    response = requests.put(
        url + ACCOUNTS, data="<request><email>", headers=alice | {"Content-Type": "text/xml"}, timeout=5
    )
    status, message, _ = error_of(response)
    assert status == 400
    assert message.startswith("Data at the root level is invalid.")


def test_a_failed_imap_login_is_the_real_500_and_saves_nothing(url, alice):
    response = requests.put(
        url + ACCOUNTS, json=ALICE_LOGIN | {"password": "wrong", "name": "X"}, headers=alice, timeout=5
    )
    assert error_of(response) == (
        500,
        '<span class="attempt_header">IMAP response:</span><br/>Authentication failed.',
        -2146233088,
    )
    assert r"IMAP response:<\/span><br\/>" in response.text  # Json.NET escapes `/` on the wire
    listed = requests.get(url + ACCOUNTS, headers=alice, timeout=5).json()["response"]
    assert listed[0]["name"] == "Alice"


def test_a_failed_smtp_login_has_the_smtp_header(url, alice):
    response = requests.put(
        url + ACCOUNTS, json=ALICE_LOGIN | {"smtp_password": "wrong"}, headers=alice, timeout=5
    )
    assert (
        error_of(response)[1]
        == '<span class="attempt_header">SMTP response:</span><br/>Authentication failed.'
    )


def test_both_failures_are_joined_by_crlf(url, alice):
    body = ALICE_LOGIN | {"password": "wrong", "smtp_password": "wrong"}
    response = requests.put(url + ACCOUNTS, json=body, headers=alice, timeout=5)
    assert error_of(response)[1] == (
        '<span class="attempt_header">IMAP response:</span><br/>Authentication failed.\r\n'
        '<span class="attempt_header">SMTP response:</span><br/>Authentication failed.'
    )
    assert r"Authentication failed.\u000d\u000a<span" in response.text


def test_smtp_is_not_tested_when_smtp_auth_is_off(url, alice):
    body = ALICE_LOGIN | {"smtp_password": "wrong", "smtp_auth": False}
    assert requests.put(url + ACCOUNTS, json=body, headers=alice, timeout=5).status_code == 200


def test_a_host_no_declared_server_names_passes(url, alice):
    body = ALICE_LOGIN | {"server": "imap.elsewhere.example", "password": "anything"}
    assert requests.put(url + ACCOUNTS, json=body, headers=alice, timeout=5).status_code == 200


def test_a_new_password_that_the_server_accepts_is_saved(url, alice):
    body = ALICE_LOGIN | {"password": "imap-secret"}
    assert requests.put(url + ACCOUNTS, json=body, headers=alice, timeout=5).status_code == 200


def test_an_unmocked_path_or_method_says_so(url, alice):
    response = requests.patch(url + ACCOUNTS, json={}, headers=alice, timeout=5)
    assert error_of(response)[:2] == (404, "mockmail does not mock PATCH /api/2.0/mail/accounts")
    response = requests.get(url + "/api/2.0/mail/messages", headers=alice, timeout=5)
    assert error_of(response)[:2] == (404, "mockmail does not mock GET /api/2.0/mail/messages")


def test_an_xml_request_gets_its_error_as_xml(url, alice):
    response = requests.put(
        url + ACCOUNTS + ".xml",
        data="<request><email/></request>",
        headers=alice | {"Content-Type": "text/xml"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.text == (
        "<result><status>1</status><statusCode>400</statusCode><error>"
        "<message>Value does not fall within the expected range.</message>"
        "<hresult>-2147024809</hresult><data /></error></result>"
    )


def test_the_server_keeps_serving_after_bad_input(url, alice):
    for body in ("x", "[", "\xff\xfe"):
        requests.put(
            url + ACCOUNTS,
            data=body.encode("latin-1"),
            headers=alice | {"Content-Type": "application/json"},
            timeout=5,
        )
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200


# Bad input (issue #10): a 4xx in the envelope, in bounded time, and nothing changes.

OVERFLOW = (400, "Value was either too large or too small for an Int32.", -2146233066)
HUGE = "9" * 5000  # over Python's 4,300-digit limit for int()


def accounts_of(url: str, headers: dict[str, str]) -> tuple[object, ElementTree.Element]:
    """The user's accounts as JSON and as parsed XML: both must read."""
    listed = requests.get(url + ACCOUNTS, headers=headers, timeout=5)
    as_xml = requests.get(url + ACCOUNTS + ".xml", headers=headers, timeout=5)
    assert (listed.status_code, as_xml.status_code) == (200, 200)
    return listed.json(), ElementTree.fromstring(as_xml.content)


@pytest.mark.parametrize(
    ("how", "field"),
    [("json", "port"), ("form", "smtp_port"), ("query", "port"), ("form", "auth_type_in")],
)
def test_an_integer_of_any_length_is_the_overflow_400(url, alice, how, field):
    fields = {"email": "alice@example.com", field: HUGE}
    if how == "json":
        body = f'{{"email": "alice@example.com", "{field}": {HUGE}}}'  # a JSON number, not a string
        response = requests.put(
            url + ACCOUNTS, data=body, headers=alice | {"Content-Type": "application/json"}, timeout=5
        )
    elif how == "form":
        response = requests.put(url + ACCOUNTS, data=fields, headers=alice, timeout=5)
    else:
        query = "&".join(f"{name}={quote(value)}" for name, value in fields.items())
        response = requests.put(f"{url}{ACCOUNTS}?{query}", headers=alice, timeout=5)
    assert error_of(response) == OVERFLOW


def test_json_nested_1000_deep_is_json_nets_max_depth_400(url, alice):
    body = '{"email": "alice@example.com", "name": ' + "[" * 1000 + "]" * 1000 + "}"
    response = requests.put(
        url + ACCOUNTS, data=body, headers=alice | {"Content-Type": "application/json"}, timeout=5
    )
    status, message, hresult = error_of(response)
    assert (status, hresult) == (400, -2146233088)
    assert message == (
        "The reader's MaxDepth of 64 has been exceeded. Path 'name" + "[0]" * 63 + "', line 1, position 103."
    )


def test_an_xml_body_in_an_unknown_encoding_is_a_400(url, alice):
    body = b'<?xml version="1.0" encoding="bogus"?><request><email>alice@example.com</email></request>'
    response = requests.put(
        url + ACCOUNTS, data=body, headers=alice | {"Content-Type": "text/xml"}, timeout=5
    )
    assert error_of(response) == (
        400,
        "System does not support 'bogus' encoding. Line 1, position 31.",
        -2146232000,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            '{"email": "alice@example.com", "name": "\\ud800"}',
            "The surrogate pair is invalid. Missing a low surrogate character.",
            id="lone-surrogate",
        ),
        pytest.param(
            '{"email": "alice@example.com", "name": "a\\u0001b"}',
            "'\x01', hexadecimal value 0x01, is an invalid character.",
            id="control-character",
        ),
    ],
)
def test_a_name_xml_cannot_carry_is_refused_and_every_xml_answer_still_parses(url, alice, body, message):
    before = accounts_of(url, alice)[0]
    response = requests.put(
        url + ACCOUNTS, data=body, headers=alice | {"Content-Type": "application/json"}, timeout=5
    )
    assert error_of(response) == (400, message, -2147024809)
    after, as_xml = accounts_of(url, alice)
    assert after == before
    assert as_xml.findtext("response/name") == "Alice"


def test_a_control_character_in_a_form_field_is_refused_too(url, alice):
    body = {"email": "alice@example.com", "name": "Alice", "server": "imap\x0b.example.com"}
    response = requests.put(url + ACCOUNTS, data=body, headers=alice, timeout=5)
    assert error_of(response) == (
        400,
        "'\x0b', hexadecimal value 0x0B, is an invalid character.",
        -2147024809,
    )


def test_an_xml_error_echoing_a_control_character_still_parses(url, alice):
    response = requests.put(
        url + ACCOUNTS + ".xml",
        data={"email": "alice@example.com", "auth_type_in": "x\x01"},
        headers=alice,
        timeout=5,
    )
    assert response.status_code == 400
    assert (
        ElementTree.fromstring(response.content).findtext("error/message")
        == "Requested value 'x\ufffd' was not found."
    )


def test_a_long_malformed_email_is_the_real_500_at_once_and_blocks_no_one(url, alice):
    email = " " * 4000 + "x"  # the display-name regex took seconds on this, holding up every client
    started = time.perf_counter()
    response = requests.put(url + ACCOUNTS, json={"email": email}, headers=alice, timeout=5)
    assert error_of(response) == (500, BAD_EMAIL_MESSAGE, -2146233033)
    assert time.perf_counter() - started < 1


def test_a_fault_on_email_reads_a_long_email_at_once_without_a_token(url, alice):
    fault = {"name": "flaky", "match": {"email": "flaky@example.com"}, "respond": "server_error"}
    assert requests.post(url + "/_mockmail/faults", json=fault, timeout=5).status_code in (200, 201)
    answers: list[int] = []
    email = " " * 4000 + "<" + " " * 4000 + "x"
    sender = threading.Thread(
        target=lambda: answers.append(
            requests.put(url + ACCOUNTS, data={"email": email}, timeout=5).status_code
        )
    )
    started = time.perf_counter()
    sender.start()
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200  # answered meanwhile
    sender.join()
    assert answers == [401]  # no fault matched a malformed email; no token: the real 401
    assert time.perf_counter() - started < 1
