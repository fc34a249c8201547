"""What a test asks of the mock beyond control: credentials, accounts, update assertions, in-process clients.

``MockMailServer`` has these methods (it is ``ServerHelpers``' only user), so the ``mockmail``
fixture, which is the session's server, has them too.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, cast

from mockmail.errors import UnknownAccount, UnknownUser
from mockmail.journal import JournalEntry
from mockmail.models import Account, User
from mockmail.paths import ACCOUNTS, normalize_path

if TYPE_CHECKING:
    from typing import TypeAlias

    import httpx
    import requests
    from flask import Flask

    from mockmail.server import MockMailServer
    from mockmail.state import MockState

    # Deprecated: the fixture is the server itself. To type checkers the same class; at run time
    # server.MockMail, which also takes the one argument MockMail(server) the old handle took.
    MockMail: TypeAlias = MockMailServer

UPDATE = ("PUT", ACCOUNTS)


class ServerHelpers:
    """The test helpers of ``MockMailServer``, kept apart from its lifecycle and control methods."""

    # Supplied by MockMailServer, the class this is mixed into.
    app: Flask

    @property
    def state(self) -> MockState:
        raise NotImplementedError

    @property
    def url(self) -> str:
        raise NotImplementedError

    def journal(self, **filters: Any) -> list[JournalEntry]:
        raise NotImplementedError

    @property
    def server(self) -> MockMailServer:
        """This server: once the fixture was a handle around one, and code still reads ``mockmail.server``."""
        warnings.warn(
            "mockmail.server is deprecated: the mockmail fixture is the server itself", DeprecationWarning, 2
        )
        return cast("MockMailServer", self)  # the only class this is mixed into

    @property
    def users(self) -> list[str]:
        """The scenario's user names."""
        return [user.name for user in self.state.scenario.users]

    def token(self, user: str) -> str:
        """The user's API token; UnknownUser (a KeyError) lists the users there are."""
        return self._user(user).token

    def headers(self, user: str) -> dict[str, str]:
        """Ready ``Authorization`` headers for the user; UnknownUser lists the users there are."""
        return {"Authorization": self.token(user)}

    def accounts(self, user: str) -> list[Account]:
        """The user's accounts as they are now; UnknownUser lists the users there are."""
        return self.state.store.accounts(self._user(user))

    def account(self, email: str) -> Account:
        """The account with this email, whoever owns it, as it is now.

        UnknownAccount (a KeyError) lists the accounts there are.
        """
        store = self.state.store
        accounts = [account for user in self.state.scenario.users for account in store.accounts(user)]
        for account in accounts:
            if account.email == email.lower():
                return account
        raise UnknownAccount(email, [account.email for account in accounts])

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

    def session(self) -> requests.Session:
        """A ``requests`` session that calls the mock in-process: same answers, no socket.

        MissingPackage (a ModuleNotFoundError) says what to install when requests is not.
        """
        from mockmail.inprocess import requests_session

        return requests_session(self.app)

    def httpx_client(self) -> httpx.Client:
        """An ``httpx.Client`` that calls the mock in-process; MissingPackage when httpx is not installed."""
        from mockmail.inprocess import httpx_client

        return httpx_client(self.app, self.url)

    def _user(self, name: str) -> User:
        users = self.state.scenario.users
        for user in users:
            if user.name.lower() == name.lower():
                return user
        raise UnknownUser(name, [user.name for user in users])

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


def __getattr__(name: str) -> Any:
    # Imported on use: server.py imports this module for ServerHelpers.
    if name != "MockMail":
        raise AttributeError(f"module 'mockmail.testing' has no attribute {name!r}")
    from mockmail.server import MockMail

    return MockMail
