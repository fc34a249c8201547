"""Record and replay over real HTTP, with a second mockmail playing the real portal (the upstream)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
import requests
import yaml
from click.testing import CliRunner
from stub_portal import StubPortal
from werkzeug.serving import make_server

from mockmail import MockMailServer, create_app, load_scenario
from mockmail.cli import main
from mockmail.recording import RecordingError, cache_path, load_recording, save_recording
from mockmail.redaction import SecretLeak
from mockmail.replay import Replay, check_record_mode

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = "/api/2.0/mail/accounts"
AUTHENTICATION = "/api/2.0/authentication"
TOKEN = "864FE52C-1C1C-469F-9308-51DAFEFE7436"
SECRETS = [TOKEN, "alice-password", "imap-secret", "smtp-secret", "bob-token"]
ALICE_UPDATE = {
    "email": "alice@example.com",
    "name": "Alice L",
    "account": "alice@example.com",
    "password": "imap-secret",
    "server": "imap.example.com",
    "port": 993,
    "smtp_account": "alice@example.com",
    "smtp_password": "smtp-secret",
    "smtp_server": "smtp.example.com",
    "smtp_port": 465,
    "smtp_auth": True,
}


@pytest.fixture
def upstream() -> Iterator[MockMailServer]:
    """A mockmail playing the real portal."""
    with MockMailServer() as server:
        yield server


def closed_port() -> str:
    """The URL of a port nothing listens on: an upstream that must never be contacted."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def session(url: str) -> list[requests.Response]:
    """A client session: log in, update, list, a 401 and a 500."""
    login = requests.post(
        url + AUTHENTICATION, data={"userName": "alice", "password": "alice-password"}, timeout=5
    )
    token = login.json()["response"]["token"]
    alice = {"Authorization": token}
    return [
        login,
        requests.put(url + ACCOUNTS + ".json?__=123456", json=ALICE_UPDATE, headers=alice, timeout=5),
        requests.get(url + ACCOUNTS, headers=alice, timeout=5),
        requests.put(
            url + ACCOUNTS,
            json={"email": "alice@example.com"},
            headers={"Authorization": "bob-token-expired"},
            timeout=5,
        ),
        requests.put(
            url + ACCOUNTS, json={"email": "nobody@example.com"}, cookies={"asc_auth_key": TOKEN}, timeout=5
        ),
    ]


def answers(responses: list[requests.Response]) -> list[tuple[int, object]]:
    parsed: list[tuple[int, object]] = []
    for response in responses:
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        body = response.json() if is_json else response.text
        if isinstance(body, dict) and isinstance(body.get("response"), dict) and "token" in body["response"]:
            # A replayed login answers the redacted token (any token matches on replay), and the
            # expiry it was recorded with.
            body["response"] = {"token": "TOKEN"}
        parsed.append((response.status_code, body))
    return parsed


def record(
    path: Path, upstream: MockMailServer, mode: str = "all", **options: object
) -> tuple[list[requests.Response], Replay]:
    replay = Replay(path, mode=mode, upstream=upstream.url, **options)  # type: ignore[arg-type]
    with MockMailServer(replay=replay) as proxy:
        return session(proxy.url), replay


def test_a_recorded_session_replays_offline_with_the_same_answers(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    recorded, _ = record(path, upstream)
    assert [response.status_code for response in recorded] == [201, 200, 200, 401, 500]
    upstream.stop()  # offline from here on
    with MockMailServer(replay=Replay(path)) as offline:
        replayed = session(offline.url)
    assert answers(replayed) == answers(recorded)


def test_the_proxy_returns_the_upstreams_answers_unchanged(tmp_path: Path, upstream: MockMailServer):
    recorded, _ = record(tmp_path / "session.yaml", upstream)
    upstream.reset()
    direct = session(upstream.url)
    assert answers(recorded) == answers(direct)
    assert recorded[3].text == "Unauthorized"
    assert recorded[3].headers["WWW-Authenticate"].startswith("Basic Realm=")


def test_no_secret_of_the_session_is_in_the_file(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    for written in (path, cache_path(path)):
        data = written.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in data, (written, secret)
    text = path.read_text()
    assert "<redacted:password>" in text
    assert "<redacted:smtp_password>" in text
    assert "<redacted:token>" in text
    assert "asc_auth_key=<redacted:cookie>" in text


def test_a_recording_is_reviewable_yaml(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    document = yaml.safe_load(path.read_text())
    assert document["version"] == 1
    put = document["interactions"][1]
    assert put["request"]["body"]["name"] == "Alice L"  # a JSON body as a YAML mapping
    assert put["response"]["body"]["response"]["mailboxId"] == 1
    for interaction in document["interactions"]:
        names = {name.lower() for name in interaction["response"]["headers"]}
        assert not names & {"date", "server", "content-length"}


def test_the_json_cache_is_used_only_for_the_yaml_it_was_made_from(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    assert cache_path(path).exists()
    path.write_text(path.read_text().replace("name: Alice L", "name: Edited By Hand"), encoding="utf-8")
    (_, put, *_) = load_recording(path).interactions
    assert isinstance(put.request.body, dict)
    assert put.request.body["name"] == "Edited By Hand"
    cache_path(path).write_text("not json", encoding="utf-8")
    assert len(load_recording(path).interactions) == 5


def test_a_planted_secret_is_refused_and_nothing_is_written(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "leak.yaml"
    replay = Replay(path, mode="all", upstream=upstream.url)
    with MockMailServer(replay=replay) as proxy:
        # The IMAP password also sent as the display name: redaction cannot know, the check does.
        body = ALICE_UPDATE | {"name": "imap-secret"}
        response = requests.put(proxy.url + ACCOUNTS, json=body, headers={"Authorization": TOKEN}, timeout=5)
    assert response.status_code == 502
    assert "refusing to write" in response.json()["mockmail"]
    assert not path.exists()
    assert not cache_path(path).exists()
    assert len(replay.problems) == 1


def test_kill_9_while_recording_leaves_a_loadable_file(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "killed.yaml"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mockmail",
            "record",
            "--upstream",
            upstream.url,
            "--out",
            str(path),
            "--port",
            "0",
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("mockmail serving on http://127.0.0.1:")
        url = first.removeprefix("mockmail serving on ")
        for index in range(5):
            requests.put(
                url + ACCOUNTS,
                json={"email": "bob@example.com", "name": f"b{index}"},
                headers={"Authorization": "bob-token"},
                timeout=5,
            )
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    assert len(load_recording(path).interactions) == 5
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file left behind


def test_a_miss_names_the_closest_request_and_each_difference(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    with MockMailServer(replay=Replay(path)) as offline:
        body = ALICE_UPDATE | {"name": "Robert", "port": 143}
        response = requests.put(
            offline.url + ACCOUNTS, json=body, headers={"Authorization": "any"}, timeout=5
        )
    assert response.status_code == 404
    assert response.headers["X-Mockmail"] == "replay-miss"
    miss = response.json()
    assert miss["closest"]["path"] == ACCOUNTS + ".json"
    assert miss["differences"] == [
        {"field": "body.name", "recorded": "Alice L", "received": "Robert"},
        {"field": "body.port", "recorded": "993", "received": "143"},
    ]


def test_redacted_values_and_credentials_match_whatever_the_client_sends(
    tmp_path: Path, upstream: MockMailServer
):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    with MockMailServer(replay=Replay(path)) as offline:
        other_secrets = ALICE_UPDATE | {"password": "another", "smtp_password": "and-another"}
        with_credentials = requests.put(
            offline.url + ACCOUNTS + ".json?__=999",
            json=other_secrets,
            headers={"Authorization": "Bearer x"},
            timeout=5,
        )
        without = requests.put(offline.url + ACCOUNTS + ".json", json=other_secrets, timeout=5)
    assert with_credentials.status_code == 200
    assert without.status_code == 404
    assert {"field": "credentials", "recorded": True, "received": False} in without.json()["differences"]


def test_identical_requests_replay_in_order_then_the_last_again(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "twice.yaml"
    replay = Replay(path, mode="all", upstream=upstream.url)
    upstream.add_fault({"times": 1, "respond": "unavailable"})
    with MockMailServer(replay=replay) as proxy:
        statuses = [
            requests.get(proxy.url + ACCOUNTS, headers={"Authorization": TOKEN}, timeout=5).status_code
            for _ in range(2)
        ]
    assert statuses == [503, 200]
    with MockMailServer(replay=Replay(path)) as offline:
        again = [
            requests.get(offline.url + ACCOUNTS, headers={"Authorization": TOKEN}, timeout=5).status_code
            for _ in range(3)
        ]
    assert again == [503, 200, 200]


def test_mode_none_never_touches_the_network(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    with MockMailServer(replay=Replay(path, mode="none", upstream=closed_port())) as offline:
        miss = requests.put(
            offline.url + ACCOUNTS,
            json={"email": "new@example.com"},
            headers={"Authorization": TOKEN},
            timeout=5,
        )
    assert miss.status_code == 404  # not a 502 from trying the closed upstream
    with pytest.raises(RecordingError, match="no such recording"):
        Replay(tmp_path / "missing.yaml")


def test_mode_once_records_a_missing_file_then_only_replays(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "once.yaml"
    record(path, upstream, mode="once")
    size = len(load_recording(path).interactions)
    with MockMailServer(replay=Replay(path, mode="once", upstream=closed_port())) as offline:
        assert session(offline.url)[1].status_code == 200
        miss = requests.get(offline.url + "/api/2.0/mail/other", headers={"Authorization": TOKEN}, timeout=5)
    assert miss.status_code == 404
    assert len(load_recording(path).interactions) == size


def test_mode_new_replays_what_matches_and_records_the_rest(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "new.yaml"
    record(path, upstream)
    before = len(load_recording(path).interactions)
    replay = Replay(path, mode="new", upstream=upstream.url)
    with MockMailServer(replay=replay) as proxy:
        session(proxy.url)
        extra = requests.put(
            proxy.url + ACCOUNTS,
            json={"email": "bob@example.com", "name": "New"},
            headers={"Authorization": "bob-token"},
            timeout=5,
        )
    assert extra.status_code == 200
    assert len(load_recording(path).interactions) == before + 1
    assert [entry.path for entry in upstream.journal()][-1] == ACCOUNTS


def test_mode_all_records_everything_again(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "all.yaml"
    record(path, upstream)
    upstream.reset()
    record(path, upstream)
    assert len(upstream.journal()) == 5  # every request went upstream again
    assert len(load_recording(path).interactions) == 5  # and the file holds this run only


def test_a_misspelled_mode_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"^'nwe' is not a record mode; valid: 'none', 'once', 'new', 'all'$"
    ):
        check_record_mode("nwe")


def test_recording_modes_need_an_upstream(tmp_path: Path):
    with pytest.raises(ValueError, match="needs an upstream"):
        Replay(tmp_path / "x.yaml", mode="all")


def test_a_miss_can_fall_through_to_the_stateful_mock(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    with MockMailServer(replay=Replay(path, on_miss="fallthrough")) as server:
        response = requests.put(
            server.url + ACCOUNTS,
            json={"email": "bob@example.com", "name": "Stateful"},
            headers={"Authorization": "bob-token"},
            timeout=5,
        )
    assert response.status_code == 200
    assert response.json()["response"]["name"] == "Stateful"


def test_the_committed_fixture_recording_replays():
    path = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    with MockMailServer(replay=Replay(path)) as offline:
        replayed = session(offline.url)
    assert [response.status_code for response in replayed] == [201, 200, 200, 401, 500]
    assert replayed[1].json()["response"]["name"] == "Alice L"


def test_a_recording_seeds_a_scenario(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    seeded = tmp_path / "seeded.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "mockmail", "scenario", "from-recording", str(path), "--out", str(seeded)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    scenario = load_scenario(seeded)
    (user,) = scenario.users
    accounts = {account.email: account for account in user.accounts}
    assert set(accounts) == {"alice@example.com", "alice@portal.example.com"}
    alice = accounts["alice@example.com"]
    assert (alice.mailbox_id, alice.name, alice.server, alice.port, alice.smtp_auth) == (
        1,
        "Alice L",
        "imap.example.com",
        993,
        True,
    )
    assert accounts["alice@portal.example.com"].teamlab
    assert user.default_account == "alice@example.com"


def test_serve_replay_from_the_command_line(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    process = subprocess.Popen(
        [sys.executable, "-m", "mockmail", "serve", "--port", "0", "--quiet", "--replay", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("mockmail serving on ")
        assert session(url)[1].status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


GOOD = {"request": {"method": "GET", "path": ACCOUNTS}, "response": {"status": 200}}


@pytest.mark.parametrize(
    ("interaction", "message"),
    [
        (
            {"request": {"method": "GET"}, "response": {"status": 200}},
            "interactions[1].request: missing key 'path'",
        ),
        (GOOD | {"reponse": {}}, "interactions[1]: unknown key 'reponse' (allowed: request, response)"),
        (
            {**GOOD, "request": {**GOOD["request"], "bdoy": "x"}},
            "interactions[1].request: unknown key 'bdoy' (allowed: method, path, query, headers, body)",
        ),
        (
            {**GOOD, "response": {"status": "ok"}},
            "interactions[1].response.status: expected an HTTP status (100-599), got 'ok'",
        ),
        (
            {**GOOD, "request": {**GOOD["request"], "path": "api"}},
            "interactions[1].request.path: expected a path starting with '/', got 'api'",
        ),
        (
            {**GOOD, "request": {**GOOD["request"], "headers": {"Cookie": {"a": 1}}}},
            "interactions[1].request.headers.Cookie: expected a text value, got {'a': 1}",
        ),
        (
            {**GOOD, "response": ["status", 200]},
            "interactions[1].response: expected a mapping with status, got ['status', 200]",
        ),
        (
            {**GOOD, "response": {"status": 200, "headers": {"Set-Cookie": ["a=1", {"b": 2}]}}},
            "interactions[1].response.headers.Set-Cookie[1]: expected a text value, got {'b': 2}",
        ),
    ],
)
def test_a_bad_recording_names_the_file_and_the_key(tmp_path: Path, interaction: object, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "interactions": [GOOD, interaction]}), encoding="utf-8")
    with pytest.raises(RecordingError) as error:
        load_recording(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_file_that_is_not_a_recording_is_named(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps({"version": 2}), encoding="utf-8")
    with pytest.raises(RecordingError, match="not a mockmail recording"):
        load_recording(path)


def test_the_upstream_is_asked_for_bodies_a_person_can_read(tmp_path: Path, upstream: MockMailServer):
    seen: list[str] = []

    def remember_encoding() -> None:
        seen.append(flask.request.headers.get("Accept-Encoding", ""))

    upstream.app.before_request(remember_encoding)  # the upstream has answered nothing yet
    path = tmp_path / "plain.yaml"
    with MockMailServer(replay=Replay(path, mode="all", upstream=upstream.url)) as proxy:
        requests.get(
            proxy.url + ACCOUNTS, headers={"Authorization": TOKEN, "Accept-Encoding": "gzip"}, timeout=5
        )
    assert seen == ["identity"]


def test_a_recording_session_records_a_repeated_request_again(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "repeat.yaml"
    with MockMailServer(replay=Replay(path, mode="once", upstream=upstream.url)) as proxy:

        def names() -> list[str]:
            listed = requests.get(proxy.url + ACCOUNTS, headers={"Authorization": "bob-token"}, timeout=5)
            return [item["name"] for item in listed.json()["response"]]

        before = names()
        requests.put(
            proxy.url + ACCOUNTS,
            json={"email": "bob@example.com", "name": "Changed"},
            headers={"Authorization": "bob-token"},
            timeout=5,
        )
        after = names()  # the same GET as before: recorded again, not answered from the first
    assert (before, after) == ([""], ["Changed"])
    with MockMailServer(replay=Replay(path)) as offline:
        replayed = [
            requests.get(offline.url + ACCOUNTS, headers={"Authorization": "x"}, timeout=5).json()[
                "response"
            ][0]["name"]
            for _ in range(2)
        ]
    assert replayed == ["", "Changed"]


def put_through(
    path: Path, upstream: MockMailServer, body: str, content_type: str
) -> tuple[requests.Response, Replay]:
    """One PUT with a raw body through a recording proxy."""
    replay = Replay(path, mode="all", upstream=upstream.url)
    with MockMailServer(replay=replay) as proxy:
        response = requests.put(
            proxy.url + ACCOUNTS,
            data=body.encode(),
            headers={"Authorization": TOKEN, "Content-Type": content_type},
            timeout=5,
        )
    return response, replay


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"email": "alice@example.com", "password": "s3cr\\"et", "smtp_password": 271828}', "text/plain"),
        ("email=alice%40example.com&password=s3cr%22et&smtp_password=271828", ""),
        (
            '<r><email>alice@example.com</email><Password>s3cr"et</Password>'
            '<smtp_password x="1"><![CDATA[271828]]></smtp_password></r>',
            "text/xml",
        ),
    ],
    ids=["json-as-text", "form-without-type", "xml"],
)
def test_passwords_in_a_body_of_any_content_type_are_redacted(
    tmp_path: Path, upstream: MockMailServer, body: str, content_type: str
):
    path = tmp_path / "typed.yaml"
    _, replay = put_through(path, upstream, body, content_type)
    assert not replay.problems
    data = path.read_bytes() + cache_path(path).read_bytes()
    for secret in (b's3cr"et', b"s3cr%22et", b'\\"et', b"271828", TOKEN.encode()):
        assert secret not in data
    assert b"<redacted:password>" in data
    assert b"<redacted:smtp_password>" in data


def test_a_redacted_value_inside_a_text_body_matches_whatever_the_client_sends(
    tmp_path: Path, upstream: MockMailServer
):
    path = tmp_path / "xml.yaml"
    xml = "<r><email>alice@example.com</email><name>Bob</name><password>{}</password></r>"
    recorded, _ = put_through(path, upstream, xml.format("first-secret"), "text/xml")
    assert recorded.status_code == 200
    with MockMailServer(replay=Replay(path)) as offline:
        replayed = requests.put(
            offline.url + ACCOUNTS,
            data=xml.format("another-secret"),
            headers={"Authorization": "bob-token", "Content-Type": "text/xml"},
            timeout=5,
        )
        other_name = requests.put(
            offline.url + ACCOUNTS,
            data=xml.format("first-secret").replace("Bob", "Robert"),
            headers={"Authorization": "bob-token", "Content-Type": "text/xml"},
            timeout=5,
        )
    assert (replayed.status_code, replayed.content) == (200, recorded.content)
    assert other_name.status_code == 404


def test_a_secret_that_yaml_would_quote_is_still_refused_with_where_it_is(
    tmp_path: Path, upstream: MockMailServer
):
    path = tmp_path / "quoted.yaml"
    # Written as 'it''s: "x"' by YAML and as it's: \"x\" in JSON: neither holds the secret as sent.
    secret = 'it\'s: "a secret"'
    body = json.dumps(ALICE_UPDATE | {"password": secret, "name": secret})
    response, replay = put_through(path, upstream, body, "application/json")
    assert response.status_code == 502
    assert response.json()["mockmail"] == (
        f"refusing to write {path}: interactions[0].request.body.name holds a secret seen in the traffic"
    )
    assert not path.exists()
    assert isinstance(replay.problems[0], SecretLeak)


def test_a_secret_learned_later_is_looked_for_in_earlier_interactions(
    tmp_path: Path, upstream: MockMailServer
):
    path = tmp_path / "later.yaml"
    replay = Replay(path, mode="all", upstream=upstream.url)
    with MockMailServer(replay=replay) as proxy:
        first = requests.put(
            proxy.url + ACCOUNTS,
            json=ALICE_UPDATE | {"name": "hunter2-imap"},
            headers={"Authorization": TOKEN},
            timeout=5,
        )
        second = requests.put(
            proxy.url + ACCOUNTS,
            json=ALICE_UPDATE | {"password": "hunter2-imap"},
            headers={"Authorization": TOKEN},
            timeout=5,
        )
    assert (first.status_code, second.status_code) == (200, 502)
    assert "interactions[0].request.body.name holds a secret" in second.json()["mockmail"]
    assert b"hunter2-imap" in path.read_bytes()  # written before the secret was known to be one
    assert len(load_recording(path).interactions) == 1  # the exchange that revealed it is not kept


def test_the_query_is_forwarded_as_the_client_sent_it(tmp_path: Path, upstream: MockMailServer):
    seen: list[bytes] = []
    upstream.app.before_request(lambda: seen.append(flask.request.query_string) and None)
    query = "__=1&filter=a&filter=b&q=x%2Fy%20z"
    with MockMailServer(replay=Replay(tmp_path / "q.yaml", mode="all", upstream=upstream.url)) as proxy:
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
        try:
            connection.request("GET", f"{ACCOUNTS}?{query}", headers={"Authorization": TOKEN})
            assert connection.getresponse().status == 200
        finally:
            connection.close()
    assert seen == [query.encode()]


def test_a_miss_report_keeps_the_clients_secrets_out(tmp_path: Path, upstream: MockMailServer):
    path = tmp_path / "session.yaml"
    record(path, upstream)
    replay = Replay(path)
    with MockMailServer(replay=replay) as offline:
        response = requests.put(
            offline.url + ACCOUNTS + "?password=query-secret",
            json={"email": "new@example.com", "smtp_password": "body-secret"},
            headers={"Authorization": TOKEN},
            timeout=5,
        )
    assert response.status_code == 404
    assert "query-secret" not in response.text
    assert "body-secret" not in response.text
    assert response.json()["request"]["fields"]["body.smtp_password"] == "<redacted:smtp_password>"
    assert "body-secret" not in replay.misses[0].describe()


def test_a_misspelled_mode_on_the_command_line_lists_the_valid_ones(tmp_path: Path):
    for arguments in (
        ["record", "--upstream", "http://127.0.0.1:9", "--out", str(tmp_path / "x.yaml"), "--mode", "nwe"],
        ["serve", "--replay", str(tmp_path / "x.yaml"), "--record-mode", "nwe"],
    ):
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 2
        assert "'nwe' is not a record mode; valid: 'none', 'once', 'new', 'all'" in result.output


def test_create_app_takes_a_replay_for_tests_without_a_socket():
    path = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    client = create_app(replay=Replay(path)).test_client()
    answer = client.put(ACCOUNTS + ".json?__=1", json=ALICE_UPDATE, headers={"Authorization": "any"})
    assert answer.status_code == 200
    assert answer.json is not None
    assert answer.json["response"]["name"] == "Alice L"


@pytest.mark.parametrize("mode", ["all", "new", "none"])
def test_requests_to_the_api_wait_on_a_worker_while_a_recording_answers(tmp_path: Path, mode: str):
    """A recording may call its upstream, or search thousands of interactions for a miss report."""
    path = tmp_path / "r.yaml"
    path.write_text("version: 1\ninteractions: []\n", encoding="utf-8")
    app = create_app(replay=Replay(path, mode=mode, upstream="http://127.0.0.1:9"))
    may_block = app.extensions["mockmail"].may_block
    assert may_block({"REQUEST_METHOD": "PUT", "PATH_INFO": "/api/2.0/x"}) is True
    assert may_block({"REQUEST_METHOD": "GET", "PATH_INFO": "/_mockmail/journal"}) is False


ORIGIN = "http://localhost:5173"


def raw_answer(url: str, target: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]]]:
    """Status and headers as sent, a repeated header once for each value (requests joins them)."""
    host, _, port = url.removeprefix("http://").partition(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", target, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        connection.close()


def named(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def test_every_set_cookie_is_recorded_redacted_and_replayed(tmp_path: Path):
    path = tmp_path / "cookies.yaml"
    with StubPortal() as portal:
        portal.answer(
            ACCOUNTS,
            200,
            [
                ("Content-Type", "application/json"),
                ("Set-Cookie", f"asc_auth_key={TOKEN}; path=/; HttpOnly; Domain=portal.example.com"),
                ("Set-Cookie", "lang=en-US; path=/"),
            ],
            '{"response":[]}',
        )
        with MockMailServer(replay=Replay(path, mode="all", upstream=portal.url)) as recorder:
            _, forwarded = raw_answer(recorder.url, ACCOUNTS, {"Authorization": TOKEN})
    assert len(named(forwarded, "Set-Cookie")) == 2  # the client gets both, unchanged
    assert TOKEN not in path.read_text()
    with MockMailServer(replay=Replay(path)) as offline:
        status, replayed = raw_answer(offline.url, ACCOUNTS, {"Authorization": "any"})
    assert status == 200
    # Domain named the portal: a browser would refuse it from the replaying mockmail.
    assert named(replayed, "Set-Cookie") == [
        "asc_auth_key=<redacted:cookie>; path=/; HttpOnly",
        "lang=<redacted:cookie>; path=/",
    ]


def test_the_portals_cors_headers_are_neither_forwarded_nor_recorded(tmp_path: Path):
    path = tmp_path / "cors.yaml"
    with StubPortal() as portal:
        cors = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "false")]
        portal.answer(ACCOUNTS, 200, [("Content-Type", "application/json"), *cors], '{"response":[]}')
        with MockMailServer(replay=Replay(path, mode="all", upstream=portal.url)) as recorder:
            status, headers = raw_answer(recorder.url, ACCOUNTS, {"Authorization": TOKEN, "Origin": ORIGIN})
    assert status == 200
    assert named(headers, "Access-Control-Allow-Origin") == [ORIGIN]  # mockmail's own, once
    assert named(headers, "Access-Control-Allow-Credentials") == ["true"]
    assert "Access-Control" not in path.read_text()


def test_an_older_recording_with_cors_headers_and_one_set_cookie_replays_to_a_browser(tmp_path: Path):
    path = tmp_path / "old.yaml"
    path.write_text(
        f"""version: 1
interactions:
- request: {{method: GET, path: {ACCOUNTS}, headers: {{Authorization: <redacted:token>}}}}
  response:
    status: 200
    headers:
      Content-Type: application/json
      Access-Control-Allow-Origin: '*'
      Set-Cookie: asc_auth_key=<redacted:cookie>; path=/
    body: {{response: []}}
""",
        encoding="utf-8",
    )
    with MockMailServer(replay=Replay(path)) as offline:
        status, headers = raw_answer(offline.url, ACCOUNTS, {"Authorization": "any", "Origin": ORIGIN})
    assert status == 200
    assert named(headers, "Access-Control-Allow-Origin") == [ORIGIN]
    assert named(headers, "Set-Cookie") == ["asc_auth_key=<redacted:cookie>; path=/"]


@contextlib.contextmanager
def werkzeug_serving(replay: Replay) -> Iterator[int]:
    """The app behind werkzeug's own server, which hands a listed Content-Length on as it came."""
    server = make_server("127.0.0.1", 0, create_app(replay=replay), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def put_with_length(port: int, body: bytes, length: str, token: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest("PUT", ACCOUNTS + ".json?__=1")
        for name, value in (("Authorization", token), ("Content-Type", "application/json")):
            connection.putheader(name, value)
        connection.putheader("Content-Length", length)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_content_length_listed_twice_is_one_length_when_the_values_agree():
    body = json.dumps(ALICE_UPDATE).encode()
    path = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    with werkzeug_serving(Replay(path)) as port:
        agreeing = put_with_length(port, body, f"{len(body)}, {len(body)}", "any")
        differing = put_with_length(port, body, f"{len(body)}, {len(body) + 1}", "any")
    assert agreeing[0] == 200
    assert json.loads(agreeing[1])["response"]["name"] == "Alice L"
    assert differing[0] == 400
    assert json.loads(differing[1]) == {
        "status": 1,
        "statusCode": 400,
        "error": {
            "message": f"invalid Content-Length '{len(body)}, {len(body) + 1}'",
            "hresult": -2146233088,
            "data": {},
        },
    }


def test_a_request_falling_through_gets_its_length_as_read():
    body = json.dumps({"email": "bob@example.com", "name": "Stateful"}).encode()
    path = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"
    with werkzeug_serving(Replay(path, on_miss="fallthrough")) as port:
        status, answer = put_with_length(port, body, f"{len(body)},{len(body)}", "bob-token")
    assert status == 200
    assert json.loads(answer)["response"]["name"] == "Stateful"


def test_temporary_files_a_killed_recorder_left_are_removed_at_the_next_start(
    tmp_path: Path, upstream: MockMailServer
):
    path = tmp_path / "left.yaml"
    save_recording(path, load_recording(ROOT / "fixtures" / "recordings" / "web-client-session.yaml"))
    dead = subprocess.Popen([sys.executable, "-c", ""])  # its PID names no running process after
    dead.wait(timeout=10)
    left = [
        tmp_path / f".left.yaml.{dead.pid}.k2x9q1ab.tmp",
        tmp_path / f"..left.yaml.json.{dead.pid}.z8_w.tmp",
    ]
    kept = [
        tmp_path / f".left.yaml.{os.getpid()}.live0001.tmp",  # a process still writing it
        tmp_path / f".other.yaml.{dead.pid}.k2x9q1ab.tmp",  # another recording's
    ]
    for leftover in (*left, *kept):
        leftover.write_text("version: 1\ninteractions: [", encoding="utf-8")
    with MockMailServer(replay=Replay(path, mode="new", upstream=upstream.url)) as recorder:
        listed = requests.get(recorder.url + ACCOUNTS, headers={"Authorization": "bob-token"}, timeout=5)
    assert listed.status_code == 200
    assert not [leftover for leftover in left if leftover.exists()]
    assert all(leftover.exists() for leftover in kept)
    assert sorted(item.name for item in tmp_path.glob("*.tmp")) == sorted(item.name for item in kept)


@pytest.mark.parametrize("depth", [65, 100_000])
def test_a_body_nested_past_the_real_servers_limit_is_recorded_as_text(tmp_path: Path, depth: int):
    path = tmp_path / "deep.yaml"
    deep = "[" * depth + "]" * depth
    with StubPortal() as portal:
        portal.answer(ACCOUNTS, 200, [("Content-Type", "application/json")], deep)
        with MockMailServer(replay=Replay(path, mode="all", upstream=portal.url)) as recorder:
            answer = requests.put(
                recorder.url + ACCOUNTS,
                data=deep,
                headers={"Authorization": TOKEN, "Content-Type": "application/json"},
                timeout=10,
            )
            assert recorder.state.errors == []
    assert (answer.status_code, answer.text) == (200, deep)
    (interaction,) = yaml.safe_load(path.read_text())["interactions"]
    assert interaction["request"]["body"] == deep
    assert interaction["response"]["body"] == deep


def test_credentials_for_the_proxy_are_not_passed_on_to_the_portal(tmp_path: Path):
    with StubPortal() as portal:
        portal.answer(ACCOUNTS, 200, [("Content-Type", "application/json")], "{}")
        with MockMailServer(replay=Replay(tmp_path / "r.yaml", mode="all", upstream=portal.url)) as recorder:
            requests.get(
                recorder.url + ACCOUNTS,
                headers={"Authorization": TOKEN, "Proxy-Authorization": "Basic dXNlcjpwcm94eS1zZWNyZXQ="},
                timeout=5,
            )
        (seen,) = portal.seen
    names = [name.lower() for name, _ in seen.headers]
    assert "authorization" in names
    assert "proxy-authorization" not in names
