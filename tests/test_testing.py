"""The test helpers every MockMailServer has, and so the fixture: lookups, assertions, in-process clients."""

from __future__ import annotations

import pickle
import sys

import pytest
import requests

import mockmail
from mockmail import (
    MissingPackage,
    MockmailError,
    MockMailServer,
    UnknownAccount,
    UnknownFault,
    UnknownName,
    UnknownUser,
)
from mockmail.testing import MockMail


@pytest.mark.parametrize(
    "path", ["/api/2.0/mail/accounts", "/api/2.0/mail/accounts.xml", "//api/2.0/mail/accounts.json"]
)
def test_an_update_is_found_whatever_the_paths_spelling(server: MockMailServer, path: str):
    requests.put(
        server.url + path,
        data={"email": "bob@example.com", "name": "B"},
        headers=server.headers("bob"),
        timeout=5,
    )
    assert server.assert_updated("bob@example.com", name="B").status == 200


def test_users_credentials_and_accounts_come_from_the_scenario(server: MockMailServer):
    assert server.users == ["alice", "bob"]
    assert server.headers("Bob") == {"Authorization": "bob-token"}
    assert [account.email for account in server.accounts("Alice")] == [
        "alice@example.com",
        "alice@portal.example.com",
    ]
    assert server.account("BOB@example.com").email == "bob@example.com"


def test_an_unknown_user_is_named_with_the_users_there_are(server: MockMailServer):
    for lookup in (server.token, server.headers, server.accounts, server.revoke_token):
        with pytest.raises(UnknownUser) as raised:
            lookup("carol")
        assert str(raised.value) == "no user 'carol' in the scenario; users: alice, bob"
        assert (raised.value.name, raised.value.known) == ("carol", ("alice", "bob"))


def test_an_unknown_account_is_named_with_the_accounts_there_are(server: MockMailServer):
    with pytest.raises(UnknownAccount) as raised:
        server.account("nobody@example.com")
    assert str(raised.value) == (
        "no account 'nobody@example.com' in the scenario; "
        "accounts: alice@example.com, alice@portal.example.com, bob@example.com"
    )


def test_an_unknown_fault_is_named_with_the_faults_there_are(server: MockMailServer):
    with pytest.raises(UnknownFault, match=r"^no fault 'deny'; faults: none$"):
        server.remove_fault("deny")
    server.add_fault(name="deny", respond="forbidden")
    server.add_fault({"respond": "unauthorized"}, times=1)
    with pytest.raises(UnknownFault, match=r"^no fault 'denied'; faults: deny, fault-2$"):
        server.enable_fault("denied")


def test_unknown_names_are_still_the_key_errors_code_caught_before(server: MockMailServer):
    with pytest.raises(KeyError):
        server.account("nobody@example.com")
    with pytest.raises(KeyError):
        server.remove_fault("deny")
    with pytest.raises(LookupError):
        server.token("carol")
    error = UnknownUser("carol", ["alice"])
    assert isinstance(error, UnknownName)
    assert isinstance(error, MockmailError)
    copy = pickle.loads(pickle.dumps(error))  # as xdist and multiprocessing pass errors on
    assert (type(copy), str(copy), copy.known) == (UnknownUser, str(error), ("alice",))


def test_add_fault_takes_keywords_a_mapping_or_both(server: MockMailServer):
    first = server.add_fault(respond="forbidden", times=1)
    second = server.add_fault({"respond": "unauthorized"}, name="expired")
    assert [(status.name, status.spec["respond"]) for status in (first, second)] == [
        ("fault-1", "forbidden"),
        ("expired", "unauthorized"),
    ]
    assert server.faults() == [first, second]


def test_assert_not_updated_prints_the_journal(server: MockMailServer):
    requests.put(
        server.url + "/api/2.0/mail/accounts",
        json={"email": "bob@example.com"},
        headers=server.headers("bob"),
        timeout=5,
    )
    with pytest.raises(
        AssertionError,
        match=r"bob@example.com was updated; the mock received:\n  PUT /api/2.0/mail/accounts -> 200 user=bob",
    ):
        server.assert_not_updated("bob@example.com")


def test_assert_updated_says_when_there_was_no_request_at_all(server: MockMailServer):
    with pytest.raises(
        AssertionError, match=r"^no update of bob@example.com was received; the mock received no request$"
    ):
        server.assert_updated("bob@example.com", name="Bob")


@pytest.mark.parametrize(
    ("package", "make_client", "needed_by"),
    [
        ("requests", MockMailServer.session, "mockmail's session()"),
        ("httpx", MockMailServer.httpx_client, "mockmail's httpx_client()"),
    ],
)
def test_an_in_process_client_without_its_package_says_what_to_install(
    server: MockMailServer, monkeypatch: pytest.MonkeyPatch, package: str, make_client, needed_by: str
):
    monkeypatch.setitem(sys.modules, package, None)  # as if it were not installed
    with pytest.raises(MissingPackage) as raised:
        make_client(server)
    assert str(raised.value) == (
        f"{needed_by} needs {package}, which is not installed: pip install {package} "
        "(mockmail's test extra, pip install 'mockmail[test]', brings it too)"
    )
    assert isinstance(raised.value, ModuleNotFoundError)
    assert (raised.value.name, raised.value.package) == (package, package)


def test_the_old_handle_is_the_server_itself(server: MockMailServer):
    with pytest.warns(DeprecationWarning, match="the mockmail fixture is a MockMailServer"):
        assert MockMail(server) is server  # MockMail(server), as code wrapped a server before
    with pytest.warns(DeprecationWarning, match="the mockmail fixture is the server itself"):
        assert server.server is server  # mockmail.server, as tests reached the server before
    assert mockmail.MockMail is MockMail
    assert "MockMail" not in mockmail.__all__
