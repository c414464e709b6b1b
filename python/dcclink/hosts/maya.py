"""The Maya host (2023 and later): dcclink's pump runs on Maya's main thread
at idle time, through ``maya.utils.executeDeferred``, woken by the bridge's
descriptor on Maya's Qt loop; each tool call is one undo chunk, named after
the tool.

Start it from ``userSetup.py`` (see :data:`USER_SETUP`), then add a shelf
button that opens the panel with :func:`install_shelf_button`.

Tested against a fake of the Maya API that records calls and fails where
Maya would; not against Maya itself (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Optional

import maya.api.OpenMaya as om
import maya.utils
from maya import cmds

from dcclink import _native, _tools
from dcclink.hosts.qt import QtHost
from dcclink.hosts.undo import pushes_undo_step

#: What to put in ``userSetup.py`` (in Maya's scripts folder) to start
#: dcclink with Maya.
USER_SETUP = """\
import maya.utils


def _start_dcclink():
    import dcclink
    import dcclink.packs.maya  # the Maya tools; import your own tool modules here too

    dcclink.start()  # finds Maya; the agent reaches it at the URL dcclink list shows


maya.utils.executeDeferred(_start_dcclink)
"""


def in_maya_ui() -> bool:
    """True inside Maya with its UI (not mayapy, not batch mode)."""
    return not cmds.about(batch=True)


@contextmanager
def undo_chunk(tool: _tools.ToolDef) -> Iterator[None]:
    """Runs a tool call as one undo chunk, closed even when it fails
    (except the tools marked ``no_undo_step``)."""
    if not pushes_undo_step(tool):
        yield
        return
    cmds.undoInfo(openChunk=True, chunkName=f"dcclink: {tool.name}")
    try:
        yield
    finally:
        cmds.undoInfo(closeChunk=True)


class MayaHost(QtHost):
    """Maya: the Qt host's wake, with the pump deferred to Maya's idle
    queue, undo chunks, and the open scene kept in the registry."""

    name = "maya"

    def __init__(self) -> None:
        super().__init__(defer=maya.utils.executeDeferred)
        self._callbacks: list[Any] = []

    def describe(self) -> tuple[str, Optional[str], Optional[str]]:
        scene = cmds.file(query=True, sceneName=True) or None
        return ("maya", cmds.about(version=True), scene)

    def attach(self, host: _native.Host) -> None:
        super().attach(host)
        for message in (om.MSceneMessage.kAfterOpen, om.MSceneMessage.kAfterSave):
            self._callbacks.append(om.MSceneMessage.addCallback(message, self._scene_changed))

    def call_scope(self, tool: _tools.ToolDef) -> AbstractContextManager[None]:
        return undo_chunk(tool)

    def _scene_changed(self, *_: Any) -> None:
        host = self._host
        if host is not None and host.state == "Active":
            host.set_scene(cmds.file(query=True, sceneName=True) or None)

    def detach(self) -> None:
        super().detach()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            om.MMessage.removeCallback(callback)


def install_shelf_button(shelf: str = "Custom") -> str:
    """Adds a "dcclink" button that opens the panel to a shelf (made if it
    does not exist); returns the button's name."""
    if not cmds.shelfLayout(shelf, exists=True):
        cmds.shelfLayout(shelf, parent="ShelfLayout")
    return str(
        cmds.shelfButton(
            parent=shelf,
            label="dcclink",
            imageOverlayLabel="dcc",
            image="commandButton.png",
            annotation="Open the dcclink panel: every agent call, live, with Cancel",
            sourceType="python",
            command="import dcclink; dcclink.open_panel()",
        )
    )
