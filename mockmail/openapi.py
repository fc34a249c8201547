"""The OpenAPI 3.1 document of the mocked API and the control endpoints, built from the routes' own tables.

The mocked calls come from ``mockmail.signatures`` (the rows the parameter binding reads), the
control endpoints from the app's URL map, a fault's shape from the scenario schema, and the
examples from the default scenario through the store and ``mockmail.wire``: nothing is written
twice, so the document cannot drift from what the server does.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from mockmail.auth import AUTH_COOKIE
from mockmail.binding import parse_update
from mockmail.errors import (
    BAD_EMAIL_MESSAGE,
    GENERIC_MESSAGE,
    HRESULT_EXCEPTION,
    HRESULT_FORMAT,
    HRESULT_NULL,
    HRESULT_SYSTEM,
)
from mockmail.journal import JournalQuery
from mockmail.models import ENCRYPTION_TYPES, SASL_MECHANISMS, User
from mockmail.paths import CONTROL_PREFIX, EXTENSIONS
from mockmail.scenarios import default_scenario
from mockmail.scenarios import schema as scenario_schema
from mockmail.signatures import API_METHODS, AUTHENTICATE, Method, Param, ParamType
from mockmail.wire import envelope, listed_accounts, mailbox_data, remove_operation, updated_account

OPENAPI_VERSION = "3.1.0"
DOCUMENT_PATH = "/_mockmail/openapi.json"
DEFAULT_SERVER_URL = "http://127.0.0.1:8025"  # where `mockmail serve` listens by default
STATIC_PREFIX = "/_mockmail/static/"  # the workbench's script and stylesheet: left out of the document
INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
JSON_MEDIA = "application/json"
FORM_MEDIA = "application/x-www-form-urlencoded"
HTML_MEDIA = "text/html"
SCENARIO_PREFIX = "scenario."  # the scenario schema's $defs, as components: scenario.fault, ...

openapi = Blueprint("mockmail_openapi", __name__)


@openapi.get(DOCUMENT_PATH)
def document() -> Response:
    """This OpenAPI document, its server the URL the request came to."""
    return jsonify(openapi_document(current_app, request.host_url.rstrip("/")))


def openapi_document(app: Flask, server_url: str | None = DEFAULT_SERVER_URL) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``: the mocked calls, then its control endpoints.

    ``server_url`` becomes the one entry of ``servers`` (None: no ``servers``).
    """
    api = _api_part()  # a fresh copy: the caller may change it
    paths: dict[str, Any] = api["paths"]
    for path, operations in _control_paths(app).items():
        paths.setdefault(path, {}).update(operations)
    built: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": api["info"]}
    if server_url is not None:
        built["servers"] = [{"url": server_url.rstrip("/")}]
    built.update(tags=api["tags"], paths=paths, components=api["components"], security=api["security"])
    return built


# --- the mocked API --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ServerError:
    """A 500 the real server gives for a call: its message (exact, or a pattern) and hresult."""

    when: str
    hresult: int
    message: str | None = None
    pattern: str | None = None

    def schema(self) -> dict[str, Any]:
        """The error body's ``error`` member, as this 500 fills it."""
        text = {"const": self.message} if self.message is not None else {"pattern": self.pattern}
        return {
            "description": self.when,
            "type": "object",
            "properties": {"message": {"type": "string", **text}, "hresult": {"const": self.hresult}},
        }


_LOGIN_HEADER = (
    re.escape('<span class="attempt_header">') + "(IMAP|POP3|SMTP)" + re.escape(" response:</span><br/>")
)
BAD_EMAIL = ServerError("the email is not an address (MailAddress)", HRESULT_FORMAT, BAD_EMAIL_MESSAGE)
GENERIC = ServerError(
    "unknown account, another user's, the built-in mailbox, or no provider settings",
    HRESULT_EXCEPTION,
    GENERIC_MESSAGE,
)
LOGIN_TEST = ServerError(
    "the login test failed (MailServerHelper.Test)", HRESULT_EXCEPTION, pattern=f"^{_LOGIN_HEADER}"
)
EVERY_ATTEMPT_FAILED = ServerError(
    "no provider's server passed the login test: each attempt and its failures",
    HRESULT_EXCEPTION,
    pattern=f"^#1:<br>{_LOGIN_HEADER}",
)
NOT_FOUND = ServerError(
    "no such account of the caller (NullReferenceException)",
    HRESULT_NULL,
    pattern="^" + re.escape("Account wasn't found by email: "),
)
LOGIN_FAILED = ServerError("wrong user name or password", HRESULT_SYSTEM, "User authentication failed")

# The 500s each call gives on the real server (MailApi.Accounts.cs), as mockmail gives them; any
# other 500 is mockmail's bug. Faults answer outside this document.
SERVER_ERRORS: dict[str, tuple[ServerError, ...]] = {
    "GetAccounts": (),
    "UpdateAccount": (BAD_EMAIL, GENERIC, LOGIN_TEST),
    "CreateAccount": (BAD_EMAIL, GENERIC, LOGIN_TEST),
    "CreateAccountSimple": (GENERIC, EVERY_ATTEMPT_FAILED),
    "DeleteAccount": (BAD_EMAIL, NOT_FOUND),
    "GetAccount": (BAD_EMAIL, NOT_FOUND),
    "SetAccountEnable": (BAD_EMAIL, NOT_FOUND, LOGIN_TEST),
    "SetDefaultAccount": (),
    "GetAccountDefaults": (BAD_EMAIL,),
    "SetAccountEMailInFolder": (),
    "UpdateUserActivity": (),
    "AuthenticateMe": (LOGIN_FAILED,),
}

_TAGS = [
    {"name": "accounts", "description": "The mail accounts calls (MailApi.Accounts.cs)."},
    {"name": "authentication", "description": "Logging in for a token (AuthenticationEntryPoint)."},
    {"name": "control", "description": "mockmail's own control endpoints: faults, scenario, journal."},
]

_INFO_DESCRIPTION = f"""\
A mock of the ONLYOFFICE Mail API (CommunityServer v10 to v12.7), answering as the real server does \
on the wire, and its control endpoints under `{CONTROL_PREFIX}`.

- Every mocked path also answers with a `.json`, `.xml` or `.tml` suffix (XML for the latter two \
unless the request body is JSON); only the bare path is listed.
- Parameters come from the query string, then a JSON, form-encoded or XML body; the query string \
wins; names match in any case; every value may also be sent as a string (`"993"`, `"true"`).
- The answers shown are the scenario style `wire` (the default); `style: docs` answers the bare \
object with PascalCase names instead.
- Faults (`POST {CONTROL_PREFIX}faults`) answer whatever they say, outside this document.
"""


@cache
def _api_part_cached() -> dict[str, Any]:
    """What does not depend on the app: the mocked calls, the components, the info."""
    examples = _Examples.from_default_scenario()
    paths: dict[str, dict[str, Any]] = {}
    for method in API_METHODS:
        paths.setdefault(method.path, {})[method.verb.lower()] = _operation(method, examples)
    return {
        "info": {
            "title": "mockmail: the ONLYOFFICE Mail API",
            "version": _version(),
            "description": _INFO_DESCRIPTION,
        },
        "tags": _TAGS,
        "paths": paths,
        "components": {
            "schemas": {**_RESPONSE_SCHEMAS, **_scenario_schemas("fault")},
            "responses": {"Unauthorized": _UNAUTHORIZED},
            "securitySchemes": _security_schemes(examples),
        },
        "security": [{"token": []}, {"bearer": []}, {"basic": []}, {"cookie": []}],
    }


def _version() -> str:
    try:
        return metadata.version("mockmail")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "0+unknown"


def _api_part() -> dict[str, Any]:
    part: dict[str, Any] = copy.deepcopy(_api_part_cached())
    return part


def _operation(method: Method, examples: _Examples) -> dict[str, Any]:
    """One mocked call: its parameters by verb, its envelope, and the real server's errors."""
    twins = ", ".join(f"`{method.path}{suffix}`" for suffix in EXTENSIONS)
    operation: dict[str, Any] = {
        "operationId": method.name,
        "tags": ["authentication" if method is AUTHENTICATE else "accounts"],
        "summary": f"{'AuthenticationEntryPoint' if method is AUTHENTICATE else 'MailApi'}.{method.name}",
        "description": f"Also answered at {twins}.",
    }
    example = examples.requests.get(method.name)
    if method.verb in ("GET", "DELETE"):
        if method.params:
            operation["parameters"] = [_query_parameter(param, example) for param in method.params]
    else:
        body = {
            "type": "object",
            "properties": {param.name: _param_schema(param) for param in method.params},
        }
        media: dict[str, Any] = {"schema": body}
        if example is not None:
            media["example"] = example
        operation["requestBody"] = {
            "description": "The parameters, in any of these encodings (or XML, or the query string).",
            "content": {JSON_MEDIA: media, FORM_MEDIA: copy.deepcopy(media)},
        }
    operation["responses"] = _responses(method, examples.responses.get(method.name))
    if method is AUTHENTICATE:
        operation["security"] = []  # the one call that needs no credentials
    return operation


def _query_parameter(param: Param, example: Mapping[str, Any] | None) -> dict[str, Any]:
    parameter: dict[str, Any] = {
        "name": param.name,
        "in": "query",
        "description": param.description,
        "schema": _param_schema(param),
    }
    if example is not None and param.name in example:
        parameter["example"] = example[param.name]
    return parameter


def _param_schema(param: Param) -> dict[str, Any]:
    """A parameter's JSON Schema, by its .NET type; enums take their number or their names."""
    if param.type is ParamType.STRING:
        return {"type": "string", "description": param.description}
    if param.type is ParamType.BOOL:
        return {"type": "boolean", "description": param.description}
    if param.type is ParamType.INT:
        return {**INT32, "description": param.description}
    names = _ENUM_NAMES[param.type]
    return {"description": param.description, "anyOf": [INT32, {"type": "string", "enum": names}]}


_ENUM_NAMES = {
    # EncryptionType's and SaslMechanism's names, as .NET spells them (any case is accepted).
    ParamType.ENCRYPTION: [
        {"none": "None", "ssl": "SSL", "starttls": "StartTLS"}[key] for key in ENCRYPTION_TYPES
    ],
    ParamType.SASL: [
        {"none": "None", "login": "Login", "crammd5": "CramMd5", "oauth2": "OAuth2", "ntlm": "Ntlm"}[key]
        for key in SASL_MECHANISMS
    ],
}


def _responses(method: Method, example: Any) -> dict[str, Any]:
    success: dict[str, Any] = {"schema": _envelope_schema(method)}
    if example is not None:
        success["example"] = example
    responses: dict[str, Any] = {
        str(method.status): {
            "description": f"`{method.returns}` in the envelope",
            "content": {JSON_MEDIA: success},
        }
    }
    if method.params:
        responses["400"] = {
            "description": "A parameter or body that does not parse, or a missing one; the .NET message.",
            "content": {JSON_MEDIA: {"schema": _error_schema(400)}},
        }
    if method is not AUTHENTICATE:
        responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    errors = SERVER_ERRORS[method.name]
    if errors:
        responses["500"] = {
            "description": "The real server's errors: " + "; ".join(error.when for error in errors) + ".",
            "content": {JSON_MEDIA: {"schema": _error_schema(500, [error.schema() for error in errors])}},
        }
    return responses


def _envelope_schema(method: Method) -> dict[str, Any]:
    """``ApiStandartResponce`` around the method's .NET type (a ``void`` has no ``count``)."""
    count = {
        "type": "integer",
        "minimum": 1,
        "description": "1, or the length of a list or string; left out when 0",
    }
    properties: dict[str, Any] = {
        "count": count,
        "status": {"const": 0},
        "statusCode": {"const": method.status},
        "response": _RETURNS[method.returns],
    }
    if method.returns == "void":
        del properties["count"]
    return {
        "type": "object",
        "required": ["status", "statusCode", "response"],
        "properties": properties,
        "additionalProperties": False,
    }


def _error_schema(status: int, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"allOf": [{"$ref": "#/components/schemas/ErrorEnvelope"}]}
    shape: dict[str, Any] = {"properties": {"statusCode": {"const": status}}}
    if errors:
        shape["properties"]["error"] = {"anyOf": errors}
    schema["allOf"].append(shape)
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_STRING, _BOOL, _NULLABLE_STRING = {"type": "string"}, {"type": "boolean"}, {"type": ["string", "null"]}

_RETURNS: dict[str, dict[str, Any]] = {
    "MailAccountData": _ref("MailAccountData"),
    "MailAccountData[]": {"type": "array", "items": _ref("MailAccountData")},
    "MailBoxData": _ref("MailBoxData"),
    "MailOperationStatus": _ref("MailOperationStatus"),
    "AuthenticationTokenData": _ref("AuthenticationTokenData"),
    "int": INT32,
    "string": _STRING,
    "void": {"type": "object", "maxProperties": 0},
}


def _closed(properties: dict[str, Any], description: str) -> dict[str, Any]:
    """An object with exactly these members, as the real server writes every one of them."""
    return {
        "type": "object",
        "description": description,
        "required": list(properties),
        "properties": properties,
        "additionalProperties": False,
    }


_RESPONSE_SCHEMAS: dict[str, Any] = {
    "MailAccountData": _closed(
        {
            "mailboxId": INT32,
            "email": _STRING,
            "enabled": _BOOL,
            "name": _NULLABLE_STRING,
            "oAuthConnection": _BOOL,
            "signature": _closed(
                {"mailboxId": INT32, "html": _STRING, "isActive": _BOOL}, "MailSignatureData"
            ),
            "autoreply": _closed(
                {
                    "mailboxId": INT32,
                    "turnOn": _BOOL,
                    "onlyContacts": _BOOL,
                    "turnOnToDate": _BOOL,
                    "fromDate": _STRING,
                    "toDate": _STRING,
                    "subject": _STRING,
                    "html": _STRING,
                },
                "MailAutoreplyData",
            ),
            "eMailInFolder": _NULLABLE_STRING,
            "quotaError": _BOOL,
            "authError": _BOOL,
            "isGroup": _BOOL,
            "isAlias": _BOOL,
            "isTeamlabMailbox": _BOOL,
            "isDefault": _BOOL,
            "isSharedDomainMailbox": _BOOL,
            "dateCreated": _NULLABLE_STRING,
        },
        "A mailbox or alias as listed, or as a save answers it (placeholder signature and autoreply).",
    ),
    "MailBoxData": _closed(
        {
            "id": INT32,
            "email": _STRING,
            "name": _NULLABLE_STRING,
            "account": _STRING,
            "password": _STRING,
            "server": _STRING,
            "smtp_server": _STRING,
            "smtp_port": {"type": "string", "description": "SmtpPortStr: the port as text"},
            "smtp_account": _STRING,
            "smtp_password": _STRING,
            "smtp_auth": _BOOL,
            "port": {"type": "string", "description": "PortStr: the port as text"},
            "incoming_encryption_type": INT32,
            "outcoming_encryption_type": INT32,
            "auth_type_in": INT32,
            "auth_type_smtp": INT32,
            "imap": _BOOL,
            "begin_date": _STRING,
            "is_oauth": _BOOL,
            "restrict": _BOOL,
            "email_in_folder": _NULLABLE_STRING,
            "is_teamlab": _BOOL,
        },
        "One account's settings (accounts/single: passwords blanked), or a provider's (accounts/setups).",
    ),
    "MailOperationStatus": _closed(
        {
            "completed": _BOOL,
            "id": _STRING,
            "status": _STRING,
            "error": _STRING,
            "percents": INT32,
            "source": _STRING,
            "operationType": INT32,
            "operation": _STRING,
        },
        "A queued operation's progress: a removal just queued.",
    ),
    "AuthenticationTokenData": _closed(
        {"token": _STRING, "expires": _STRING}, "The user's token and when it expires (ApiDateTime)."
    ),
    "ErrorEnvelope": _closed(
        {
            "status": {"const": 1},
            "statusCode": {"type": "integer"},
            "error": _closed(
                {
                    "message": _STRING,
                    "hresult": {"type": "integer"},
                    "data": {"type": "object", "maxProperties": 0},
                },
                "The innermost .NET exception's message and hresult.",
            ),
        },
        "The error envelope ErrorWrapper writes: no count, no response.",
    ),
    "ControlError": _closed({"error": _STRING}, "What was wrong with a control request."),
}


def _security_schemes(examples: _Examples) -> dict[str, Any]:
    return {
        "token": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"The raw token, as the docs show it: `Authorization: {examples.token}`.",
        },
        "bearer": {"type": "http", "scheme": "bearer", "description": "`Authorization: Bearer TOKEN`."},
        "basic": {"type": "http", "scheme": "basic", "description": "The user's name and password."},
        "cookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": AUTH_COOKIE,
            "description": "The portal's session cookie, holding the token.",
        },
        "controlToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The control token (`--control-token`): needed under /_mockmail/ when set.",
        },
    }


_UNAUTHORIZED = {
    "description": "No or wrong credentials: the real server's plain text, not JSON.",
    "headers": {
        "WWW-Authenticate": {
            "description": '`Basic Realm="HOST"`, when the request sent an Authorization header '
            "(not with `basic_challenge: false`).",
            "schema": {"type": "string"},
        }
    },
    "content": {HTML_MEDIA: {"schema": {"const": "Unauthorized"}, "example": "Unauthorized"}},
}


@dataclasses.dataclass(frozen=True, slots=True)
class _Examples:
    """Requests and answers of each call for one user of the default scenario, made by the mock's own code."""

    token: str
    requests: dict[str, dict[str, Any]]
    responses: dict[str, Any]

    @classmethod
    def from_default_scenario(cls) -> _Examples:
        scenario = default_scenario()
        user = _user(scenario.users, "bob")
        account = user.accounts[0]
        alice = _user(scenario.users, "alice")
        update = {"email": account.email, "name": "Bob", "server": "imap.example.org", "port": 993}
        changed = parse_update({name.lower(): str(value) for name, value in update.items()})
        saved = changed.apply_to(account, datetime(2024, 1, 1))
        single = dataclasses.replace(account, password="", smtp_password="")
        return cls(
            token=user.token,
            requests={
                "UpdateAccount": update,
                "CreateAccount": {**update, "email": "bob@example.org", "imap": True},
                "CreateAccountSimple": {"email": "bob@example.org", "password": "secret"},
                "DeleteAccount": {"email": account.email},
                "GetAccount": {"email": account.email},
                "SetAccountEnable": {"email": account.email, "state": True},
                "SetDefaultAccount": {"email": account.email, "isDefault": True},
                "GetAccountDefaults": {"email": "bob@example.org", "action": "get_imap_server"},
                "SetAccountEMailInFolder": {"mailbox_id": account.mailbox_id, "email_in_folder": "1234"},
                "UpdateUserActivity": {"userOnline": True},
                "AuthenticateMe": {"userName": alice.name, "password": alice.password or ""},
            },
            responses={
                "GetAccounts": envelope(listed_accounts(user, list(user.accounts))),
                "UpdateAccount": envelope(updated_account(saved, changed.email, user.default_account)),
                "DeleteAccount": envelope(
                    remove_operation("5d5b0f6e-8f5e-4bd1-9d1a-6b4b7c0b5e1a", account.mailbox_id)
                ),
                "GetAccount": envelope(
                    mailbox_data(
                        single, email=account.email, begin_date="1975-01-01T00:00:00", restrict=False
                    )
                ),
                "SetAccountEnable": envelope(account.mailbox_id),
                "SetDefaultAccount": envelope(account.email),
                "AuthenticateMe": envelope(
                    {"token": alice.token, "expires": "2024-01-31T00:00:00.0000000Z"}, 201
                ),
            },
        )


def _user(users: tuple[User, ...], name: str) -> User:
    (found,) = [user for user in users if user.name == name]
    return found


def _scenario_schemas(root: str) -> dict[str, Any]:
    """The scenario schema's definition ``root`` and those it refers to, as components."""
    defs: Mapping[str, Any] = scenario_schema()["$defs"]
    wanted, found = [root], {}
    while wanted:
        name = wanted.pop()
        if name not in found:
            found[name] = _rereferenced(defs[name])
            wanted.extend(_references(defs[name]))
    return {SCENARIO_PREFIX + name: found[name] for name in sorted(found)}


def _references(part: Any) -> Iterator[str]:
    if isinstance(part, dict):
        if isinstance(part.get("$ref"), str):
            yield part["$ref"].removeprefix("#/$defs/")
        for value in part.values():
            yield from _references(value)
    elif isinstance(part, list):
        for item in part:
            yield from _references(item)


def _rereferenced(part: Any) -> Any:
    """``part`` with each ``#/$defs/NAME`` pointing at its component."""
    if isinstance(part, list):
        return [_rereferenced(item) for item in part]
    if not isinstance(part, dict):
        return part
    moved = {key: _rereferenced(value) for key, value in part.items()}
    if isinstance(part.get("$ref"), str):
        moved["$ref"] = "#/components/schemas/" + SCENARIO_PREFIX + part["$ref"].removeprefix("#/$defs/")
    return moved


# --- the control endpoints -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ControlDoc:
    """What the URL map cannot say about a control endpoint: its body, query and answers."""

    responses: Mapping[int, tuple[str, dict[str, Any] | None]]
    body: dict[str, Any] | None = None
    query: tuple[dict[str, Any], ...] = ()
    path: Mapping[str, dict[str, Any]] = dataclasses.field(
        default_factory=dict
    )  # its path parameters' schemas
    summary: str | None = None  # when the view has no docstring
    example: Any = None
    media: str = JSON_MEDIA


def _scenario_part(*keys: str) -> dict[str, Any]:
    """A part of the scenario schema's definitions, by its keys: ``("fault", "properties", "name")``."""
    part: dict[str, Any] = scenario_schema()["$defs"]
    for key in keys:
        part = part[key]
    return copy.deepcopy(part)


_FAULT_NAME = {"name": _scenario_part("fault", "properties", "name")}
_USER_NAME = {"name": _scenario_part("user", "properties", "name")}
_NO_CONTENT = "Done."
_PROBLEM = _ref("ControlError")
_FAULT_STATUS = _closed(
    {
        "name": _STRING,
        "matched": {"type": "integer", "minimum": 0},
        "fired": {"type": "integer", "minimum": 0},
        "enabled": _BOOL,
        "spec": _ref(SCENARIO_PREFIX + "fault"),
    },
    "A fault as listed: its spec, how often it matched and fired, whether it is on.",
)
_SCENARIO_INFO = _closed(
    {
        "source": _STRING,
        "style": {"enum": ["wire", "docs"]},
        "seed": {"type": "integer"},
        "basic_challenge": _BOOL,
        "folder": _NULLABLE_STRING,
        "available": {"type": "array", "items": _STRING},
        "error": _NULLABLE_STRING,
    },
    "The scenario running, its settings, the files it may switch to and the last reload error.",
)
_JOURNAL_ENTRY = _closed(
    {
        "time": {"type": "string", "description": "ISO 8601, UTC"},
        "method": _STRING,
        "path": _STRING,
        "user": _NULLABLE_STRING,
        "email": _NULLABLE_STRING,
        "status": {"type": ["integer", "null"], "description": "null: a connection fault answered nothing"},
        "fault": _NULLABLE_STRING,
        "duration_ms": {"type": "number"},
        "fields": {"type": "object", "additionalProperties": _STRING},
        "seq": {"type": "integer"},
        "reason": _NULLABLE_STRING,
    },
    "One request to the mocked API; passwords and tokens masked.",
)
_JOURNAL_FILTERS = {
    "method": "the HTTP method, any case",
    "path": "the path, compared as a fault's (no .json/.xml/.tml, query or doubled slash)",
    "user": "whose credentials it carried",
    "email": "the account it named",
    "status": "the status answered",
    "fault": "the fault that answered",
    "since": "an ISO 8601 time (without a zone, UTC): requests at or after it",
    "after": "a seq: requests after it",
}


def _journal_query() -> tuple[dict[str, Any], ...]:
    """The journal's filters, one query parameter per field of ``JournalQuery``."""
    return tuple(
        {
            "name": field.name,
            "in": "query",
            "description": _JOURNAL_FILTERS[field.name],
            "schema": {"type": "integer"} if str(field.type).startswith("int") else {"type": "string"},
        }
        for field in dataclasses.fields(JournalQuery)
    )


_ADDED_FAULT_EXAMPLE = {
    "name": "next-save-fails",
    "match": {"method": "PUT"},
    "times": 1,
    "respond": "unauthorized",
}

CONTROL_DOCS: dict[str, ControlDoc] = {
    "mockmail_control.list_faults": ControlDoc(
        {200: ("The faults.", _closed({"faults": {"type": "array", "items": _FAULT_STATUS}}, "The faults."))}
    ),
    "mockmail_control.add_fault": ControlDoc(
        {
            201: ("The fault added.", _closed({"fault": _FAULT_STATUS}, "The fault added.")),
            400: ("The problem; the faults stay as they were.", _PROBLEM),
        },
        body=_ref(SCENARIO_PREFIX + "fault"),
        example=_ADDED_FAULT_EXAMPLE,
    ),
    "mockmail_control.clear_faults": ControlDoc({204: (_NO_CONTENT, None)}, summary="Remove every fault."),
    "mockmail_control.remove_fault": ControlDoc(
        {204: (_NO_CONTENT, None), 404: ("No such fault.", _PROBLEM)}
    ),
    "mockmail_control.switch_fault": ControlDoc(
        {
            200: ("The fault.", _FAULT_STATUS),
            400: ("Not that body.", _PROBLEM),
            404: ("No such fault.", _PROBLEM),
        },
        body=_closed({"enabled": _BOOL}, "On or off."),
        path=_FAULT_NAME,
        example={"enabled": False},
    ),
    "mockmail_control.reset": ControlDoc(
        {204: (_NO_CONTENT, None), 400: ("The scenario file is now bad; nothing was reset.", _PROBLEM)}
    ),
    "mockmail_control.scenario": ControlDoc({200: ("The scenario.", _SCENARIO_INFO)}),
    "mockmail_control.switch_scenario": ControlDoc(
        {
            200: ("The scenario now running.", _SCENARIO_INFO),
            400: ("A name with a path in it, or a bad file; nothing changed.", _PROBLEM),
            404: ("No such file in the folder; nothing changed.", _PROBLEM),
        },
        body=_closed({"name": _STRING}, "A scenario file of the folder, with or without .yaml."),
        example={"name": "team"},
    ),
    "mockmail_control.revoke_token": ControlDoc(
        {204: (_NO_CONTENT, None), 404: ("No such user.", _PROBLEM)}, path=_USER_NAME
    ),
    "mockmail_journal.journal": ControlDoc(
        {
            200: (
                "The requests.",
                _closed({"requests": {"type": "array", "items": _JOURNAL_ENTRY}}, "The requests."),
            ),
            400: ("A filter that is wrong.", _PROBLEM),
        },
        query=_journal_query(),
    ),
    "mockmail_journal.count": ControlDoc(
        {
            200: ("How many.", _closed({"count": {"type": "integer", "minimum": 0}}, "How many.")),
            400: ("A filter that is wrong.", _PROBLEM),
        },
        query=_journal_query(),
    ),
    "mockmail_journal.clear_journal": ControlDoc({204: (_NO_CONTENT, None)}, summary="Clear the journal."),
    "mockmail_workbench.page": ControlDoc(
        {200: ("The workbench page.", {"type": "string"})}, media=HTML_MEDIA
    ),
    "mockmail_workbench.users": ControlDoc(
        {
            200: (
                "The users.",
                {"type": "object", "required": ["users"], "properties": {"users": {"type": "array"}}},
            )
        }
    ),
    "mockmail_openapi.document": ControlDoc({200: ("This document.", {"type": "object"})}),
}

_CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([a-z_]+)>")


def _control_paths(app: Flask) -> dict[str, dict[str, Any]]:
    """Each rule of the app under /_mockmail/ (but the static files) as an OpenAPI path item.

    A rule without an entry in ``CONTROL_DOCS`` is a LookupError naming it.
    """
    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(CONTROL_PREFIX) or rule.rule.startswith(STATIC_PREFIX):
            continue
        if rule.endpoint not in CONTROL_DOCS:
            raise LookupError(f"{rule.rule} ({rule.endpoint}) has no entry in mockmail.openapi.CONTROL_DOCS")
        doc = CONTROL_DOCS[rule.endpoint]
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        view = app.view_functions[rule.endpoint]
        for verb in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[verb.lower()] = _control_operation(
                rule.endpoint, rule.arguments, view.__doc__, doc
            )
    return paths


def _control_operation(
    endpoint: str, arguments: frozenset[str] | set[str], docstring: str | None, doc: ControlDoc
) -> dict[str, Any]:
    summary = (docstring or "").strip().split("\n\n")[0].replace("\n", " ") or doc.summary or endpoint
    operation: dict[str, Any] = {
        "operationId": endpoint.partition(".")[2],
        "tags": ["control"],
        "summary": " ".join(summary.split()),
        "security": [{}, {"controlToken": []}],
    }
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": doc.path.get(name, {"type": "string", "minLength": 1}),
        }
        for name in sorted(arguments)
    ]
    parameters.extend(copy.deepcopy(list(doc.query)))
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        media: dict[str, Any] = {"schema": doc.body}
        if doc.example is not None:
            media["example"] = doc.example
        operation["requestBody"] = {"required": True, "content": {JSON_MEDIA: media}}
    responses: dict[str, Any] = {}
    for status, (description, schema) in doc.responses.items():
        responses[str(status)] = {"description": description}
        if schema is not None:
            responses[str(status)]["content"] = {
                doc.media if status < 300 else JSON_MEDIA: {"schema": schema}
            }
    responses["401"] = {
        "description": "Without the control token, when the server has one.",
        "content": {JSON_MEDIA: {"schema": _PROBLEM}},
    }
    operation["responses"] = responses
    return operation
