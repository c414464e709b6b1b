"""What every engine does, wherever it runs a pool's workers (this
machine, a Ray cluster), and what it hands the pool for each worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Protocol

from dcclink import _native


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
