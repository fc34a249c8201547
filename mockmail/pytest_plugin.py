"""The pytest plugin: the ``mockmail`` fixture and marker; mockmail itself is imported on first use.

Where a test's settings come from, first found wins:

1. ``@pytest.mark.mockmail(scenario=..., faults=[...], style=...)`` on the test (or its class or
   module): paths relative to the test file's folder;
2. the ``mockmail_config`` fixture, which a ``conftest.py`` may override (it can take the
   default one as an argument and change it);
3. the command line, ``--mockmail-scenario FILE`` (relative to the current folder);
4. the ini option ``mockmail_scenario`` (relative to the ini file's folder);
5. the default scenario bundled with mockmail.

A bare name that is no file where a path would be looked for names a bundled scenario
(``scenario="team"``; ``mockmail scenario list`` names them).

Pages of local origins may read the mock's answers; ``--mockmail-cors-origin ORIGIN`` and the ini
option ``mockmail_cors_origins`` add origins for the session, a scenario's ``cors_origins`` for its tests.

A test marked with ``recording="NAME"`` is answered from ``recordings/NAME.yaml`` beside its
file before the stateful mock; ``--mockmail-record-mode`` (default ``none``: never touches the
network) and ``--mockmail-upstream`` say whether and from where to record. A request the
recording does not match fails the test with the closest recorded request and the differences.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Neither imports anything heavy: registering the plugin imports no Flask (tests/test_plugin.py).
from mockmail import bundled
from mockmail.record_mode import RecordMode, help_text

if TYPE_CHECKING:
    from mockmail.replay import Replay
    from mockmail.scenarios import Scenario
    from mockmail.server import MockMailServer

MARKER = "mockmail"


@dataclass(frozen=True)
class MarkerOptions:
    """What ``@pytest.mark.mockmail`` accepts."""

    scenario: str | Path | Scenario | None = None
    faults: Sequence[Mapping[str, Any]] = ()
    style: str | None = None
    recording: str | None = None  # recordings/NAME.yaml beside the test file


VALID_NAMES = [field.name for field in dataclasses.fields(MarkerOptions)]
VALID_OPTIONS = ", ".join(VALID_NAMES)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockmail", "mockmail: a mock ONLYOFFICE Mail API")
    group.addoption(
        "--mockmail-scenario",
        metavar="FILE",
        help="scenario YAML file for the mockmail fixture (default: the ini option, else the bundled one)",
    )
    parser.addini("mockmail_scenario", "scenario YAML file for the mockmail fixture, relative to this file")
    group.addoption(
        "--mockmail-record-mode",
        default=RecordMode.NONE.value,
        choices=[mode.value for mode in RecordMode],
        help=f"for tests marked with a recording (default: {RecordMode.NONE}): {help_text(RecordMode)}",
    )
    group.addoption(
        "--mockmail-upstream", metavar="URL", help="the real portal that recordings are made from"
    )
    group.addoption(
        "--mockmail-cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="another origin whose pages may read the mock's answers (repeatable; * allows any)",
    )
    parser.addini(
        "mockmail_cors_origins",
        "more origins whose pages may read the mock's answers, one per line (* allows any)",
        type="linelist",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockmail(scenario=None, faults=(), style=None, recording=None): the mockmail fixture's "
        "scenario file, faults (in the scenario's shape), response style ('wire' or 'docs') and "
        "recording (replayed from recordings/NAME.yaml beside the test file) for this test",
    )


@pytest.fixture(scope="session")
def mockmail_server(pytestconfig: pytest.Config) -> Iterator[MockMailServer]:
    """One mock server for the session (one per xdist worker) on a free loopback port."""
    from mockmail.server import MockMailServer

    origins = [*pytestconfig.getini("mockmail_cors_origins"), *pytestconfig.getoption("mockmail_cors_origin")]
    with MockMailServer(cors_origins=origins) as server:
        yield server


@pytest.fixture
def mockmail_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The mockmail fixture's settings for tests without a marker; override it in a conftest.py."""
    config = request.config
    scenario: Path | None = None
    if option := config.getoption("mockmail_scenario"):
        scenario = _beside(config.invocation_params.dir, option)
    elif ini := config.getini("mockmail_scenario"):
        scenario = _beside(config.inipath.parent if config.inipath else config.rootpath, str(ini))
    return {"scenario": scenario, "faults": [], "style": None}


@pytest.fixture
def mockmail(
    mockmail_server: MockMailServer, mockmail_config: dict[str, Any], request: pytest.FixtureRequest
) -> MockMailServer:
    """The session's mock server, reset to this test's scenario and faults."""
    options = _options(request, mockmail_config)
    if options.style not in (None, "wire", "docs"):
        raise ValueError(f"{options.style!r} is not a mockmail style; valid: 'wire', 'docs'")
    mockmail_server.reset(_scenario(options.scenario), style=options.style)  # type: ignore[arg-type]
    mockmail_server.state.replay = _replay(request, options.recording)
    for spec in options.faults:
        mockmail_server.add_fault(spec)
    return mockmail_server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test whose request raised inside the server thread, with that exception."""
    result = yield
    handle = getattr(item, "funcargs", {}).get("mockmail")
    if handle is None:
        return result
    state = handle.state
    if state.errors:
        raise state.errors[0]
    if state.replay is not None and state.replay.problems:
        raise state.replay.problems[0]
    if state.replay is not None and state.replay.misses:
        raise AssertionError("\n".join(miss.describe() for miss in state.replay.misses))
    return result


def _options(request: pytest.FixtureRequest, config: Mapping[str, Any]) -> MarkerOptions:
    _check_keys("mockmail_config", config)
    defaults = MarkerOptions(**config)
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return defaults
    if marker.args:
        raise TypeError(f"@pytest.mark.mockmail takes keyword options only ({VALID_OPTIONS})")
    _check_keys("@pytest.mark.mockmail", marker.kwargs)
    scenario = marker.kwargs.get("scenario")
    if isinstance(scenario, str | Path):
        scenario = _beside(request.path.parent, scenario)
    return dataclasses.replace(defaults, **{**marker.kwargs, "scenario": scenario or defaults.scenario})


def _replay(request: pytest.FixtureRequest, name: str | None) -> Replay | None:
    """The test's recording, replayed (and recorded, as --mockmail-record-mode says)."""
    if name is None:
        return None
    from mockmail.replay import Replay

    path = request.path.parent / "recordings" / (name if name.endswith(".yaml") else f"{name}.yaml")
    config = request.config
    return Replay(
        path, mode=config.getoption("mockmail_record_mode"), upstream=config.getoption("mockmail_upstream")
    )


def _beside(folder: Path, scenario: str | Path) -> Path:
    """A scenario file relative to ``folder``; a bare name that is no file there, a bundled scenario's."""
    path = folder / scenario
    if path.exists() or (found := bundled.find(str(scenario))) is None:
        return path
    return found


def _check_keys(where: str, options: Mapping[str, Any]) -> None:
    """A misspelled option is a TypeError at the test that names the valid ones."""
    unknown = [key for key in options if key not in VALID_NAMES]
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise TypeError(f"{where} got unknown option {names}; valid: {VALID_OPTIONS}")


def _scenario(scenario: str | Path | Scenario | None) -> Scenario:
    if scenario is None:
        return _default()
    if not isinstance(scenario, str | Path):
        return scenario
    path = Path(scenario)
    return _load(path.resolve(), path.stat().st_mtime_ns if path.exists() else 0)


@cache
def _load(path: Path, mtime: int) -> Scenario:
    """A scenario file, parsed once per version of the file."""
    from mockmail.scenarios import load_scenario

    return load_scenario(path)


@cache
def _default() -> Scenario:
    from mockmail.scenarios import default_scenario

    return default_scenario()
