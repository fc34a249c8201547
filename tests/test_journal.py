"""The journal as a query: filtered and counted over HTTP and from Python, times in UTC."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests

from mockmail import MockMailServer

ACCOUNTS = "/api/2.0/mail/accounts"
JOURNAL = "/_mockmail/journal"
ALICE = {"Authorization": "864FE52C-1C1C-469F-9308-51DAFEFE7436"}
BOB = {"Authorization": "bob-token"}


@pytest.fixture
def traffic(server: MockMailServer) -> MockMailServer:
    """Four requests: alice updates twice (once refused by a fault), bob reads, a stranger is refused."""
    server.add_fault({"name": "once", "match": {"method": "PUT"}, "times": 1, "respond": "forbidden"})
    requests.put(server.url + ACCOUNTS, json={"email": "alice@example.com"}, headers=ALICE, timeout=5)
    requests.put(
        server.url + ACCOUNTS + ".json", data={"email": "Alice@Example.com"}, headers=ALICE, timeout=5
    )
    requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5)
    requests.get(server.url + ACCOUNTS, timeout=5)
    return server


def shown(server: MockMailServer, **filters: str) -> list[tuple[str, str | None, int]]:
    answer = requests.get(server.url + JOURNAL, params=filters, timeout=5)
    assert answer.status_code == 200, answer.text
    return [(entry["method"], entry["user"], entry["status"]) for entry in answer.json()["requests"]]


def counted(server: MockMailServer, **filters: str) -> int:
    answer = requests.get(server.url + JOURNAL + "/count", params=filters, timeout=5)
    assert answer.status_code == 200, answer.text
    count: int = answer.json()["count"]
    return count


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [("PUT", "alice", 403), ("PUT", "alice", 200), ("GET", "bob", 200), ("GET", None, 401)]),
        ({"method": "put"}, [("PUT", "alice", 403), ("PUT", "alice", 200)]),
        ({"method": "PUT", "email": "ALICE@example.com", "status": "200"}, [("PUT", "alice", 200)]),
        ({"path": "/api/2.0/mail/accounts.json", "user": "Bob"}, [("GET", "bob", 200)]),
        ({"fault": "once"}, [("PUT", "alice", 403)]),
        ({"status": "401"}, [("GET", None, 401)]),
        ({"user": "carol"}, []),
        (
            {"method": ""},
            [("PUT", "alice", 403), ("PUT", "alice", 200), ("GET", "bob", 200), ("GET", None, 401)],
        ),
    ],
)
def test_filters_select_and_count_the_same_entries(traffic: MockMailServer, filters, expected):
    assert shown(traffic, **filters) == expected
    assert counted(traffic, **filters) == len(expected)


def test_was_the_account_updated_exactly_once(traffic: MockMailServer):
    assert counted(traffic, method="PUT", email="alice@example.com", status="200") == 1


def test_times_are_iso_8601_utc_and_since_selects_from_a_time(server: MockMailServer):
    requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5)
    time.sleep(0.01)
    middle = datetime.now(UTC)
    requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5)
    first, second = requests.get(server.url + JOURNAL, timeout=5).json()["requests"]
    for entry in (first, second):
        assert entry["time"].endswith("Z")
        assert abs(datetime.fromisoformat(entry["time"]) - middle).total_seconds() < 5
    assert shown(server, since=middle.isoformat().replace("+00:00", "Z")) == [("GET", "alice", 200)]
    assert shown(server, since=second["time"]) == [("GET", "alice", 200)]
    assert [entry.user for entry in server.journal(since=middle)] == ["alice"]
    assert [entry.user for entry in server.journal(since=middle.timestamp())] == ["alice"]


def test_seq_numbers_keep_growing_across_a_reset_and_after_follows_them(server: MockMailServer):
    requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5)
    (before,) = requests.get(server.url + JOURNAL, timeout=5).json()["requests"]
    server.reset()
    requests.get(server.url + ACCOUNTS, headers=BOB, timeout=5)
    requests.get(server.url + ACCOUNTS, headers=ALICE, timeout=5)
    entries = requests.get(server.url + JOURNAL, timeout=5).json()["requests"]
    assert [entry["seq"] for entry in entries] == [before["seq"] + 1, before["seq"] + 2]
    assert shown(server, after=str(entries[0]["seq"])) == [("GET", "alice", 200)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=abc", "status: expected an integer, got 'abc'"),
        ("after=1.5", "after: expected an integer, got '1.5'"),
        ("since=yesterday", "since: expected an ISO 8601 time such as 2026-12-01T14:47:15Z, got 'yesterday'"),
        (
            "mehtod=PUT",
            "unknown journal filter 'mehtod'; valid: method, path, user, email, status, fault, since, after",
        ),
    ],
)
@pytest.mark.parametrize("path", [JOURNAL, JOURNAL + "/count"])
def test_a_bad_filter_is_a_400_naming_it(server: MockMailServer, query: str, message: str, path: str):
    answer = requests.get(f"{server.url}{path}?{query}", timeout=5)
    assert (answer.status_code, answer.json()) == (400, {"error": message})


def test_from_python_filters_are_keywords_and_a_misspelled_one_is_a_type_error(traffic: MockMailServer):
    assert [entry.status for entry in traffic.journal(method="PUT", fault=None)] == [403, 200]
    assert [entry.status for entry in traffic.journal(status=401)] == [401]
    with pytest.raises(TypeError, match="unknown journal filter 'emial'"):
        traffic.journal(emial="alice@example.com")


def test_the_journal_masks_tokens_sent_as_fields_too(server: MockMailServer):
    requests.put(
        server.url + ACCOUNTS + "?access_token=leaked-token&api_key=k3y",
        data={"email": "bob@example.com"},
        headers=BOB,
        timeout=5,
    )
    (entry,) = server.journal()
    assert entry.fields == {"access_token": "***", "api_key": "***", "email": "bob@example.com"}
    assert "leaked-token" not in requests.get(server.url + JOURNAL, timeout=5).text
