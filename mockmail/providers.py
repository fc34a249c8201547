"""Mail provider settings: the accounts ``accounts/simple`` tries and the defaults ``accounts/setups`` shows.

The real server finds a domain's settings in its provider database (``MailBoxSettingEngine``,
filled from Mozilla's ISPDB, the domain's autoconfig and its MX records). mockmail finds them
in the scenario's ``providers`` table and, for the example domains (``example.com``, ``*.test``,
...), in ``EXAMPLE_PROVIDER``: IMAP, then POP3, and SMTP at ``imap.``/``pop.``/``smtp.`` + the domain.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from datetime import datetime, timedelta

from mockmail.models import RESTRICTED_DAYS, SASL_NONE, Account, Provider, ProviderServer

EXAMPLE_PROVIDER = Provider(
    domains=(),
    incoming=(
        ProviderServer("imap.%EMAILDOMAIN%", 993),
        ProviderServer("pop.%EMAILDOMAIN%", 995, imap=False),
    ),
    outgoing=(ProviderServer("smtp.%EMAILDOMAIN%", 465),),
)
# Names reserved for examples and tests (RFC 2606, RFC 6761): no real provider serves them.
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
_EXAMPLE_TLDS = ("example", "test", "invalid", "localhost")


def is_example_domain(domain: str) -> bool:
    """Whether ``domain`` is reserved for examples: ``example.com`` and its subdomains, ``*.test``, ..."""
    domain = domain.lower().rstrip(".")
    return domain.rsplit(".", 1)[-1] in _EXAMPLE_TLDS or any(
        domain == name or domain.endswith("." + name) for name in _EXAMPLE_DOMAINS
    )


def provider_for(providers: Iterable[Provider], domain: str) -> Provider | None:
    """The scenario's provider for ``domain``, else the example provider for an example domain, else None."""
    domain = domain.lower()
    for provider in providers:
        if domain in provider.domains:
            return provider
    return EXAMPLE_PROVIDER if is_example_domain(domain) else None


def fill(template: str, address: str) -> str:
    """A provider's login or host template for ``address`` (``ToMailboxList``, ``MailAddress.ToLogin``)."""
    local, _, host = address.rpartition("@")
    host = host.lower()
    return (
        template.replace("%EMAILADDRESS%", address)
        .replace("%EMAILLOCALPART%", local)
        .replace("%EMAILDOMAIN%", host)
        .replace("%EMAILHOSTNAME%", os.path.splitext(host)[0])
    )


def candidates(provider: Provider, address: str, password: str, now: datetime) -> list[Account]:
    """``ClientConfig.ToMailboxList``: one account per pair of SMTP and incoming server, IMAP ones first.

    Each has the one password for both servers, no name, and mail imported from 30 days ago.
    """
    accounts = [
        _account(incoming, outgoing, address, password, now)
        for outgoing in provider.outgoing
        for incoming in provider.incoming
    ]
    return sorted(accounts, key=lambda account: not account.imap)  # stable, as OrderByDescending is


def _account(
    incoming: ProviderServer, outgoing: ProviderServer, address: str, password: str, now: datetime
) -> Account:
    return Account(
        mailbox_id=0,
        email=address.lower(),
        name="",
        account=fill(incoming.login, address),
        password=password,
        server=fill(incoming.server, address),
        port=incoming.port,
        incoming_encryption_type=incoming.encryption,
        auth_type_in=incoming.auth,
        smtp_account=fill(outgoing.login, address),
        smtp_password=password,
        smtp_server=fill(outgoing.server, address),
        smtp_port=outgoing.port,
        smtp_auth=outgoing.auth != SASL_NONE,
        outcoming_encryption_type=outgoing.encryption,
        auth_type_smtp=outgoing.auth,
        imap=incoming.imap,
        begin_date=now - timedelta(days=RESTRICTED_DAYS),
        date_created=None,
    )


def default_settings(
    provider: Provider | None, address: str, shown: str, imap: bool | None, now: datetime
) -> Account | None:
    """``MailboxEngine.GetDefaultMailboxData`` from the provider's table; None when it has no such server.

    ``shown`` is the email as ``MailAddress.ToString()`` renders it; ``imap`` None asks for no
    table at all (the real server's answer to an unknown action).
    """
    if imap is None or provider is None or not provider.outgoing:
        return None
    incoming = next((server for server in provider.incoming if server.imap == imap and server.login), None)
    if incoming is None:
        return None
    outgoing = provider.outgoing[0]
    return dataclasses.replace(_account(incoming, outgoing, address, "", now), email=shown)


def guessed_settings(address: str, shown: str, sent: str, imap: bool, now: datetime) -> Account:
    """The settings ``GetDefaultMailboxData`` guesses with no table: ``imap.``/``pop.``/``smtp.`` + domain.

    IMAP on 993 with SSL, or POP3 on 110 without; SMTP on 25 without encryption; Login for
    both; the email parameter as sent for both logins.
    """
    host = address.rpartition("@")[2].lower()
    return Account(
        mailbox_id=0,
        email=shown,
        name="",
        account=sent,
        server=f"{'imap' if imap else 'pop'}.{host}",
        port=993 if imap else 110,
        incoming_encryption_type=1 if imap else 0,
        auth_type_in=1,
        smtp_account=sent,
        smtp_server=f"smtp.{host}",
        smtp_port=25,
        smtp_auth=True,
        outcoming_encryption_type=0,
        auth_type_smtp=1,
        imap=imap,
        begin_date=now - timedelta(days=RESTRICTED_DAYS),
        date_created=None,
    )
