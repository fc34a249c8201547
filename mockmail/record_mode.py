"""Record modes and miss policies of a replay: one enum each, from which every choice and message is made.

Imports nothing of mockmail's, so the pytest plugin can offer the choices without importing Flask.
"""

from __future__ import annotations

from enum import StrEnum


class RecordMode(StrEnum):
    """What a replay does with a request its recording has no answer for (as vcrpy's record modes)."""

    NONE = "none"
    ONCE = "once"
    NEW = "new"
    ALL = "all"

    @classmethod
    def parse(cls, value: str) -> RecordMode:
        """``value`` as a record mode; a ValueError listing the valid ones if it is none."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a record mode; valid: {_listed(cls)}") from None

    @property
    def description(self) -> str:
        """What the mode does, in a few words for ``--help`` and the summary."""
        return _RECORD_MODE_DESCRIPTIONS[self]


_RECORD_MODE_DESCRIPTIONS = {
    RecordMode.NONE: "only replays and never touches the network",
    RecordMode.ONCE: "records if the file does not exist yet, then only replays",
    RecordMode.NEW: "replays what matches and records the rest",
    RecordMode.ALL: "records everything again",
}


class OnMiss(StrEnum):
    """What a replay that does not record answers a request its recording does not match."""

    FAIL = "fail"
    FALLTHROUGH = "fallthrough"

    @classmethod
    def parse(cls, value: str) -> OnMiss:
        """``value`` as a miss policy; a ValueError listing the valid ones if it is none."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a miss policy; valid: {_listed(cls)}") from None

    @property
    def description(self) -> str:
        """What the policy does, in a few words for ``--help`` and the summary."""
        return _ON_MISS_DESCRIPTIONS[self]


_ON_MISS_DESCRIPTIONS = {
    OnMiss.FAIL: "a 404 naming the closest recorded request",
    OnMiss.FALLTHROUGH: "the stateful mock answers, from the scenario",
}


def _listed(enum: type[StrEnum]) -> str:
    return ", ".join(repr(member.value) for member in enum)


def help_text(enum: type[RecordMode] | type[OnMiss]) -> str:
    """``none: only replays ...; once: ...``: every member and what it does, for ``--help``."""
    return "; ".join(f"{member.value}: {member.description}" for member in enum)
