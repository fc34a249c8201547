"""A scenario seeded from a recording: the accounts its answers show, for the stateful mock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from mockmail.binding import parse_address
from mockmail.bundled import schema_line
from mockmail.errors import ApiError
from mockmail.models import CONNECTION_SETTINGS
from mockmail.paths import normalize_path
from mockmail.recording import Recording
from mockmail.redaction import is_placeholder
from mockmail.scenarios import parse_scenario

ACCOUNTS = "/api/2.0/mail/accounts"
USER = "recorded"
# Request fields an update carries that a scenario account keeps (passwords are redacted).
SETTINGS = CONNECTION_SETTINGS
HEADER = """\
# Seeded by `mockmail scenario from-recording` from {source}.
# The recording's credentials were redacted, so every account belongs to one user, '{user}',
# whose token is '{user}-token'; split them between users and add passwords as you need.
"""


def scenario_from_recording(recording: Recording, source: str = "a recording") -> str:
    """Scenario YAML with the accounts seen in the recording's list and update answers."""
    accounts: dict[str, dict[str, Any]] = {}
    default: str | None = None
    for interaction in recording.interactions:
        body = interaction.response.body
        if interaction.status != 200 or normalize_path(interaction.path) != ACCOUNTS:
            continue
        if not isinstance(body, Mapping) or "response" not in body:
            continue
        if interaction.method == "GET" and isinstance(body["response"], list):
            for item in body["response"]:
                default = _listed(accounts, item) or default
        elif interaction.method == "PUT" and isinstance(body["response"], Mapping):
            request = interaction.request.body if isinstance(interaction.request.body, Mapping) else {}
            _updated(accounts, body["response"], {**interaction.query, **request})
    user: dict[str, Any] = {"name": USER, "token": f"{USER}-token"}
    if default in accounts:
        user["default_account"] = default
    user["accounts"] = list(accounts.values())
    text = (
        schema_line()
        + HEADER.format(source=source, user=USER)
        + yaml.safe_dump({"version": 1, "users": [user]}, sort_keys=False, allow_unicode=True)
    )
    parse_scenario(text, "the seeded scenario")  # what it writes always loads
    return text


def _listed(accounts: dict[str, dict[str, Any]], item: Any) -> str | None:
    """Add an account from a list answer; its email if it is the default."""
    if not isinstance(item, Mapping) or not isinstance(item.get("email"), str):
        return None
    email = item["email"].lower()
    if item.get("isAlias"):
        owner = next((a for a in accounts.values() if a.get("mailbox_id") == item.get("mailboxId")), None)
        if owner is not None:
            owner.setdefault("aliases", []).append(email)
        return email if item.get("isDefault") else None
    account = accounts.setdefault(email, {"email": email})
    account.update(
        {
            "mailbox_id": item.get("mailboxId"),
            "name": item.get("name"),
            "enabled": bool(item.get("enabled", True)),
            "teamlab": bool(item.get("isTeamlabMailbox", False)),
            "date_created": item.get("dateCreated"),
            "email_in_folder": item.get("eMailInFolder"),
            "quota_error": bool(item.get("quotaError", False)),
            "auth_error": bool(item.get("authError", False)),
        }
    )
    signature, reply = item.get("signature"), item.get("autoreply")
    if isinstance(signature, Mapping):
        account["signature"] = {
            "html": signature.get("html") or "",
            "is_active": bool(signature.get("isActive")),
        }
    if isinstance(reply, Mapping):
        account["autoreply"] = {
            "turn_on": bool(reply.get("turnOn")),
            "only_contacts": bool(reply.get("onlyContacts")),
            "turn_on_to_date": bool(reply.get("turnOnToDate")),
            "from_date": str(reply.get("fromDate") or "0001-01-01T00:00:00"),
            "to_date": str(reply.get("toDate") or "0001-01-01T00:00:00"),
            "subject": reply.get("subject") or "",
            "html": reply.get("html") or "",
        }
    _drop_nones(account)
    return email if item.get("isDefault") else None


def _updated(accounts: dict[str, dict[str, Any]], item: Mapping[str, Any], sent: Mapping[str, Any]) -> None:
    """Add or refresh an account from an update's answer and the settings the request sent."""
    try:
        email = parse_address(str(item.get("email", "")))[1].lower()
    except ApiError:
        return
    account = accounts.setdefault(email, {"email": email})
    account.update({"mailbox_id": item.get("mailboxId"), "name": item.get("name")})
    if "enabled" in item:
        account["enabled"] = bool(item["enabled"])
    fields = {name.lower(): value for name, value in sent.items()}
    for name in SETTINGS:
        value = fields.get(name)
        if value is None or value == "" or is_placeholder(value):
            continue
        account[name] = _typed(name, value)
    _drop_nones(account)


def _typed(name: str, value: Any) -> Any:
    if name == "smtp_auth":
        return str(value).lower() == "true"
    if name.endswith(("port", "_type", "type_in", "type_smtp")):
        try:
            return int(value)
        except (TypeError, ValueError):
            return value  # an enum by name: the scenario takes names too
    return str(value)


def _drop_nones(account: dict[str, Any]) -> None:
    for key in [key for key, value in account.items() if value is None and key != "name"]:
        del account[key]
