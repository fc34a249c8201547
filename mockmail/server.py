"""MockMailServer: the mock on a real port, in a background thread or in the foreground."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import threading
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from flask import Flask

from mockmail.access import AccessPolicy
from mockmail.app import create_app
from mockmail.cors import check_origin
from mockmail.errors import UnknownFault, UnknownUser
from mockmail.faults import FaultStatus
from mockmail.http_server import DEFAULT_LIMITS, LISTEN_BACKLOG, STOP_TIMEOUT, HttpServer, Limits
from mockmail.journal import JournalEntry, journal_query
from mockmail.replay import Replay
from mockmail.scenarios import Scenario, Style, resolve_scenario
from mockmail.state import MockState
from mockmail.testing import ServerHelpers
from mockmail.watch import ScenarioWatcher


class MockMailServer(ServerHelpers):
    """A mock ONLYOFFICE Mail server bound to ``host:port`` (port 0 picks a free one).

    The ``mockmail`` fixture is one of these: the test helpers (``headers``, ``account``,
    ``assert_updated``, ``session``, ...) come from ``ServerHelpers``.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        style: Style | None = None,
        log_requests: bool = False,
        replay: Replay | None = None,
        limits: Limits = DEFAULT_LIMITS,
        cors_origins: Iterable[str] = (),
        allowed_hosts: Iterable[str] = (),
        control_token: str | None = None,
        basic_challenge: bool | None = None,
        scenarios_dir: str | Path | None = None,
        watch: bool = False,
    ) -> None:
        """``cors_origins`` and ``allowed_hosts`` add to the local Origins and Hosts (README, Security).

        With ``control_token``, ``/_mockmail/`` answers only requests carrying it as
        ``Authorization: Bearer TOKEN``; bound beyond loopback, one is made up when none is given
        (``control_token`` says which). ValueError for an origin that is not one.
        ``basic_challenge`` (None: the scenario's) says whether a 401 carries ``WWW-Authenticate``.
        ``scenarios_dir`` is the folder ``switch_scenario`` looks in (default: the scenario file's);
        with ``watch``, the scenario is reloaded whenever its file changes, while the server runs.
        """
        loaded = resolve_scenario(scenario)
        self.style = style  # overrides the scenario's, across resets
        self.exposed = not is_loopback(host)
        if control_token is None and self.exposed:
            control_token = secrets.token_urlsafe(24)
        self.control_token = control_token
        # Bound beyond loopback, clients name the server by its address: no Host check then.
        access = AccessPolicy(
            tuple(allowed_hosts),
            tuple(check_origin(origin) for origin in cors_origins),
            check_hosts=not self.exposed,
            control_token=control_token,
        )
        self.app: Flask = create_app(loaded, style=style, replay=replay, access=access)
        self.state.override(style=style, basic_challenge=basic_challenge)
        self.state.scenarios_dir = Path(scenarios_dir) if scenarios_dir is not None else None
        self.host = host
        self.port = port
        self.log_requests = log_requests
        self.limits = limits
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._watcher = ScenarioWatcher(lambda: self.state) if watch else None

    @property
    def state(self) -> MockState:
        """The app's store, style and recorded internal errors."""
        state: MockState = self.app.extensions["mockmail"]
        return state

    @property
    def scenario(self) -> Scenario:
        """The scenario running: the one given, or the last reset, reload or switch brought."""
        return self.state.scenario

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def bind(self) -> None:
        """Open the listening socket; ``port`` is the real one from here on.

        Raises OSError when the address cannot be bound.
        """
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.create_server((self.host, self.port), family=family, backlog=LISTEN_BACKLOG)
        self.port = listener.getsockname()[1]
        self._server = HttpServer(
            listener,
            self.app,
            may_block=self.state.may_block,
            log_requests=self.log_requests,
            limits=self.limits,
        )

    def start(self) -> None:
        """Bind, then serve on a daemon thread; requests are answered once this returns."""
        self.bind()
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, name="mockmail", daemon=True)
        self._thread.start()
        self._start_watching()

    def serve_forever(self) -> None:
        """Serve in this thread until ``stop()`` or Ctrl-C."""
        if self._server is None:
            self.bind()
        assert self._server is not None
        self._start_watching()
        try:
            self._server.serve_forever()
        finally:
            self._stop_watching()

    def _start_watching(self) -> None:
        if self._watcher is not None and not self._watcher.running:
            self._watcher.start()

    def _stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()

    def request_stop(self) -> None:
        """Make ``serve_forever()`` return soon, even one not yet started; safe in a signal handler.

        Unlike ``stop()``, it closes nothing itself: ``serve_forever()`` does, on its way out.
        """
        if self._server is not None:
            self._server.stop()

    def stop(self) -> None:
        """Stop serving, drop every connection and close the socket; within a second, whatever clients do."""
        self._stop_watching()
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
        server.close()

    def reset(self, scenario: Scenario | str | Path | None = None, *, style: Style | None = None) -> None:
        """Back to this server's scenario (or to ``scenario``, which then becomes its scenario).

        Accounts, tokens, faults and the journal all start again. ``style`` overrides the
        scenario's style until the next reset. Without ``scenario`` no file is read, so a
        fixture's reset before each test stays cheap: ``reload()`` reads the scenario's file again.
        """
        self.state.reset(resolve_scenario(scenario) if scenario is not None else None, style=style)

    def reload(self) -> None:
        """Read the scenario's file again and reset to it, as ``POST /_mockmail/reset`` does.

        ScenarioError for a file that is now bad, and nothing changes; the bundled scenario, or one
        given already loaded without a file, is only reset.
        """
        self.state.reload()

    def switch_scenario(self, name: str) -> Scenario:
        """Reset to the scenario file called ``name`` (``team`` or ``team.yaml``) in the scenarios folder.

        ValueError for a name with a path in it, LookupError for one not in the folder,
        ScenarioError for a bad file; on any of them nothing changes.
        """
        return self.state.switch(name)

    def add_fault(self, spec: Mapping[str, Any] | None = None, **fields: Any) -> FaultStatus:
        """Add a fault: ``add_fault(respond="unauthorized", times=1)``, or a mapping as in a scenario.

        ScenarioError names a bad one, which changes nothing.
        """
        name = self.state.add_fault({**(spec or {}), **fields}).name
        return next(status for status in self.faults() if status.name == name)

    def faults(self) -> list[FaultStatus]:
        """The faults in order, with how often each matched and fired."""
        return self.state.faults.status()

    def enable_fault(self, name: str, enabled: bool = True) -> FaultStatus:
        """Switch a fault on or off, its counts kept (a disabled one neither matches nor counts).

        UnknownFault (a KeyError) lists the faults there are.
        """
        status = self.state.faults.enable(name, enabled)
        if status is None:
            raise self._unknown_fault(name)
        return status

    def remove_fault(self, name: str) -> None:
        """Delete a fault; UnknownFault (a KeyError) lists the faults there are."""
        if not self.state.faults.remove(name):
            raise self._unknown_fault(name)

    def clear_faults(self) -> None:
        """Delete every fault."""
        self.state.faults.clear()

    def revoke_token(self, user: str) -> None:
        """The user's token answers 401 until the next reset; UnknownUser (a KeyError) lists the users."""
        if not self.state.store.revoke_token(user):
            raise UnknownUser(user, self.users)

    def _unknown_fault(self, name: str) -> UnknownFault:
        return UnknownFault(name, [status.name for status in self.faults()])

    def journal(self, **filters: Any) -> list[JournalEntry]:
        """The requests to the mocked API since the last reset, oldest first (the last 1,000).

        Filters, each of which must hold: ``method``, ``path``, ``user``, ``email``, ``status``,
        ``fault``, ``since`` (a datetime, an ISO 8601 text or epoch seconds) and ``after`` (a seq).
        """
        return self.state.journal.entries(journal_query(filters))

    def __enter__(self) -> MockMailServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<MockMailServer {self.url} scenario={self.scenario.source!r}>"


class MockMail(MockMailServer):
    """Deprecated: the ``mockmail`` fixture is a ``MockMailServer``; annotate tests with that.

    ``MockMail(server)``, from when the fixture was a handle around a server, gives ``server`` itself.
    """

    def __new__(cls, server: MockMailServer) -> MockMail:
        warnings.warn(
            "MockMail is deprecated: the mockmail fixture is a MockMailServer; use the server itself",
            DeprecationWarning,
            2,
        )
        # Not an instance of cls, so __init__ is skipped: the server is used as it is.
        return cast("MockMail", server)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) reaches only this machine."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
