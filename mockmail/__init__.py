"""mockmail: a mock ONLYOFFICE Mail API server and test fixture.

Everything the public API takes, returns or raises is importable from here; every exception
mockmail raises is a ``MockmailError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockmail.errors import (
    MissingPackage,
    MockmailError,
    UnknownAccount,
    UnknownFault,
    UnknownName,
    UnknownUser,
)

if TYPE_CHECKING:
    from mockmail.app import create_app
    from mockmail.faults import FaultStatus
    from mockmail.http_server import Limits
    from mockmail.journal import JournalEntry
    from mockmail.models import Account, User
    from mockmail.proxy import UpstreamError
    from mockmail.recording import RecordingError
    from mockmail.redaction import SecretLeak
    from mockmail.replay import Replay
    from mockmail.scenario_folder import BadScenarioName, UnknownScenario
    from mockmail.scenarios import Scenario, ScenarioError, load_scenario, parse_scenario
    from mockmail.server import MockMailServer

__all__ = [
    "Account",
    "BadScenarioName",
    "FaultStatus",
    "JournalEntry",
    "Limits",
    "MissingPackage",
    "MockMailServer",
    "MockmailError",
    "RecordingError",
    "Replay",
    "Scenario",
    "ScenarioError",
    "SecretLeak",
    "UnknownAccount",
    "UnknownFault",
    "UnknownName",
    "UnknownScenario",
    "UnknownUser",
    "UpstreamError",
    "User",
    "create_app",
    "load_scenario",
    "parse_scenario",
]

# Imported on first use, so that loading the pytest plugin (which imports this package) does
# not import Flask for a test suite that never uses the fixture. The exceptions, in a module
# that imports nothing, are here from the start.
_HOMES = {
    "Account": "mockmail.models",
    "BadScenarioName": "mockmail.scenario_folder",
    "create_app": "mockmail.app",
    "FaultStatus": "mockmail.faults",
    "JournalEntry": "mockmail.journal",
    "Limits": "mockmail.http_server",
    "MockMail": "mockmail.testing",  # deprecated, and so not in __all__: the fixture is a MockMailServer
    "MockMailServer": "mockmail.server",
    "RecordingError": "mockmail.recording",
    "Replay": "mockmail.replay",
    "Scenario": "mockmail.scenarios",
    "ScenarioError": "mockmail.scenarios",
    "SecretLeak": "mockmail.redaction",
    "UnknownScenario": "mockmail.scenario_folder",
    "UpstreamError": "mockmail.proxy",
    "User": "mockmail.models",
    "load_scenario": "mockmail.scenarios",
    "parse_scenario": "mockmail.scenarios",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mockmail' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
