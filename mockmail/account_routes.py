"""The account calls around the update (``MailApi.Accounts.cs``): create, delete, read, enable, default...

Each route is registered from its row of ``mockmail.signatures``, behind the same faults,
credentials, encodings and journal as ``PUT /api/2.0/mail/accounts``.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response

from mockmail.api import authenticated, routes, success
from mockmail.binding import (
    address_text,
    parse_address,
    parse_create,
    parse_default,
    parse_delete,
    parse_email_in_folder,
    parse_setups,
    parse_simple,
    parse_single,
    parse_state,
    parse_user_activity,
)
from mockmail.errors import ApiError, account_not_found_by_email, generic_error
from mockmail.models import UNRESTRICTED_BEGIN_DATE, Account, User
from mockmail.providers import candidates, default_settings, guessed_settings, provider_for
from mockmail.request_context import api_request, mock_state
from mockmail.responses import render
from mockmail.signatures import (
    CREATE_ACCOUNT,
    CREATE_ACCOUNT_SIMPLE,
    DELETE_ACCOUNT,
    GET_ACCOUNT,
    GET_ACCOUNT_DEFAULTS,
    SET_ACCOUNT_ENABLE,
    SET_DEFAULT_ACCOUNT,
    SET_EMAIL_IN_FOLDER,
    UPDATE_USER_ACTIVITY,
)
from mockmail.state import MockState
from mockmail.wire import (
    docs_style,
    envelope,
    mailbox_data,
    remove_operation,
    updated_account,
    void_envelope,
)

IMAP_ACTIONS = ("get_imap_server", "get_imap_server_full")
POP_ACTIONS = ("get_pop_server", "get_pop_server_full")
IMAP_OR_POP = "get_imap_pop_settings"


@routes(CREATE_ACCOUNT.path, [CREATE_ACCOUNT.verb])
def create_account(extension: str = "json") -> Response:
    """Create an account from full settings after the login test; an existing address is replaced."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    new = parse_create(call.parameters())
    account = mock.store.create(user, new, datetime.now(), datetime.now(UTC))
    return _created(mock, _answer(account, new.email, user))


@routes(CREATE_ACCOUNT_SIMPLE.path, [CREATE_ACCOUNT_SIMPLE.verb])
def create_account_simple(extension: str = "json") -> Response:
    """Create an account from an email and a password, trying the provider's servers in turn."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    simple = parse_simple(call.parameters())
    domain = simple.email[simple.email.find("@") + 1 :]  # email.Substring(email.IndexOf('@') + 1)
    provider = provider_for(mock.store.scenario.providers, domain)
    if provider is None:
        # "Unknown mail provider settings.", swallowed by the controller's catch-all.
        raise generic_error(f"no provider settings for {domain}: add it to the scenario's providers")
    try:
        display, address = parse_address(simple.email)
    except ApiError:
        raise generic_error(f"{simple.email!r} is not an address (ToMailboxList's MailAddress)") from None
    tried = candidates(provider, address, simple.password, datetime.now(UTC).replace(tzinfo=None))
    account = mock.store.create_first_passing(user, tried)
    return _created(mock, _answer(account, address_text(display, address), user))


@routes(DELETE_ACCOUNT.path, [DELETE_ACCOUNT.verb])
def delete_account(extension: str = "json") -> Response:
    """Remove an account: gone at once; the answer is the removal operation's status as queued."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    named = parse_delete(call.parameters())
    account = mock.store.delete(user, named.key, named.sent)
    return success(mock, remove_operation(str(uuid.uuid4()), account.mailbox_id), extension)


@routes(GET_ACCOUNT.path, [GET_ACCOUNT.verb])
def get_account(extension: str = "json") -> Response:
    """One account's ``MailBoxData``, passwords blanked; a built-in mailbox shows its MX host."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    named = parse_single(call.parameters())
    account = mock.store.account(user, named.key)
    if account is None:
        raise account_not_found_by_email(named.sent, reason=f"{user.name} has no account {named.key}")
    if account.teamlab:  # a standalone server shows its mail server's MX host: here, the mailbox's domain
        host = account.email.rpartition("@")[2]
        account = dataclasses.replace(account, server=host, smtp_server=host)
    blanked = dataclasses.replace(account, password="", smtp_password="")
    data = mailbox_data(
        blanked,
        email=account.email,
        begin_date=f"{account.begin_date:%Y-%m-%dT%H:%M:%S}",
        restrict=account.begin_date != UNRESTRICTED_BEGIN_DATE,
    )
    return success(mock, data, extension)


@routes(SET_ACCOUNT_ENABLE.path, [SET_ACCOUNT_ENABLE.verb])
def set_account_enable(extension: str = "json") -> Response:
    """Enable (after the login test) or disable an account; the answer is its mailbox id."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    named, state = parse_state(call.parameters())
    account = mock.store.set_enabled(user, named.key, named.address, state)
    return success(mock, account.mailbox_id, extension)


@routes(SET_DEFAULT_ACCOUNT.path, [SET_DEFAULT_ACCOUNT.verb])
def set_default_account(extension: str = "json") -> Response:
    """Set or clear the user's default account; the answer is the email lowercased (``count``: its length)."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    email, is_default = parse_default(call.parameters())
    mock.store.set_default(user, email, is_default)
    return success(mock, email, extension)


@routes(GET_ACCOUNT_DEFAULTS.path, [GET_ACCOUNT_DEFAULTS.verb])
def get_account_defaults(extension: str = "json") -> Response:
    """The provider's settings for an address (``GetAccountDefaults``), or the server's guess."""
    mock, call = mock_state(), api_request()
    authenticated(call.caller)
    query = parse_setups(call.parameters())
    provider = provider_for(mock.store.scenario.providers, query.address.rpartition("@")[2])
    now = datetime.now(UTC).replace(tzinfo=None)

    def settings(imap: bool | None, none_if_unknown: bool) -> Account | None:
        found = default_settings(provider, query.address, query.shown, imap, now)
        if found is not None or none_if_unknown:
            return found
        return guessed_settings(query.address, query.shown, query.sent, imap is not False, now)

    if query.action == IMAP_OR_POP:
        account = settings(True, True) or settings(False, False)
    elif query.action in IMAP_ACTIONS:
        account = settings(True, False)
    elif query.action in POP_ACTIONS:
        account = settings(False, False)
    else:
        account = settings(None, False)
    assert account is not None  # only a table lookup that may be None is asked for None
    begin = account.begin_date  # DateTime.UtcNow minus 30 days: Json.NET writes the fraction and Z
    data = mailbox_data(
        account,
        email=account.email,
        begin_date=f"{begin:%Y-%m-%dT%H:%M:%S}.{begin.microsecond:06d}0Z",
        restrict=True,  # a BeginDate that is not the (unset) MailBeginTimestamp
    )
    return success(mock, data, extension)


@routes(SET_EMAIL_IN_FOLDER.path, [SET_EMAIL_IN_FOLDER.verb])
def set_email_in_folder(extension: str = "json") -> Response:
    """Store the Documents folder mail is saved to; an id the user does not own changes nothing, silently."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    mailbox_id, folder = parse_email_in_folder(call.parameters())
    if mock.store.set_email_in_folder(user, mailbox_id, folder) is None:
        call.reason = f"{user.name} has no mailbox {mailbox_id}: nothing saved, as on the real server"
    return _void(mock)


@routes(UPDATE_USER_ACTIVITY.path, [UPDATE_USER_ACTIVITY.verb])
def update_user_activity(extension: str = "json") -> Response:
    """Record whether the user is online (``SetMailboxesActivity``); nothing the API shows changes."""
    mock, call = mock_state(), api_request()
    user = authenticated(call.caller)
    mock.store.set_online(user, parse_user_activity(call.parameters()))
    return _void(mock)


def _answer(account: Account, shown_email: str, user: User) -> dict[str, Any]:
    """The ``MailAccountData`` a create answers: built from the new settings, always ``enabled``.

    ``CreateAccount`` answers the ``MailBoxData`` it built (``Enabled = true``), even where
    ``SaveMailBox`` kept an existing row disabled.
    """
    return updated_account(dataclasses.replace(account, enabled=True), shown_email, user.default_account)


def _created(mock: MockState, data: Any) -> Response:
    """A 201 carrying ``data``: every POST is one (``ApiHttpHandlerBase.PostProcessResponse``)."""
    return render(docs_style(data) if mock.style == "docs" else envelope(data, 201), 201)


def _void(mock: MockState) -> Response:
    """A ``void`` method's 200: ``response`` ``{}`` and no ``count``."""
    return render({} if mock.style == "docs" else void_envelope(), 200)
