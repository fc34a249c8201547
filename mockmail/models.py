"""The domain: users, their mail accounts and the fields of an update, as plain frozen data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# .NET enum names (ASC.Mail's EncryptionType, SaslMechanism), accepted in requests and scenarios
# wherever the number is.
ENCRYPTION_TYPES = {"none": 0, "ssl": 1, "starttls": 2}
SASL_MECHANISMS = {"none": 0, "login": 1, "crammd5": 4, "oauth2": 5, "ntlm": 7}
SASL_NONE = 0

# MailBoxData.DefaultMailBeginTimestamp: the import start date when `restrict` is off.
UNRESTRICTED_BEGIN_DATE = datetime(1975, 1, 1)
RESTRICTED_DAYS = 30


@dataclass(frozen=True, slots=True)
class Signature:
    """A mailbox's signature, as GET lists it."""

    html: str = ""
    is_active: bool = False


@dataclass(frozen=True, slots=True)
class Autoreply:
    """A mailbox's autoreply settings, as GET lists them."""

    turn_on: bool = False
    only_contacts: bool = False
    turn_on_to_date: bool = False
    from_date: str = "0001-01-01T00:00:00"
    to_date: str = "0001-01-01T00:00:00"
    subject: str = ""
    html: str = ""


@dataclass(frozen=True, slots=True)
class Account:
    """One mailbox of one user: the connection settings an update replaces, and what it keeps."""

    mailbox_id: int
    email: str  # the stored address, lower case
    name: str | None = ""
    account: str = ""  # IMAP/POP login
    password: str = ""
    server: str = ""
    port: int = 0
    incoming_encryption_type: int = 0
    auth_type_in: int = 0
    smtp_account: str = ""
    smtp_password: str = ""
    smtp_server: str = ""
    smtp_port: int = 0
    smtp_auth: bool = False
    outcoming_encryption_type: int = 0  # the misspelling is the real API's
    auth_type_smtp: int = 0
    imap: bool = True
    enabled: bool = True
    teamlab: bool = False  # the portal's built-in mailbox: the API refuses to update it
    begin_date: datetime = UNRESTRICTED_BEGIN_DATE
    signature: Signature = field(default_factory=Signature)
    autoreply: Autoreply = field(default_factory=Autoreply)
    aliases: tuple[str, ...] = ()
    date_created: str | None = "2024-01-01T00:00:00"
    email_in_folder: str | None = None
    quota_error: bool = False
    auth_error: bool = False


@dataclass(frozen=True, slots=True)
class User:
    """A portal user: how they sign in and which mailboxes they own."""

    name: str
    token: str
    password: str | None = None
    default_account: str | None = None
    accounts: tuple[Account, ...] = ()


@dataclass(frozen=True, slots=True)
class MailServer:
    """A simulated IMAP/POP or SMTP server that the login test signs in to."""

    host: str
    port: int
    logins: dict[str, str]
    error: str = "Authentication failed."


# The connection settings of an account, as an update carries them (passwords aside).
CONNECTION_SETTINGS = (
    "account",
    "server",
    "port",
    "incoming_encryption_type",
    "auth_type_in",
    "smtp_account",
    "smtp_server",
    "smtp_port",
    "smtp_auth",
    "outcoming_encryption_type",
    "auth_type_smtp",
)


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """The parameters of ``PUT /api/2.0/mail/accounts`` after binding (absent strings are None)."""

    email: str  # as MailAddress.ToString() renders what was sent
    address: str  # the bare address, lower case: the lookup key
    name: str | None = None
    account: str | None = None
    password: str | None = None
    server: str | None = None
    port: int = 0
    smtp_account: str | None = None
    smtp_password: str | None = None
    smtp_server: str | None = None
    smtp_port: int = 0
    smtp_auth: bool = False
    restrict: bool = False
    incoming_encryption_type: int = 0
    outcoming_encryption_type: int = 0
    auth_type_in: int = 0
    auth_type_smtp: int = 0

    def apply_to(self, current: Account, now: datetime) -> Account:
        """The account as the real server saves it: a full replacement that keeps a few fields.

        Empty passwords keep the stored ones; ``imap``, ``enabled``, the id and the
        signature, autoreply, aliases and creation date are kept; ``smtp_auth=false``
        forces the SMTP auth type to None; the per-save flags are reset (``MailApi.UpdateAccount``).
        """
        return dataclasses.replace(
            current,
            name=self.name,
            account=self.account or "",
            password=self.password or current.password,
            server=self.server or "",
            port=self.port,
            incoming_encryption_type=self.incoming_encryption_type,
            auth_type_in=self.auth_type_in,
            smtp_account=self.smtp_account or "",
            smtp_password=self.smtp_password or current.smtp_password,
            smtp_server=self.smtp_server or "",
            smtp_port=self.smtp_port,
            smtp_auth=self.smtp_auth,
            outcoming_encryption_type=self.outcoming_encryption_type,
            auth_type_smtp=self.auth_type_smtp if self.smtp_auth else SASL_NONE,
            begin_date=(now - timedelta(days=RESTRICTED_DAYS) if self.restrict else UNRESTRICTED_BEGIN_DATE),
            email_in_folder=None,
            quota_error=False,
        )


@dataclass(frozen=True, slots=True)
class NewAccount(AccountUpdate):
    """The parameters of ``POST /api/2.0/mail/accounts`` after binding: the update's, and ``imap``."""

    imap: bool = False

    def build(self, mailbox_id: int, now: datetime, created: datetime) -> Account:
        """The account ``MailApi.CreateAccount`` saves: every setting from the request, passwords too.

        Unlike the update, an empty password is saved as empty; ``smtp_auth=false`` forces the
        SMTP auth type to None.
        """
        return Account(
            mailbox_id=mailbox_id,
            email=self.address,
            name=self.name,
            account=self.account or "",
            password=self.password or "",
            server=self.server or "",
            port=self.port,
            incoming_encryption_type=self.incoming_encryption_type,
            auth_type_in=self.auth_type_in,
            smtp_account=self.smtp_account or "",
            smtp_password=self.smtp_password or "",
            smtp_server=self.smtp_server or "",
            smtp_port=self.smtp_port,
            smtp_auth=self.smtp_auth,
            outcoming_encryption_type=self.outcoming_encryption_type,
            auth_type_smtp=self.auth_type_smtp if self.smtp_auth else SASL_NONE,
            imap=self.imap,
            begin_date=(now - timedelta(days=RESTRICTED_DAYS) if self.restrict else UNRESTRICTED_BEGIN_DATE),
            date_created=f"{created:%Y-%m-%dT%H:%M:%S}",
        )


def saved_over(new: Account, existing: Account | None) -> Account:
    """``MailboxEngine.SaveMailBox``: a new row, or the existing one replaced keeping its id, state and date.

    Signature, autoreply and aliases live in their own tables, keyed by the id, so they stay too;
    ``email_in_folder`` and ``quota_error`` are reset, as by an update.
    """
    if existing is None:
        return new
    return dataclasses.replace(
        new,
        mailbox_id=existing.mailbox_id,
        enabled=existing.enabled,
        date_created=existing.date_created,
        signature=existing.signature,
        autoreply=existing.autoreply,
        aliases=existing.aliases,
    )


@dataclass(frozen=True, slots=True)
class ProviderServer:
    """One server of a mail provider, as the provider settings (``ClientConfig``) describe it.

    ``server`` and ``login`` may hold ``%EMAILDOMAIN%``, ``%EMAILADDRESS%``, ``%EMAILLOCALPART%``
    and ``%EMAILHOSTNAME%``, filled in from the address being set up.
    """

    server: str
    port: int
    encryption: int = 1  # SSL
    auth: int = 1  # Login
    login: str = "%EMAILADDRESS%"
    imap: bool = True  # incoming servers: IMAP or POP3; ignored for SMTP


@dataclass(frozen=True, slots=True)
class Provider:
    """A mail provider's settings for its domains: what ``accounts/simple`` tries and ``setups`` shows."""

    domains: tuple[str, ...]  # lower case; an empty tuple: the example domains (see mockmail.providers)
    incoming: tuple[ProviderServer, ...]
    outgoing: tuple[ProviderServer, ...]
