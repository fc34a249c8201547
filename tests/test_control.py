"""Control endpoints: faults added, listed and cleared over HTTP while the server runs; reset; journal."""

from __future__ import annotations

import threading

import pytest
import requests

from mockmail import MockMailServer, ScenarioError
from mockmail.api_request import ApiRequest
from mockmail.journal import Journal

ACCOUNTS = "/api/2.0/mail/accounts"
FAULTS = "/_mockmail/faults"


def save_bob(url: str) -> int:
    """The status of a PUT of bob's account."""
    body = {"email": "bob@example.com"}
    return requests.put(
        url + ACCOUNTS, json=body, headers={"Authorization": "bob-token"}, timeout=5
    ).status_code


def test_add_list_delete_a_fault(url, alice):
    added = requests.post(
        url + FAULTS,
        json={"name": "next-save", "match": {"method": "PUT"}, "times": 1, "respond": "unauthorized"},
        timeout=5,
    )
    assert added.status_code == 201
    assert added.json()["fault"] == {
        "name": "next-save",
        "matched": 0,
        "fired": 0,
        "enabled": True,
        "spec": {"name": "next-save", "match": {"method": "PUT"}, "times": 1, "respond": "unauthorized"},
    }
    assert [save_bob(url), save_bob(url)] == [401, 200]
    listed = requests.get(url + FAULTS, timeout=5).json()["faults"]
    assert [(f["name"], f["matched"], f["fired"]) for f in listed] == [("next-save", 2, 1)]
    assert requests.delete(url + FAULTS + "/next-save", timeout=5).status_code == 204
    assert requests.get(url + FAULTS, timeout=5).json() == {"faults": []}


def test_unnamed_faults_are_numbered(url):
    first = requests.post(url + FAULTS, json={"respond": "reset"}, timeout=5).json()["fault"]["name"]
    second = requests.post(url + FAULTS, json={"respond": "reset"}, timeout=5).json()["fault"]["name"]
    assert (first, second) == ("fault-1", "fault-2")


def test_a_fault_of_the_same_name_is_replaced_in_place(url):
    requests.post(url + FAULTS, json={"name": "a", "respond": "reset"}, timeout=5)
    requests.post(url + FAULTS, json={"name": "b", "respond": "reset"}, timeout=5)
    requests.post(url + FAULTS, json={"name": "a", "respond": "forbidden"}, timeout=5)
    assert [
        (f["name"], f["spec"]["respond"]) for f in requests.get(url + FAULTS, timeout=5).json()["faults"]
    ] == [("a", "forbidden"), ("b", "reset")]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (
            {"respond": "explode"},
            "respond: expected one of 'unauthorized', 'expire_token', 'server_error', 'payment_required', 'forbidden', 'unavailable', 'login_failed', 'reset', 'empty', 'truncated', 'malformed_json' or a mapping, got 'explode'",
        ),
        ({"respond": "reset", "times": -1}, "times: expected at least 0, got -1"),
        ({"respond": "reset", "probability": 1.5}, "probability: expected at most 1, got 1.5"),
        (
            {"respond": "reset", "match": {"verb": "PUT"}},
            "match.verb: unknown key 'verb' (allowed: method, path, email, user)",
        ),
        ({"match": {"method": "PUT"}}, "missing key 'respond'"),
        ([], "expected a mapping, got a list"),
        ({"respond": {"delay_ms": "abc"}}, "respond.delay_ms: expected a number, got 'abc'"),
        ({"respond": {"status": True}}, "respond.status: expected an integer, got true"),
        ({"respond": {"message": 5}}, "respond.message: expected a string, got 5"),
        ({"respond": {}}, "respond: must not be empty"),
        (
            {"respond": {"delay_ms": "abc", "kind": "nonsense"}},
            "respond.delay_ms: expected a number, got 'abc'; respond.kind: expected one of 'unauthorized', 'expire_token', 'server_error', 'payment_required', 'forbidden', 'unavailable', 'login_failed', 'reset', 'empty', 'truncated', 'malformed_json', got 'nonsense'",
        ),
        ({"respond": {"delay_ms": 1e308}}, "respond.delay_ms: expected at most 3600000, got 1e+308"),
        (
            {"respond": {"headers": {"X-Trace": "1\r\nSet-Cookie: a=b"}}},
            "respond.headers['X-Trace']: expected a header value (no control characters, no space at either end), got '1\\r\\nSet-Cookie: a=b'",
        ),
        (
            {"respond": {"headers": {"Content-Length": "0"}}},
            "respond.headers['Content-Length']: Content-Length is the server's to set: a fault's would break the answer's framing",
        ),
        (
            {"name": "..", "respond": "reset"},
            "name: expected a fault name (no control characters, no leading /, no . or .. between slashes), got '..'",
        ),
    ],
)
def test_bad_faults_are_refused_naming_the_field_and_the_old_faults_stay(url, alice, fault, error):
    requests.post(url + FAULTS, json={"name": "keep", "respond": "forbidden"}, timeout=5)
    response = requests.post(url + FAULTS, json=fault, timeout=5)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert [f["name"] for f in requests.get(url + FAULTS, timeout=5).json()["faults"]] == ["keep"]
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 403


def test_a_body_that_is_not_json_is_refused(url):
    response = requests.post(url + FAULTS, data="respond=reset", timeout=5)
    assert response.status_code == 400
    assert "expected a JSON fault" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"respond": "reset", "probability": NaN}', "probability: expected a finite number, got nan"),
        ('{"respond": {"jitter_ms": Infinity}}', "respond.jitter_ms: expected a finite number, got inf"),
        ('{"respond": {"delay_ms": 1e999}}', "respond.delay_ms: expected a finite number, got inf"),
        ('{"respond": ' + "[" * 100_000 + "]" * 100_000 + "}", "the JSON fault is nested too deep"),
    ],
)
def test_json_python_reads_but_a_fault_cannot_hold_is_refused(url, body, error):
    headers = {"Content-Type": "application/json"}
    response = requests.post(url + FAULTS, data=body, headers=headers, timeout=5)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert requests.get(url + FAULTS, timeout=5).json() == {"faults": []}


def test_a_fault_named_with_slashes_can_be_deleted(url, alice):
    for name in ("auth/expired", "a//b/", "50% off"):
        requests.post(url + FAULTS, json={"name": name, "respond": "forbidden"}, timeout=5)
    assert requests.delete(url + FAULTS + "/auth/expired", timeout=5).status_code == 204
    assert requests.delete(url + FAULTS + "/a//b/", timeout=5).status_code == 204
    assert requests.delete(url + FAULTS + "/50%25%20off", timeout=5).status_code == 204
    assert requests.get(url + FAULTS, timeout=5).json() == {"faults": []}
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200


def test_deleting_an_unknown_fault_is_a_404(url):
    response = requests.delete(url + FAULTS + "/nope", timeout=5)
    assert (response.status_code, response.json()) == (404, {"error": "no fault named 'nope'"})


def test_delete_all_faults(url, alice):
    for _ in range(3):
        requests.post(url + FAULTS, json={"respond": "forbidden"}, timeout=5)
    assert requests.delete(url + FAULTS, timeout=5).status_code == 204
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200


def test_reset_restores_accounts_tokens_and_faults(url, alice):
    requests.put(
        url + ACCOUNTS,
        json={"email": "bob@example.com", "name": "Changed"},
        headers={"Authorization": "bob-token"},
        timeout=5,
    )
    requests.post(url + FAULTS, json={"respond": "forbidden", "match": {"user": "bob"}}, timeout=5)
    requests.post(url + "/_mockmail/users/alice/revoke-token", timeout=5)
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 401
    assert requests.post(url + "/_mockmail/reset", timeout=5).status_code == 204
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200
    bobs = requests.get(url + ACCOUNTS, headers={"Authorization": "bob-token"}, timeout=5)
    assert bobs.json()["response"][0]["name"] == ""
    assert requests.get(url + FAULTS, timeout=5).json() == {"faults": []}


def test_revoking_an_unknown_users_token_is_a_404(url):
    assert requests.post(url + "/_mockmail/users/nobody/revoke-token", timeout=5).status_code == 404


def test_the_journal_lists_requests_with_user_status_fault_and_timing(url, alice):
    requests.post(
        url + FAULTS, json={"name": "deny-bob", "match": {"user": "bob"}, "respond": "forbidden"}, timeout=5
    )
    requests.put(
        url + ACCOUNTS + "?password=secret",
        json={"email": "Alice@Example.com", "name": "A"},
        headers=alice,
        timeout=5,
    )
    requests.get(url + ACCOUNTS, headers={"Authorization": "bob-token"}, timeout=5)
    requests.get(url + ACCOUNTS, timeout=5)
    entries = requests.get(url + "/_mockmail/journal", timeout=5).json()["requests"]
    assert [(e["method"], e["path"], e["user"], e["email"], e["status"], e["fault"]) for e in entries] == [
        ("PUT", ACCOUNTS, "alice", "alice@example.com", 200, None),
        ("GET", ACCOUNTS, "bob", None, 403, "deny-bob"),
        ("GET", ACCOUNTS, None, None, 401, None),
    ]
    assert all(e["duration_ms"] >= 0 and e["time"].endswith("Z") for e in entries)
    assert requests.delete(url + "/_mockmail/journal", timeout=5).status_code == 204
    assert requests.get(url + "/_mockmail/journal", timeout=5).json() == {"requests": []}


def test_the_journal_keeps_only_the_last_entries(server: MockMailServer):
    journal = Journal(limit=3)
    for i in range(5):
        journal.add(ApiRequest({"REQUEST_METHOD": "GET", "PATH_INFO": f"/api/{i}"}, server.state.store), 200)
    assert [entry.path for entry in journal.entries()] == ["/api/2", "/api/3", "/api/4"]


def test_faults_change_while_requests_are_in_flight(url, alice):
    stop = threading.Event()
    seen: set[int] = set()
    errors: list[BaseException] = []

    def hammer() -> None:
        with requests.Session() as session:
            while not stop.is_set():
                try:
                    seen.add(session.get(url + ACCOUNTS, headers=alice, timeout=5).status_code)
                except BaseException as error:
                    errors.append(error)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(20):
            requests.post(url + FAULTS, json={"name": "flip", "respond": "forbidden"}, timeout=5)
            requests.delete(url + FAULTS + "/flip", timeout=5)
            requests.post(url + FAULTS, json={"name": "flip", "respond": "unavailable"}, timeout=5)
            requests.delete(url + FAULTS, timeout=5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert errors == []
    assert seen <= {200, 403, 503}
    assert 200 in seen


def test_the_python_api_matches_the_http_one(server: MockMailServer, alice):
    status = server.add_fault({"name": "py", "respond": "forbidden"})
    assert (status.name, status.matched, status.fired) == ("py", 0, 0)
    assert requests.get(server.url + ACCOUNTS, headers=alice, timeout=5).status_code == 403
    assert [(f.name, f.matched, f.fired) for f in server.faults()] == [("py", 1, 1)]
    with pytest.raises(ScenarioError, match="probability: expected at most 1, got 2"):
        server.add_fault({"respond": "reset", "probability": 2})
    server.remove_fault("py")
    with pytest.raises(KeyError):
        server.remove_fault("py")
    server.add_fault({"respond": "forbidden"})
    server.clear_faults()
    assert server.faults() == []
    assert [(e.method, e.status, e.fault) for e in server.journal()] == [("GET", 403, "py")]


def test_the_journal_keeps_the_fields_sent_but_never_a_password(server: MockMailServer, alice):
    server.add_fault({"match": {"email": "bob@example.com"}, "respond": "forbidden"})
    requests.put(
        server.url + ACCOUNTS,
        data={"email": "alice@example.com", "password": "hunter2", "smtp_password": ""},
        headers=alice,
        timeout=5,
    )
    requests.put(
        server.url + ACCOUNTS,
        json={"email": "bob@example.com", "smtp_password": "s3cret"},
        headers=alice,
        timeout=5,
    )
    first, second = server.journal()
    assert first.fields == {"email": "alice@example.com", "password": "***", "smtp_password": ""}
    assert second.fields == {"email": "bob@example.com", "smtp_password": "***"}
    text = requests.get(server.url + "/_mockmail/journal", timeout=5).text
    assert "hunter2" not in text
    assert "s3cret" not in text


# --- switching a fault on and off by name -----------------------------------------------------


def test_patch_switches_a_fault_off_and_on_and_answers_its_listing(url, alice):
    requests.post(url + FAULTS, json={"name": "auth/deny", "respond": "forbidden"}, timeout=5)
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 403
    off = requests.patch(url + FAULTS + "/auth/deny", json={"enabled": False}, timeout=5)
    assert (off.status_code, off.json()) == (
        200,
        {
            "name": "auth/deny",
            "matched": 1,
            "fired": 1,
            "enabled": False,
            "spec": {"name": "auth/deny", "respond": "forbidden"},
        },
    )
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200
    listed = requests.get(url + FAULTS, timeout=5).json()["faults"]
    assert [(f["name"], f["matched"], f["fired"], f["enabled"]) for f in listed] == [
        ("auth/deny", 1, 1, False)
    ]
    on = requests.patch(url + FAULTS + "/auth/deny", json={"enabled": True}, timeout=5)
    assert (on.status_code, on.json()["enabled"]) == (200, True)
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 403


def test_patching_an_unknown_fault_is_a_404(url):
    response = requests.patch(url + FAULTS + "/nope", json={"enabled": True}, timeout=5)
    assert (response.status_code, response.json()) == (404, {"error": "no fault named 'nope'"})


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("enabled=true", 'expected {"enabled": true} or {"enabled": false}'),
        ("[true]", 'expected {"enabled": true} or {"enabled": false}'),
        ("null", 'expected {"enabled": true} or {"enabled": false}'),
        ("{}", 'missing key \'enabled\'; expected {"enabled": true} or {"enabled": false}'),
        ('{"enabled": "yes"}', "enabled: expected true or false, got 'yes'"),
        ('{"enabled": 1}', "enabled: expected true or false, got 1"),
        ('{"enabled": null}', "enabled: expected true or false, got null"),
        ('{"enabled": true, "times": 1}', "unknown key 'times' (allowed: enabled)"),
    ],
)
def test_a_patch_that_is_not_exactly_enabled_true_or_false_is_refused(url, alice, body, error):
    requests.post(url + FAULTS, json={"name": "deny", "respond": "forbidden"}, timeout=5)
    headers = {"Content-Type": "application/json"}
    response = requests.patch(url + FAULTS + "/deny", data=body, headers=headers, timeout=5)
    assert (response.status_code, response.json()) == (400, {"error": error})
    assert [f["enabled"] for f in requests.get(url + FAULTS, timeout=5).json()["faults"]] == [True]


def test_a_foreign_pages_patch_is_refused_and_a_local_ones_allowed(url, alice):
    requests.post(url + FAULTS, json={"name": "deny", "respond": "forbidden"}, timeout=5)
    foreign = requests.patch(
        url + FAULTS + "/deny", json={"enabled": False}, headers={"Origin": "https://evil.example"}, timeout=5
    )
    assert foreign.status_code == 403
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 403
    local = requests.patch(
        url + FAULTS + "/deny",
        json={"enabled": False},
        headers={"Origin": "http://localhost:3000"},
        timeout=5,
    )
    assert local.status_code == 200
    assert local.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_a_patch_needs_the_control_token_when_one_is_set(alice):
    with MockMailServer(control_token="secret") as server:
        server.add_fault({"name": "deny", "respond": "forbidden"})
        refused = requests.patch(server.url + FAULTS + "/deny", json={"enabled": False}, timeout=5)
        allowed = requests.patch(
            server.url + FAULTS + "/deny",
            json={"enabled": False},
            headers={"Authorization": "Bearer secret"},
            timeout=5,
        )
    assert (refused.status_code, allowed.status_code) == (401, 200)


def test_a_fault_may_be_added_switched_off(url, alice):
    added = requests.post(
        url + FAULTS, json={"name": "later", "enabled": False, "respond": "forbidden"}, timeout=5
    )
    assert (added.status_code, added.json()["fault"]["enabled"]) == (201, False)
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 200
    assert requests.patch(url + FAULTS + "/later", json={"enabled": True}, timeout=5).json()["matched"] == 0
    assert requests.get(url + ACCOUNTS, headers=alice, timeout=5).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/_mockmail/faults/a%0Ab", 404),  # Werkzeug's path converter stops at a newline
        ("PATCH", "/_mockmail/faults/a%0Ab", 404),
        ("GET", "/_mockmail/nothing-here", 404),
        ("PUT", "/_mockmail/reset", 405),
    ],
)
def test_an_unknown_control_path_answers_in_the_control_shape(url: str, method: str, path: str, status: int):
    answer = requests.request(method, url + path, timeout=5)
    assert answer.status_code == status
    assert answer.json()["error"].startswith("mockmail has no control endpoint ")
