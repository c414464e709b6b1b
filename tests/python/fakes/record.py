"""What the fakes were asked, and the main-thread idle queue they share."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable

from PySide6 import QtCore

#: Play the DCC without its UI (hython, mayapy): ``DCCLINK_FAKE_NO_UI=1``.
NO_UI = os.environ.get("DCCLINK_FAKE_NO_UI") == "1"
#: Every call made to a fake API: (name, arguments).
CALLS: list[tuple[str, Any]] = []
MAIN = threading.main_thread()
#: True while a deferred callable runs.
in_deferred = False


def call(name: str, arguments: Any) -> None:
    """Records a call to a main-thread-only API; refuses it elsewhere."""
    CALLS.append((name, arguments))
    if threading.current_thread() is not MAIN:
        raise RuntimeError(f"{name} called off the main thread: the DCC would crash or corrupt")


class _Idle(QtCore.QObject):
    """Runs callables on the main thread when its event loop is next idle."""

    queued = QtCore.Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.queued.connect(self._run, QtCore.Qt.ConnectionType.QueuedConnection)

    def _run(self, function: Callable[[], Any]) -> None:
        global in_deferred
        in_deferred = True
        try:
            function()
        finally:
            in_deferred = False


_idle = _Idle()


def execute_deferred(name: str, function: Any, *args: Any) -> None:
    """The DCCs' executeDeferred: thread-safe, runs later on the main thread."""
    CALLS.append((name, function))
    if isinstance(function, str):
        code = function
        function = lambda: exec(code, {})  # noqa: E731
    elif not callable(function):
        raise TypeError(f"{name} takes a callable or a string of Python, not {function!r}")
    _idle.queued.emit(lambda: function(*args))
