"""Reloading the running scenario when its file changes: a thread that polls the file's stat."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mockmail.scenarios import ScenarioError, Stamp, file_stamp

if TYPE_CHECKING:
    from mockmail.state import MockState

POLL_INTERVAL = 0.3  # seconds between two looks at the file


def stamp(path: Path) -> Stamp | None:
    """The version of the file at ``path``; None while it is missing or cannot be looked at."""
    try:
        return file_stamp(os.stat(path))
    except OSError:
        return None


class ScenarioWatcher:
    """Reloads the state's scenario whenever its file changes, until ``stop()``.

    Polling, not inotify: no dependency, the same on every system, and one ``stat`` each
    ``interval`` costs next to nothing. A change is taken once the file has stayed the same for
    one interval, so a save written in several pieces is read once, whole; a missing file (an
    editor between deleting and writing it) is waited for. It watches whichever file the state
    runs, so after a switch it watches the new one; a bad version is logged and kept as the
    state's ``error`` by ``MockState.reload``, and the scenario running stays.
    """

    def __init__(self, state: Callable[[], MockState], interval: float = POLL_INTERVAL) -> None:
        self._state = state
        self._interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="mockmail-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread to end (a reload under way finishes first)."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        pending: tuple[Path, Stamp] | None = None  # a change seen once, read when it holds still
        while not self._stopping.wait(self._interval):
            state = self._state()
            path = state.scenario.path
            version = stamp(path) if path is not None else None
            if path is None or version is None:
                pending = None
                continue
            if version == state.file_stamp:
                pending = None
            elif pending != (path, version):
                pending = (path, version)
            else:
                pending = None
                with contextlib.suppress(ScenarioError):  # logged and kept as the state's error
                    state.reload(expected=path)
