"""MockMail, the fixture's handle, used directly on a server."""

from __future__ import annotations

import pytest
import requests

from mockmail import MockMailServer
from mockmail.testing import MockMail


@pytest.mark.parametrize(
    "path", ["/api/2.0/mail/accounts", "/api/2.0/mail/accounts.xml", "//api/2.0/mail/accounts.json"]
)
def test_an_update_is_found_whatever_the_paths_spelling(server: MockMailServer, path: str):
    mockmail = MockMail(server)
    requests.put(
        server.url + path,
        data={"email": "bob@example.com", "name": "B"},
        headers=mockmail.headers("bob"),
        timeout=5,
    )
    assert mockmail.assert_updated("bob@example.com", name="B").status == 200


def test_unknown_users_and_accounts_name_what_there_is(server: MockMailServer):
    mockmail = MockMail(server)
    with pytest.raises(KeyError, match="no user 'carol' in the scenario; users: alice, bob"):
        mockmail.token("carol")
    with pytest.raises(KeyError):
        mockmail.account("nobody@example.com")
    assert [account.email for account in mockmail.accounts("Alice")] == [
        "alice@example.com",
        "alice@portal.example.com",
    ]


def test_assert_not_updated_prints_the_journal(server: MockMailServer):
    mockmail = MockMail(server)
    requests.put(
        server.url + "/api/2.0/mail/accounts",
        json={"email": "bob@example.com"},
        headers=mockmail.headers("bob"),
        timeout=5,
    )
    with pytest.raises(
        AssertionError,
        match=r"bob@example.com was updated; the mock received:\n  PUT /api/2.0/mail/accounts -> 200 user=bob",
    ):
        mockmail.assert_not_updated("bob@example.com")
