"""The workbench: a page under /_mockmail/ to watch and drive the mock from a browser, offline.

The page is a template, one script and one stylesheet from the package; everything it shows it
reads from the control endpoints, plus ``GET /_mockmail/users`` here: the users and their
accounts as they are now, with what changed since the last reset.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template

from mockmail.journal import MASK
from mockmail.models import CONNECTION_SETTINGS, UNRESTRICTED_BEGIN_DATE, Account, User
from mockmail.request_context import mock_state
from mockmail.store import AccountStore
from mockmail.wire import listed_accounts

workbench = Blueprint(
    "mockmail_workbench",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/_mockmail/static",
)

# The page runs no inline script or style and talks only to the mock; no other site may frame it,
# since its buttons reset the mock and revoke tokens.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# The account's connection settings the page shows besides the wire JSON (which has none of them).
SETTINGS = (*CONNECTION_SETTINGS, "imap")
SECRETS = ("password", "smtp_password")
NEW = "new"
SNAPSHOT_ATTEMPTS = 5


@workbench.get("/")
def root() -> Response:
    """The mock has no page of its own at ``/``: the workbench is the one."""
    return redirect("/_mockmail/", code=302)  # type: ignore[return-value]


@workbench.get("/_mockmail/")
def page() -> Response:
    """The workbench page; its script and stylesheet come from ``/_mockmail/static/``."""
    response = Response(render_template("workbench.html"), mimetype="text/html")
    response.headers.update(PAGE_HEADERS)
    return response


@workbench.get("/_mockmail/users")
def users() -> Response:
    """Each user with their token, whether it is revoked, and their accounts as they are now."""
    return jsonify(users=users_view(mock_state().store))


def users_view(store: AccountStore) -> list[dict[str, Any]]:
    """The users as the page shows them, read consistently even while a reset runs."""
    for _ in range(SNAPSHOT_ATTEMPTS):
        scenario = store.scenario
        try:
            view = [_user(store, user) for user in store.users()]
        except KeyError:  # a reset to another scenario replaced the accounts while we read them
            continue
        if store.scenario is scenario:
            return view
    return []


def _user(store: AccountStore, user: User) -> dict[str, Any]:
    seeded = {account.email: account for account in user.accounts}  # the accounts as the scenario has them
    accounts = []
    for account in store.accounts(user):
        original = seeded.get(account.email)
        changed = [NEW] if original is None else changed_fields(original, account)
        mailbox, *aliases = listed_accounts(user, [account])
        accounts.append({**mailbox, "changed": changed, "settings": settings(account)})
        accounts.extend({**alias, "changed": [], "settings": {}} for alias in aliases)
    return {
        "name": user.name,
        "token": user.token,
        "revoked": store.user_for_token(user.token) is None,
        "accounts": accounts,
    }


def changed_fields(original: Account, current: Account) -> list[str]:
    """The scenario's names of the fields that differ (``restrict`` for the import start date)."""
    changed = []
    for field in dataclasses.fields(Account):
        if getattr(original, field.name) != getattr(current, field.name):
            changed.append("restrict" if field.name == "begin_date" else field.name)
    return changed


def settings(account: Account) -> dict[str, Any]:
    """The connection settings an update replaces; passwords only as set (``***``) or not."""
    shown: dict[str, Any] = {name: getattr(account, name) for name in SETTINGS}
    shown.update({name: MASK if getattr(account, name) else "" for name in SECRETS})
    shown["restrict"] = account.begin_date != UNRESTRICTED_BEGIN_DATE
    return shown
