"""In-memory store of users and mail accounts, shared by the HTTP handlers and the test fixtures."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from datetime import datetime

from mockmail.errors import (
    ACCOUNT_NOT_FOUND_MESSAGE,
    CANNOT_DELETE_MESSAGE,
    HRESULT_ARGUMENT,
    ApiError,
    account_not_found_by_email,
    generic_error,
)
from mockmail.login_test import LoginTest
from mockmail.models import Account, AccountUpdate, NewAccount, User, saved_over
from mockmail.scenarios import Scenario

LOGIN_FAILED_REASON = "the login test failed against the scenario's mail_servers; nothing saved"


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
        last_id = max((account.mailbox_id for user in scenario.users for account in user.accounts), default=0)
        with self._lock:
            self.scenario = scenario
            self._users = users
            self._tokens = {user.token: user for user in scenario.users}
            self._revoked: set[str] = set()
            self._accounts = accounts
            self._login_test = LoginTest(scenario.mail_servers)
            self._last_id = last_id  # mail_mailbox's auto-increment: an id is never given twice
            self._online: dict[str, bool] = {}

    def users(self) -> list[User]:
        """The users as they are now (a default account set since the reset included), in scenario order."""
        with self._lock:
            return [self._users[user.name.lower()] for user in self.scenario.users]

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

    def account(self, user: User, address: str) -> Account | None:
        """The user's account at ``address`` (lower case), if there is one."""
        with self._lock:
            return self._accounts[user.name].get(address)

    def create(self, user: User, new: NewAccount, now: datetime, created: datetime) -> Account:
        """Save a new account after the login test; an existing one of that address is replaced (upsert).

        ``SaveMailBox`` finds the row by address and keeps its id, ``enabled`` and creation date.
        mockmail refuses the portal's built-in mailbox with the generic 500, as the update does.
        """
        with self._lock:
            existing = self._accounts[user.name].get(new.address)
            return self._save(user, saved_over(new.build(0, now, created), existing), existing)

    def create_first_passing(self, user: User, tried: Sequence[Account]) -> Account:
        """Save the first of ``tried`` whose login test passes (``AccountEngine.CreateAccountSimple``).

        None passing: the real 500 listing every attempt as ``#N:<br>`` and its failures.
        """
        with self._lock:
            attempts: list[str] = []
            for candidate in tried:
                failures = self._login_test.failures(candidate)
                if not failures:
                    existing = self._accounts[user.name].get(candidate.email)
                    return self._save(user, saved_over(candidate, existing), existing, tested=True)
                attempts.append(f"#{len(attempts) + 1}:<br>" + "".join(part + "<br>" for part in failures))
            raise ApiError(500, "".join(attempts), reason=LOGIN_FAILED_REASON)

    def _save(
        self, user: User, account: Account, existing: Account | None, *, tested: bool = False
    ) -> Account:
        if existing is not None and existing.teamlab:
            raise generic_error(_built_in(account.email))
        if not tested:
            failure = self._login_test.failure(account)
            if failure is not None:
                raise ApiError(500, failure, reason=LOGIN_FAILED_REASON)
        if existing is None:
            self._last_id += 1
            account = dataclasses.replace(account, mailbox_id=self._last_id)
        self._accounts[user.name][account.email] = account
        return account

    def delete(self, user: User, address: str, sent: str) -> Account:
        """Remove the account at once (the real removal is an operation that runs a moment later).

        Unknown: the ``NullReferenceException`` 500 quoting ``sent``; built-in mailbox: 400.
        """
        with self._lock:
            accounts = self._accounts[user.name]
            current = accounts.get(address)
            if current is None:
                raise account_not_found_by_email(sent, reason=_no_account(user, address))
            if current.teamlab:
                raise ApiError(400, CANNOT_DELETE_MESSAGE, HRESULT_ARGUMENT, reason=_built_in(address))
            del accounts[address]
            return current

    def set_enabled(self, user: User, address: str, shown: str, enabled: bool) -> Account:
        """Enable (after the login test on the stored settings) or disable the account.

        Unknown: the ``NullReferenceException`` 500 quoting the address as sent (``shown``).
        """
        with self._lock:
            accounts = self._accounts[user.name]
            current = accounts.get(address)
            if current is None:
                raise account_not_found_by_email(shown, reason=_no_account(user, address))
            if enabled:
                failure = self._login_test.failure(current)
                if failure is not None:
                    raise ApiError(500, failure, reason=LOGIN_FAILED_REASON.replace("saved", "changed"))
            updated = accounts[address] = dataclasses.replace(current, enabled=enabled)
            return updated

    def set_default(self, user: User, address: str, is_default: bool) -> User:
        """Make ``address`` the user's default (one of their mailboxes or aliases), or clear it.

        Clearing takes any address, as ``MailBoxAccountSettings`` is simply emptied.
        """
        with self._lock:
            current = self._users.get(user.name.lower(), user)
            if is_default and not any(
                address == account.email or address in account.aliases
                for account in self._accounts[user.name].values()
            ):
                reason = f"{user.name} has no account or alias {address}"
                raise ApiError(400, ACCOUNT_NOT_FOUND_MESSAGE, HRESULT_ARGUMENT, reason=reason)
            changed = dataclasses.replace(current, default_account=address if is_default else None)
            # The user the next request's credentials find carries the new default.
            self._users[user.name.lower()] = self._tokens[user.token] = changed
            return changed

    def set_email_in_folder(self, user: User, mailbox_id: int, folder: str | None) -> Account | None:
        """Store the Documents folder of the user's mailbox ``mailbox_id``; None if they have none such."""
        with self._lock:
            accounts = self._accounts[user.name]
            current = next(
                (account for account in accounts.values() if account.mailbox_id == mailbox_id), None
            )
            if current is None:
                return None
            updated = accounts[current.email] = dataclasses.replace(current, email_in_folder=folder)
            return updated

    def set_online(self, user: User, online: bool) -> None:
        """Mark the user's mailboxes as having their owner online or not (``SetMailboxesActivity``)."""
        with self._lock:
            self._online[user.name] = online

    def online(self, user: User) -> bool | None:
        """What the last ``updateuseractivity`` said of the user; None if none came since the reset."""
        with self._lock:
            return self._online.get(user.name)

    def revoked_token_owner(self, token: str) -> User | None:
        """The user whose token ``token`` was, if it has been revoked (for the 401's reason)."""
        with self._lock:
            return self._tokens.get(token) if token in self._revoked else None


def _no_account(user: User, address: str) -> str:
    return f"{user.name} has no account {address}"


def _built_in(address: str) -> str:
    return f"mailbox {address} is the portal's built-in one"
