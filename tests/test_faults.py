"""Faults over real HTTP: what each answers, when each fires, and that none touches the store."""

from __future__ import annotations

import contextlib
import errno
import http.client
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from mockmail import MockMailServer, ScenarioError

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = "/api/2.0/mail/accounts"
ALICE = {"Authorization": "alice-token"}
USERS = """
users:
  - name: alice
    token: alice-token
    accounts: [{email: alice@example.com, name: Alice}, {email: flaky@example.com}, {email: broken@example.com}]
  - name: bob
    token: bob-token
    accounts: [{email: bob@example.com}]
"""

Serve = Callable[[str], MockMailServer]


@pytest.fixture
def serve(write_scenario: Callable[[str], Path]) -> Iterator[Serve]:
    """Start a server on the users above plus the given YAML (faults, seed)."""
    servers: list[MockMailServer] = []

    def start(extra: str) -> MockMailServer:
        server = MockMailServer(write_scenario(USERS + extra))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def put(
    server: MockMailServer,
    email: str = "alice@example.com",
    headers: dict[str, str] = ALICE,
    **fields: object,
) -> requests.Response:
    return requests.put(server.url + ACCOUNTS, json={"email": email, **fields}, headers=headers, timeout=10)


def outcome(
    server: MockMailServer, email: str = "alice@example.com", headers: dict[str, str] = ALICE
) -> int | str:
    """The status of one PUT, or 'dropped' for a connection error."""
    try:
        return put(server, email, headers).status_code
    except requests.ConnectionError:
        return "dropped"


# --- the example, as users copy it ---------------------------------------------------


def test_token_expires_mid_session_after_2_for_1():
    with MockMailServer(ROOT / "scenarios" / "faults.yaml") as server:
        headers = {"Authorization": "alice-token"}
        statuses = [outcome(server, headers=headers) for _ in range(4)]
        unauthorized = put(server, headers=headers)  # the fault has fired its one time
    assert statuses == [200, 200, 401, 200]
    assert unauthorized.status_code == 200


def test_flaky_backend_repeats_exactly_with_the_seed():
    runs = []
    for _ in range(2):
        with MockMailServer(ROOT / "scenarios" / "faults.yaml") as server:
            runs.append(
                [outcome(server, "flaky@example.com", {"Authorization": "alice-token"}) for _ in range(20)]
            )
    assert runs[0] == runs[1]
    assert runs[0][2] == 401  # token-expires-mid-session answers the third PUT, whatever the account
    assert set(runs[0]) == {200, 401, 503}


def test_flaky_backends_503_carries_retry_after():
    with MockMailServer(ROOT / "scenarios" / "faults.yaml") as server:
        responses = [put(server, "flaky@example.com", {"Authorization": "alice-token"}) for _ in range(20)]
    unavailable = next(r for r in responses if r.status_code == 503)
    assert unavailable.headers["Retry-After"] == "2"
    assert unavailable.json() == {
        "status": 1,
        "statusCode": 503,
        "error": {"message": "Service Unavailable", "hresult": -2146233088, "data": {}},
    }


def test_slow_delays_bobs_requests_only():
    with MockMailServer(ROOT / "scenarios" / "faults.yaml") as server:
        started = time.perf_counter()
        assert put(server, "bob@example.com", {"Authorization": "bob-token"}).status_code == 200
        bobs = time.perf_counter() - started
        started = time.perf_counter()
        requests.get(server.url + ACCOUNTS, headers={"Authorization": "alice-token"}, timeout=5)
        alices = time.perf_counter() - started
    assert bobs >= 0.3
    assert alices < 0.2


def test_drop_resets_every_third_matching_request():
    with MockMailServer(ROOT / "scenarios" / "faults.yaml") as server:
        statuses = [outcome(server, "broken@example.com", {"Authorization": "alice-token"}) for _ in range(6)]
    # The third match is due, but token-expires-mid-session, earlier in the list, answers it.
    assert statuses == [200, 200, 401, 200, 200, "dropped"]


# --- what each kind answers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("respond", "status", "message"),
    [
        ("server_error", 500, "Some unexpected error has occurred. Please try again later."),
        ("payment_required", 402, "PaymentRequired"),
        ("forbidden", 403, "Forbidden"),
        ("unavailable", 503, "Service Unavailable"),
        (
            "login_failed",
            500,
            '<span class="attempt_header">IMAP response:</span><br/>Authentication failed.',
        ),
        ("{status: 429, message: Too many requests, headers: {Retry-After: '7'}}", 429, "Too many requests"),
        ("{status: 418}", 418, "I'm a Teapot"),
    ],
)
def test_error_kinds_answer_in_the_real_envelope(serve: Serve, respond, status, message):
    server = serve(f"faults: [{{respond: {respond}}}]")
    response = put(server)
    assert response.status_code == status
    assert response.json()["error"]["message"] == message
    assert response.json()["statusCode"] == status


def test_unavailable_and_custom_headers_reach_the_client(serve: Serve):
    assert put(serve("faults: [{respond: unavailable}]")).headers["Retry-After"] == "30"
    assert (
        put(serve("faults: [{respond: {status: 429, headers: {Retry-After: '7'}}}]")).headers["Retry-After"]
        == "7"
    )


@pytest.mark.parametrize(
    "headers",
    [{"X-Trace": "1\nX-Injected: 1"}, {"X-Trace": "padded "}, {"Bad Name": "1"}, {"content-length": "1"}],
)
def test_headers_that_would_break_the_answer_are_refused_before_any_request(
    serve: Serve, headers: dict[str, str]
):
    server = serve("")
    with pytest.raises(ScenarioError, match=r"^respond\.headers"):
        server.add_fault({"respond": {"status": 503, "headers": headers}})
    assert put(server).status_code == 200  # nothing was added: no request meets a broken answer


def test_unauthorized_is_the_real_plain_text_401(serve: Serve):
    response = put(serve("faults: [{respond: unauthorized}]"))
    assert (response.status_code, response.text) == (401, "Unauthorized")
    assert response.headers["WWW-Authenticate"] == 'Basic Realm="127.0.0.1"'


def test_status_401_is_the_same_real_401(serve: Serve):
    response = put(serve("faults: [{respond: {status: 401}}]"))
    assert (response.status_code, response.text) == (401, "Unauthorized")


def raw_put(server: MockMailServer) -> http.client.HTTPConnection:
    """A connection on which a PUT for alice has been sent, its answer not yet read."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    body = b'{"email":"alice@example.com"}'
    connection.request("PUT", ACCOUNTS, body=body, headers=ALICE | {"Content-Type": "application/json"})
    return connection


def test_reset_is_a_connection_reset(serve: Serve):
    connection = raw_put(serve("faults: [{respond: reset}]"))
    with pytest.raises(ConnectionResetError) as raised:
        connection.getresponse()
    assert raised.value.errno == errno.ECONNRESET
    connection.close()


def test_empty_is_a_closed_connection_with_no_answer(serve: Serve):
    connection = raw_put(serve("faults: [{respond: empty}]"))
    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    connection.close()


def test_truncated_sends_the_headers_and_half_the_body(serve: Serve):
    server = serve("faults: [{respond: truncated}]")
    connection = raw_put(server)
    response = connection.getresponse()
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead) as raised:
        response.read()
    assert 0 < len(raised.value.partial) < int(response.headers["Content-Length"])
    connection.close()
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        put(server)


def test_malformed_json_is_a_200_that_does_not_parse(serve: Serve):
    response = put(serve("faults: [{respond: malformed_json}]"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_latency_before_a_fault(serve: Serve):
    server = serve("faults: [{respond: {kind: server_error, delay_ms: 200}}]")
    started = time.perf_counter()
    assert put(server).status_code == 500
    assert time.perf_counter() - started >= 0.2


def test_jitter_is_bounded_and_repeatable(serve: Serve):
    text = "seed: 7\nfaults: [{respond: {delay_ms: 0, jitter_ms: 120}}]"
    first, second = (serve(text).state.faults for _ in range(2))
    facts = SimpleNamespace(method="PUT", path=ACCOUNTS, user=None, email=None)
    delays = [first.decide(facts).delay_s for _ in range(10)]
    assert delays == [second.decide(facts).delay_s for _ in range(10)]
    assert all(0 <= delay <= 0.12 for delay in delays)
    assert len(set(delays)) > 1


# --- when faults fire ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("after: 2, times: 1", [200, 200, 503, 200, 200, 200]),
        ("after: 1", [200, 503, 503, 503, 503, 503]),
        ("times: 2", [503, 503, 200, 200, 200, 200]),
        ("every: 2", [200, 503, 200, 503, 200, 503]),
        ("after: 1, every: 2, times: 2", [200, 200, 503, 200, 503, 200]),
        ("probability: 0", [200] * 6),
        ("probability: 1, times: 3", [503, 503, 503, 200, 200, 200]),
    ],
)
def test_each_trigger_gives_its_exact_sequence(serve: Serve, when, expected):
    server = serve(f"faults: [{{{when}, respond: unavailable}}]")
    assert [outcome(server) for _ in expected] == expected


def test_after_seconds_waits_from_start(serve: Serve):
    server = serve("faults: [{after_seconds: 0.3, respond: unavailable}]")
    assert outcome(server) == 200
    time.sleep(0.3)
    assert outcome(server) == 503


def test_match_keys_must_all_hold(serve: Serve):
    server = serve(
        "faults: [{match: {method: put, user: alice, email: FLAKY@example.com}, respond: unavailable}]"
    )
    assert outcome(server, "flaky@example.com") == 503
    assert outcome(server, "alice@example.com") == 200
    assert requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5).status_code == 200


def test_email_matches_from_form_and_query_too(serve: Serve):
    server = serve("faults: [{match: {email: flaky@example.com}, respond: unavailable}]")
    assert (
        requests.put(
            server.url + ACCOUNTS, data={"email": "flaky@example.com"}, headers=ALICE, timeout=5
        ).status_code
        == 503
    )
    assert (
        requests.put(server.url + ACCOUNTS + "?email=flaky@example.com", headers=ALICE, timeout=5).status_code
        == 503
    )


@pytest.mark.parametrize("path", [ACCOUNTS, ACCOUNTS + ".json", ACCOUNTS + ".xml?__=1", "/" + ACCOUNTS])
def test_path_ignores_suffix_query_and_doubled_slash(serve: Serve, path):
    server = serve(f"faults: [{{match: {{path: {ACCOUNTS}}}, respond: unavailable}}]")
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("GET", path, headers=ALICE)
    assert connection.getresponse().status == 503
    connection.close()


def test_no_match_means_every_api_request_but_not_preflights_or_control(serve: Serve):
    server = serve("faults: [{respond: unavailable}]")
    assert requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5).status_code == 503
    assert (
        requests.post(server.url + "/api/2.0/authentication", data={"userName": "x"}, timeout=5).status_code
        == 503
    )
    assert (
        requests.options(
            server.url + ACCOUNTS, headers={"Origin": "http://localhost:5173"}, timeout=5
        ).status_code
        == 200
    )
    assert requests.get(server.url + "/_mockmail/faults", timeout=5).status_code == 200


def test_the_first_due_fault_answers_and_every_fault_counts_its_matches(serve: Serve):
    server = serve("faults: [{name: a, times: 1, respond: forbidden}, {name: b, respond: unavailable}]")
    assert [outcome(server) for _ in range(3)] == [403, 503, 503]
    assert [(f.name, f.matched, f.fired) for f in server.faults()] == [("a", 3, 1), ("b", 3, 2)]


def test_latency_only_faults_let_later_faults_answer(serve: Serve):
    server = serve("faults: [{name: slow, respond: {delay_ms: 150}}, {name: fail, respond: forbidden}]")
    started = time.perf_counter()
    assert outcome(server) == 403
    assert time.perf_counter() - started >= 0.15
    assert [(entry.fault, entry.status) for entry in server.journal()] == [("fail", 403)]


def test_the_journal_names_the_account_and_fields_of_a_faulted_request(serve: Serve):
    server = serve(
        "faults: [{name: cut, match: {user: bob}, respond: reset}, {name: down, respond: unavailable}]"
    )
    assert outcome(server) == 503
    assert outcome(server, "bob@example.com", {"Authorization": "bob-token"}) == "dropped"
    entries = [(e.fault, e.status, e.user, e.email, e.fields.get("email")) for e in server.journal()]
    assert entries == [
        ("down", 503, "alice", "alice@example.com", "alice@example.com"),
        ("cut", None, "bob", "bob@example.com", "bob@example.com"),
    ]


def test_adding_a_fault_does_not_change_another_faults_random_sequence(serve: Serve):
    alone = serve("seed: 9\nfaults: [{name: p, probability: 0.5, respond: unavailable}]")
    joined = serve(
        "seed: 9\nfaults: [{name: p, probability: 0.5, respond: unavailable}, {name: q, probability: 0.5, respond: {delay_ms: 0}}]"
    )
    assert [outcome(alone) for _ in range(16)] == [outcome(joined) for _ in range(16)]


def test_a_faulted_put_changes_nothing(serve: Serve):
    server = serve(
        "faults: [{times: 1, respond: unavailable}, {after: 1, times: 1, respond: reset}, {after: 2, times: 1, respond: truncated}]"
    )
    for _ in range(3):
        with contextlib.suppress(requests.RequestException):
            put(server, name="Changed")
    listed = requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5).json()["response"]
    assert listed[0]["name"] == "Alice"


# --- the token lifecycle ---------------------------------------------------------------------


def test_an_expired_token_gets_401_until_reset(serve: Serve):
    server = serve("faults: [{match: {user: alice}, after: 2, times: 1, respond: expire_token}]")
    assert [outcome(server) for _ in range(5)] == [200, 200, 401, 401, 401]
    assert [f.fired for f in server.faults()] == [1]  # later 401s come from the token, not the fault
    assert outcome(server, "bob@example.com", {"Authorization": "bob-token"}) == 200
    server.reset()
    assert outcome(server) == 200


def test_a_token_expires_after_some_seconds(serve: Serve):
    server = serve("faults: [{match: {user: alice}, after_seconds: 0.2, respond: expire_token}]")
    assert outcome(server) == 200
    time.sleep(0.2)
    assert [outcome(server) for _ in range(2)] == [401, 401]


def test_a_token_revoked_at_run_time(server: MockMailServer, alice):
    server.revoke_token("alice")
    assert requests.get(server.url + ACCOUNTS, headers=alice, timeout=5).status_code == 401
    with pytest.raises(KeyError):
        server.revoke_token("nobody")


# --- which requests wait on a worker thread (the rest are answered on the server's loop) ------


def environ(method: str = "PUT", path: str = ACCOUNTS, token: str | None = "alice-token") -> dict[str, str]:
    return {"REQUEST_METHOD": method, "PATH_INFO": path} | ({"HTTP_AUTHORIZATION": token} if token else {})


@pytest.mark.parametrize(
    ("fault", "request_environ", "waits"),
    [
        (None, environ(), False),
        ({"respond": "server_error"}, environ(), False),
        ({"respond": {"delay_ms": 50}}, environ(), True),
        ({"match": {"user": "bob"}, "respond": {"delay_ms": 50}}, environ(), False),
        ({"match": {"user": "bob"}, "respond": {"delay_ms": 50}}, environ(token="bob-token"), True),
        ({"match": {"method": "GET"}, "respond": {"jitter_ms": 50}}, environ(), False),
        (
            {"match": {"path": "/api/2.0/mail/accounts"}, "respond": {"delay_ms": 50}},
            environ(path="/x"),
            False,
        ),
        # The email is in the body, not looked at before the app: a fault naming one may fire.
        ({"match": {"email": "nobody@example.com"}, "respond": {"delay_ms": 50}}, environ(), True),
    ],
)
def test_only_requests_a_latency_fault_may_delay_wait_on_a_worker(
    serve: Serve, fault: dict[str, object] | None, request_environ: dict[str, str], waits: bool
):
    server = serve("")
    if fault is not None:
        server.add_fault(fault)
    assert server.state.may_block(request_environ) is waits
    server.clear_faults()
    assert server.state.may_block(request_environ) is False


# --- presets: declared switched off, switched on and off by name ----------------------------


def test_a_fault_declared_disabled_neither_matches_nor_counts_until_enabled(serve: Serve):
    server = serve("faults:\n  - {name: preset, enabled: false, times: 1, respond: forbidden}\n")
    assert [outcome(server) for _ in range(2)] == [200, 200]
    assert [(f.name, f.matched, f.fired, f.enabled) for f in server.faults()] == [("preset", 0, 0, False)]
    status = server.enable_fault("preset")
    assert (status.matched, status.fired, status.enabled) == (0, 0, True)
    assert [outcome(server) for _ in range(2)] == [403, 200]
    assert [(f.matched, f.fired) for f in server.faults()] == [(2, 1)]


def test_switching_a_fault_off_and_on_keeps_its_counts(serve: Serve):
    server = serve("faults:\n  - {name: third, every: 3, respond: server_error}\n")
    assert [outcome(server) for _ in range(2)] == [200, 200]
    server.enable_fault("third", enabled=False)
    assert [outcome(server) for _ in range(3)] == [200, 200, 200]  # not counted while off
    assert [(f.matched, f.fired, f.enabled) for f in server.faults()] == [(2, 0, False)]
    server.enable_fault("third")
    assert outcome(server) == 500  # the third match, counting on from before
    assert [(f.matched, f.fired) for f in server.faults()] == [(3, 1)]


def test_a_disabled_fault_lets_a_later_one_answer(serve: Serve):
    server = serve(
        "faults:\n  - {name: first, enabled: false, respond: forbidden}\n  - {name: second, respond: unavailable}\n"
    )
    assert outcome(server) == 503
    server.enable_fault("first")
    assert outcome(server) == 403


def test_a_disabled_latency_fault_neither_delays_nor_sends_requests_to_a_worker(serve: Serve):
    server = serve("faults:\n  - {name: slow, enabled: false, respond: {delay_ms: 2000}}\n")
    assert server.state.may_block(environ()) is False
    started = time.monotonic()
    assert outcome(server) == 200
    assert time.monotonic() - started < 1
    server.enable_fault("slow")
    assert server.state.may_block(environ()) is True


def test_enabling_an_unknown_fault_is_a_key_error(serve: Serve):
    server = serve("")
    with pytest.raises(KeyError):
        server.enable_fault("nope")
