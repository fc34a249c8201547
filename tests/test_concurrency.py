"""Concurrent updates over real HTTP: every update lands, none is torn."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import requests

from mockmail import MockMailServer

ACCOUNTS = "/api/2.0/mail/accounts"
THREADS = 50


def run_together(work: Callable[[int], requests.Response]) -> list[int]:
    """Run ``work(i)`` on THREADS threads released at the same moment; their statuses."""
    barrier = threading.Barrier(THREADS)
    statuses = [0] * THREADS

    def run(i: int) -> None:
        barrier.wait(timeout=10)
        statuses[i] = work(i).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_fifty_threads_updating_fifty_accounts_lose_no_update(write_scenario: Callable[[str], Path]):
    accounts = "".join(f"      - email: user{i}@example.com\n" for i in range(THREADS))
    path = write_scenario(f"users:\n  - name: u\n    token: t\n    accounts:\n{accounts}")
    with MockMailServer(path) as server:
        statuses = run_together(
            lambda i: requests.put(
                server.url + ACCOUNTS,
                json={"email": f"user{i}@example.com", "name": f"renamed {i}", "port": i},
                headers={"Authorization": "t"},
                timeout=10,
            )
        )
        listed = requests.get(server.url + ACCOUNTS, headers={"Authorization": "t"}, timeout=10).json()[
            "response"
        ]
    assert statuses == [200] * THREADS
    assert {item["email"]: item["name"] for item in listed} == {
        f"user{i}@example.com": f"renamed {i}" for i in range(THREADS)
    }


def test_fifty_threads_updating_one_account_leave_one_whole_update(server: MockMailServer, alice):
    statuses = run_together(
        lambda i: requests.put(
            server.url + ACCOUNTS,
            json={
                "email": "bob@example.com",
                "name": f"n{i}",
                "server": f"s{i}",
                "port": i,
                "account": f"a{i}",
            },
            headers={"Authorization": "bob-token"},
            timeout=10,
        )
    )
    assert statuses == [200] * THREADS
    user = server.state.store.user_for_token("bob-token")
    assert user is not None
    (account,) = server.state.store.accounts(user)
    winner = int(account.name[1:])  # every field must come from the same request
    assert (account.server, account.port, account.account) == (f"s{winner}", winner, f"a{winner}")
