"""The folder of scenario files a running server may switch between, opened by bare file name only.

A name comes from a page over HTTP, so it is never taken as a path: Hoverfly's CVE-2024-45388
let a request name any file on the machine through a simulation's path. Here a name with a
separator, a NUL or a leading dot is refused before the folder is looked at, and a file that
resolves (through a symlink) outside the folder is refused as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mockmail.errors import MockmailError

SUFFIXES = (".yaml", ".yml")


class BadScenarioName(MockmailError, ValueError):
    """A name that is not a bare file name: it names a path, or it is empty."""


class UnknownScenario(MockmailError, LookupError):
    """A bare file name with no scenario file of that name in the folder."""


@dataclass(frozen=True, slots=True)
class ScenarioFolder:
    """A folder of ``*.yaml`` and ``*.yml`` scenario files."""

    path: Path

    def available(self) -> list[str]:
        """The scenario files' names, sorted; those a switch would refuse are left out."""
        try:
            entries = list(self.path.iterdir())
        except OSError:
            return []
        return sorted(
            entry.name
            for entry in entries
            if entry.suffix in SUFFIXES and not entry.name.startswith(".") and self._inside(entry)
        )

    def find(self, name: object) -> Path:
        """The file called ``name``, or ``name`` + ``.yaml`` (or ``.yml``), in this folder.

        BadScenarioName for a name that is not a bare file name, UnknownScenario for one that
        names no file here (or one whose symlink leads out of the folder).
        """
        check_name(name)
        assert isinstance(name, str)
        candidates = [name] if name.endswith(SUFFIXES) else [name + suffix for suffix in SUFFIXES]
        for candidate in candidates:
            path = self.path / candidate
            if self._inside(path):
                return path
        available = ", ".join(self.available()) or "none"
        raise UnknownScenario(f"no scenario {name!r} in {self.path} (available: {available})")

    def _inside(self, path: Path) -> bool:
        """Whether ``path`` is a regular file that, symlinks resolved, lies in this folder."""
        try:
            real = path.resolve(strict=True)
            return real.is_file() and real.is_relative_to(self.path.resolve(strict=True))
        except (OSError, RuntimeError):  # missing, unreadable, or a symlink loop
            return False


def check_name(name: object) -> None:
    """BadScenarioName unless ``name`` is a bare file name: no separator, no NUL, no leading dot."""
    if not isinstance(name, str) or not name:
        raise BadScenarioName(f'expected a scenario file name, as {{"name": "team.yaml"}}, got {name!r}')
    if "/" in name or "\\" in name or "\0" in name:
        raise BadScenarioName(f"{name!r} is not a bare file name: a scenario is named without a path")
    if name.startswith("."):
        raise BadScenarioName(f"{name!r} is not a scenario name: it may not start with '.'")
