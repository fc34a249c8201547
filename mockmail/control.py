"""Control endpoints under /_mockmail/: faults, the scenario, reset and tokens, over HTTP (the
journal: journal_api.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mockmail.faults import FaultStatus
from mockmail.request_context import mock_state
from mockmail.scenario_folder import BadScenarioName, ScenarioFolder, UnknownScenario
from mockmail.scenarios import ScenarioError, show_value
from mockmail.state import MockState

control = Blueprint("mockmail_control", __name__, url_prefix="/_mockmail")


def fault_json(status: FaultStatus) -> dict[str, Any]:
    """A fault as the control endpoint lists it."""
    return {
        "name": status.name,
        "matched": status.matched,
        "fired": status.fired,
        "enabled": status.enabled,
        "spec": dict(status.spec),
    }


@control.get("/faults")
def list_faults() -> Response:
    """The faults in order, with how often each matched and fired."""
    return jsonify(faults=[fault_json(status) for status in mock_state().faults.status()])


@control.post("/faults")
def add_fault() -> tuple[Response, int]:
    """Add a fault, in the scenario's shape, as JSON; 400 names the problem and changes nothing."""
    try:
        spec = request.get_json(silent=True)  # None for a body that is not JSON
    except RecursionError:  # Python's json reads nested lists and objects by recursion
        return _problem("the JSON fault is nested too deep", 400)
    if spec is None:
        return _problem('expected a JSON fault, for example {"respond": "unauthorized"}', 400)
    try:
        fault = mock_state().add_fault(spec)
    except ScenarioError as error:
        return _problem(str(error), 400)
    (added,) = [status for status in mock_state().faults.status() if status.name == fault.name]
    return jsonify(fault=fault_json(added)), 201


@control.delete("/faults")
def clear_faults() -> tuple[str, int]:
    mock_state().faults.clear()
    return "", 204


@control.delete("/faults/<path:name>")  # a name may have slashes: auth/expired
def remove_fault(name: str) -> tuple[Response | str, int]:
    """Delete the fault called ``name``; 404 if there is none."""
    if not mock_state().faults.remove(name):
        return _problem(f"no fault named {name!r}", 404)
    return "", 204


@control.patch("/faults/<path:name>")
def switch_fault(name: str) -> tuple[Response, int]:
    """Turn a fault on or off with ``{"enabled": true}`` or ``{"enabled": false}``, its counts kept."""
    body, problem = _json_object("enabled", 'expected {"enabled": true} or {"enabled": false}')
    if problem is None and not isinstance(enabled := body.get("enabled"), bool):
        problem = f"enabled: expected true or false, got {show_value(enabled)}"
    if problem is not None:
        return _problem(problem, 400)
    status = mock_state().faults.enable(name, body["enabled"])
    if status is None:
        return _problem(f"no fault named {name!r}", 404)
    return jsonify(fault_json(status)), 200


@control.post("/reset")
def reset() -> tuple[Response | str, int]:
    """Back to the scenario, its file read again: accounts, tokens, faults and the journal.

    A file that is now bad is a 400 with the located error, and nothing is reset.
    """
    try:
        mock_state().reload()
    except ScenarioError as error:
        return _problem(str(error), 400)
    return "", 204


@control.get("/scenario")
def scenario() -> Response:
    """The scenario running, its settings, the files it may switch to and the last reload error."""
    return jsonify(scenario_json(mock_state()))


@control.post("/scenario")
def switch_scenario() -> tuple[Response, int]:
    """Reset to another scenario file of the folder, named by ``{"name": "team"}`` (or ``team.yaml``).

    400 for a name with a path in it or a bad file, 404 for a name not in the folder; on either
    nothing changes.
    """
    body, problem = _json_object("name", 'expected {"name": "FILE"}, a scenario file of the folder')
    if problem is not None:
        return _problem(problem, 400)
    state = mock_state()
    try:
        state.switch(body["name"])
    except (BadScenarioName, ScenarioError) as error:
        return _problem(str(error), 400)
    except UnknownScenario as error:
        return _problem(str(error), 404)
    return jsonify(scenario_json(state)), 200


def scenario_json(state: MockState) -> dict[str, Any]:
    """The scenario as ``GET /_mockmail/scenario`` shows it."""
    folder = state.folder()
    return {
        "source": state.scenario.source,
        "style": state.style,
        "seed": state.scenario.seed,
        "basic_challenge": state.basic_challenge,
        "folder": str(folder) if folder is not None else None,
        "available": ScenarioFolder(folder).available() if folder is not None else [],
        "error": state.error,
    }


@control.post("/users/<name>/revoke-token")
def revoke_token(name: str) -> tuple[Response | str, int]:
    """The user's token answers 401 from now until the next reset."""
    if not mock_state().store.revoke_token(name):
        return _problem(f"no user named {name!r}", 404)
    return "", 204


def _problem(message: str, status: int) -> tuple[Response, int]:
    return jsonify(error=message), status


def _json_object(key: str, expected: str) -> tuple[dict[str, Any], str | None]:
    """The request's JSON body, which must be an object of ``key`` alone; else the problem to answer."""
    try:
        body = request.get_json(silent=True)  # None for a body that is not JSON
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        return {}, expected
    unknown = [name for name in body if name != key]
    if unknown:
        return {}, f"unknown key {unknown[0]!r} (allowed: {key})"
    if key not in body:
        return {}, f"missing key {key!r}; {expected}"
    return body, None
