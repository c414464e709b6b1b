"""The local engine: worker processes on this machine, each a child of
this process that speaks MCP on its stdin and stdout. It needs nothing
beyond dcclink."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Union

from dcclink import _native
from dcclink.workers._engines import Started
from dcclink.workers._items import WorkerError


class LocalEngine:
    """Workers as child processes of this one: ``python -m dcclink serve
    --stdio --worker`` with the tools, on the DCC's headless Python
    (``python``; this one when None). A worker whose parent dies sees its
    stdin close and exits, so none outlives the pool's process."""

    def __init__(
        self,
        python: Union[str, Path, None],
        tools: list[str],
        timeout: float,
        start_timeout: float,
    ) -> None:
        serve = ["-m", "dcclink", "serve", "--stdio", "--worker", "--timeout", str(timeout)]
        self.command = [str(python or sys.executable), *serve]
        for entry in tools:
            self.command += ["--tools", entry]
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
