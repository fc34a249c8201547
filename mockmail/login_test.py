"""The simulated IMAP/POP and SMTP login test the real server runs before it saves an account."""

from __future__ import annotations

from collections.abc import Iterable

from mockmail.models import Account, MailServer

_HEADER = '<span class="attempt_header">{} response:</span><br/>'


class LoginTest:
    """Signs in to the scenario's declared mail servers; a host none of them names always passes."""

    def __init__(self, servers: Iterable[MailServer]) -> None:
        self._servers = {(server.host.lower(), server.port): server for server in servers}

    def failure(self, account: Account) -> str | None:
        """The real server's error text for ``account``'s settings, or None when both logins pass."""
        return "\r\n".join(self.failures(account)) or None

    def failures(self, account: Account) -> list[str]:
        """Each failing side's text, incoming first, headed as ``GetFormattedTextError`` heads it."""
        if not self._servers:
            return []
        errors = []
        incoming = self._refusal(account.server, account.port, account.account, account.password)
        if incoming is not None:
            errors.append(_HEADER.format("IMAP" if account.imap else "POP3") + incoming)
        if account.smtp_auth:
            outgoing = self._refusal(
                account.smtp_server, account.smtp_port, account.smtp_account, account.smtp_password
            )
            if outgoing is not None:
                errors.append(_HEADER.format("SMTP") + outgoing)
        return errors

    def _refusal(self, host: str, port: int, login: str, password: str) -> str | None:
        server = self._servers.get((host.lower(), port))
        if server is None or server.logins.get(login) == password:
            return None
        return server.error
