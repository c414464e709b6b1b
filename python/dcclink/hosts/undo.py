"""Which tool calls become a step in the DCC's undo history.

Every host adapter with an undo history (Blender, Maya, Houdini) makes each
tool call one step, named after the tool, except the tools marked
:func:`no_undo_step`.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from dcclink import _tools

F = TypeVar("F", bound=Callable[..., Any])


def no_undo_step(function: F) -> F:
    """Marks a tool that pushes no undo step: one that changes nothing (so
    that undo reverts the last change, not the last question), and undo and
    redo themselves (a step around an undo would undo the undo, or drop the
    redo history)."""
    function.__dcclink_no_undo__ = True  # type: ignore[attr-defined]
    return function


def pushes_undo_step(tool: _tools.ToolDef) -> bool:
    """False for tools marked :func:`no_undo_step`."""
    return not getattr(tool.function, "__dcclink_no_undo__", False)
