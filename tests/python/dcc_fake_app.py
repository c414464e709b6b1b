"""A Qt application that plays Maya or Houdini through the fakes in
``fakes/`` (PySide6, offscreen), for test_dcc_fakes.py: dcclink starts with
host="auto", finds the DCC, and the tests drive it over MCP.

    python dcc_fake_app.py maya|houdini

It prints ``{"url": ..., "token": ..., "instance": ...}`` on stdout, then
runs the Qt loop until its ``quit`` tool runs."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
sys.path.insert(0, str(Path(__file__).parent / "fakes"))
sys.path.insert(0, str(Path(__file__).parent))

import dcclink
import panel_tools  # noqa: F401  (registers panel_state)
from fakes import record
from PySide6 import QtCore, QtWidgets
from qt_stand_in import serve_until_quit

app = QtWidgets.QApplication(["dcc-fake-app"])
DCC = sys.argv[1]
if DCC == "maya":
    import dcclink.packs.maya
    import maya.api.OpenMaya as om
    from fakes.maya import scene
    from maya import cmds
else:
    import dcclink.packs.houdini
    import hou


def undo_stack() -> list[str]:
    return list(scene.open_chunks) if DCC == "maya" else list(hou.groups)


@dcclink.tool
def where() -> dict[str, Any]:
    """Where and how the tool runs."""
    return {
        "main_thread": threading.current_thread() is threading.main_thread(),
        "deferred": record.in_deferred,
        "undo": undo_stack(),
    }


@dcclink.tool
def fails() -> None:
    """Fails half way."""
    raise ValueError("half way")


@dcclink.tool
def after() -> dict[str, Any]:
    """What the host saw: open undo chunks, and how often dcclink deferred."""
    deferrals = sum(1 for name, _ in record.CALLS if name.endswith("executeDeferred"))
    return {"undo": undo_stack(), "deferrals": deferrals}


@dcclink.tool
def open_scene(path: str) -> str:
    """The user opens another file, once this call has returned."""
    load = (lambda: om.open_scene(path)) if DCC == "maya" else (lambda: hou.hipFile.load(path))
    QtCore.QTimer.singleShot(0, load)
    return "opening"


@dcclink.tool
def press_shelf_tool() -> str:
    """Installs the DCC's dcclink shelf tool and clicks it, as a user would,
    once this call has returned."""
    if DCC == "maya":
        from dcclink.hosts.maya import install_shelf_button

        install_shelf_button()
        QtCore.QTimer.singleShot(0, lambda: cmds.click("Custom"))
        return "clicked"
    from xml.etree import ElementTree

    from dcclink.hosts.houdini import SHELF_FILE

    script = ElementTree.parse(SHELF_FILE).find("tool/script")
    assert script is not None and script.get("scriptType") == "python"
    code = script.text or ""
    QtCore.QTimer.singleShot(0, lambda: exec(code, {}))
    return "clicked"


def main() -> None:
    serve_until_quit(app)


if __name__ == "__main__":
    main()
