"""What one mock server holds: its accounts, faults, journal, and how it renders answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockmail.api_request import ApiRequest
from mockmail.faults import Fault, FaultPlan
from mockmail.journal import Journal
from mockmail.paths import API_PREFIX, normalize_path
from mockmail.replay import Replay
from mockmail.scenarios import Scenario, Style, parse_fault
from mockmail.store import AccountStore


@dataclass(slots=True)
class MockState:
    """The per-app state kept in ``app.extensions["mockmail"]``."""

    scenario: Scenario
    style: Style
    store: AccountStore = field(init=False)
    faults: FaultPlan = field(init=False)
    journal: Journal = field(default_factory=Journal)
    replay: Replay | None = None  # a recording answering before the stateful mock
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = AccountStore(self.scenario)
        self.faults = FaultPlan(self.scenario.faults, self.scenario.seed)

    def add_fault(self, spec: Mapping[str, Any]) -> Fault:
        """Validate a fault (ScenarioError names the problem) and add it; the plan is unchanged if bad."""
        fault = parse_fault(spec, self.faults.next_name())
        self.faults.add(fault)
        return fault

    def may_block(self, environ: dict[str, Any]) -> bool:
        """Whether the app may take long on a request: a latency fault may fire on it, or a
        recording answers it (a search of its interactions, or a call to the upstream)."""
        if not normalize_path(environ.get("PATH_INFO", "")).startswith(API_PREFIX):
            return False  # `//api/...` counts: the app collapses the slashes after this
        if self.replay is not None:
            return True
        # The email is not looked at: may_delay takes any email as a match.
        return self.faults.delays and self.faults.may_delay(ApiRequest.of(environ, self.store))

    def reset(self, scenario: Scenario | None = None) -> None:
        """Back to ``scenario`` (by default the current one): accounts, tokens, faults, journal."""
        if scenario is not None:
            self.scenario = scenario
        self.store.reset(self.scenario)
        self.faults = FaultPlan(self.scenario.faults, self.scenario.seed)
        self.journal.clear()
        self.errors.clear()
