"""What one mock server holds: its accounts, faults, journal, and how it renders answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockmail.auth import environ_user
from mockmail.faults import Fault, FaultPlan, RequestFacts
from mockmail.journal import Journal
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
        """Whether a request may wait: a latency fault may fire on it, or a recording asks the upstream."""
        if self.replay is not None and self.replay.records:
            return True
        if not self.faults.delays:
            return False
        # The email is not looked at: may_delay takes any email as a match.
        facts = RequestFacts.of(environ, lambda: self.user_name(environ), lambda: None)
        return self.faults.may_delay(facts)

    def user_name(self, environ: dict[str, Any]) -> str | None:
        """The name of the user whose credentials the request carries."""
        user = environ_user(self.store, environ)
        return user.name if user else None

    def reset(self, scenario: Scenario | None = None) -> None:
        """Back to ``scenario`` (by default the current one): accounts, tokens, faults, journal."""
        if scenario is not None:
            self.scenario = scenario
        self.store.reset(self.scenario)
        self.faults = FaultPlan(self.scenario.faults, self.scenario.seed)
        self.journal.clear()
        self.errors.clear()
