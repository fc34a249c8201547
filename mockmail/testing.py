"""MockMail: what a test gets from the fixture: URL, credentials, accounts, journal, faults, clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mockmail.faults import FaultStatus
from mockmail.journal import JournalEntry
from mockmail.models import Account, User
from mockmail.paths import ACCOUNTS, normalize_path
from mockmail.server import MockMailServer

if TYPE_CHECKING:
    import httpx
    import requests

UPDATE = ("PUT", ACCOUNTS)


class MockMail:
    """A running mock server, as a test uses it."""

    def __init__(self, server: MockMailServer) -> None:
        self.server = server

    @property
    def url(self) -> str:
        """The base URL, no trailing slash: ``f"{mockmail.url}/api/2.0/mail/accounts"``."""
        return self.server.url

    @property
    def users(self) -> list[str]:
        """The scenario's user names."""
        return [user.name for user in self.server.scenario.users]

    def token(self, user: str) -> str:
        """The user's API token."""
        return self._user(user).token

    def headers(self, user: str) -> dict[str, str]:
        """Ready ``Authorization`` headers for the user."""
        return {"Authorization": self.token(user)}

    def accounts(self, user: str) -> list[Account]:
        """The user's accounts as they are now."""
        return self.server.state.store.accounts(self._user(user))

    def account(self, email: str) -> Account:
        """The account with this email, whoever owns it, as it is now."""
        for user in self.server.scenario.users:
            for account in self.server.state.store.accounts(user):
                if account.email == email.lower():
                    return account
        raise KeyError(email)

    def journal(self, **filters: Any) -> list[JournalEntry]:
        """The requests the mock received in this test, oldest first; filters as the server's ``journal``."""
        return self.server.journal(**filters)

    def add_fault(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> FaultStatus:
        """Add a fault: ``add_fault(respond="unauthorized", times=1)``, or a mapping as in a scenario."""
        return self.server.add_fault({**(spec or {}), **fields})

    def faults(self) -> list[FaultStatus]:
        return self.server.faults()

    def enable_fault(self, name: str, enabled: bool = True) -> FaultStatus:
        """Switch a fault on (or off, ``enabled=False``), counts kept; KeyError for an unknown name."""
        return self.server.enable_fault(name, enabled)

    def remove_fault(self, name: str) -> None:
        self.server.remove_fault(name)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def revoke_token(self, user: str) -> None:
        """The user's token answers 401 until the test ends."""
        self.server.revoke_token(user)

    def session(self) -> requests.Session:
        """A ``requests`` session that calls the mock in-process: same answers, no socket."""
        from mockmail.inprocess import requests_session

        return requests_session(self.server.app)

    def httpx_client(self) -> httpx.Client:
        """An ``httpx.Client`` that calls the mock in-process (needs httpx installed)."""
        from mockmail.inprocess import httpx_client

        return httpx_client(self.server.app, self.url)

    def updates(self, email: str | None = None) -> list[JournalEntry]:
        """The account updates received, oldest first; only those for ``email`` if given."""
        return [
            entry
            for entry in self.journal()
            if (entry.method, normalize_path(entry.path)) == UPDATE
            and (email is None or entry.email == email.lower())
        ]

    def assert_updated(self, email: str, **fields: Any) -> JournalEntry:
        """Assert that the last update of ``email`` sent these fields (compared as the strings sent).

        Passwords are masked in the journal: ``password="***"`` asserts one was sent.
        """
        updates = self.updates(email)
        if not updates:
            raise AssertionError(f"no update of {email} was received; {self._journal_text()}")
        last = updates[-1]
        wrong = {
            name: (expected, last.fields.get(name))
            for name, expected in fields.items()
            if last.fields.get(name) != _as_sent(expected)
        }
        if wrong:
            lines = [f"  {name}: expected {want!r}, sent {got!r}" for name, (want, got) in wrong.items()]
            raise AssertionError(
                f"the last update of {email} differs:\n" + "\n".join(lines) + f"\n{self._journal_text()}"
            )
        return last

    def assert_not_updated(self, email: str) -> None:
        """Assert that no update of ``email`` was received."""
        if self.updates(email):
            raise AssertionError(f"{email} was updated; {self._journal_text()}")

    def _user(self, name: str) -> User:
        for user in self.server.scenario.users:
            if user.name.lower() == name.lower():
                return user
        raise KeyError(f"no user {name!r} in the scenario; users: {', '.join(self.users)}")

    def _journal_text(self) -> str:
        entries = self.journal()
        if not entries:
            return "the mock received no request"
        lines = [
            f"  {entry.method} {entry.path} -> {entry.status if entry.status is not None else 'dropped'}"
            f" user={entry.user} fault={entry.fault} fields={dict(entry.fields)}"
            for entry in entries
        ]
        return "the mock received:\n" + "\n".join(lines)


def _as_sent(value: Any) -> str:
    """A Python value as a client sends it: ``True`` as ``true``, numbers as digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
