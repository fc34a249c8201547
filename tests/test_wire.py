"""The wire format's text: Json.NET's escaping, the envelope's rules, XML, the docs style."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import requests

from mockmail import MockMailServer
from mockmail.wire import docs_style, envelope, render_json, render_xml

ROOT_SCENARIOS = __import__("pathlib").Path(__file__).resolve().parent.parent / "scenarios"


def test_slashes_and_control_characters_are_escaped_as_json_net_does():
    text = render_json({"m": '<br/>a\r\nb\t"c"\\n\x01é'}).decode()
    assert text == '{"m":"<br\\/>a\\u000d\\u000ab\\u0009\\"c\\"\\\\n\\u0001é"}'
    assert json.loads(text) == {"m": '<br/>a\r\nb\t"c"\\n\x01é'}


def test_characters_beyond_the_bmp_are_surrogate_pairs_and_the_rest_is_raw():
    assert render_json({"m": "😀\ufffeé<&'"}) == '{"m":"\\ud83d\\ude00\\ufffeé<&\'"}'.encode()


def test_the_envelope_leaves_out_a_zero_count():
    assert list(envelope([])) == ["status", "statusCode", "response"]
    assert envelope([1, 2])["count"] == 2
    assert envelope({"a": 1}, 201) == {"count": 1, "status": 0, "statusCode": 201, "response": {"a": 1}}


def test_xml_repeats_list_items_and_closes_empty_elements():
    assert render_xml({"response": [{"a": 1}, {"a": None}], "ok": True, "s": "x<y"}).decode() == (
        "<result><response><a>1</a></response><response><a /></response><ok>true</ok><s>x&lt;y</s></result>"
    )


def test_docs_style_is_pascal_case_with_date_created_as_a_list():
    assert docs_style(
        {"mailboxId": 1, "signature": {"isActive": False}, "dateCreated": "2024-01-01T00:00:00"}
    ) == {
        "MailboxId": 1,
        "Signature": {"IsActive": False},
        "DateCreated": ["2024-01-01T00:00:00"],
    }


def test_docs_style_server_answers_the_bare_object_and_keeps_the_error_envelope():
    with MockMailServer(ROOT_SCENARIOS / "docs-style.yaml") as server:
        headers = {"Authorization": "erin-token"}
        ok = requests.put(
            server.url + "/api/2.0/mail/accounts",
            json={"email": "erin@example.com", "name": "E"},
            headers=headers,
            timeout=5,
        )
        error = requests.put(server.url + "/api/2.0/mail/accounts", json={}, headers=headers, timeout=5)
    assert ok.status_code == 200
    assert list(ok.json())[:4] == ["MailboxId", "Email", "Enabled", "Name"]
    assert ok.json()["DateCreated"] == []
    assert error.json()["statusCode"] == 400


def test_xml_writes_what_xml_cannot_carry_as_the_replacement_character():
    text = render_xml({"message": "Requested value 'a\x01\ud800\ufffeb' was not found."}).decode()
    assert text == "<result><message>Requested value 'a\ufffd\ufffd\ufffdb' was not found.</message></result>"
    assert (
        ElementTree.fromstring(text).findtext("message")
        == "Requested value 'a\ufffd\ufffd\ufffdb' was not found."
    )
