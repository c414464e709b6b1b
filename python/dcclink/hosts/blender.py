"""The Blender host: each tool call is one step in Blender's undo history,
and in Blender's UI the pump runs from ``bpy.app.timers`` (imported only
inside Blender).

Blender offers no thread-safe way to wake its main thread, so the UI's pump
is a timer that runs on every pass of Blender's loop; see
:class:`BlenderHost`. The headless ``bpy``
module has no event loop: there ``dcclink serve`` pumps, and only the undo
steps apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Optional, cast

import bpy

from dcclink import _native, _tools
from dcclink.hosts.undo import pushes_undo_step

#: The pump timer's interval, in seconds: 0 runs it on every pass of
#: Blender's event loop, which sleeps ~5 ms between passes when idle. A pass
#: with nothing queued costs a few microseconds (measured: idle Blender's
#: CPU use does not change measurably).
IDLE_INTERVAL = 0.0


def window_context() -> AbstractContextManager[Any]:
    """The context of Blender's first window, for operators run from a
    timer (which has none); nothing to add where a window is current."""
    manager = bpy.context.window_manager
    if bpy.context.window is not None or manager is None or not manager.windows:
        return nullcontext()
    window = manager.windows[0]
    areas = [a for a in window.screen.areas if a.type == "VIEW_3D"]
    override = (
        bpy.context.temp_override(window=window, area=areas[0])
        if areas
        else bpy.context.temp_override(window=window)
    )
    return cast(AbstractContextManager[Any], override)


#: Whether dcclink pushed its first undo step: a headless bpy keeps no undo
#: history until one is pushed.
_history_started = False


@contextmanager
def undo_step(tool: _tools.ToolDef) -> Iterator[None]:
    """Runs a tool call in a window's context, as one undo step named after
    the tool, whether it succeeds or fails part way."""
    global _history_started
    if not _history_started:
        with window_context():
            bpy.ops.ed.undo_push(message="dcclink: start")
        _history_started = True
    with window_context():
        try:
            yield
        finally:
            if pushes_undo_step(tool):
                bpy.ops.ed.undo_push(message=f"dcclink: {tool.name}")


class BlenderHost:
    """Pumps dcclink from a ``bpy.app.timers`` timer in Blender's UI, on
    every pass of Blender's event loop (:data:`IDLE_INTERVAL`). Each tool
    call runs in the first window's context and is one undo step."""

    name = "blender"

    def __init__(self, budget_ms: float = 10.0) -> None:
        self.budget_ms = budget_ms
        self._host: Optional[_native.Host] = None

    def describe(self) -> tuple[str, Optional[str], Optional[str]]:
        return ("blender", bpy.app.version_string, bpy.data.filepath or None)

    def attach(self, host: _native.Host) -> None:
        self._host = host
        bpy.app.timers.register(self._tick, first_interval=0.0, persistent=True)
        bpy.app.handlers.load_post.append(self._file_opened)
        bpy.app.handlers.save_post.append(self._file_opened)

    def _tick(self) -> Optional[float]:
        host = self._host
        if host is None or host.state != "Active":
            return None  # unregisters the timer
        host.pump(self.budget_ms)
        return IDLE_INTERVAL

    def _file_opened(self, *_: Any) -> None:
        if self._host is not None and self._host.state == "Active":
            self._host.set_scene(bpy.data.filepath or None)

    def detach(self) -> None:
        self._host = None
        if bpy.app.timers.is_registered(self._tick):
            bpy.app.timers.unregister(self._tick)
        for handlers in (bpy.app.handlers.load_post, bpy.app.handlers.save_post):
            if self._file_opened in handlers:
                handlers.remove(self._file_opened)

    def call_scope(self, tool: _tools.ToolDef) -> AbstractContextManager[None]:
        return undo_step(tool)

    def panel_mode(self) -> str:
        # Blender's loop is not GLib's: the window gets a thread of its own
        # and stays live while a tool blocks Blender.
        return "thread"


def in_blender_ui() -> bool:
    """True inside Blender with its UI (not the headless module, not -b)."""
    return not bpy.app.background
