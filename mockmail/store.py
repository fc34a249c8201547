"""In-memory store of users and mail accounts, shared by the HTTP handlers and the test fixtures."""

from __future__ import annotations

import threading
from datetime import datetime

from mockmail.errors import ApiError, generic_error
from mockmail.login_test import LoginTest
from mockmail.models import Account, AccountUpdate, User
from mockmail.scenarios import Scenario


class AccountStore:
    """The mock's state: built from a scenario, changed by updates, rebuilt by a reset."""

    def __init__(self, scenario: Scenario) -> None:
        self._lock = threading.Lock()
        self.reset(scenario)

    def reset(self, scenario: Scenario) -> None:
        """Forget every change and load ``scenario`` afresh."""
        users = {user.name.lower(): user for user in scenario.users}
        accounts = {
            user.name: {account.email: account for account in user.accounts} for user in scenario.users
        }
        with self._lock:
            self.scenario = scenario
            self._users = users
            self._tokens = {user.token: user for user in scenario.users}
            self._revoked: set[str] = set()
            self._accounts = accounts
            self._login_test = LoginTest(scenario.mail_servers)

    def user_for_token(self, token: str) -> User | None:
        """The user a token belongs to, unless it has been revoked."""
        return None if token in self._revoked else self._tokens.get(token)

    def revoke_token(self, name: str) -> bool:
        """Make the user's token answer 401 until the next reset; False if there is no such user."""
        user = self._users.get(name.lower())
        if user is None:
            return False
        with self._lock:
            self._revoked.add(user.token)
        return True

    def user_for_login(self, name: str, password: str) -> User | None:
        """The user whose name (any case) and password match; users without a password never do."""
        user = self._users.get(name.lower())
        if user is None or user.password is None or user.password != password:
            return None
        return user

    def accounts(self, user: User) -> list[Account]:
        """The user's accounts as they are now, in scenario order."""
        with self._lock:
            return list(self._accounts[user.name].values())

    def update(self, user: User, change: AccountUpdate, now: datetime) -> Account:
        """Apply an update the way the real server does and return the stored account.

        Unknown, another user's and built-in mailboxes give the generic 500; a failed
        login test gives its 500 and saves nothing.
        """
        with self._lock:
            accounts = self._accounts[user.name]
            current = accounts.get(change.address)
            if current is None or current.teamlab:
                raise generic_error()
            updated = change.apply_to(current, now)
            failure = self._login_test.failure(updated)
            if failure is not None:
                raise ApiError(500, failure)
            accounts[current.email] = updated
            return updated
