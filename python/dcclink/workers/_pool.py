"""``dcclink.workers.Pool``: headless DCC workers kept warm, each call on a
free one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Optional, Union

from dcclink._native import Context
from dcclink._tools import Cancelled
from dcclink.workers._engines import Engine
from dcclink.workers._items import Batch, Item, Queue, WorkerError
from dcclink.workers._local import LocalEngine
from dcclink.workers._panel import PanelView
from dcclink.workers._slot import Slot

#: How often ``map`` looks at ``ctx.cancelled`` while it waits.
CANCEL_POLL = 0.05


class Pool:
    """Headless DCC processes running dcclink, kept warm, that run tool
    calls off this process's main thread.

    ``tools`` are the tool modules or files each worker imports (as
    ``dcclink serve --tools`` takes them). ``python`` is the worker's
    interpreter: a venv's Python with ``bpy``, ``hython``, ``mayapy``; this
    one when not given. ``size`` workers start at once, and the pool is
    ready when all serve; one that does not start raises
    :class:`WorkerError` with what it said.

    ``engine`` says where they run: ``"local"`` (child processes of this
    one) or ``"ray"``: actors on the Ray cluster at ``address`` (as
    ``ray.init`` takes it), spread over its nodes, on those with
    ``resources`` free (such as ``{"blender": 1}``); each actor's process
    is the DCC, so the cluster's Python must have it (``bpy``) and dcclink.
    ``timeout`` bounds one item, ``start_timeout`` one worker's start.

    A worker runs one item at a time, on its main thread, and keeps no undo
    history. One that dies is replaced; the item it ran fails with an
    :class:`ItemError`, or runs once more on another worker when its tool
    is idempotent (``@dcclink.tool(idempotent=True)``).

    ```python
    with dcclink.workers.Pool(["my_studio.render_tools"], size=4,
                              python="/opt/blender-venv/bin/python") as pool:
        frames = pool.map("render_turntable", [{"asset": a} for a in assets], ctx=ctx)
    ```
    """

    def __init__(
        self,
        tools: Sequence[Union[str, Path]] = (),
        size: int = 2,
        *,
        python: Union[str, Path, None] = None,
        engine: str = "local",
        address: Optional[str] = None,
        resources: Optional[dict[str, float]] = None,
        timeout: float = 600.0,
        start_timeout: float = 120.0,
        stop_timeout: float = 5.0,
        name: Optional[str] = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one worker, not size={size}")
        self.item_timeout = timeout
        self.stop_timeout = stop_timeout
        self.closing = False
        self.queue = Queue()
        self.engine = _engine(engine, tools, python, address, resources, start_timeout, timeout)
        self.slots = [Slot(self, number) for number in range(size)]
        self.name = name or f"{size} {engine} workers"
        self._panel = PanelView(self.status)
        self._start()
        first = self.slots[0].worker
        assert first is not None
        self._tools: dict[str, dict[str, Any]] = {tool["name"]: tool for tool in first.link.tools}
        for slot in self.slots:
            slot.thread.start()

    def _start(self) -> None:
        """Starts every worker side by side; stops them all and raises
        when one does not start."""
        failures: list[str] = []

        def start(slot: Slot) -> None:
            try:
                slot.start()
            except Exception as error:  # any reason it did not start is told
                failures.append(f"worker {slot.number}: {error}")

        starters = [threading.Thread(target=start, args=(slot,)) for slot in self.slots]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()
        if failures:
            for slot in self.slots:
                slot.stop(0.0)
            self.engine.close()
            self._panel.close()
            raise WorkerError("the pool did not start: " + "\n".join(failures))

    @property
    def tools(self) -> list[dict[str, Any]]:
        """The tools the workers serve, as MCP lists them."""
        return list(self._tools.values())

    def output_schema(self, tool: str) -> Optional[dict[str, Any]]:
        """The output schema ``tool`` declares, if any."""
        schema = self._tools.get(tool, {}).get("outputSchema")
        return schema if isinstance(schema, dict) else None

    def call(
        self,
        tool: str,
        arguments: Optional[dict[str, Any]] = None,
        *,
        ctx: Optional[Context] = None,
    ) -> Any:
        """Runs ``tool`` on a free worker and returns what it returned. The
        worker's progress goes to ``ctx``. Raises :class:`ItemError` when it
        fails and ``dcclink.Cancelled`` when ``ctx`` is cancelled meanwhile."""
        forward = ctx.progress if ctx is not None else None
        return self._run(tool, [arguments or {}], ctx, Batch(forward), False)[0]

    def map(
        self,
        tool: str,
        items: Iterable[dict[str, Any]],
        *,
        ctx: Optional[Context] = None,
        return_exceptions: bool = False,
    ) -> list[Any]:
        """Runs ``tool`` once for each arguments dict in ``items``, on every
        free worker at once, and returns the results in the items' order.

        Progress goes to ``ctx`` as items end ("12/200 items"). When
        ``ctx`` is cancelled, every outstanding item is (queued ones never
        run, running ones see ``ctx.cancelled`` on their worker) and
        ``dcclink.Cancelled`` is raised. When an item fails, the others are
        cancelled and its :class:`ItemError` is raised, unless
        ``return_exceptions``: then each failed item's error takes its place
        in the results."""
        return self._run(tool, list(items), ctx, Batch(), return_exceptions)

    def _run(
        self,
        tool: str,
        items: list[dict[str, Any]],
        ctx: Optional[Context],
        batch: Batch,
        return_exceptions: bool,
    ) -> list[Any]:
        definition = self._tools.get(tool)
        if definition is None:
            known = ", ".join(sorted(self._tools)) or "none"
            raise ValueError(f"the workers have no tool {tool!r} (they have: {known})")
        if self.closing:
            raise WorkerError("the pool is closed")
        idempotent = bool((definition.get("annotations") or {}).get("idempotentHint"))
        work = [
            Item(batch, index, tool, dict(arguments), idempotent)
            for index, arguments in enumerate(items)
        ]
        for item in work:
            self.queue.put(item)
        try:
            self._wait(batch, work, ctx, return_exceptions)
        except BaseException:
            for item in work:
                item.cancel()
            raise
        if return_exceptions:
            return [item.error if item.error is not None else item.outcome() for item in work]
        return [item.outcome() for item in work]

    def _wait(
        self, batch: Batch, work: list[Item], ctx: Optional[Context], return_exceptions: bool
    ) -> None:
        """Waits until every item has ended, reporting to ``ctx`` how many
        have, unless its batch passes its worker's progress on instead."""
        total, reported = len(work), 0
        counts = ctx if ctx is not None and batch.progress is None else None
        if counts is not None:
            counts.progress(0, total, f"0/{total} items")
        while True:
            with batch.changed:
                if batch.ended == reported:
                    batch.changed.wait(CANCEL_POLL)
                ended = batch.ended
            if ctx is not None and ctx.cancelled:
                raise Cancelled(f"cancelled with {total - ended} of {total} items outstanding")
            if ended > reported:
                reported = ended
                if counts is not None:
                    counts.progress(ended, total, f"{ended}/{total} items")
                if not return_exceptions and batch.first_error is not None:
                    raise batch.first_error
            if ended >= total:
                return

    def slot_died(self, slot: Slot) -> None:
        """A slot could not get a worker: with none left, every waiting
        item fails."""
        if all(other.state == "dead" for other in self.slots):
            self.queue.close(f"every worker of the pool died; the last said: {slot.error}")

    def changed(self) -> None:
        """A worker's state or item changed: the panel shows it soon."""
        self._panel.changed()

    def status(self) -> dict[str, Any]:
        """The pool now: each worker's number, node, pid, state, current
        item and its progress, and counts of items done, failed and queued."""
        workers = []
        for slot in self.slots:
            worker, item, progress = slot.worker, slot.item, slot.progress
            workers.append(
                {
                    "number": slot.number,
                    "node": worker.node if worker else None,
                    "pid": worker.pid if worker else None,
                    "state": slot.state,
                    "item": None if item is None else {"index": item.index, "tool": item.tool},
                    "progress": None if progress is None else list(progress),
                    "done": slot.done,
                    "failed": slot.failed,
                    "replaced": slot.replaced,
                    "error": slot.error,
                }
            )
        return {
            "name": self.name,
            "workers": workers,
            "done": sum(slot.done for slot in self.slots),
            "failed": sum(slot.failed for slot in self.slots),
            "queued": len(self.queue),
        }

    def close(self, timeout: Optional[float] = None) -> None:
        """Stops the pool: queued items fail, running ones are cancelled,
        and each worker gets ``timeout`` seconds (``stop_timeout`` unless
        given) to exit before it is killed. Safe to call twice."""
        if self.closing:
            return
        self.closing = True
        if timeout is not None:
            self.stop_timeout = timeout
        self.queue.close("the pool closed before the item ran")
        # A slot notices the close within its poll, then gives its worker
        # stop_timeout to exit.
        deadline = time.monotonic() + self.stop_timeout + 2.0
        for slot in self.slots:
            slot.thread.join(max(0.0, deadline - time.monotonic()))
        self.engine.close()
        self._panel.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _engine(
    name: str,
    tools: Sequence[Union[str, Path]],
    python: Union[str, Path, None],
    address: Optional[str],
    resources: Optional[dict[str, float]],
    start_timeout: float,
    timeout: float,
) -> Engine:
    """The engine ``name`` for these workers."""
    found = [_located(entry) for entry in tools]
    if name == "local":
        if address is not None or resources is not None:
            raise ValueError('address and resources are for engine="ray"')
        return LocalEngine(python, found, timeout, start_timeout)
    if name == "ray":
        if python is not None:
            raise ValueError(
                'with engine="ray" a worker is the cluster\'s own Python: start the Ray '
                "nodes with the DCC's Python, not python="
            )
        from dcclink.workers._ray import RayEngine

        return RayEngine(
            found,
            address=address,
            resources=resources,
            start_timeout=start_timeout,
            timeout=timeout,
        )
    raise ValueError(f'engine must be "local" or "ray", not {name!r}')


def _located(entry: Union[str, Path]) -> str:
    """A tool file by its absolute path (so the worker finds it wherever it
    starts), a module by its name."""
    path = Path(entry)
    return str(path.resolve()) if path.is_file() else str(entry)
