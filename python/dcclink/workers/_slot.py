"""One place in a pool: a worker, and the thread that hands it items one
at a time and replaces it when it dies."""

from __future__ import annotations

import logging
import threading
from typing import Any, Optional, Protocol

from dcclink.workers._engines import Engine, Started
from dcclink.workers._items import Item, Queue, WorkerError
from dcclink.workers._results import tool_error, value_of

log = logging.getLogger("dcclink.workers")

#: How often a waiting slot looks whether its pool is closing.
POLL = 0.5
#: How many times a slot tries to start a replacement before it gives up.
STARTS = 3
#: How much longer than an item's timeout a slot waits for its answer: the
#: worker itself answers "timed out" at the timeout; silence past this
#: means the worker is stuck, and it is replaced.
ANSWER_GRACE = 30.0


class Owner(Protocol):
    """What a slot needs of its pool."""

    engine: Engine
    queue: Queue
    item_timeout: float
    stop_timeout: float
    closing: bool

    def changed(self) -> None: ...
    def slot_died(self, slot: Slot) -> None: ...
    def output_schema(self, tool: str) -> Optional[dict[str, Any]]: ...


class Slot:
    """Worker ``number`` of a pool."""

    def __init__(self, pool: Owner, number: int) -> None:
        self.pool = pool
        self.number = number
        self.worker: Optional[Started] = None
        #: "starting", "idle", "busy", "replacing", "dead" or "stopped".
        self.state = "starting"
        self.item: Optional[Item] = None
        #: The running item's last progress: (progress, total, message).
        self.progress: Optional[tuple[float, Optional[float], Optional[str]]] = None
        self.done = 0
        self.failed = 0
        self.replaced = 0
        self.error: Optional[str] = None
        self.thread = threading.Thread(
            target=self._run, name=f"dcclink-worker-{number}", daemon=True
        )

    def describe(self) -> str:
        """How errors name it: "worker 1 (pid 4242 on node-a)"."""
        worker = self.worker
        if worker is None:
            return f"worker {self.number}"
        pid = f"pid {worker.pid} " if worker.pid is not None else ""
        return f"worker {self.number} ({pid}on {worker.node})"

    def start(self) -> None:
        """Starts its first worker; raises WorkerError."""
        self.worker = self.pool.engine.start(self.number)
        self.state = "idle"
        self.pool.changed()

    def _run(self) -> None:
        try:
            self._feed()
        except Exception as error:
            # A fault of the pool's own: the slot is dead, not its items'
            # waiters, who would otherwise wait forever.
            log.exception("worker %d: its thread failed", self.number)
            self.error = f"its thread failed: {error!r}"
            self.state = "dead"
            self.pool.slot_died(self)
        finally:
            self.stop(self.pool.stop_timeout)

    def _feed(self) -> None:
        """Hands the queue's items to the worker, one at a time, until the
        pool closes or no worker starts."""
        while True:
            item = self.pool.queue.take()
            if item is None:
                return
            try:
                if not self._ready():
                    self.pool.queue.put(item, first=True)
                    self.pool.slot_died(self)
                    return
                self._serve(item)
            except Exception as error:
                why = f"the pool failed while running it ({error!r}; the log has the traceback)"
                item.fail(why, self.describe())
                raise

    def stop(self, timeout: float) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            self.pool.engine.stop(worker, timeout)
        if self.state != "dead":
            self.state = "stopped"
        self.pool.changed()

    def _serve(self, item: Item) -> None:
        """Runs ``item`` on this slot's live worker."""
        worker = self.worker
        assert worker is not None
        item.attempts += 1
        self.item, self.state, self.progress = item, "busy", None
        self.pool.changed()
        try:
            kind, value = self._exchange(item, worker)
        finally:
            self.item, self.state, self.progress = None, "idle", None
        self._settle(item, kind, value)
        self.pool.changed()

    def _exchange(self, item: Item, worker: Started) -> tuple[str, Any]:
        """Sends the item's call and waits for how it ends, noting progress."""
        try:
            within = self.pool.item_timeout + ANSWER_GRACE
            call = worker.link.call(item.tool, item.arguments, within)
        except RuntimeError as error:
            return "lost", str(error)
        item.call = call
        if item.done:  # cancelled between the queue and the call
            call.cancel()
        try:
            while True:
                event = call.next(POLL)
                if event is None:
                    if self.pool.closing:
                        call.cancel()
                    elif not self.pool.engine.alive(worker):
                        # Its link may not say so soon (a Ray node that
                        # vanished): the engine knows.
                        call.cancel()
                        return "lost", "the worker died"
                    continue
                kind, value = event
                if kind != "progress":
                    return kind, value
                self.progress = value
                if item.batch.progress is not None:
                    item.batch.progress(*value)
                self.pool.changed()
        finally:
            item.call = None

    def _settle(self, item: Item, kind: str, value: Any) -> None:
        where = self.describe()
        if kind == "result":
            error = tool_error(value)
            if error is None:
                item.settle(value_of(value, self.pool.output_schema(item.tool)))
                self.done += 1
            else:
                item.fail(error, where)
                self.failed += 1
        elif kind == "refused":
            item.fail(f"the worker refused the call: {value}", where)
            self.failed += 1
        elif kind == "cancelled":
            item.cancel()
        else:
            self._lost(item, str(value), where)

    def _lost(self, item: Item, why: str, where: str) -> None:
        """The worker died (or stopped answering) with ``item`` on it."""
        worker = self.worker
        said = worker.link.last_words(1.0) if worker is not None else ""
        last = said.strip().splitlines()[-1:] if said.strip() else []
        died = f"{why}" + (f" (its last words: {last[0]})" if last else "")
        log.warning("%s lost item %d (%s): %s", where, item.index, item.tool, died)
        # The item is settled (or handed on) first: a replacement may take
        # a while to start, or never (its Ray node is gone).
        if item.idempotent and item.attempts < 2 and not item.done:
            log.info("item %d (%s) is idempotent: it runs again", item.index, item.tool)
            self.pool.queue.put(item, first=True)
        else:
            again = (
                "it had run once already"
                if item.idempotent
                else (
                    f"{item.tool} is not marked idempotent, so dcclink did not run it again "
                    "(mark it @dcclink.tool(idempotent=True) if running it twice is safe)"
                )
            )
            item.fail(f"the worker died while running it: {died}; {again}", where)
            self.failed += 1
        self._replace()

    def _ready(self) -> bool:
        """Whether a live worker serves this slot, replacing a dead one."""
        worker = self.worker
        if worker is not None and self.pool.engine.alive(worker):
            return True
        return self._replace()

    def _replace(self) -> bool:
        """Stops the worker (it died, or no longer answers) and starts
        another, trying a few times; False, and the slot is dead, when
        none starts."""
        self.state = "replacing"
        self.pool.changed()
        old, self.worker = self.worker, None
        if old is not None:
            self.pool.engine.discard(old)
        for _ in range(STARTS):
            if self.pool.closing:
                break
            try:
                self.start()
            except WorkerError as error:
                self.error = str(error)
                log.warning("worker %d: %s", self.number, error)
                continue
            self.replaced += 1
            self.pool.changed()
            return True
        self.state = "dead"
        self.pool.changed()
        return False
