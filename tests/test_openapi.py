"""The OpenAPI document: a valid 3.1 document, listing exactly the app's routes and the tables' parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from flask import Flask
from openapi_spec_validator import OpenAPIV31SpecValidator

from mockmail import MockMailServer
from mockmail.app import create_app
from mockmail.openapi import (
    CONTROL_PREFIX,
    DEFAULT_SERVER_URL,
    DOCUMENT_PATH,
    STATIC_PREFIX,
    openapi_document,
)
from mockmail.paths import API_PREFIX, EXTENSIONS
from mockmail.scenarios import load_scenario
from mockmail.scenarios import schema as scenario_schema
from mockmail.signatures import API_METHODS, ParamType
from mockmail.wire import listed_accounts, mailbox_data

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {"HEAD", "OPTIONS"}


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app()


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    return openapi_document(app, None)


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (verb.upper(), path): operation
        for path, item in document["paths"].items()
        for verb, operation in item.items()
    }


def validates(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    """Check ``value`` against a schema of the document, its ``#/components/...`` references resolved."""
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(value)


def test_the_served_document_is_valid_openapi_3_1(server: MockMailServer, http: requests.Session):
    response = http.get(server.url + DOCUMENT_PATH, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    served = response.json()
    OpenAPIV31SpecValidator(served).validate()
    assert served["openapi"] == "3.1.0"


def test_the_served_servers_url_is_the_servers_own(server: MockMailServer, http: requests.Session):
    served = http.get(server.url + DOCUMENT_PATH, timeout=10).json()
    assert served["servers"] == [{"url": server.url}]


def test_the_printed_document_is_the_served_one_but_for_its_servers(app: Flask, document: dict[str, Any]):
    printed = openapi_document(app)
    assert printed.pop("servers") == [{"url": DEFAULT_SERVER_URL}] == [{"url": "http://127.0.0.1:8025"}]
    assert printed == document
    assert "servers" not in document


def test_it_lists_exactly_the_apps_api_routes(app: Flask, document: dict[str, Any]):
    """The check that keeps the document from drifting: a route added without a table row fails here."""
    routes = {
        (verb, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX) and "<" not in rule.rule
        for verb in (rule.methods or set()) - SKIPPED
    }
    listed = {key for key in operations(document) if key[1].startswith(API_PREFIX)}
    assert listed == routes
    assert listed == {(method.verb, method.path) for method in API_METHODS}


def test_every_listed_api_path_has_its_suffixed_twins(app: Flask, document: dict[str, Any]):
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    for path, item in document["paths"].items():
        if path.startswith(API_PREFIX):
            assert f"{path}.<any(json, xml, tml):extension>" in rules
            for operation in item.values():
                assert all(f"`{path}{suffix}`" in operation["description"] for suffix in EXTENSIONS)


def test_every_parameter_of_every_row_is_listed_with_its_type(document: dict[str, Any]):
    listed = operations(document)
    for method in API_METHODS:
        operation = listed[method.verb, method.path]
        assert operation["operationId"] == method.name
        if method.verb in ("GET", "DELETE"):
            schemas = {
                parameter["name"]: parameter["schema"] for parameter in operation.get("parameters", [])
            }
            assert all(parameter["in"] == "query" for parameter in operation.get("parameters", []))
            assert "requestBody" not in operation
        else:
            content = operation["requestBody"]["content"]
            assert set(content) == {"application/json", "application/x-www-form-urlencoded"}
            assert content["application/json"] == content["application/x-www-form-urlencoded"]
            schemas = content["application/json"]["schema"]["properties"]
        assert list(schemas) == [param.name for param in method.params], method.name
        for param in method.params:
            schema = schemas[param.name]
            expected = {
                ParamType.STRING: "string",
                ParamType.INT: "integer",
                ParamType.BOOL: "boolean",
            }.get(param.type)
            if expected is None:  # an enum: its number or its names
                assert [branch.get("type") for branch in schema["anyOf"]] == ["integer", "string"]
            else:
                assert schema["type"] == expected
        assert str(method.status) in operation["responses"]


def test_an_int_is_an_int32_and_enums_take_names(document: dict[str, Any]):
    body = operations(document)["PUT", "/api/2.0/mail/accounts"]["requestBody"]["content"]["application/json"]
    port = body["schema"]["properties"]["port"]
    assert (port["minimum"], port["maximum"]) == (-(2**31), 2**31 - 1)
    auth = body["schema"]["properties"]["auth_type_smtp"]["anyOf"][1]["enum"]
    assert auth == ["None", "Login", "CramMd5", "OAuth2", "Ntlm"]


def test_it_lists_every_control_endpoint_but_the_static_files(app: Flask, document: dict[str, Any]):
    routes = {
        (verb, rule.rule.replace("<path:name>", "{name}").replace("<name>", "{name}"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(CONTROL_PREFIX) and not rule.rule.startswith(STATIC_PREFIX)
        for verb in (rule.methods or set()) - SKIPPED
    }
    listed = {key for key in operations(document) if key[1].startswith(CONTROL_PREFIX)}
    assert listed == routes
    assert ("GET", "/_mockmail/static/{filename}") not in listed


def test_a_control_route_without_its_entry_is_refused_by_name():
    app = create_app()
    app.add_url_rule("/_mockmail/new-thing", "new_thing", lambda: "")
    with pytest.raises(LookupError, match=r"/_mockmail/new-thing \(new_thing\) has no entry"):
        openapi_document(app, None)


def test_a_faults_body_is_the_scenario_schemas_fault(document: dict[str, Any]):
    add = operations(document)["POST", "/_mockmail/faults"]
    assert add["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/scenario.fault"
    }
    fault = document["components"]["schemas"]["scenario.fault"]
    assert fault["properties"]["respond"] == scenario_schema()["$defs"]["fault"]["properties"]["respond"]
    assert (
        fault["properties"]["match"]["properties"]["email"]["$ref"] == "#/components/schemas/scenario.email"
    )


def test_the_journal_filters_are_journal_querys_fields(document: dict[str, Any]):
    for path in ("/_mockmail/journal", "/_mockmail/journal/count"):
        names = [parameter["name"] for parameter in operations(document)["GET", path]["parameters"]]
        assert names == ["method", "path", "user", "email", "status", "fault", "since", "after"]


def test_every_example_validates_against_its_schema(document: dict[str, Any]):
    checked = 0
    for operation in operations(document).values():
        for parameter in operation.get("parameters", []):
            if "example" in parameter:
                validates(document, parameter["schema"], parameter["example"])
                checked += 1
        for media in operation.get("requestBody", {}).get("content", {}).values():
            if "example" in media:
                validates(document, media["schema"], media["example"])
                checked += 1
        for response in operation["responses"].values():
            for media in response.get("content", {}).values():
                if "example" in media:
                    validates(document, media["schema"], media["example"])
                    checked += 1
    assert checked >= 30, checked


def test_the_examples_come_from_the_default_scenario(document: dict[str, Any]):
    put = operations(document)["PUT", "/api/2.0/mail/accounts"]
    assert put["requestBody"]["content"]["application/json"]["example"]["email"] == "bob@example.com"
    answer = put["responses"]["200"]["content"]["application/json"]["example"]
    assert (answer["status"], answer["statusCode"], answer["response"]["name"]) == (0, 200, "Bob")
    assert document["components"]["securitySchemes"]["token"]["description"].endswith(
        "`Authorization: bob-token`."
    )


SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda path: path.name)
def test_the_wire_answers_of_every_bundled_scenario_fit_the_schemas(document: dict[str, Any], path: Path):
    scenario = load_scenario(path)
    schemas = document["components"]["schemas"]
    for user in scenario.users:
        for listed in listed_accounts(user, list(user.accounts)):
            validates(document, schemas["MailAccountData"], listed)
        for account in user.accounts:
            data = mailbox_data(
                account, email=account.email, begin_date="1975-01-01T00:00:00", restrict=False
            )
            validates(document, schemas["MailBoxData"], data)


def test_the_real_answers_fit_their_documented_responses(
    server: MockMailServer, http: requests.Session, document: dict[str, Any], bob: dict[str, str]
):
    put = operations(document)["PUT", "/api/2.0/mail/accounts"]["responses"]
    url = server.url + "/api/2.0/mail/accounts"
    cases = [
        (http.put(url, json={"email": "bob@example.com", "name": "Bob"}, headers=bob, timeout=10), 200),
        (http.put(url, data={"port": "x", "email": "bob@example.com"}, headers=bob, timeout=10), 400),
        (http.put(url, data={"email": "nobody@example.com"}, headers=bob, timeout=10), 500),
        (http.put(url, data={"email": "not an address"}, headers=bob, timeout=10), 500),
    ]
    for response, status in cases:
        assert response.status_code == status
        validates(document, put[str(status)]["content"]["application/json"]["schema"], response.json())
    denied = http.put(url, data={"email": "bob@example.com"}, headers={"Authorization": "wrong"}, timeout=10)
    unauthorized = document["components"]["responses"]["Unauthorized"]
    assert denied.status_code == 401
    assert denied.headers["Content-Type"].startswith("text/html")
    validates(document, unauthorized["content"]["text/html"]["schema"], denied.text)
    assert "WWW-Authenticate" in unauthorized["headers"]


def test_the_openapi_command_prints_the_served_document_but_for_its_servers(
    server: MockMailServer, tmp_path: Path
):
    from click.testing import CliRunner

    from mockmail.cli import main

    printed = CliRunner().invoke(main, ["openapi"])
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.output)
    served = requests.get(server.url + "/_mockmail/openapi.json", timeout=5).json()
    assert document["servers"] == [{"url": "http://127.0.0.1:8025"}]
    assert {**document, "servers": None} == {**served, "servers": None}
    written = CliRunner().invoke(
        main, ["openapi", "--server-url", "http://ci:9000", "--out", str(tmp_path / "o.json")]
    )
    assert written.exit_code == 0
    assert json.loads((tmp_path / "o.json").read_text())["servers"] == [{"url": "http://ci:9000"}]
