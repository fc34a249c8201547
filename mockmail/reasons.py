"""Why mockmail answered as it did: the reason texts, and their safe form for a header or a log line.

An answer's body stays the real server's; the reason is mockmail's own note beside it, sent as
``X-Mockmail-Reason``, kept in the journal and shown in the ``serve`` log. Each is worked out
where mockmail decides, and only on the way to an error: a request that succeeds pays nothing.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mockmail.models import AccountUpdate, User
    from mockmail.store import AccountStore

REASON_HEADER = "X-Mockmail-Reason"
FAULT_HEADER = "X-Mockmail-Fault"
TEXT_LIMIT = 200  # characters of a value in a header or a log line; a body may name a 1 MiB address

NO_CREDENTIALS = "no credentials: send an Authorization header or the asc_auth_key cookie"
NO_SUCH_TOKEN = "no user has this token"
NO_SUCH_COOKIE = "no user has the token in the asc_auth_key cookie"
TOKEN_REVOKED = "token revoked"
BAD_BASIC = "Basic: not base64 of user:password"
REPLAY_MISS = "replay: no recorded request matches"


def printable(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` as printable ASCII, cut to ``limit`` characters: fit for a header value or a log line.

    Control characters and non-ASCII are escaped (``\\x1b``, ``\\xfc``): a CR/LF cannot split a
    header or forge a log line, and an escape sequence cannot reach a terminal.
    """
    if len(text) > limit:
        text = text[:limit] + "..."
    if not (text.isascii() and text.isprintable()):
        text = "".join(
            char if " " <= char <= "~" else char.encode("unicode_escape").decode() for char in text
        )
    return text.strip()  # a header value neither starts nor ends with a space


def credentials_problem(store: AccountStore, authorization: str | None, cookie: str | None) -> str:
    """Why a request's credentials name no user, tried in ``ApiRouteHandler``'s order.

    The Authorization header is tried last, so when both are sent it is the one explained.
    """
    value = (authorization or "").strip()
    if not value:
        if not cookie:
            return NO_CREDENTIALS
        return _revoked(store, cookie) or NO_SUCH_COOKIE
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() == "basic" and credentials.strip():
        return _basic_problem(store, credentials.strip())
    if scheme.lower() == "bearer" and credentials.strip():
        value = credentials.strip()
    return _revoked(store, value) or NO_SUCH_TOKEN


def _revoked(store: AccountStore, token: str) -> str | None:
    owner = store.revoked_token_owner(token)
    return None if owner is None else f"{TOKEN_REVOKED} ({owner.name}'s, until the next reset)"


def _basic_problem(store: AccountStore, credentials: str) -> str:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return BAD_BASIC
    name, separator, password = decoded.partition(":")
    return "Basic: " + login_problem(store, name, password) if separator else BAD_BASIC


def login_problem(store: AccountStore, name: str, password: str) -> str:
    """Why ``name`` and ``password`` log no one in (Basic credentials, ``POST .../authentication``)."""
    if not name:
        return "no user name given"
    user = next((user for user in store.scenario.users if user.name.lower() == name.lower()), None)
    if user is None:
        return f"no user {name}"
    if user.password is None:
        return f"{user.name} has no password in the scenario: use the token"
    return f"wrong password for {user.name}"


def update_refusal(store: AccountStore, user: User, change: AccountUpdate, message: str) -> str:
    """Why the store refused ``user``'s update (``message``: the error it raised)."""
    accounts = {account.email.lower(): account for account in store.accounts(user)}
    current = accounts.get(change.address)
    if current is None:
        owners = [
            other.name
            for other in store.scenario.users
            if other.name != user.name
            and any(a.email.lower() == change.address for a in store.accounts(other))
        ]
        whose = f" (it is {owners[0]}'s)" if owners else ""
        return f"{user.name} has no account {change.address}{whose}"
    if current.teamlab:
        return f"{change.address} is the portal's built-in mailbox"
    # LoginTest heads each refusal with the protocol: "IMAP response:", "POP3 response:", "SMTP response:".
    updated = change.apply_to(current, datetime.now())
    refused = []
    if "IMAP response:" in message or "POP3 response:" in message:
        refused.append(f"{updated.server} refused {updated.account or '(no login)'}'s password")
    if "SMTP response:" in message:
        refused.append(f"{updated.smtp_server} refused {updated.smtp_account or '(no login)'}'s password")
    return "; ".join(refused) or "the login test failed"


def misread_body(read_as: str) -> str:
    """A JSON-looking body read as ``read_as`` ("a form", "XML"), for want of a JSON Content-Type."""
    return f"body read as {read_as}: send Content-Type: application/json"


def fault_reason(name: str) -> str:
    """The reason when fault ``name`` answered instead of the mock."""
    return f"fault {name}"
