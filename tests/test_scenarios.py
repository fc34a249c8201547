"""Scenario files: the examples load and mean what they say; bad files give located errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

from mockmail import MockMailServer, ScenarioError, load_scenario, parse_scenario
from mockmail.scenarios import default_scenario, schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "scenarios" / "basic.yaml").read_text(encoding="utf-8")
ACCOUNTS = "/api/2.0/mail/accounts"


def error_for(write_scenario, text: str) -> str:
    path = write_scenario(text)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    return str(raised.value).replace(str(path), "FILE")


def test_every_example_scenario_loads():
    examples = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert len(examples) >= 3
    for path in examples:
        assert load_scenario(path).users


def test_the_bundled_default_is_the_documented_example():
    assert default_scenario().users == parse_scenario(EXAMPLE).users


def test_the_example_means_what_its_comments_say():
    scenario = parse_scenario(EXAMPLE)
    alice, bob = scenario.users
    assert (alice.name, alice.password, alice.token, alice.default_account) == (
        "alice",
        "alice-password",
        "864FE52C-1C1C-469F-9308-51DAFEFE7436",
        "alice@example.com",
    )
    assert alice.accounts[0].port == 993
    assert alice.accounts[1].teamlab
    assert (bob.password, bob.accounts[0].enabled) == (None, False)
    assert [(s.host, s.port) for s in scenario.mail_servers] == [
        ("imap.example.com", 993),
        ("smtp.example.com", 465),
    ]


def test_team_example_lists_its_extras_over_http():
    with MockMailServer(ROOT / "scenarios" / "team.yaml") as server:
        body = requests.get(server.url + ACCOUNTS, headers={"Authorization": "carol-token"}, timeout=5).json()
    mailbox, alias, archive = body["response"]  # each mailbox, then its aliases
    assert (mailbox["mailboxId"], mailbox["signature"]["html"], mailbox["signature"]["isActive"]) == (
        101,
        "<p>Carol, Team Lead</p>",
        True,
    )
    assert (mailbox["autoreply"]["turnOn"], mailbox["autoreply"]["subject"]) == (True, "Out of office")
    assert mailbox["dateCreated"] == "2023-05-17T09:30:00"
    assert (archive["enabled"], archive["quotaError"]) == (False, True)
    assert (alias["email"], alias["isAlias"], alias["mailboxId"], alias["dateCreated"]) == (
        "support@team.example.com",
        True,
        101,
        None,
    )


def test_team_example_pop3_login_failure_uses_the_servers_own_answer():
    with MockMailServer(ROOT / "scenarios" / "team.yaml") as server:
        response = requests.put(
            server.url + ACCOUNTS,
            json={
                "email": "carol.archive@example.net",
                "account": "carol.archive@example.net",
                "server": "pop.example.net",
                "port": 995,
                "password": "bad",
            },
            headers={"Authorization": "carol-token"},
            timeout=5,
        )
    assert (
        response.json()["error"]["message"]
        == '<span class="attempt_header">POP3 response:</span><br/>Pop3.ConnectAsync timeout'
    )


def test_a_bad_value_names_file_path_and_line(write_scenario):
    text = EXAMPLE.replace("port: 993\n", "port: imap\n", 1)
    assert (
        error_for(write_scenario, text)
        == "FILE: users[0].accounts[0].port: expected an integer, got 'imap' (line 14)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "users:\n  - name: a\n    tokne: t\n",
            "FILE: users[0].tokne: unknown key 'tokne' (allowed: name, password, token, accounts, default_account) (line 3)",
            id="unknown-key",
        ),
        pytest.param(
            "users:\n  - token: t\n", "FILE: users[0]: missing key 'name' (line 2)", id="missing-key"
        ),
        pytest.param(
            "style: xml\n", "FILE: style: expected one of 'wire', 'docs', got 'xml' (line 1)", id="bad-style"
        ),
        pytest.param("version: 2\n", "FILE: version: expected one of 1, got 2 (line 1)", id="bad-version"),
        pytest.param(
            "users:\n  - name: a\n    accounts:\n      - email: not-an-email\n",
            "FILE: users[0].accounts[0].email: expected an email address, got 'not-an-email' (line 4)",
            id="bad-email",
        ),
        pytest.param(
            "users:\n  - name: a\n    accounts:\n      - {email: a@b.c, auth_type_in: Plain}\n",
            "FILE: users[0].accounts[0].auth_type_in: expected an integer or one of 'None', 'Login', 'CramMd5', 'OAuth2', 'Ntlm', got 'Plain' (line 4)",
            id="bad-enum",
        ),
        pytest.param(
            "mail_servers:\n  - {host: h, port: 70000}\n",
            "FILE: mail_servers[0].port: expected at most 65535, got 70000 (line 2)",
            id="port-out-of-range",
        ),
        pytest.param(
            "users: {}\n", "FILE: users: expected a list, got a mapping (line 1)", id="users-not-a-list"
        ),
        pytest.param("- a\n", "FILE: expected a mapping, got a list (line 1)", id="top-level-list"),
        pytest.param(
            "users:\n  - name: a\n    name: b\n",
            "FILE: users[0]: duplicate key 'name' (line 3)",
            id="duplicate-key",
        ),
        pytest.param(
            "users:\n  - {name: a, token: t}\n  - {name: b, token: t}\n",
            "FILE: users[1].token: token already used by user 'a' (line 3)",
            id="duplicate-token",
        ),
        pytest.param(
            "users:\n  - {name: a}\n  - {name: A}\n",
            "FILE: users[1].name: duplicate user 'A' (also users[0]) (line 3)",
            id="duplicate-user",
        ),
        pytest.param(
            "users:\n  - name: a\n    default_account: x@y.z\n",
            "FILE: users[0].default_account: 'x@y.z' is not one of 'a''s accounts (line 3)",
            id="default-not-owned",
        ),
        pytest.param(
            "users:\n  - name: a\n    accounts:\n      - {email: a@b.c, mailbox_id: 3}\n      - {email: d@b.c, mailbox_id: 3}\n",
            "FILE: users[0].accounts[1].mailbox_id: duplicate mailbox_id 3 (line 5)",
            id="duplicate-id",
        ),
        pytest.param(
            "mail_servers:\n  - {host: h, port: 1, logins: {u@x: 5}}\n",
            "FILE: mail_servers[0].logins['u@x']: expected a string, got 5 (line 2)",
            id="non-identifier-key",
        ),
        pytest.param(
            "users:\n  - name: [a\n",
            "FILE: invalid YAML: expected ',' or ']', but got '<stream end>' (line 3, column 1)",
            id="yaml-syntax",
        ),
    ],
)
def test_bad_scenarios_are_refused_with_a_located_message(write_scenario, text, message):
    assert error_for(write_scenario, text) == message


def test_every_problem_is_listed_in_line_order(write_scenario):
    text = "users:\n  - name: a\n    accounts:\n      - {email: a@b.c, port: x}\n  - nme: b\nstyle: html\n"
    assert error_for(write_scenario, text).splitlines() == [
        "FILE: users[0].accounts[0].port: expected an integer, got 'x' (line 4)",
        "FILE: users[1].nme: unknown key 'nme' (allowed: name, password, token, accounts, default_account) (line 5)",
        "FILE: users[1]: missing key 'name' (line 5)",
        "FILE: style: expected one of 'wire', 'docs', got 'html' (line 6)",
    ]


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match=r"nope\.yaml: no such scenario file$"):
        load_scenario(tmp_path / "nope.yaml")


def test_an_empty_file_is_a_scenario_with_no_users(write_scenario):
    assert load_scenario(write_scenario("# nothing yet\n")).users == ()


def test_yaml_merge_keys_work_and_are_located(write_scenario):
    text = (
        "users:\n  - name: a\n    accounts:\n"
        "      - &imap {email: a@b.c, server: imap.b.c, port: 993}\n"
        "      - {<<: *imap, email: d@b.c}\n"
    )
    scenario = load_scenario(write_scenario(text))
    assert [(a.email, a.server, a.port) for a in scenario.users[0].accounts] == [
        ("a@b.c", "imap.b.c", 993),
        ("d@b.c", "imap.b.c", 993),
    ]


def test_tokens_are_derived_from_the_name_when_omitted():
    first = parse_scenario("users: [{name: a}, {name: b}]").users
    again = parse_scenario("users: [{name: a}]").users
    assert first[0].token == again[0].token != first[1].token


def test_the_published_schema_is_valid_and_is_the_one_enforced():
    published = json.loads((ROOT / "mockmail" / "scenario.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(published)
    assert schema() == published
    for path in (ROOT / "scenarios").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), published)
