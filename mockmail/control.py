"""Control endpoints under /_mockmail/: faults, reset and tokens, over HTTP (the journal: journal_api.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from mockmail.faults import FaultStatus
from mockmail.request_context import mock_state
from mockmail.scenarios import ScenarioError

control = Blueprint("mockmail_control", __name__, url_prefix="/_mockmail")


def fault_json(status: FaultStatus) -> dict[str, Any]:
    """A fault as the control endpoint lists it."""
    return {"name": status.name, "matched": status.matched, "fired": status.fired, "spec": dict(status.spec)}


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


@control.post("/reset")
def reset() -> tuple[str, int]:
    """Back to the scenario: accounts, tokens, faults and the journal."""
    mock_state().reset()
    return "", 204


@control.post("/users/<name>/revoke-token")
def revoke_token(name: str) -> tuple[Response | str, int]:
    """The user's token answers 401 from now until the next reset."""
    if not mock_state().store.revoke_token(name):
        return _problem(f"no user named {name!r}", 404)
    return "", 204


def _problem(message: str, status: int) -> tuple[Response, int]:
    return jsonify(error=message), status
