"""Scenarios: YAML files of users, accounts and mail servers, validated with located errors."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml

from mockmail.faults import Fault, build_fault
from mockmail.models import (
    ENCRYPTION_TYPES,
    RESTRICTED_DAYS,
    SASL_MECHANISMS,
    UNRESTRICTED_BEGIN_DATE,
    Account,
    Autoreply,
    MailServer,
    Signature,
    User,
)

Style = Literal["wire", "docs"]
STYLES: tuple[Style, ...] = ("wire", "docs")
DEFAULT_SCENARIO = "default.yaml"

YamlPath = tuple[str | int, ...]


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, the key and the line."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What a server starts with, and returns to on reset."""

    source: str
    users: tuple[User, ...] = ()
    mail_servers: tuple[MailServer, ...] = ()
    style: Style = "wire"
    faults: tuple[Fault, ...] = ()
    seed: int = 0


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the scenario: {error}") from None
    return parse_scenario(text, str(path))


def resolve_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    """A loaded scenario as it is, a file loaded, or None for the bundled default."""
    if scenario is None:
        return default_scenario()
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def default_scenario() -> Scenario:
    """The scenario bundled with the package, used when none is given."""
    text = resources.files("mockmail").joinpath(DEFAULT_SCENARIO).read_text(encoding="utf-8")
    return parse_scenario(text, "(default scenario)")


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate a scenario's YAML text; ``source`` names it in error messages."""
    data, lines = _read_yaml(text, source)
    if data is None:
        data = {}
    problems = [_describe(error, lines) for error in _validator().iter_errors(data)]
    if not problems:
        problems = list(_check_references(data, lines))
    if problems:
        problems.sort()
        raise ScenarioError("\n".join(f"{source}: {message}" for _, message in problems))
    return _build(data, source)


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, as shipped in the package."""
    text = resources.files("mockmail").joinpath("scenario.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


@cache
def _fault_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$defs": schema()["$defs"], "$ref": "#/$defs/fault"})


def parse_fault(data: Any, default_name: str) -> Fault:
    """A fault sent as JSON to the control endpoint; ScenarioError names every problem."""
    problems = [_describe(error, None)[1] for error in _fault_validator().iter_errors(data)]
    if problems:
        raise ScenarioError("; ".join(sorted(problems)))
    return build_fault(data, default_name)


# --- reading YAML with the line of every key and value ---------------------------------------


class _Lines:
    """The 1-based line of each value and each mapping key, by path."""

    def __init__(self) -> None:
        self.values: dict[YamlPath, int] = {(): 1}
        self.keys: dict[YamlPath, int] = {}

    def of_value(self, path: YamlPath) -> int:
        # Keys brought in by a YAML merge (<<) have no line of their own: use the nearest parent's.
        while path not in self.values:
            path = path[:-1]
        return self.values[path]

    def of_key(self, path: YamlPath) -> int:
        return self.keys.get(path) or self.of_value(path)


def _read_yaml(text: str, source: str) -> tuple[Any, _Lines]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines = _Lines()
        if node is None:
            return None, lines
        _index(node, (), lines, source)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError(f"{source}: invalid YAML: {error.problem or error.context}{where}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{source}: invalid YAML: {error}") from None
    finally:
        loader.dispose()


def _index(node: yaml.Node, path: YamlPath, lines: _Lines, source: str) -> None:
    lines.values[path] = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index(item, (*path, position), lines, source)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            key = key_node.value
            if (*path, key) in lines.keys:
                line = key_node.start_mark.line + 1
                location = f"{format_path(path)}: " if path else ""
                raise ScenarioError(f"{source}: {location}duplicate key {key!r} (line {line})")
            lines.keys[(*path, key)] = key_node.start_mark.line + 1
            _index(value_node, (*path, key), lines, source)


def format_path(path: YamlPath) -> str:
    """``users[0].accounts[1].port``: a path as a reader of the YAML file would write it."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


# --- turning schema errors into sentences ----------------------------------------------------

_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _describe(error: jsonschema.ValidationError, lines: _Lines | None) -> tuple[int, str]:
    """A located sentence for one schema error: ``(line, 'path: problem (line N)')``.

    Without ``lines`` (JSON over HTTP) the sentence has no line.
    """
    if error.validator == "anyOf" and isinstance(error.instance, dict | list):
        # A mapping or list that fits no branch: its own problem says more than "expected ...".
        deeper = [sub for sub in error.context or () if sub.validator not in ("type", "enum")]
        if deeper:
            return _describe(deeper[0], lines)
    path: YamlPath = tuple(error.absolute_path)
    instance: Any = error.instance
    schema = error.schema
    assert isinstance(schema, dict)
    line = lines.of_value(path) if lines else 0
    if error.validator == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        unknown = next(key for key in instance if key not in allowed)
        path = (*path, unknown)
        line = lines.of_key(path) if lines else 0
        problem = f"unknown key {unknown!r} (allowed: {', '.join(allowed)})"
    elif error.validator == "required":
        missing = next(key for key in schema["required"] if key not in instance)
        problem = f"missing key {missing!r}"
    elif error.validator in ("minimum", "maximum"):
        bound = "at least" if error.validator == "minimum" else "at most"
        problem = f"expected {bound} {error.validator_value}, got {_show(instance)}"
    elif error.validator == "minLength":
        problem = "must not be empty"
    else:
        problem = f"expected {_expected(schema)}, got {_show(instance)}"
    location = f"{format_path(path)}: " if path else ""
    return line, f"{location}{problem} (line {line})" if lines else f"{location}{problem}"


def _expected(schema: Mapping[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_expected(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(_show(value) for value in schema["enum"])
    if "pattern" in schema:
        return str(schema.get("description", f"text matching {schema['pattern']!r}"))
    types = schema.get("type", [])
    return " or ".join(_TYPE_NAMES[name] for name in ([types] if isinstance(types, str) else types))


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


# --- checks across entries -------------------------------------------------------------------


def _check_references(data: Mapping[str, Any], lines: _Lines) -> Iterator[tuple[int, str]]:
    """Problems the schema cannot see: duplicates and a default account the user does not own."""

    def problem(path: YamlPath, text: str) -> tuple[int, str]:
        line = lines.of_value(path)
        return line, f"{format_path(path)}: {text} (line {line})"

    names: dict[str, int] = {}
    tokens: dict[str, str] = {}
    mailbox_ids: set[int] = set()
    for u, user in enumerate(data.get("users", [])):
        name = user["name"]
        if name.lower() in names:
            yield problem(
                ("users", u, "name"), f"duplicate user {name!r} (also users[{names[name.lower()]}])"
            )
        names.setdefault(name.lower(), u)
        token = user.get("token")
        if token is not None and tokens.setdefault(token, name) != name:
            yield problem(("users", u, "token"), f"token already used by user {tokens[token]!r}")
        addresses: set[str] = set()
        for a, account in enumerate(user.get("accounts", [])):
            email = account["email"].lower()
            if email in addresses:
                yield problem(
                    ("users", u, "accounts", a, "email"), f"duplicate account {email!r} for user {name!r}"
                )
            addresses.add(email)
            addresses.update(alias.lower() for alias in account.get("aliases", []))
            mailbox_id = account.get("mailbox_id")
            if mailbox_id is not None:
                if mailbox_id in mailbox_ids:
                    yield problem(
                        ("users", u, "accounts", a, "mailbox_id"), f"duplicate mailbox_id {mailbox_id}"
                    )
                mailbox_ids.add(mailbox_id)
        default = user.get("default_account")
        if default is not None and default.lower() not in addresses:
            yield problem(("users", u, "default_account"), f"{default!r} is not one of {name!r}'s accounts")
    fault_names: set[str] = set()
    for f, fault in enumerate(data.get("faults", [])):
        name = fault.get("name", f"fault-{f + 1}")
        if name in fault_names:
            yield problem(("faults", f, "name"), f"duplicate fault name {name!r}")
        fault_names.add(name)
    servers: set[tuple[str, int]] = set()
    for s, server in enumerate(data.get("mail_servers", [])):
        key = (server["host"].lower(), server["port"])
        if key in servers:
            yield problem(("mail_servers", s), f"duplicate mail server {server['host']}:{server['port']}")
        servers.add(key)


# --- building the models ---------------------------------------------------------------------


def _build(data: Mapping[str, Any], source: str) -> Scenario:
    taken = {
        account["mailbox_id"]
        for user in data.get("users", [])
        for account in user.get("accounts", [])
        if "mailbox_id" in account
    }
    free_ids = (number for number in range(1, 1 << 31) if number not in taken)
    now = datetime.now()
    users = tuple(
        User(
            name=user["name"],
            token=user.get("token") or token_for(user["name"]),
            password=user.get("password"),
            default_account=(user.get("default_account") or "").lower() or None,
            accounts=tuple(
                _account(account, account.get("mailbox_id") or next(free_ids), now)
                for account in user.get("accounts", [])
            ),
        )
        for user in data.get("users", [])
    )
    servers = tuple(
        MailServer(
            host=server["host"],
            port=server["port"],
            logins=dict(server.get("logins", {})),
            error=server.get("error", "Authentication failed."),
        )
        for server in data.get("mail_servers", [])
    )
    faults = tuple(
        build_fault(spec, f"fault-{position}") for position, spec in enumerate(data.get("faults", []), 1)
    )
    return Scenario(
        source=source,
        users=users,
        mail_servers=servers,
        style=data.get("style", "wire"),
        faults=faults,
        seed=data.get("seed", 0),
    )


def token_for(name: str) -> str:
    """The token of a user whose scenario gives none: stable across runs, unique per name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mockmail:user:{name}")).upper()


def _account(fields: Mapping[str, Any], mailbox_id: int, now: datetime) -> Account:
    email = fields["email"].lower()
    signature = fields.get("signature", {})
    return Account(
        mailbox_id=mailbox_id,
        email=email,
        name=fields.get("name", ""),
        account=fields.get("account", email),
        password=fields.get("password", ""),
        server=fields.get("server", ""),
        port=fields.get("port", 0),
        incoming_encryption_type=_number(fields.get("incoming_encryption_type", 0), ENCRYPTION_TYPES),
        auth_type_in=_number(fields.get("auth_type_in", 0), SASL_MECHANISMS),
        smtp_account=fields.get("smtp_account", email),
        smtp_password=fields.get("smtp_password", ""),
        smtp_server=fields.get("smtp_server", ""),
        smtp_port=fields.get("smtp_port", 0),
        smtp_auth=fields.get("smtp_auth", False),
        outcoming_encryption_type=_number(fields.get("outcoming_encryption_type", 0), ENCRYPTION_TYPES),
        auth_type_smtp=_number(fields.get("auth_type_smtp", 0), SASL_MECHANISMS),
        imap=fields.get("imap", True),
        enabled=fields.get("enabled", True),
        teamlab=fields.get("teamlab", False),
        begin_date=(
            now - timedelta(days=RESTRICTED_DAYS) if fields.get("restrict") else UNRESTRICTED_BEGIN_DATE
        ),
        signature=Signature(html=signature.get("html", ""), is_active=signature.get("is_active", False)),
        autoreply=Autoreply(**fields.get("autoreply", {})),
        aliases=tuple(alias.lower() for alias in fields.get("aliases", [])),
        date_created=fields.get("date_created", "2024-01-01T00:00:00"),
        email_in_folder=fields.get("email_in_folder"),
        quota_error=fields.get("quota_error", False),
        auth_error=fields.get("auth_error", False),
    )


def _number(value: int | str, names: Mapping[str, int]) -> int:
    return value if isinstance(value, int) else names[value.lower()]
