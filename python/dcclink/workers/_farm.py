"""``dcclink serve --workers N``: a farm instance. It serves the same MCP
surface as any instance, the tools of its workers, and runs each call on a
free worker, N at once; the agent sees one server."""

from __future__ import annotations

from typing import Any, Callable

from dcclink import _native
from dcclink.workers._pool import Pool

#: MCP's annotation names for the hints ``register_tool`` takes.
HINTS = {
    "readOnlyHint": "read_only",
    "destructiveHint": "destructive",
    "idempotentHint": "idempotent",
    "openWorldHint": "open_world",
}


class PoolFarm:
    """A pool's tools, served by a host (``dcclink.serve(farm=...)``)."""

    def __init__(self, pool: Pool, engine: str) -> None:
        self.pool = pool
        self.dcc = "farm"
        self.scene = f"{len(pool.slots)} {engine} workers"

    def attach(self, host: _native.Host) -> None:
        """Registers each of the workers' tools: a call runs on a thread of
        its own (the farm's main thread runs nothing) and waits for a free
        worker, passing its progress on and its cancellation down."""
        for tool in self.pool.tools:
            annotations = tool.get("annotations") or {}
            execution = tool.get("execution") or {}
            host.register_tool(
                tool["name"],
                tool.get("description") or "",
                tool["inputSchema"],
                self._forward(tool["name"]),
                title=tool.get("title") or annotations.get("title"),
                output_schema=tool.get("outputSchema"),
                hints={HINTS[key]: value for key, value in annotations.items() if key in HINTS},
                task=execution.get("taskSupport", "forbidden"),
                main_thread=False,
            )

    def _forward(self, name: str) -> Callable[[dict[str, Any], _native.Context], Any]:
        def invoke(arguments: dict[str, Any], ctx: _native.Context) -> Any:
            return self.pool.call(name, arguments, ctx=ctx)

        return invoke

    def close(self) -> None:
        self.pool.close()
