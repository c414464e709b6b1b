"""The engines that start workers, and the local one: worker processes on
this machine, each a child of this process that speaks MCP on its stdin
and stdout. It needs nothing beyond dcclink."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from dcclink import _native
from dcclink.workers._items import WorkerError


@dataclass
class Started:
    """A worker an engine started: the link to it, the node it runs on, its
    process id there, and what the engine keeps of it."""

    link: _native.Worker
    node: str
    pid: Optional[int]
    handle: Any = None


class Engine(Protocol):
    """Where a pool's workers run."""

    def start(self, slot: int) -> Started:
        """Starts the worker for ``slot`` (its first, or a replacement) and
        returns once it serves; raises :class:`WorkerError` otherwise."""

    def alive(self, worker: Started) -> bool:
        """Whether the worker still serves."""

    def discard(self, worker: Started) -> None:
        """Drops a worker that died or stopped answering, killing what is
        left of it, before ``start`` replaces it."""

    def stop(self, worker: Started, timeout: float) -> None:
        """Stops a worker for good, killing it after ``timeout`` seconds."""

    def close(self) -> None:
        """Releases what the engine holds, once every worker has stopped."""


class LocalEngine:
    """Workers as child processes of this one: ``command`` (a headless DCC
    Python running ``dcclink serve --stdio --worker``). A worker whose
    parent dies sees its stdin close and exits, so none outlives the pool's
    process."""

    def __init__(self, command: list[str], start_timeout: float) -> None:
        self.command = command
        self.start_timeout = start_timeout
        self.node = platform.node()

    def start(self, slot: int) -> Started:
        env = [("DCCLINK_WORKER_SLOT", str(slot))]
        try:
            link = _native.Worker.spawn(self.command, env, os.getcwd(), self.start_timeout)
        except RuntimeError as error:
            raise WorkerError(str(error)) from None
        return Started(link, self.node, link.pid)

    def alive(self, worker: Started) -> bool:
        return worker.link.alive()

    def discard(self, worker: Started) -> None:
        worker.link.kill()
        worker.link.close(0.0)

    def stop(self, worker: Started, timeout: float) -> None:
        worker.link.close(timeout)

    def close(self) -> None:
        pass
