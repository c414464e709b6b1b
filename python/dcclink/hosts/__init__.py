"""Host adapters: how dcclink's pump runs on a DCC's main thread.

``dcclink.start(host="auto")`` picks the adapter for the application it runs
in; ``host="qt"`` names one; ``host="none"`` leaves pumping to the caller
(who then calls :func:`dcclink.pump` from a timer). An adapter:

- says what the host is (its name, version and open scene) for
  ``dcclink list``;
- starts pumping on the host's main thread when dcclink starts, woken the
  moment a call arrives, and stops when dcclink stops;
- says where the panel window should live in this host;
- wraps each tool call in the host's undo step, when it has an undo history.

A DCC that runs dcclink with no UI has no adapter; :func:`headless_scope`
then gives its calls their undo steps.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from typing import Optional, Protocol

from dcclink import _native, _tools


class HostAdapter(Protocol):
    """What dcclink needs from a host."""

    #: The adapter's name, as ``dcclink.start(host=...)`` takes it.
    name: str

    def describe(self) -> tuple[str, Optional[str], Optional[str]]:
        """The host's name, its version and the open scene (or None)."""
        ...

    def attach(self, host: _native.Host) -> None:
        """Starts pumping ``host`` on this, the main thread."""
        ...

    def detach(self) -> None:
        """Stops pumping (on the main thread)."""
        ...

    def panel_mode(self) -> str:
        """Where the panel window belongs here: "thread" or "host"."""
        ...

    def call_scope(self, tool: _tools.ToolDef) -> AbstractContextManager[None]:
        """What each call of ``tool`` runs inside: the host's undo step, or
        nothing."""
        ...


def headless_scope(tool: _tools.ToolDef) -> AbstractContextManager[None]:
    """The call scope where no adapter runs (``dcclink serve``, or a DCC
    with no UI): a headless ``bpy`` makes each call an undo step, as its UI
    does. Decided per call, because the tool files that import the DCC load
    after dcclink starts."""
    if loaded("bpy"):
        from dcclink.hosts import blender

        return blender.undo_step(tool)
    return nullcontext()


NAMES = ("auto", "blender", "maya", "houdini", "qt", "none")


def select(name: str) -> Optional[HostAdapter]:
    """The adapter called ``name``, or for "auto" the one for the running
    application; None when the caller pumps."""
    if name not in NAMES:
        raise ValueError(f"host must be one of {', '.join(map(repr, NAMES))}, not {name!r}")
    if name == "none":
        return None
    if name == "blender" or (name == "auto" and loaded("bpy")):
        from dcclink.hosts import blender

        if name == "blender" or blender.in_blender_ui():
            return blender.BlenderHost()
    if name == "maya" or (name == "auto" and loaded("maya.cmds")):
        from dcclink.hosts import maya

        if name == "maya" or maya.in_maya_ui():
            return maya.MayaHost()
    if name == "houdini" or (name == "auto" and loaded("hou")):
        from dcclink.hosts import houdini

        if name == "houdini" or houdini.in_houdini_ui():
            return houdini.HoudiniHost()
    from dcclink.hosts import qt

    if name == "qt":
        return qt.QtHost()
    return qt.QtHost() if qt.application_running() else None


def loaded(module: str) -> bool:
    """True when ``module`` is already imported (detection never imports a
    DCC's modules itself)."""
    return module in sys.modules
