"""What one mock server holds: its store and how it renders answers."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockmail.scenarios import Scenario, Style
from mockmail.store import AccountStore


@dataclass(slots=True)
class MockState:
    """The per-app state kept in ``app.extensions["mockmail"]``."""

    scenario: Scenario
    style: Style
    store: AccountStore = field(init=False)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = AccountStore(self.scenario)
