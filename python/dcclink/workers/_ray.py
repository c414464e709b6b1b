"""The Ray engine: each worker is a Ray actor on some node of a cluster.

The actor's process is the DCC: the cluster's Python has the DCC as a
module (``bpy``) and dcclink, and the actor imports the pool's tools and
serves MCP on its node's address, over TLS with the pool's token when that
address is not loopback. The pool reaches it there with its MCP client, so
a worker answers the same on a Ray node as on this machine.

Ray places the actors (spread over the nodes, on those with the
``resources`` asked for, such as ``{"blender": 1}``) and restarts one whose
process or node dies; the pool only asks a restarted actor where it now
serves. Ray is an optional dependency: ``pip install dcclink[ray]``.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional, Union

from dcclink import _native
from dcclink.workers._engines import Started
from dcclink.workers._items import WorkerError

#: How often a start asks again about an actor Ray is restarting.
RESTART_POLL = 0.2


class RayWorker:
    """A pool's worker as a Ray actor: its process runs dcclink with the
    pool's tools, and its ``run`` is the main thread's pump (Ray runs a
    plain actor's methods on its process's main thread, one at a time)."""

    def __init__(self, tools: list[str], token: str, timeout: float) -> None:
        import ray

        from dcclink import _host

        address = ray.util.get_node_ip_address()
        address = f"[{address}]" if ":" in address else address
        self._host, info = _host.start_worker(f"{address}:0", token, tools, timeout)
        self._where = {
            "url": info.remote_url or info.url,
            "fingerprint": info.fingerprint,
            "node": ray.get_runtime_context().get_node_id(),
            "pid": os.getpid(),
        }

    def where(self) -> dict[str, Any]:
        """Where it serves: ``url``, ``fingerprint``, Ray ``node`` id, ``pid``."""
        return self._where

    def run(self) -> None:
        """Runs the calls as they come, until the actor is killed."""
        self._host.serve_forever()


class RayEngine:
    """Workers as actors on the Ray cluster at ``address`` (as
    ``ray.init`` takes it; the one this process already joined, or a new
    local one, when None)."""

    def __init__(
        self,
        tools: Sequence[Union[str, Path]],
        *,
        address: Optional[str],
        resources: Optional[dict[str, float]],
        start_timeout: float,
        timeout: float,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise WorkerError(
                'engine="ray" needs Ray in this Python: pip install "dcclink[ray]"'
            ) from None
        self._ray: Any = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            ray.init(address=address)
        self.start_timeout = start_timeout
        self.resources = resources or {}
        self._token = secrets.token_urlsafe(32)
        self._args = ([str(tool) for tool in tools], self._token, timeout)
        self._actor = ray.remote(RayWorker).options(
            num_cpus=1,
            resources=self.resources,
            max_restarts=-1,
            max_task_retries=0,
            scheduling_strategy="SPREAD",
        )
        self._actors: dict[int, Any] = {}

    def start(self, slot: int) -> Started:
        ray = self._ray
        actor = self._actors.get(slot)
        if actor is None:
            actor = self._actors[slot] = self._actor.remote(*self._args)
        where = self._where(slot, actor)
        run = actor.run.remote()
        try:
            link = _native.Worker.connect(
                where["url"], self._token, where["fingerprint"], self.start_timeout
            )
        except RuntimeError as error:
            ray.kill(actor, no_restart=False)
            raise WorkerError(str(error)) from None
        return Started(link, where["node"], where["pid"], (actor, run))

    def _where(self, slot: int, actor: Any) -> dict[str, Any]:
        """Where ``actor`` serves, once it has started (or Ray has restarted
        it), within ``start_timeout``."""
        ray = self._ray
        deadline = time.monotonic() + self.start_timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return dict(ray.get(actor.where.remote(), timeout=max(left, 0.0)))
            except ray.exceptions.ActorUnavailableError:
                if left <= 0:
                    break
                time.sleep(min(RESTART_POLL, left))  # Ray is restarting it
            except ray.exceptions.GetTimeoutError:
                break
            except ray.exceptions.RayActorError as error:
                # Its start failed (a tool module that does not import): a
                # new actor next time, not a restart of this one.
                del self._actors[slot]
                ray.kill(actor, no_restart=True)
                raise WorkerError(f"the worker's Ray actor did not start: {error}") from None
        raise WorkerError(
            f"no Ray node took worker {slot} within {self.start_timeout:g} s: the cluster "
            f"needs a node with 1 CPU and {self.resources or 'no other resources'} free"
        )

    def alive(self, worker: Started) -> bool:
        _, run = worker.handle
        # `run` ends only when the actor dies.
        finished, _ = self._ray.wait([run], timeout=0)
        return not finished and worker.link.alive()

    def discard(self, worker: Started) -> None:
        actor, _ = worker.handle
        worker.link.close(0.0)
        # Ray restarts it (on another node when its own is gone).
        self._ray.kill(actor, no_restart=False)

    def stop(self, worker: Started, timeout: float) -> None:
        actor, _ = worker.handle
        worker.link.close(timeout)
        self._ray.kill(actor, no_restart=True)
        self._actors = {slot: a for slot, a in self._actors.items() if a is not actor}

    def close(self) -> None:
        for actor in self._actors.values():
            self._ray.kill(actor, no_restart=True)
        self._actors.clear()
        if self._owns_ray:
            self._ray.shutdown()
