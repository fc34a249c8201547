"""Scenarios: YAML files of users, accounts and mail servers, validated with located errors."""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml

from mockmail import bundled
from mockmail.errors import MockmailError
from mockmail.faults import FRAMING_HEADERS, Fault, build_fault
from mockmail.models import (
    ENCRYPTION_TYPES,
    RESTRICTED_DAYS,
    SASL_MECHANISMS,
    UNRESTRICTED_BEGIN_DATE,
    Account,
    Autoreply,
    MailServer,
    Provider,
    ProviderServer,
    Signature,
    User,
)
from mockmail.yaml_loading import Lines, YamlPath, YamlProblem, load_yaml, locate

Style = Literal["wire", "docs"]
STYLES: tuple[Style, ...] = ("wire", "docs")
DEFAULT_SCENARIO = "basic"  # the README's example, one of the bundled examples
Stamp = tuple[int, int, int]  # a file's version: see file_stamp


class ScenarioError(MockmailError, ValueError):
    """A scenario file that cannot be used; the message names the file, the key and the line."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What a server starts with, and returns to on reset."""

    source: str
    users: tuple[User, ...] = ()
    mail_servers: tuple[MailServer, ...] = ()
    providers: tuple[Provider, ...] = ()  # mail provider settings by domain, for accounts/simple and setups
    style: Style = "wire"
    faults: tuple[Fault, ...] = ()
    seed: int = 0
    cors_origins: tuple[str, ...] = ()  # browser origins, besides the local ones, that may read answers
    basic_challenge: bool = True  # a 401 carries WWW-Authenticate: Basic, as the real server's does
    path: Path | None = None  # the file it was read from, which a reload reads again; None: not a file
    stamp: Stamp | None = field(default=None, compare=False)  # the version of that file it was read from


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; the scenario remembers ``path``, to be reloaded from it."""
    try:
        with open(path, encoding="utf-8") as file:
            # The version before the read: a save during it makes the file newer than this, not older.
            version = file_stamp(os.fstat(file.fileno()))
            text = file.read()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the scenario: {error}") from None
    return replace(parse_scenario(text, str(path)), path=Path(path), stamp=version)


def file_stamp(info: os.stat_result) -> Stamp:
    """What tells one version of a file from the next: its mtime in ns, its size and its inode."""
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def resolve_scenario(scenario: Scenario | str | Path | None) -> Scenario:
    """A loaded scenario as it is, a file loaded, a bundled example by name, or None for the default.

    A file that exists is read first; a bare name (no folder, with or without ``.yaml``) that is
    no file names a bundled example (``basic``, ``team``, ...).
    """
    if scenario is None:
        return default_scenario()
    if isinstance(scenario, Scenario):
        return scenario
    if not os.path.exists(scenario) and bundled.is_bare_name(str(scenario)):
        example = bundled.find(str(scenario))
        if example is None:
            known = ", ".join(bundled.names())
            raise ScenarioError(f"{scenario}: no such scenario file, nor a bundled scenario ({known})")
        return load_scenario(example)
    return load_scenario(scenario)


def default_scenario() -> Scenario:
    """The example scenario ``basic``, bundled with the package: used when none is given."""
    text = bundled.path(DEFAULT_SCENARIO).read_text(encoding="utf-8")
    return parse_scenario(text, "(default scenario)")


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate a scenario's YAML text; ``source`` names it in error messages."""
    data = _read_yaml(text, source)
    if data is None:  # an empty file, or only comments: most likely not the file meant
        raise ScenarioError(f"{source}: the scenario is empty: expected a mapping with users (line 1)")
    problems = [problem for error in _validator().iter_errors(data) for problem in _describe(error)]
    if not problems:
        problems = list(_check_references(data))
    if problems:
        del data  # the lines are found by reading the text again, without the first reading's data
        lines = locate(text, [problem.path for problem in problems])
        located = sorted((problem.line(lines), problem.sentence(lines)) for problem in problems)
        raise ScenarioError("\n".join(f"{source}: {sentence}" for _, sentence in located))
    return _build(data, source)


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the scenario format, as shipped in the package."""
    text = resources.files("mockmail").joinpath("scenario.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _finite_number(checker: jsonschema.TypeChecker, instance: object) -> bool:
    """A JSON number: YAML's .inf and .nan, and the NaN and Infinity Python's json reads, are not."""
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return False
    return isinstance(instance, int) or math.isfinite(instance)


# Draft 2020-12 with finite numbers only, on the schema with its $refs written out: resolving a
# $ref for each of 100,000 accounts took half the time of checking them.
_Validator: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped in the stubs
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("number", _finite_number),
)


@cache
def _validator() -> jsonschema.protocols.Validator:
    validator: jsonschema.protocols.Validator = _Validator(_inline(schema(), schema()["$defs"]))
    return validator


@cache
def _fault_validator() -> jsonschema.protocols.Validator:
    validator: jsonschema.protocols.Validator = _Validator(
        _inline(schema()["$defs"]["fault"], schema()["$defs"])
    )
    return validator


def _inline(part: Any, defs: Mapping[str, Any]) -> Any:
    """``part`` of the schema with each ``{"$ref": "#/$defs/NAME"}`` replaced by its definition."""
    if isinstance(part, list):
        return [_inline(item, defs) for item in part]
    if not isinstance(part, dict):
        return part
    inlined = {key: _inline(value, defs) for key, value in part.items() if key not in ("$ref", "$defs")}
    if "$ref" in part:
        return {**_inline(defs[part["$ref"].removeprefix("#/$defs/")], defs), **inlined}
    return inlined


def parse_fault(data: Any, default_name: str) -> Fault:
    """A fault sent as JSON to the control endpoint; ScenarioError names every problem."""
    problems = [problem for error in _fault_validator().iter_errors(data) for problem in _describe(error)]
    if not problems:
        problems = list(_check_fault(data, ()))
    if problems:
        raise ScenarioError("; ".join(sorted(problem.sentence(None) for problem in problems)))
    return build_fault(data, default_name)


# --- reading YAML ----------------------------------------------------------------------------


def _read_yaml(text: str, source: str) -> Any:
    try:
        return load_yaml(text)
    except YamlProblem as problem:
        location = f"{format_path(problem.path)}: " if problem.path else ""
        raise ScenarioError(f"{source}: {location}{problem.message} (line {problem.line})") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ScenarioError(f"{source}: invalid YAML: {error.problem or error.context}{where}") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{source}: invalid YAML: {error}") from None


def format_path(path: YamlPath) -> str:
    """``users[0].accounts[1].port``: a path as a reader of the YAML file would write it."""
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
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


@dataclass(frozen=True, slots=True)
class _Problem:
    """One problem of a scenario or a fault: where (a value, or the key leading to it) and what."""

    path: YamlPath
    text: str
    at_key: bool = False

    def line(self, lines: Lines) -> int:
        return lines.of_key(self.path) if self.at_key else lines.of_value(self.path)

    def sentence(self, lines: Lines | None) -> str:
        """``path: problem (line N)``; without ``lines`` (JSON over HTTP), no line."""
        location = f"{format_path(self.path)}: " if self.path else ""
        return f"{location}{self.text} (line {self.line(lines)})" if lines else f"{location}{self.text}"


def _describe(error: jsonschema.ValidationError) -> list[_Problem]:
    """The problems one schema error stands for (an ``anyOf`` of a mapping: those inside it)."""
    if error.validator == "anyOf" and isinstance(error.instance, dict | list):
        # A mapping or list that fits no branch: what is wrong inside it says more than "expected
        # ... or a mapping". The branches of another type fail at its root with "type" or "enum".
        deeper = [sub for sub in error.context or () if sub.path or sub.validator not in ("type", "enum")]
        if deeper:
            return [problem for sub in deeper for problem in _describe(sub)]
    path: YamlPath = tuple(error.absolute_path)
    instance: Any = error.instance
    schema = error.schema
    assert isinstance(schema, dict)
    if error.validator == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        unknown = next(key for key in instance if key not in allowed)
        problem = f"unknown key {show_value(unknown)} (allowed: {', '.join(allowed)})"
        return [_Problem((*path, unknown), problem, at_key=True)]
    if error.validator == "required":
        missing = next(key for key in schema["required"] if key not in instance)
        problem = f"missing key {missing!r}"
    elif error.validator in ("minimum", "maximum"):
        bound = "at least" if error.validator == "minimum" else "at most"
        problem = f"expected {bound} {error.validator_value}, got {show_value(instance)}"
    elif error.validator in ("minLength", "minProperties", "minItems"):
        problem = "must not be empty"
    elif schema.get("type") == "number" and isinstance(instance, float):  # NaN or an infinity
        problem = f"expected a finite number, got {show_value(instance)}"
    else:
        problem = f"expected {_expected(schema)}, got {show_value(instance)}"
    return [_Problem(path, problem)]


def _expected(schema: Mapping[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_expected(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(show_value(value) for value in schema["enum"])
    if "pattern" in schema:
        return str(schema.get("description", f"text matching {schema['pattern']!r}"))
    types = schema.get("type", [])
    return " or ".join(_TYPE_NAMES[name] for name in ([types] if isinstance(types, str) else types))


def show_value(value: Any) -> str:
    """A value as an error message names it: YAML's words for null and booleans, a short repr."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"  # its digits may be too many to print
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:76]}...{text[0]}"


# --- checks across entries -------------------------------------------------------------------


def _check_references(data: Mapping[str, Any]) -> Iterator[_Problem]:
    """Problems the schema cannot see: duplicates and a default account the user does not own."""
    names: dict[str, int] = {}
    tokens: dict[str, str] = {}
    mailbox_ids: set[int] = set()
    for u, user in enumerate(data.get("users", [])):
        name = user["name"]
        if name.lower() in names:
            yield _Problem(
                ("users", u, "name"), f"duplicate user {name!r} (also users[{names[name.lower()]}])"
            )
        names.setdefault(name.lower(), u)
        token = user.get("token")
        if token is not None and tokens.setdefault(token, name) != name:
            yield _Problem(("users", u, "token"), f"token already used by user {tokens[token]!r}")
        addresses: set[str] = set()
        for a, account in enumerate(user.get("accounts", [])):
            email = account["email"].lower()
            if email in addresses:
                yield _Problem(
                    ("users", u, "accounts", a, "email"), f"duplicate account {email!r} for user {name!r}"
                )
            addresses.add(email)
            addresses.update(alias.lower() for alias in account.get("aliases", []))
            mailbox_id = account.get("mailbox_id")
            if mailbox_id is not None:
                if mailbox_id in mailbox_ids:
                    yield _Problem(
                        ("users", u, "accounts", a, "mailbox_id"), f"duplicate mailbox_id {mailbox_id}"
                    )
                mailbox_ids.add(mailbox_id)
        default = user.get("default_account")
        if default is not None and default.lower() not in addresses:
            yield _Problem(("users", u, "default_account"), f"{default!r} is not one of {name!r}'s accounts")
    fault_names: set[str] = set()
    for f, fault in enumerate(data.get("faults", [])):
        yield from _check_fault(fault, ("faults", f))
        name = fault.get("name", f"fault-{f + 1}")
        if name in fault_names:
            yield _Problem(("faults", f, "name"), f"duplicate fault name {name!r}")
        fault_names.add(name)
    servers: set[tuple[str, int]] = set()
    for s, server in enumerate(data.get("mail_servers", [])):
        key = (server["host"].lower(), server["port"])
        if key in servers:
            yield _Problem(("mail_servers", s), f"duplicate mail server {server['host']}:{server['port']}")
        servers.add(key)
    domains: dict[str, int] = {}
    for p, provider in enumerate(data.get("providers", [])):
        for d, domain in enumerate(provider["domains"]):
            if domains.setdefault(domain.lower(), p) != p:
                where = f"providers[{domains[domain.lower()]}]"
                yield _Problem(("providers", p, "domains", d), f"domain {domain!r} already in {where}")


def _check_fault(fault: Mapping[str, Any], path: YamlPath) -> Iterator[_Problem]:
    """Problems of a fault the schema cannot see: a header that would break the answer's framing."""
    respond = fault["respond"]
    for name in respond.get("headers", {}) if isinstance(respond, dict) else ():
        if name.lower() in FRAMING_HEADERS:
            problem = f"{name} is the server's to set: a fault's would break the answer's framing"
            yield _Problem((*path, "respond", "headers", name), problem, at_key=True)


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
    providers = tuple(
        Provider(
            domains=tuple(domain.lower() for domain in provider["domains"]),
            incoming=tuple(_provider_server(server) for server in provider["incoming"]),
            outgoing=tuple(_provider_server(server) for server in provider["outgoing"]),
        )
        for provider in data.get("providers", [])
    )
    faults = tuple(
        build_fault(spec, f"fault-{position}") for position, spec in enumerate(data.get("faults", []), 1)
    )
    return Scenario(
        source=source,
        users=users,
        mail_servers=servers,
        providers=providers,
        style=data.get("style", "wire"),
        faults=faults,
        seed=data.get("seed", 0),
        cors_origins=tuple(data.get("cors_origins", ())),
        basic_challenge=data.get("basic_challenge", True),
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


def _provider_server(fields: Mapping[str, Any]) -> ProviderServer:
    return ProviderServer(
        server=fields["server"],
        port=fields["port"],
        encryption=_number(fields.get("encryption", 1), ENCRYPTION_TYPES),
        auth=_number(fields.get("auth", 1), SASL_MECHANISMS),
        login=fields.get("login", "%EMAILADDRESS%"),
        imap=fields.get("type", "imap") == "imap",
    )


def _number(value: int | str, names: Mapping[str, int]) -> int:
    return value if isinstance(value, int) else names[value.lower()]
