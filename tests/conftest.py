"""Shared fixtures: one real server on a loopback port for the session, reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from mockmail import MockMailServer
from mockmail.scenarios import Scenario, default_scenario

ROOT = Path(__file__).resolve().parent.parent
ALICE_TOKEN = "864FE52C-1C1C-469F-9308-51DAFEFE7436"
BOB_TOKEN = "bob-token"


@pytest.fixture(scope="session")
def default() -> Scenario:
    return default_scenario()


@pytest.fixture(scope="session")
def session_server(default: Scenario) -> Iterator[MockMailServer]:
    with MockMailServer(default) as server:
        yield server


@pytest.fixture
def server(session_server: MockMailServer, default: Scenario) -> MockMailServer:
    """The session's server with the default scenario, as new."""
    session_server.reset(default)
    return session_server


@pytest.fixture
def url(server: MockMailServer) -> str:
    return server.url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def alice() -> dict[str, str]:
    """Alice's credentials, the raw-token form the docs show."""
    return {"Authorization": ALICE_TOKEN}


@pytest.fixture
def bob() -> dict[str, str]:
    return {"Authorization": BOB_TOKEN}


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text to a scenario file and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


pytest_plugins = ["pytester"]
