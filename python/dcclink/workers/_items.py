"""The pool's unit of work: one tool call (an item), the batch it belongs
to, the queue free workers take items from, and the errors an item ends
with."""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING, Any, Callable, Optional

from dcclink._tools import Cancelled

if TYPE_CHECKING:
    from dcclink import _native


class WorkerError(RuntimeError):
    """A worker could not be started, or the pool has none left."""


class ItemError(RuntimeError):
    """One item failed: the tool raised, the worker refused the call, or
    the worker died while running it. Says which item and which worker."""

    def __init__(self, message: str, *, index: int, tool: str, worker: Optional[str]) -> None:
        where = f" on {worker}" if worker else ""
        super().__init__(f"item {index} ({tool}){where}: {message}")
        #: The item's position in the map (0 for ``pool.call``).
        self.index = index
        #: The tool it called.
        self.tool = tool
        #: The worker it ran on ("worker 1, pid 4242 on node-a"), if any.
        self.worker = worker


#: Where a worker's own progress goes: (progress, total, message).
ProgressSink = Callable[[float, Optional[float], Optional[str]], Any]


class Batch:
    """The items of one ``map`` or ``call``: cancelled together. A single
    call passes its worker's progress on to ``progress``."""

    def __init__(self, progress: Optional[ProgressSink] = None) -> None:
        self.progress = progress
        #: Notified each time one of its items ends.
        self.changed = threading.Condition()
        #: How many of its items have ended.
        self.ended = 0
        #: The error of the first of its items to fail.
        self.first_error: Optional[BaseException] = None

    def note_ended(self, error: Optional[BaseException]) -> None:
        with self.changed:
            self.ended += 1
            if self.first_error is None:
                self.first_error = error
            self.changed.notify_all()


class Item:
    """One call of ``tool`` with ``arguments``, run once (or, for an
    idempotent tool whose worker died, once more)."""

    def __init__(
        self, batch: Batch, index: int, tool: str, arguments: dict[str, Any], idempotent: bool
    ) -> None:
        self.batch = batch
        self.index = index
        self.tool = tool
        self.arguments = arguments
        self.idempotent = idempotent
        #: How many times a worker has started it.
        self.attempts = 0
        #: The call in flight, for ``cancel``.
        self.call: Optional[_native.WorkerCall] = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._value: Any = None
        self._error: Optional[BaseException] = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float) -> bool:
        """True once the item has ended."""
        return self._done.wait(timeout)

    def outcome(self) -> Any:
        """Its value, or raises its error. Call once it is done."""
        if self._error is not None:
            raise self._error
        return self._value

    @property
    def error(self) -> Optional[BaseException]:
        return self._error

    def settle(self, value: Any = None, error: Optional[BaseException] = None) -> bool:
        """Ends the item, once: later settles are ignored (False)."""
        with self._lock:
            if self._done.is_set():
                return False
            self._value, self._error = value, error
            self._done.set()
        self.batch.note_ended(error)
        return True

    def fail(self, message: str, worker: Optional[str]) -> None:
        self.settle(error=ItemError(message, index=self.index, tool=self.tool, worker=worker))

    def cancel(self) -> None:
        """Ends it cancelled; a worker running it gets the cancellation."""
        self.settle(error=Cancelled(f"item {self.index} ({self.tool}) was cancelled"))
        call = self.call
        if call is not None:
            call.cancel()


class Queue:
    """Items waiting for a free worker, first in first out; an item run
    again goes to the front. ``take`` returns None once the queue closes."""

    def __init__(self) -> None:
        self._items: collections.deque[Item] = collections.deque()
        self._ready = threading.Condition()
        #: Why it closed, once it has: what an item put later fails with.
        self._closed: Optional[str] = None

    def put(self, item: Item, *, first: bool = False) -> None:
        with self._ready:
            if self._closed is not None:
                item.fail(self._closed, None)
                return
            if first:
                self._items.appendleft(item)
            else:
                self._items.append(item)
            self._ready.notify()

    def take(self) -> Optional[Item]:
        """The next item not yet ended, waiting for one."""
        with self._ready:
            while True:
                while self._items:
                    item = self._items.popleft()
                    if not item.done:
                        return item
                if self._closed is not None:
                    return None
                self._ready.wait()

    def __len__(self) -> int:
        with self._ready:
            return sum(not item.done for item in self._items)

    def close(self, why: str) -> None:
        """Fails every waiting item with ``why`` and wakes every taker."""
        with self._ready:
            self._closed = why
            waiting, self._items = list(self._items), collections.deque()
            self._ready.notify_all()
        for item in waiting:
            item.fail(why, None)
