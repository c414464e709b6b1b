"""The Blender host: each tool call is one step in Blender's undo history,
and in Blender's UI the pump runs from ``bpy.app.timers``.

Blender offers no thread-safe way to wake its main thread, so the UI's pump
is a timer; see :class:`BlenderHost` for its interval. The headless ``bpy``
module has no event loop: there ``dcclink serve`` pumps, and only the undo
steps apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, TypeVar

import bpy

from dcclink import _tools

F = TypeVar("F", bound=Callable[..., Any])


def no_undo_step(function: F) -> F:
    """Marks a tool that pushes no undo step: one that changes nothing (so
    that undo reverts the last change, not the last question), and undo and
    redo themselves (a push after an undo would drop the redo history)."""
    function.__dcclink_no_undo__ = True  # type: ignore[attr-defined]
    return function


@contextmanager
def undo_step(tool: _tools.ToolDef) -> Iterator[None]:
    """Runs a tool call as one undo step, named after the tool, whether it
    succeeds or fails part way."""
    try:
        yield
    finally:
        if not getattr(tool.function, "__dcclink_no_undo__", False):
            bpy.ops.ed.undo_push(message=f"dcclink: {tool.name}")


def install_undo_steps() -> None:
    """Makes every tool call one undo step. The first push also starts the
    undo history of a headless bpy, which keeps none until asked."""
    if _tools.call_scope is None:
        bpy.ops.ed.undo_push(message="dcclink: start")
        _tools.call_scope = undo_step
