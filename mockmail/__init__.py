"""mockmail: a mock ONLYOFFICE Mail API server and test fixture."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockmail.app import create_app
    from mockmail.http_server import Limits
    from mockmail.replay import Replay
    from mockmail.scenarios import Scenario, ScenarioError, load_scenario, parse_scenario
    from mockmail.server import MockMailServer
    from mockmail.testing import MockMail

__all__ = [
    "Limits",
    "MockMail",
    "MockMailServer",
    "Replay",
    "Scenario",
    "ScenarioError",
    "create_app",
    "load_scenario",
    "parse_scenario",
]

# Imported on first use, so that loading the pytest plugin (which imports this package) does
# not import Flask for a test suite that never uses the fixture.
_HOMES = {
    "create_app": "mockmail.app",
    "Limits": "mockmail.http_server",
    "MockMail": "mockmail.testing",
    "MockMailServer": "mockmail.server",
    "Replay": "mockmail.replay",
    "Scenario": "mockmail.scenarios",
    "ScenarioError": "mockmail.scenarios",
    "load_scenario": "mockmail.scenarios",
    "parse_scenario": "mockmail.scenarios",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mockmail' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
