"""One Python API: what the server and fixture take, return and raise is importable from ``mockmail``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import types
import typing
from collections.abc import Iterator

import httpx
import pytest
import requests
from flask import Flask

import mockmail
from mockmail import MockMailServer
from mockmail.state import MockState

# Public members whose types are the app's internals, there for the plugin and the workbench.
INTERNALS = {"state"}
# Exceptions that never reach a caller: the app answers them over HTTP.
ANSWERED = {"ApiError", "Unauthorized"}
# ... and one scenarios.py always turns into a ScenarioError.
INTERNAL_ONLY = "YamlProblem"
# Names the annotations of mockmail.testing use only when type checking.
TYPE_CHECKING_NAMES = {
    "Flask": Flask,
    "MockMailServer": MockMailServer,
    "MockState": MockState,
    "httpx": httpx,
    "requests": requests,
}


def classes_in(hint: object) -> Iterator[type]:
    """The classes a type hint names, generic arguments and unions included."""
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        yield hint
    for argument in typing.get_args(hint):
        yield from classes_in(argument)


def public_hints() -> Iterator[tuple[str, type]]:
    """The server's constructor and each public method and property (so the fixture's), with each class it names."""
    for name, member in inspect.getmembers(MockMailServer):
        if (name.startswith("_") and name != "__init__") or name in INTERNALS:
            continue
        function = member.fget if isinstance(member, property) else member
        if not callable(function):
            continue
        hints = typing.get_type_hints(function, localns=TYPE_CHECKING_NAMES)
        for hint in hints.values():
            for cls in classes_in(hint):
                yield name, cls


def package_exceptions() -> Iterator[type[BaseException]]:
    """Every exception class defined in the mockmail package."""
    for module in pkgutil.iter_modules(mockmail.__path__):
        if module.name == "__main__":  # runs the command line
            continue
        loaded = importlib.import_module(f"mockmail.{module.name}")
        for value in vars(loaded).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__ == loaded.__name__
            ):
                yield value


def test_every_exported_name_is_importable_from_the_package():
    assert sorted(mockmail.__all__) == sorted(set(mockmail.__all__))
    for name in mockmail.__all__:
        assert getattr(mockmail, name).__name__ == name


def test_what_the_server_takes_and_returns_is_exported():
    walked = list(public_hints())
    assert {"__init__", "add_fault", "account", "journal", "session"} <= {name for name, _ in walked}
    assert {"Limits", "Replay", "FaultStatus", "JournalEntry", "Account"} <= {
        cls.__name__ for _, cls in walked
    }
    for member, cls in walked:
        if cls.__module__.split(".")[0] != "mockmail":
            continue  # str, Path, requests.Session, ...
        assert cls.__name__ in mockmail.__all__, f"{member} names {cls.__module__}.{cls.__name__}"
        assert getattr(mockmail, cls.__name__) is cls


def test_every_exception_a_caller_can_meet_is_an_exported_mockmail_error():
    found = {cls.__name__: cls for cls in package_exceptions()}
    assert {*ANSWERED, INTERNAL_ONLY} <= set(found)
    del found[INTERNAL_ONLY]
    for name, cls in found.items():
        assert issubclass(cls, mockmail.MockmailError), name
        if name not in ANSWERED:
            assert getattr(mockmail, name) is cls, name
            assert name in mockmail.__all__


@pytest.mark.parametrize(
    ("name", "kept_base"),
    [
        ("UnknownUser", KeyError),
        ("UnknownAccount", KeyError),
        ("UnknownFault", KeyError),
        ("ScenarioError", ValueError),
        ("RecordingError", ValueError),
        ("SecretLeak", ValueError),
        ("BadScenarioName", ValueError),
        ("UnknownScenario", LookupError),
        ("UpstreamError", ConnectionError),
        ("MissingPackage", ModuleNotFoundError),
    ],
)
def test_each_error_keeps_the_builtin_base_code_catches_today(name: str, kept_base: type[Exception]):
    assert issubclass(getattr(mockmail, name), kept_base)


def test_importing_mockmail_and_its_errors_does_not_import_flask():
    code = "import sys, mockmail; mockmail.MockmailError; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_fixture_object_is_the_server_with_no_pass_through_methods():
    from mockmail.testing import ServerHelpers

    assert issubclass(MockMailServer, ServerHelpers)
    server_methods = {
        name for name, value in vars(MockMailServer).items() if isinstance(value, types.FunctionType)
    }
    helper_methods = {
        name
        for name, value in vars(ServerHelpers).items()
        if isinstance(value, types.FunctionType) and not name.startswith("__")
    }
    # The only names both define are the ones the helpers declare and the server supplies.
    assert server_methods & helper_methods == {"journal"}
