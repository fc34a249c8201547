"""What one mock server holds: its accounts, faults, journal, and how it renders answers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockmail.api_request import ApiRequest
from mockmail.faults import Fault, FaultPlan
from mockmail.journal import Journal
from mockmail.paths import API_PREFIX, normalize_path
from mockmail.replay import Replay
from mockmail.scenario_folder import ScenarioFolder, UnknownScenario, check_name
from mockmail.scenarios import Scenario, ScenarioError, Stamp, Style, load_scenario, parse_fault
from mockmail.store import AccountStore
from mockmail.watch import stamp

log = logging.getLogger("mockmail")
# Control requests that read a scenario file: a large one takes seconds, so never on the server's loop.
READS_FILES = frozenset({"/_mockmail/reset", "/_mockmail/scenario"})


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
    style_override: Style | None = None  # the server's style over every scenario's, across reloads
    basic_challenge_override: bool | None = None  # the same for basic_challenge
    scenarios_dir: Path | None = None  # the folder switched within; None: the scenario file's own
    basic_challenge: bool = field(init=False)  # a 401 carries WWW-Authenticate: Basic
    error: str | None = None  # why the scenario's file was last not reloaded; None once one loads
    file_stamp: Stamp | None = field(init=False)  # the version of the scenario's file last read
    _reset_style: Style | None = field(default=None, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.store = AccountStore(self.scenario)
        self.faults = FaultPlan(self.scenario.faults, self.scenario.seed)
        self.basic_challenge = self._challenge(self.scenario)
        self.file_stamp = self.scenario.stamp

    def override(self, *, style: Style | None, basic_challenge: bool | None) -> None:
        """The server's own settings, over every scenario's from now on (None: the scenario's)."""
        with self._lock:
            self.style_override = style
            self.basic_challenge_override = basic_challenge
            self.style = self._reset_style or style or self.scenario.style
            self.basic_challenge = self._challenge(self.scenario)

    def add_fault(self, spec: Mapping[str, Any]) -> Fault:
        """Validate a fault (ScenarioError names the problem) and add it; the plan is unchanged if bad."""
        fault = parse_fault(spec, self.faults.next_name())
        self.faults.add(fault)
        return fault

    def may_block(self, environ: dict[str, Any]) -> bool:
        """Whether the app may take long on a request: a latency fault may fire on it, a recording
        answers it (a search of its interactions, or a call to the upstream), or it reads a scenario."""
        path = normalize_path(environ.get("PATH_INFO", ""))
        if path in READS_FILES and environ.get("REQUEST_METHOD") == "POST":
            return True
        if not path.startswith(API_PREFIX):
            return False  # `//api/...` counts: the app collapses the slashes after this
        if self.replay is not None:
            return True
        # The email is not looked at: may_delay takes any email as a match.
        return self.faults.delays and self.faults.may_delay(ApiRequest.of(environ, self.store))

    def reset(self, scenario: Scenario | None = None, *, style: Style | None = None) -> None:
        """Back to ``scenario`` (by default the current one): accounts, tokens, faults, journal.

        Reads no file: ``reload`` does. ``style`` overrides every other until the next ``reset``.
        """
        with self._lock:
            self._reset_style = style
            if scenario is not None:
                self.error = None
            self._restart(scenario or self.scenario)

    def reload(self, *, expected: Path | None = None) -> None:
        """Read the scenario's file again and reset to it; a scenario from no file is only reset.

        A file that is now bad raises ScenarioError, logged and kept as ``error``, and changes
        nothing. With ``expected``, nothing happens unless that is still the scenario's file.
        """
        with self._lock:
            path = self.scenario.path
            if expected is not None and path != expected:
                return  # switched to another file meanwhile
            if path is None:
                self._restart(self.scenario)
                return
            try:
                scenario = load_scenario(path)
            except ScenarioError as error:
                self.file_stamp = stamp(path)  # the watcher tries this version no more
                self.error = str(error)
                log.warning("mockmail: %s not reloaded: %s", path, error)
                raise
            self.error = None
            self._restart(scenario)
            log.info("mockmail: reloaded %s", path)

    def folder(self) -> Path | None:
        """The folder a switch looks in: ``scenarios_dir``, or the scenario file's own, or None."""
        if self.scenarios_dir is not None:
            return self.scenarios_dir.absolute()
        path = self.scenario.path
        return path.absolute().parent if path is not None else None

    def switch(self, name: object) -> Scenario:
        """Reset to the scenario file called ``name`` in ``folder()`` (``.yaml`` may be left out).

        BadScenarioName for a name with a path in it, UnknownScenario for one not in the folder
        (or no folder), ScenarioError for a bad file; on any of them nothing changes.
        """
        check_name(name)  # before the folder is looked at, even when there is none
        with self._lock:
            folder = self.folder()
            if folder is None:
                raise UnknownScenario(
                    "there is no folder of scenarios to switch within: the bundled scenario has none; "
                    "start mockmail with --scenarios DIR"
                )
            path = ScenarioFolder(folder).find(name)
            try:
                scenario = load_scenario(path)
            except ScenarioError as error:
                log.warning("mockmail: %s not loaded: %s", path, error)
                raise
            self.error = None
            self._restart(scenario)
            log.info("mockmail: switched to %s", path)
            return scenario

    def _restart(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.file_stamp = scenario.stamp
        self.store.reset(scenario)
        self.faults = FaultPlan(scenario.faults, scenario.seed)
        self.journal.clear()
        self.errors.clear()
        self.style = self._reset_style or self.style_override or scenario.style
        self.basic_challenge = self._challenge(scenario)

    def _challenge(self, scenario: Scenario) -> bool:
        override = self.basic_challenge_override
        return scenario.basic_challenge if override is None else override
