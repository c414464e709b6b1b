"""The panel: ``dcclink.open_panel()`` opens it in a window of its own,
``dcclink.panel.emit`` sends events to it, and functions
decorated with ``@dcclink.panel.callback`` can be called from its page with
``window.dcclink.call(name, args)``; they run on the main thread, in order
with tool calls.

```python
@dcclink.panel.callback
def select(name: str) -> bool:
    return scene.select(name)

dcclink.panel.emit("scene_changed", {"objects": 12})
```
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, overload

from dcclink import _native
from dcclink._running import current_host

# The window is a plugin beside this file, loaded when it first opens.
_native.set_panel_plugin_dir(str(Path(__file__).resolve().parent))

F = TypeVar("F", bound=Callable[..., Any])

#: Every panel callback defined in this process, by name.
callbacks: dict[str, Callable[..., Any]] = {}
#: Called with (name, function) for each new callback (the running host).
listeners: list[Callable[[str, Callable[..., Any]], None]] = []


@overload
def callback(function: F) -> F: ...
@overload
def callback(*, name: Optional[str] = None) -> Callable[[F], F]: ...
def callback(function: Optional[F] = None, *, name: Optional[str] = None) -> Any:
    """Lets the panel's page call a function: ``window.dcclink.call(name,
    args)`` returns a Promise of its result. A JSON object becomes keyword
    arguments, an array positional ones. The function is returned unchanged."""

    def register(f: F) -> F:
        key = name or f.__name__
        callbacks[key] = f
        for listener in listeners:
            listener(key, f)
        return f

    return register(function) if function is not None else register


def emit(event: str, data: Any = None) -> None:
    """Publishes an event to the panel (kept until a panel listens)."""
    current_host().emit(event, data)


def eval_js(script: str) -> None:
    """Runs JavaScript in the panel window without waiting for it."""
    _native.eval_js(script)


def eval_js_sync(script: str, timeout: float = 5.0) -> Any:
    """Runs JavaScript in the panel window and returns its value (decoded
    from JSON). Raises ``TimeoutError`` when the page does not answer within
    ``timeout`` seconds, and ``RuntimeError`` when the window is not open."""
    result = _native.eval_js_sync(script, timeout)
    return json.loads(result) if result else None


def close() -> None:
    """Closes the panel window. The server keeps running; reopen it with
    ``dcclink.open_panel()``."""
    _native.close_panel()


def is_open() -> bool:
    """True while the panel window is open."""
    return _native.panel_is_open()
