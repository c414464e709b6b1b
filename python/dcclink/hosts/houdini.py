"""The Houdini host (20 and later): dcclink's pump runs on Houdini's main
thread through ``hdefereval.executeDeferred``, woken by the bridge's
descriptor on Houdini's Qt loop; each tool call is one undo group, named
after the tool. ``dcclink.shelf`` (beside this file) is a shelf tool that
starts dcclink and opens the panel.

Tested against a fake of the Houdini API that records calls and fails where
Houdini would; not against Houdini itself (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Optional

import hdefereval
import hou

from dcclink import _native, _tools
from dcclink.hosts.qt import QtHost
from dcclink.hosts.undo import pushes_undo_step

#: The shelf file to install into ``$HOUDINI_USER_PREF_DIR/toolbar``.
SHELF_FILE = Path(__file__).with_name("dcclink.shelf")


def in_houdini_ui() -> bool:
    """True inside Houdini with its UI (not hython)."""
    return bool(hou.isUIAvailable())


@contextmanager
def undo_group(tool: _tools.ToolDef) -> Iterator[None]:
    """Runs a tool call as one undo group (except the tools marked
    ``no_undo_step``)."""
    if not pushes_undo_step(tool):
        yield
        return
    with hou.undos.group(f"dcclink: {tool.name}"):
        yield


class HoudiniHost(QtHost):
    """Houdini: the Qt host's wake, with the pump deferred through
    ``hdefereval``, undo groups, and the open .hip file in the registry."""

    name = "houdini"

    def __init__(self) -> None:
        super().__init__(defer=hdefereval.executeDeferred)

    def describe(self) -> tuple[str, Optional[str], Optional[str]]:
        return ("houdini", hou.applicationVersionString(), hou.hipFile.path() or None)

    def attach(self, host: _native.Host) -> None:
        super().attach(host)
        hou.hipFile.addEventCallback(self._hip_event)

    def call_scope(self, tool: _tools.ToolDef) -> AbstractContextManager[None]:
        return undo_group(tool)

    def _hip_event(self, event: Any) -> None:
        host = self._host
        changed = (hou.hipFileEventType.AfterLoad, hou.hipFileEventType.AfterSave)
        if host is not None and host.state == "Active" and event in changed:
            host.set_scene(hou.hipFile.path() or None)

    def detach(self) -> None:
        super().detach()
        if self._hip_event in hou.hipFile.eventCallbacks():
            hou.hipFile.removeEventCallback(self._hip_event)
