"""mockmail: a mock ONLYOFFICE Mail API server and test fixture."""

from __future__ import annotations

from mockmail.app import create_app
from mockmail.scenarios import Scenario, ScenarioError, load_scenario, parse_scenario
from mockmail.server import MockMailServer

__all__ = ["MockMailServer", "Scenario", "ScenarioError", "create_app", "load_scenario", "parse_scenario"]
