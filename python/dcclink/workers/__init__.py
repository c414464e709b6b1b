"""Worker pools: heavy DCC work off the artist's main thread.

A worker is a headless DCC process running dcclink (``bpy`` in a venv,
``hython``, ``mayapy`` or plain Python) with the tool modules the pool
names. It is the same product on the other side: its own queue, main
thread, progress, cancellation and errors. The pool talks MCP to each one,
keeps them warm, replaces one that dies, and hands each call to a free one:

```python
import dcclink
from dcclink.workers import Pool

@dcclink.tool(task="required", main_thread=False)
def render_turntables(assets: list[str], ctx: dcclink.Context) -> list[str]:
    "Render a turntable of each asset on the Blender workers."
    with Pool(["studio.turntable"], size=4, python="/opt/bpy-venv/bin/python") as pool:
        return pool.map("turntable", [{"asset": a} for a in assets], ctx=ctx)
```

``engine="local"`` (the default) starts the workers as child processes of
this one; ``engine="ray"`` places them on a Ray cluster (``pip install
dcclink[ray]``).
"""

from dcclink.workers._items import ItemError, WorkerError
from dcclink.workers._pool import Pool

__all__ = ["ItemError", "Pool", "WorkerError"]
