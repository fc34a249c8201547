"""The example scenarios shipped with mockmail, by name: the repository's ``scenarios/`` folder.

A wheel holds them as the package ``mockmail.examples`` (``pyproject.toml`` maps it to
``scenarios/``, so there is one copy of each file); a checkout, or an editable install of one,
reads ``scenarios/`` itself.
"""

from __future__ import annotations

from pathlib import Path

SUFFIX = ".yaml"
# What an editor reads to complete and check a scenario file; the repository's own examples name
# the schema by its path from scenarios/ (see schema_line).
SCHEMA_FILE = "scenario.schema.json"
MODELINE = "# yaml-language-server: $schema="


def folder() -> Path:
    """Where the examples are: inside the installed package, or the checkout's ``scenarios/``."""
    package = Path(__file__).resolve().parent
    installed = package / "examples"
    return installed if installed.is_dir() else package.parent / "scenarios"


def names() -> list[str]:
    """The examples' names, sorted: their file names without ``.yaml``."""
    return sorted(path.stem for path in folder().glob(f"*{SUFFIX}") if path.is_file())


def is_bare_name(text: str) -> bool:
    """Whether ``text`` could name an example: no folder in it, with or without ``.yaml``."""
    return bool(text) and "/" not in text and "\\" not in text and text not in (".", "..")


def find(name: str) -> Path | None:
    """The example named ``name`` (``basic`` or ``basic.yaml``); None if there is none."""
    if not is_bare_name(name):
        return None
    stem = name.removesuffix(SUFFIX)
    return folder() / f"{stem}{SUFFIX}" if stem in names() else None


def path(name: str) -> Path:
    """The example named ``name``; a LookupError naming the examples there are if there is none."""
    found = find(name)
    if found is None:
        raise LookupError(f"no bundled scenario {name!r} (bundled: {', '.join(names())})")
    return found


def schema_path() -> Path:
    """The installed JSON Schema of the scenario format."""
    return Path(__file__).resolve().parent / SCHEMA_FILE


def schema_line(schema: str = f"./{SCHEMA_FILE}") -> str:
    """The first line of a scenario file, naming its schema for editors (yaml-language-server)."""
    return f"{MODELINE}{schema}\n"


def with_schema_line(text: str, schema: str = f"./{SCHEMA_FILE}") -> str:
    """``text`` starting with the schema line for ``schema``, in place of any it had."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(MODELINE):
        lines = lines[1:]
    return schema_line(schema) + "".join(lines)
