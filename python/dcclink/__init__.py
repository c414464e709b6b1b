"""dcclink: an MCP server inside your DCC application.

Write tools as plain, type-hinted Python functions; an AI agent in your IDE
calls them, and dcclink runs them on the DCC's main thread, one at a time, in
order, with progress and cancellation.

```python
import dcclink

@dcclink.tool
def add(a: int, b: int) -> int:
    "Add two integers."
    return a + b

dcclink.serve(http="127.0.0.1:8765")
```
"""

from dcclink import panel
from dcclink._host import (
    ServerInfo,
    instances,
    is_main_thread,
    main_thread,
    open_panel,
    pump,
    run_on_main_thread,
    run_on_main_thread_sync,
    serve,
    set_scene,
    start,
    stats,
    stop,
    tasks,
)
from dcclink._native import (
    Audio,
    Content,
    Context,
    EmbeddedResource,
    Image,
    MainThreadCall,
    __version__,
)
from dcclink._prompts import prompt
from dcclink._reload import reload
from dcclink._resources import resource, resource_updated
from dcclink._tools import Cancelled, tool

__all__ = [
    "Audio",
    "Cancelled",
    "Content",
    "Context",
    "EmbeddedResource",
    "Image",
    "MainThreadCall",
    "ServerInfo",
    "__version__",
    "instances",
    "is_main_thread",
    "main_thread",
    "open_panel",
    "panel",
    "prompt",
    "pump",
    "reload",
    "resource",
    "resource_updated",
    "run_on_main_thread",
    "run_on_main_thread_sync",
    "serve",
    "set_scene",
    "start",
    "stats",
    "stop",
    "tasks",
    "tool",
]
