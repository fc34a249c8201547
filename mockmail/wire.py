"""The ONLYOFFICE wire format: the envelope, the camelCase account, error bodies, JSON and XML text."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape

from mockmail.errors import ApiError
from mockmail.models import Account, User
from mockmail.xml_text import xml_safe

JSON_TYPE = "application/json; charset=UTF-8"
XML_TYPE = "text/xml; charset=UTF-8"

_PLACEHOLDER_DATE = "0001-01-01T00:00:00"


def updated_account(account: Account, sent_email: str, default_email: str | None) -> dict[str, Any]:
    """The account in an update's answer: built from the request, with placeholder extras.

    As ``MailApi.UpdateAccount`` builds its ``MailAccountData``: the email as sent, an empty
    signature and autoreply, no ``eMailInFolder`` and no ``dateCreated``.
    """
    return {
        "mailboxId": account.mailbox_id,
        "email": sent_email,
        "enabled": account.enabled,
        "name": account.name,
        "oAuthConnection": False,
        "signature": {"mailboxId": account.mailbox_id, "html": "", "isActive": False},
        "autoreply": {
            "mailboxId": account.mailbox_id,
            "turnOn": False,
            "onlyContacts": False,
            "turnOnToDate": False,
            "fromDate": _PLACEHOLDER_DATE,
            "toDate": _PLACEHOLDER_DATE,
            "subject": "",
            "html": "",
        },
        "eMailInFolder": None,
        "quotaError": False,
        "authError": False,
        "isGroup": False,
        "isAlias": False,
        "isTeamlabMailbox": False,
        "isDefault": default_email == sent_email,
        "isSharedDomainMailbox": False,
        "dateCreated": None,
    }


def listed_accounts(user: User, accounts: list[Account]) -> list[dict[str, Any]]:
    """``GET /api/2.0/mail/accounts``: each mailbox with its real extras, then its aliases."""
    listed = []
    for account in accounts:
        listed.append(_listed(account, account.email, user.default_account, alias=False))
        listed.extend(_listed(account, alias, user.default_account, alias=True) for alias in account.aliases)
    return listed


def _listed(account: Account, email: str, default_email: str | None, *, alias: bool) -> dict[str, Any]:
    reply = account.autoreply
    return {
        "mailboxId": account.mailbox_id,
        "email": email,
        "enabled": account.enabled,
        "name": account.name,
        "oAuthConnection": False,
        "signature": {
            "mailboxId": account.mailbox_id,
            "html": account.signature.html,
            "isActive": account.signature.is_active,
        },
        "autoreply": {
            "mailboxId": account.mailbox_id,
            "turnOn": reply.turn_on,
            "onlyContacts": reply.only_contacts,
            "turnOnToDate": reply.turn_on_to_date,
            "fromDate": reply.from_date,
            "toDate": reply.to_date,
            "subject": reply.subject,
            "html": reply.html,
        },
        "eMailInFolder": account.email_in_folder,
        "quotaError": account.quota_error,
        "authError": account.auth_error,
        "isGroup": False,
        "isAlias": alias,
        "isTeamlabMailbox": account.teamlab,
        "isDefault": default_email == email,
        "isSharedDomainMailbox": False,
        "dateCreated": None if alias else account.date_created,
    }


def mailbox_data(account: Account, *, email: str, begin_date: str, restrict: bool) -> dict[str, Any]:
    """``MailBoxData`` as ``accounts/single`` and ``accounts/setups`` send it, in its declaration order.

    The ports are strings (``PortStr``, ``SmtpPortStr``); ``smtp_auth`` is derived from the SMTP
    auth type; the passwords are whatever the caller leaves in ``account``.
    """
    return {
        "id": account.mailbox_id,
        "email": email,
        "name": account.name,
        "account": account.account,
        "password": account.password,
        "server": account.server,
        "smtp_server": account.smtp_server,
        "smtp_port": str(account.smtp_port),
        "smtp_account": account.smtp_account,
        "smtp_password": account.smtp_password,
        "smtp_auth": account.smtp_auth and account.auth_type_smtp != 0,
        "port": str(account.port),
        "incoming_encryption_type": account.incoming_encryption_type,
        "outcoming_encryption_type": account.outcoming_encryption_type,
        "auth_type_in": account.auth_type_in,
        "auth_type_smtp": account.auth_type_smtp,
        "imap": account.imap,
        "begin_date": begin_date,
        "is_oauth": False,
        "restrict": restrict,
        "email_in_folder": account.email_in_folder,
        "is_teamlab": account.teamlab,
    }


REMOVE_MAILBOX = 2  # MailOperationType.RemoveMailbox


def remove_operation(operation_id: str, mailbox_id: int) -> dict[str, Any]:
    """The ``MailOperationStatus`` of a removal just queued: not completed, 0 %, no status text yet."""
    return {
        "completed": False,
        "id": operation_id,
        "status": "",
        "error": "",
        "percents": 0,
        "source": str(mailbox_id),
        "operationType": REMOVE_MAILBOX,
        "operation": "RemoveMailbox",
    }


def docs_style(data: Any) -> Any:
    """The public docs page's shape: PascalCase names, ``DateCreated`` as an array of strings."""
    if isinstance(data, list):
        return [docs_style(item) for item in data]
    if not isinstance(data, dict):
        return data
    shaped = {_pascal(name): docs_style(value) for name, value in data.items()}
    if "DateCreated" in shaped:
        created = shaped["DateCreated"]
        shaped["DateCreated"] = [] if created is None else [created]
    return shaped


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def envelope(response: Any, status_code: int = 200) -> dict[str, Any]:
    """``ApiStandartResponce``: ``count`` is left out when zero (``EmitDefaultValue=false``)."""
    count = len(response) if isinstance(response, (list, str)) else 1
    body: dict[str, Any] = {"count": count} if count else {}
    body.update(status=0, statusCode=status_code, response=response)
    return body


def void_envelope(status_code: int = 200) -> dict[str, Any]:
    """A ``void`` method's answer: ``response`` is ``{}`` and, the count being 0, there is no ``count``."""
    return {"status": 0, "statusCode": status_code, "response": {}}


def error_envelope(error: ApiError) -> dict[str, Any]:
    """The error envelope ``ErrorWrapper`` writes: no ``count``, no ``response``."""
    return {
        "status": 1,
        "statusCode": error.status,
        "error": {"message": error.message, "hresult": error.hresult, "data": {}},
    }


# ONLYOFFICE's JsonStringConverter writes `/` as `\/`, control characters as \u00xx (Python's
# encoder writes the short escapes), and characters beyond the BMP as a \uxxxx surrogate pair,
# U+FFFE and U+FFFF as \uxxxx (Python's writes them raw). Pairs are matched first so `\\n` stays.
_RE_ESCAPE = re.compile(r'\\\\|\\"|\\[bfnrt]|/|[\ud800-\udfff\ufffe\uffff\U00010000-\U0010ffff]')
_NET_ESCAPES = {
    "/": "\\/",
    "\\b": "\\u0008",
    "\\f": "\\u000c",
    "\\n": "\\u000a",
    "\\r": "\\u000d",
    "\\t": "\\u0009",
}


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # json.dumps builds one a call


def render_json(value: Any) -> bytes:
    """Compact JSON text, escaped as the real server escapes it."""
    text = _ENCODER.encode(value)
    if "/" in text or "\\" in text or not text.isascii():
        text = _RE_ESCAPE.sub(_net_escape, text)
    return text.encode("utf-8", errors="surrogatepass")


def _net_escape(match: re.Match[str]) -> str:
    found = match.group()
    if found in _NET_ESCAPES:
        return _NET_ESCAPES[found]
    if len(found) == 1 and ord(found) > 0xFFFF:
        code = ord(found) - 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    if len(found) == 1 and (0xD800 <= ord(found) <= 0xDFFF or ord(found) >= 0xFFFE):
        return f"\\u{ord(found):04x}"
    return found


def render_xml(value: Any) -> bytes:
    """The envelope as XML: ``{"result": value}`` converted the way Json.NET's XmlNodeConverter does."""
    return _xml_element("result", value).encode("utf-8")


def _xml_element(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_xml_element(name, item) for item in value)
    if isinstance(value, dict):
        inner = "".join(_xml_element(key, item) for key, item in value.items())
    elif value is None:
        inner = ""
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape(xml_safe(str(value)))  # an error may echo what XML cannot carry
    return f"<{name}>{inner}</{name}>" if inner else f"<{name} />"
