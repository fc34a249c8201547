"""The mocked API methods' parameters as data: name and .NET type, in the real method's order.

One table for the binding (``binding.bind`` converts each parameter by its type, in this order,
as ``ApiArgumentBuilder`` does before the method body runs) and for anything that describes
the API (an OpenAPI document, the README's tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mockmail.paths import (
    ACCOUNTS,
    ACCOUNTS_DEFAULT,
    ACCOUNTS_EMAIL_IN_FOLDER,
    ACCOUNTS_SETUPS,
    ACCOUNTS_SIMPLE,
    ACCOUNTS_SINGLE,
    ACCOUNTS_STATE,
    ACCOUNTS_USER_ACTIVITY,
    AUTHENTICATION,
)


class ParamType(Enum):
    """A parameter's .NET type, which decides how its text is converted and what failing says."""

    STRING = "string"
    INT = "int"
    BOOL = "bool"
    ENCRYPTION = "EncryptionType"
    SASL = "SaslMechanism"


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a method: its name on the wire and its type."""

    name: str
    type: ParamType
    description: str = ""


@dataclass(frozen=True, slots=True)
class Method:
    """One mocked method: the HTTP verb and path, the real controller method, what it takes and gives."""

    verb: str
    path: str
    name: str  # the MailApi method behind it
    params: tuple[Param, ...]
    returns: str  # the .NET type of `response`
    status: int = 200  # ApiHttpHandlerBase.PostProcessResponse makes every POST a 201


STR, INT, BOOL = ParamType.STRING, ParamType.INT, ParamType.BOOL

# MailApi.UpdateAccount's parameters; CreateAccount takes the same and `imap`, in its own order.
_CONNECTION = (
    Param("name", STR, "sender display name"),
    Param("email", STR, "the account's address: the lookup key"),
    Param("account", STR, "IMAP/POP login"),
    Param("password", STR, "IMAP/POP password"),
    Param("port", INT, "IMAP/POP port"),
    Param("server", STR, "IMAP/POP host"),
    Param("smtp_account", STR, "SMTP login"),
    Param("smtp_password", STR, "SMTP password"),
    Param("smtp_port", INT, "SMTP port"),
    Param("smtp_server", STR, "SMTP host"),
    Param("smtp_auth", BOOL, "whether SMTP needs authentication"),
)
_SECURITY = (
    Param("incoming_encryption_type", ParamType.ENCRYPTION, "0 None, 1 SSL, 2 StartTLS"),
    Param("outcoming_encryption_type", ParamType.ENCRYPTION, "0 None, 1 SSL, 2 StartTLS"),
    Param("auth_type_in", ParamType.SASL, "1 Login, 4 CramMd5, 5 OAuth2"),
    Param("auth_type_smtp", ParamType.SASL, "0 None, 1 Login, 4 CramMd5, 5 OAuth2"),
)
_RESTRICT = Param("restrict", BOOL, "import only the last 30 days of mail")

UPDATE_ACCOUNT = Method(
    "PUT", ACCOUNTS, "UpdateAccount", (*_CONNECTION, _RESTRICT, *_SECURITY), "MailAccountData"
)
CREATE_ACCOUNT = Method(
    "POST",
    ACCOUNTS,
    "CreateAccount",
    (*_CONNECTION, Param("imap", BOOL, "IMAP (true) or POP3 (false)"), _RESTRICT, *_SECURITY),
    "MailAccountData",
    201,
)
CREATE_ACCOUNT_SIMPLE = Method(
    "POST",
    ACCOUNTS_SIMPLE,
    "CreateAccountSimple",
    (Param("email", STR, "the new address"), Param("password", STR, "its password, for every server")),
    "MailAccountData",
    201,
)
DELETE_ACCOUNT = Method(
    "DELETE", ACCOUNTS, "DeleteAccount", (Param("email", STR, "the account"),), "MailOperationStatus"
)
GET_ACCOUNT = Method(
    "GET", ACCOUNTS_SINGLE, "GetAccount", (Param("email", STR, "the account to read"),), "MailBoxData"
)
SET_ACCOUNT_ENABLE = Method(
    "PUT",
    ACCOUNTS_STATE,
    "SetAccountEnable",
    (Param("email", STR, "the account"), Param("state", BOOL, "true enables (after the login test)")),
    "int",
)
SET_DEFAULT_ACCOUNT = Method(
    "PUT",
    ACCOUNTS_DEFAULT,
    "SetDefaultAccount",
    (Param("email", STR, "the account or alias"), Param("isDefault", BOOL, "set (true) or clear (false)")),
    "string",
)
GET_ACCOUNT_DEFAULTS = Method(
    "GET",
    ACCOUNTS_SETUPS,
    "GetAccountDefaults",
    (
        Param("email", STR, "the address whose provider settings are wanted"),
        Param("action", STR, "get_imap_pop_settings, get_imap_server(_full) or get_pop_server(_full)"),
    ),
    "MailBoxData",
)
SET_EMAIL_IN_FOLDER = Method(
    "PUT",
    ACCOUNTS_EMAIL_IN_FOLDER,
    "SetAccountEMailInFolder",
    (Param("mailbox_id", INT, "the mailbox"), Param("email_in_folder", STR, "a Documents folder id")),
    "void",
)
UPDATE_USER_ACTIVITY = Method(
    "PUT",
    ACCOUNTS_USER_ACTIVITY,
    "UpdateUserActivity",
    (Param("userOnline", BOOL, "whether the user is online"),),
    "void",
)

# MailApi.GetAccounts also takes a hidden `username` it ignores: the caller's accounts are listed.
LIST_ACCOUNTS = Method("GET", ACCOUNTS, "GetAccounts", (), "MailAccountData[]")
# AuthenticationEntryPoint.AuthenticateMe; its provider, accessToken and codeOAuth are not mocked.
AUTHENTICATE = Method(
    "POST",
    AUTHENTICATION,
    "AuthenticateMe",
    (Param("userName", STR, "the user's login"), Param("password", STR, "the user's password")),
    "AuthenticationTokenData",
    201,
)

ACCOUNT_METHODS = (
    UPDATE_ACCOUNT,
    CREATE_ACCOUNT,
    CREATE_ACCOUNT_SIMPLE,
    DELETE_ACCOUNT,
    GET_ACCOUNT,
    SET_ACCOUNT_ENABLE,
    SET_DEFAULT_ACCOUNT,
    GET_ACCOUNT_DEFAULTS,
    SET_EMAIL_IN_FOLDER,
    UPDATE_USER_ACTIVITY,
)
# Every mocked call, in the order the OpenAPI document lists them.
API_METHODS = (LIST_ACCOUNTS, *ACCOUNT_METHODS, AUTHENTICATE)
