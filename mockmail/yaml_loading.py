"""Scenario YAML as plain data, read from libyaml's events: aliases and nesting bounded, lines on demand."""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection
from typing import Any

import yaml

YamlPath = tuple[Any, ...]  # mapping keys (as YAML reads them: str, int, ...) and list positions

# libyaml's parser when PyYAML was built with it; PyYAML's own gives the same events, slower.
LOADER: Callable[[str], Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A scenario is at most 7 levels deep; this bounds what any part of the program walks.
MAX_DEPTH = 64
# What aliases (``*name``) may repeat, in values counted as if written out (a string: one per
# kilobyte): merge keys repeat a few values each, the 391-byte "billion laughs" file 10^9.
MAX_ALIAS_VALUES = 100_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
_VALUE = "tag:yaml.org,2002:value"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class YamlProblem(ValueError):
    """A problem of the YAML itself, with where it is: the path to the value and the 1-based line."""

    def __init__(self, message: str, path: YamlPath, line: int) -> None:
        super().__init__(message)
        self.message, self.path, self.line = message, path, line


class _Merge:
    """The key ``<<``: the mapping or list of mappings after it is merged into the mapping it is in."""


MERGE = _Merge()


class _Frame:
    """A list or mapping being read: its value so far, what it counts, and the key awaiting its value."""

    __slots__ = ("anchor", "key", "key_line", "merges", "size", "value")

    def __init__(self, value: list[Any] | dict[Any, Any], anchor: str | None) -> None:
        self.value = value
        self.anchor = anchor
        self.size = 1  # values in it, itself included, aliases counted as written out
        self.key: Any = None
        self.key_line = 0  # the line of the key awaiting its value; 0: the next value is a key
        self.merges: list[dict[Any, Any]] = []  # applied in this order, then its own keys over them


class Lines:
    """The 1-based lines of the values and mapping keys at some paths, as found by ``locate``."""

    def __init__(self) -> None:
        self.values: dict[YamlPath, int] = {(): 1}
        self.keys: dict[YamlPath, int] = {}

    def of_value(self, path: YamlPath) -> int:
        # Values brought in by an alias or a merge (<<) have no line of their own: the nearest parent's.
        while path not in self.values:
            path = path[:-1]
        return self.values[path]

    def of_key(self, path: YamlPath) -> int:
        return self.keys.get(path) or self.of_value(path)


def load_yaml(text: str) -> Any:
    """The single document of ``text`` as dicts, lists and scalars (None when it has none).

    yaml.YAMLError for text that is not YAML; YamlProblem for YAML a scenario cannot be made of
    (too deep, too many aliased values, a duplicate key, an unreadable number).
    """
    return _Reader(text, None).document()


def locate(text: str, paths: Collection[YamlPath]) -> Lines:
    """The lines of ``paths`` (and of their parents) in ``text``, which ``load_yaml`` read."""
    wanted = {path[:end] for path in paths for end in range(len(path) + 1)}
    lines = Lines()
    _Reader(text, (wanted, lines)).document()
    return lines


class _Reader:
    """Builds the data from the parser's events: PyYAML's resolver and scalar constructors give the
    values, as ``yaml.safe_load`` would, without its graph of nodes (for a scenario of 100,000
    accounts, yaml.CSafeLoader's nodes took 900 MiB and 14 s; this reads it in 170 MiB and 3 s)."""

    def __init__(self, text: str, watch: tuple[set[YamlPath], Lines] | None) -> None:
        self.loader = LOADER(text)
        self.watch = watch
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.aliased = 0

    def document(self) -> Any:
        try:
            get = self.loader.get_event
            get()  # the stream's start
            if isinstance(get(), yaml.StreamEndEvent):
                return None
            value = self._node(get())
            get()  # the document's end
            event = get()
            if not isinstance(event, yaml.StreamEndEvent):
                line = event.start_mark.line + 1
                raise YamlProblem("expected a single document, but found another", (), line)
            return value
        finally:
            self.loader.dispose()

    def _node(self, event: Any) -> Any:
        """The value that starts with ``event``, read up to its end."""
        get = self.loader.get_event
        stack = self.stack
        while True:
            kind = type(event)
            if self.watch is not None:
                self._note_line(event)
            if kind is yaml.ScalarEvent:
                value, anchor = self._scalar(event), event.anchor
                size = 1 + len(event.value) // 1024  # an aliased long string weighs as much as many values
            elif kind is yaml.AliasEvent:
                (value, size), anchor = self._alias(event), None
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._open(event, {} if kind is yaml.MappingStartEvent else [])
                event = get()
                continue
            else:  # the end of a mapping or a list
                frame = stack.pop()
                value, size, anchor = self._close(frame), frame.size, frame.anchor
            if anchor is not None:
                self.anchors[anchor] = (value, size)
            if not stack:
                return value
            self._add(stack[-1], value, size, event)
            event = get()

    def _open(self, event: Any, value: list[Any] | dict[Any, Any]) -> None:
        line = event.start_mark.line + 1
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep", self.path(), line)
        if event.tag not in (None, "!", _MAP if isinstance(value, dict) else _SEQ):
            raise YamlProblem(f"the tag {event.tag!r} is not used in scenarios", self.path(), line)
        self.stack.append(_Frame(value, event.anchor))

    def _close(self, frame: _Frame) -> list[Any] | dict[Any, Any]:
        if not frame.merges:
            return frame.value
        merged: dict[Any, Any] = {}
        for mapping in frame.merges:
            merged.update(mapping)
        merged.update(frame.value)
        return merged

    def _add(self, frame: _Frame, value: Any, size: int, event: Any) -> None:
        frame.size += size
        container = frame.value
        if type(container) is list:
            container.append(value)
            return
        assert isinstance(container, dict)
        if not frame.key_line:  # this is a key
            line = event.start_mark.line + 1
            if isinstance(value, list | dict):
                raise YamlProblem("a mapping key must be a plain value", self.path(), line)
            frame.key, frame.key_line = value, line
            return
        key, key_line = frame.key, frame.key_line
        if value is MERGE:
            raise YamlProblem("'<<' merges only as a key", self.path(), event.start_mark.line + 1)
        frame.key_line = 0
        if key is MERGE:
            self._merge(frame, value, key_line)
            return
        before = len(container)
        container[key] = value
        if len(container) == before:
            raise YamlProblem(f"duplicate key {_short(key)}", self.path(), key_line)

    def _merge(self, frame: _Frame, value: Any, line: int) -> None:
        mappings = value if isinstance(value, list) else [value]
        if not all(isinstance(mapping, dict) for mapping in mappings):
            raise YamlProblem("'<<' expects a mapping or a list of mappings", self.path(), line)
        # As the YAML merge key spec says: of a list, the first mapping that has a key gives it
        # (PyYAML 6.0.4's own constructor takes the last); a later '<<' wins over an earlier one.
        frame.merges.extend(reversed(mappings))

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        value: str = event.value
        if tag is None or tag == "!":
            if not event.implicit[0]:
                return value  # quoted, or a block: a string
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
            if tag == _STR:
                return value
        if tag == _MERGE:
            return MERGE
        if tag == _VALUE:
            return value
        construct = self.loader.yaml_constructors.get(tag)
        line = event.start_mark.line + 1
        if construct is None:
            raise YamlProblem(f"the tag {tag!r} is not used in scenarios", self.path(), line)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            scalar = construct(self.loader, node)
        except ValueError as error:  # decimal digits beyond Python's limit; a date like 2024-13-45
            if tag != _INT:
                raise YamlProblem(
                    f"{_short(value)} is not a {tag.rsplit(':', 1)[-1]}: {error}", self.path(), line
                ) from None
            scalar = None
        # A number in hex, octal or base 60 has no limit: none may have more digits than Python prints.
        if tag == _INT and (scalar is None or _unprintable(scalar)):
            problem = f"an integer of more than {sys.get_int_max_str_digits()} digits"
            raise YamlProblem(problem, self.path(), line)
        return scalar

    def _alias(self, event: Any) -> tuple[Any, int]:
        line = event.start_mark.line + 1
        anchor = event.anchor
        if anchor not in self.anchors:
            if any(frame.anchor == anchor for frame in self.stack):
                raise YamlProblem(f"the alias *{anchor} is inside the value it names", self.path(), line)
            raise YamlProblem(f"no anchor &{anchor} before the alias *{anchor}", self.path(), line)
        value, size = self.anchors[anchor]
        self.aliased += size
        if self.aliased > MAX_ALIAS_VALUES:
            problem = f"aliases repeat more than {MAX_ALIAS_VALUES:,} values (the alias *{anchor} here)"
            raise YamlProblem(problem, self.path(), line)
        return value, size

    def path(self) -> YamlPath:
        """The path of the value being read."""
        path: list[Any] = []
        for frame in self.stack:
            if isinstance(frame.value, list):
                path.append(len(frame.value))
            elif frame.key_line:
                path.append(frame.key)
        return tuple(path)

    def _note_line(self, event: Any) -> None:
        assert self.watch is not None
        wanted, lines = self.watch
        if isinstance(event, yaml.CollectionEndEvent):
            return
        line = event.start_mark.line + 1
        path = self.path()
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.value, dict) and not frame.key_line:
            # A key: its line, under the path it leads to (read as the reader will read it).
            if isinstance(event, yaml.ScalarEvent):
                key = self._scalar(event)
                if (*path, key) in wanted:
                    lines.keys.setdefault((*path, key), line)
            return
        if path in wanted:
            lines.values.setdefault(path, line)


def _unprintable(number: int) -> bool:
    digits = sys.get_int_max_str_digits()  # 0: no limit
    return bool(digits) and number.bit_length() > digits * 3.3219  # log2(10) bits a digit


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
