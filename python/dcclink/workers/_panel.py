"""A pool as the panel shows it: its state, published on the running
host's event bus a few times a second at most, whatever the pool's pace."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable

from dcclink._running import running_host

#: The fastest the panel's view of a pool changes, in seconds.
EVERY = 0.1

_numbers = itertools.count(1)


class PanelView:
    """Publishes ``status()`` after each change, at most every ``EVERY``
    seconds, from a thread of its own (the pool's threads only flag a
    change), to the host running in this process when there is one; and,
    once closed, that the pool is gone."""

    def __init__(self, status: Callable[[], dict[str, Any]]) -> None:
        self.id = f"pool-{next(_numbers)}"
        self._status = status
        self._changed = threading.Event()
        self._changed.set()  # the pool as it starts
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"dcclink-{self.id}", daemon=True)
        self._thread.start()

    def changed(self) -> None:
        self._changed.set()

    def close(self) -> None:
        self._closed.set()
        self._changed.set()
        self._thread.join(1.0)

    def _run(self) -> None:
        while True:
            self._changed.wait()
            host = running_host()
            if self._closed.is_set():
                if host is not None:
                    host.publish_pool(self.id, None)
                return
            if host is not None:
                # Cleared only once shown: a pool made before its host
                # started shows when the host does.
                self._changed.clear()
                host.publish_pool(self.id, self._status())
            self._closed.wait(EVERY)  # a burst of changes shows once
