"""The panel: ``dcclink.panel.emit`` sends events to it, and functions
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

from typing import Any, Callable, Optional, TypeVar, overload

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
    from dcclink._host import current_host

    current_host().emit(event, data)
