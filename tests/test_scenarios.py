"""Scenario files: the examples load and mean what they say; bad files give located errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest
import requests
import yaml

from mockmail import MockMailServer, ScenarioError, load_scenario, parse_scenario, yaml_loading
from mockmail.scenarios import default_scenario, schema

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "scenarios" / "basic.yaml").read_text(encoding="utf-8")
ACCOUNTS = "/api/2.0/mail/accounts"
# Scenarios are read with libyaml when PyYAML has it; its parser words a syntax error its own way.
UNCLOSED_LIST = (
    "did not find expected ',' or ']'"
    if yaml.__with_libyaml__
    else "expected ',' or ']', but got '<stream end>'"
)


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


def test_every_example_names_the_schema_for_editors_by_a_path_that_leads_to_it():
    for path in (ROOT / "scenarios").glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../mockmail/scenario.schema.json", path
        assert (path.parent / first.split("=", 1)[1]).resolve() == ROOT / "mockmail" / "scenario.schema.json"
    assert schema()["$id"] == "scenario.schema.json"  # resolves to the file itself, wherever it is


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
        == "FILE: users[0].accounts[0].port: expected an integer, got 'imap' (line 16)"
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
            f"FILE: invalid YAML: {UNCLOSED_LIST} (line 3, column 1)",
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


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "---\n"])
def test_an_empty_file_is_a_located_error(write_scenario, text):
    assert (
        error_for(write_scenario, text)
        == "FILE: the scenario is empty: expected a mapping with users (line 1)"
    )


def test_a_mapping_without_users_is_still_a_scenario(write_scenario):
    assert load_scenario(write_scenario("seed: 1\n")).users == ()


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


# --- reading YAML: libyaml, bounded aliases and nesting, every value as safe_load reads it ------

BOMB = "".join(
    f"{level}: &{level} [{', '.join([f'*{previous}'] * 9 if previous else ['lol'] * 9)}]\n"
    for previous, level in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)  # "billion laughs": 9 levels of 9 aliases each, 10^9 values written out


def test_scenarios_are_read_with_libyaml_when_pyyaml_has_it():
    assert yaml_loading.LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenarios read with libyaml, and with PyYAML's own parser, as where PyYAML was built without it."""
    if request.param == "pure-python":
        monkeypatch.setattr(yaml_loading, "LOADER", yaml.SafeLoader)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")


@pytest.mark.usefixtures("loader")
def test_the_data_is_what_yaml_safe_load_reads():
    text = (
        "users:\n  - &u {name: 'a', password: 0x1F, token: ~, accounts: [{email: a@b.c, port: 017}]}\n"
        "  - {<<: *u, name: b}\n  - {<<: [{token: t1}, {password: x}], name: c}\n"
        "seed: 1_000\nstyle: !!str wire\nversion: +1\ndates: [2024-01-02, 2024-01-02T03:04:05Z, yes, Off, .5, 1:30]\n"
        "block: |\n  text\n  more\n'quoted key': \"\\u00e9\"\n"
    )
    assert yaml_loading.load_yaml(text) == yaml.safe_load(text)
    for path in (ROOT / "scenarios").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert yaml_loading.load_yaml(text) == yaml.safe_load(text), path


def test_a_merge_of_several_mappings_takes_a_key_from_the_first_that_has_it():
    # As the YAML merge key spec says (PyYAML 6.0.4's own constructor takes it from the last).
    text = "a: {<<: [{x: 1, y: 1}, {x: 2, z: 2}], y: 3}\n"
    assert yaml_loading.load_yaml(text) == {"a": {"x": 1, "y": 3, "z": 2}}


@pytest.mark.usefixtures("loader")
def test_an_alias_bomb_is_refused_at_once(write_scenario):
    started = time.perf_counter()
    assert (
        error_for(write_scenario, BOMB)
        == "FILE: f[0]: aliases repeat more than 100,000 values (the alias *e here) (line 6)"
    )
    assert time.perf_counter() - started < 1


def test_aliases_repeating_a_long_string_count_by_its_size(write_scenario):
    text = f"users:\n  - name: &n {'x' * 1_000_000}\n" + "  - name: *n\n" * 200
    assert error_for(write_scenario, text).endswith(
        "users[103].name: aliases repeat more than 100,000 values (the alias *n here) (line 105)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "users: [{name: a}]\nseed: &s [1, *s]\n",
            "FILE: seed[1]: the alias *s is inside the value it names (line 2)",
            id="recursive-alias",
        ),
        pytest.param(
            "users: *people\n",
            "FILE: users: no anchor &people before the alias *people (line 1)",
            id="no-anchor",
        ),
        pytest.param(
            "users:\n" + "  - " * 3 + "{a: " * 70 + "1" + "}" * 70 + "\n",
            "FILE: users[0][0][0]" + ".a" * 60 + ": nested more than 64 levels deep (line 2)",
            id="deep-mappings",
        ),
        pytest.param(
            "seed: " + "1" * 5000 + "\n",
            "FILE: seed: an integer of more than 4300 digits (line 1)",
            id="huge-decimal",
        ),
        pytest.param(
            "users:\n  - name: a\n    accounts: [{email: a@b.c, port: 0x" + "f" * 4000 + "}]\n",
            "FILE: users[0].accounts[0].port: an integer of more than 4300 digits (line 3)",
            id="huge-hex",
        ),
        pytest.param(
            "users:\n  - {name: a, accounts: [{email: a@b.c, date_created: 2024-13-45}]}\n",
            "FILE: users[0].accounts[0].date_created: '2024-13-45' is not a timestamp: month must be in 1..12 (line 2)",
            id="impossible-date",
        ),
        pytest.param(
            "users: !!set {a}\n",
            "FILE: users: the tag 'tag:yaml.org,2002:set' is not used in scenarios (line 1)",
            id="set-tag",
        ),
        pytest.param(
            "seed: !env SEED\n",
            "FILE: seed: the tag '!env' is not used in scenarios (line 1)",
            id="unknown-tag",
        ),
        pytest.param(
            "users:\n  - {[a]: 1}\n",
            "FILE: users[0]: a mapping key must be a plain value (line 2)",
            id="list-key",
        ),
        pytest.param(
            "users:\n  - {<<: 5, name: a}\n",
            "FILE: users[0]: '<<' expects a mapping or a list of mappings (line 2)",
            id="merge-of-a-number",
        ),
        pytest.param(
            "users:\n  - {name: <<}\n",
            "FILE: users[0].name: '<<' merges only as a key (line 2)",
            id="merge-as-value",
        ),
        pytest.param(
            "users: []\n---\nusers: []\n",
            "FILE: expected a single document, but found another (line 2)",
            id="two-documents",
        ),
    ],
)
def test_yaml_a_scenario_cannot_be_made_of_is_refused_with_the_file_and_line(write_scenario, text, message):
    assert error_for(write_scenario, text) == message


def test_a_deep_flow_list_is_refused_by_the_parser_with_the_file(write_scenario):
    message = error_for(write_scenario, "users: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert message.startswith("FILE: ")
    assert "nest" in message
    assert "(line 1" in message


def test_a_problem_late_in_a_large_scenario_has_its_line(write_scenario):
    accounts = "".join(f"      - {{email: box{n}@example.com, port: 993}}\n" for n in range(2000))
    text = "users:\n  - name: a\n    accounts:\n" + accounts + "      - {email: last@example.com, port: x}\n"
    assert (
        error_for(write_scenario, text)
        == "FILE: users[0].accounts[2000].port: expected an integer, got 'x' (line 2004)"
    )


# --- faults: every field checked, each bad one named --------------------------------------------

HUGE = "9" * 30  # 100 bits


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        pytest.param(
            "{delay_ms: abc}",
            "faults[0].respond.delay_ms: expected a number, got 'abc' (line 2)",
            id="delay-text",
        ),
        pytest.param(
            "{kind: nonsense}",
            "faults[0].respond.kind: expected one of 'unauthorized', 'expire_token', 'server_error', 'payment_required', 'forbidden', 'unavailable', 'login_failed', 'reset', 'empty', 'truncated', 'malformed_json', got 'nonsense' (line 2)",
            id="kind",
        ),
        pytest.param(
            "{status: true}",
            "faults[0].respond.status: expected an integer, got true (line 2)",
            id="status-bool",
        ),
        pytest.param(
            "{message: 5}", "faults[0].respond.message: expected a string, got 5 (line 2)", id="message"
        ),
        pytest.param("{}", "faults[0].respond: must not be empty (line 2)", id="empty"),
        pytest.param(
            "{delay_ms: .inf}",
            "faults[0].respond.delay_ms: expected a finite number, got inf (line 2)",
            id="delay-infinite",
        ),
        pytest.param(
            "{delay_ms: 1.0e+308}",
            "faults[0].respond.delay_ms: expected at most 3600000, got 1e+308 (line 2)",
            id="delay-huge",
        ),
        pytest.param(
            "{jitter_ms: 3600001}",
            "faults[0].respond.jitter_ms: expected at most 3600000, got 3600001 (line 2)",
            id="jitter-over-an-hour",
        ),
        pytest.param(
            "{hresult: 2147483648}",
            "faults[0].respond.hresult: expected at most 2147483647, got 2147483648 (line 2)",
            id="hresult-int32",
        ),
        pytest.param(
            '{headers: {Retry-After: "2\\r\\nSet-Cookie: a=b"}}',
            "faults[0].respond.headers['Retry-After']: expected a header value (no control characters, no space at either end), got '2\\r\\nSet-Cookie: a=b' (line 2)",
            id="header-value-newline",
        ),
        pytest.param(
            '{headers: {X-A: "a\\n"}}',
            "faults[0].respond.headers['X-A']: expected a header value (no control characters, no space at either end), got 'a\\n' (line 2)",
            id="header-value-trailing-newline",
        ),
        pytest.param(
            '{headers: {"X A": "1"}}',
            "faults[0].respond.headers: expected a header name (letters, digits and !#$%&'*+-.^_`|~), got 'X A' (line 2)",
            id="header-name",
        ),
        pytest.param(
            '{headers: {Content-Length: "3"}}',
            "faults[0].respond.headers['Content-Length']: Content-Length is the server's to set: a fault's would break the answer's framing (line 2)",
            id="framing-header",
        ),
    ],
)
def test_a_bad_respond_field_is_named_with_its_path_and_line(write_scenario, fault, message):
    assert error_for(write_scenario, f"faults:\n  - respond: {fault}\n") == f"FILE: {message}"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("probability: .nan", "probability: expected a finite number, got nan"),
        ("probability: -.inf", "probability: expected a finite number, got -inf"),
        ("after_seconds: 86401", "after_seconds: expected at most 86400, got 86401"),
        ("times: 2147483648", "times: expected at most 2147483647, got 2147483648"),
        (f"every: {HUGE}", "every: expected at most 2147483647, got an integer of 100 bits"),
        (
            "name: /slow",
            "name: expected a fault name (no control characters, no leading /, no . or .. between slashes), got '/slow'",
        ),
        (
            "name: a/../b",
            "name: expected a fault name (no control characters, no leading /, no . or .. between slashes), got 'a/../b'",
        ),
    ],
)
def test_a_bad_fault_field_is_named_with_its_path_and_line(write_scenario, field, message):
    text = f"faults:\n  - respond: reset\n    {field}\n"
    assert error_for(write_scenario, text) == f"FILE: faults[0].{message} (line 3)"


def test_every_pattern_refuses_a_trailing_newline():
    # JSON Schema's patterns are ECMA-262's, where $ is the end; Python's $ also matches before a final
    # newline, so each pattern ending in $ says (?!\n) too.
    patterns = []

    def collect(part: object) -> None:
        if isinstance(part, dict):
            if isinstance(part.get("pattern"), str):
                patterns.append(part["pattern"])
            for value in part.values():
                collect(value)
        elif isinstance(part, list):
            for value in part:
                collect(value)

    collect(schema())
    assert len(patterns) >= 5
    assert [pattern for pattern in patterns if "$" in pattern and not pattern.endswith("$(?!\\n)")] == []


def test_cors_origins_are_read_and_checked(write_scenario):
    text = "cors_origins: ['*', 'http://localhost:3000', 'https://ui.example.test/']\n"
    assert load_scenario(write_scenario(text)).cors_origins == (
        "*",
        "http://localhost:3000",
        "https://ui.example.test/",
    )
    expected = "expected an origin: * or scheme://host[:port] in visible ASCII, as http://localhost:3000"
    bad = 'cors_origins:\n  - http://localhost:3000/app\n  - "http://caf\\u00e9.test"\n  - localhost\n'
    assert error_for(write_scenario, bad).splitlines() == [
        f"FILE: cors_origins[0]: {expected}, got 'http://localhost:3000/app' (line 2)",
        f"FILE: cors_origins[1]: {expected}, got 'http://café.test' (line 3)",
        f"FILE: cors_origins[2]: {expected}, got 'localhost' (line 4)",
    ]
    assert load_scenario(write_scenario("users: []\n")).cors_origins == ()


def test_a_fault_may_be_declared_disabled_and_enabled_is_checked(write_scenario):
    scenario = load_scenario(
        write_scenario("faults:\n  - {respond: reset, enabled: false}\n  - respond: reset\n")
    )
    assert [fault.enabled for fault in scenario.faults] == [False, True]
    text = "faults:\n  - respond: reset\n    enabled: 'no'\n"
    assert (
        error_for(write_scenario, text)
        == "FILE: faults[0].enabled: expected true or false, got 'no' (line 3)"
    )


def test_basic_challenge_is_read_and_checked(write_scenario):
    assert load_scenario(write_scenario("basic_challenge: false\n")).basic_challenge is False
    assert load_scenario(write_scenario("users: []\n")).basic_challenge is True
    assert (
        error_for(write_scenario, "users: []\nbasic_challenge: 0\n")
        == "FILE: basic_challenge: expected true or false, got 0 (line 2)"
    )


def test_a_scenario_from_a_file_remembers_its_path_and_others_have_none(write_scenario):
    path = write_scenario("users: []\n")
    assert load_scenario(path).path == path
    assert load_scenario(str(path)).source == str(path)
    assert default_scenario().path is None
    assert parse_scenario("users: []\n", str(path)).path is None
