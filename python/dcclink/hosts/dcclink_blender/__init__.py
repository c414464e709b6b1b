"""dcclink for Blender: lets an AI agent in your IDE drive Blender through
MCP, with every call shown live in the dcclink panel.

Make its zip with ``dcclink blender-addon`` (it carries the dcclink package
inside), and install it from Edit > Preferences > Add-ons > Install. Then
open the 3D View's sidebar (N), tab "dcclink": Start, and "Open dcclink
panel". A zip of this folder alone also works when Blender's Python can
import ``dcclink``, or when the add-on's preferences name its folder.

Blender registers properties from class annotations, so this file keeps
them evaluated (no ``from __future__ import annotations``).
"""

import importlib
import sys
from pathlib import Path
from typing import Any, Optional

import bpy
from bpy.props import BoolProperty, IntProperty, StringProperty

bl_info = {
    "name": "dcclink",
    "author": "dcclink",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "3D View > Sidebar > dcclink",
    "description": "Let an AI agent in your IDE drive Blender through MCP, live in a panel",
    "category": "Interface",
}

#: What the running server said about itself (dcclink.ServerInfo).
_server: Optional[Any] = None


def _preferences() -> Any:
    return bpy.context.preferences.addons[__name__].preferences


def _dcclink() -> Any:
    """The dcclink package: from the folder the preferences name if set,
    else the copy inside the add-on (``dcclink blender-addon`` puts one
    there), else wherever Blender's Python finds it."""
    folder = _preferences().package_path
    chosen = bpy.path.abspath(folder) if folder else str(Path(__file__).with_name("vendor"))
    if Path(chosen).is_dir() and chosen not in sys.path:
        sys.path.insert(0, chosen)
    try:
        import dcclink
    except ImportError as error:
        raise RuntimeError(
            "Blender's Python cannot import dcclink: install it into Blender's Python "
            "(python -m pip install dcclink), or set its folder in the add-on's preferences"
        ) from error
    return dcclink


class DcclinkPreferences(bpy.types.AddonPreferences):
    bl_idname = __name__

    port: IntProperty(
        name="Port",
        description="The HTTP port on 127.0.0.1 (0 picks a free one)",
        default=8765,
        min=0,
        max=65535,
    )
    autostart: BoolProperty(
        name="Start with Blender",
        description="Start dcclink when Blender starts",
        default=False,
    )
    allow_code_execution: BoolProperty(
        name="Allow code execution",
        description="Give the agent execute_python: it may run Python in Blender, each time "
        "you allow it in the dcclink panel (or for the session). Takes effect at the next Start",
        default=False,
    )
    package_path: StringProperty(
        name="dcclink package folder",
        description="The folder that holds the dcclink package, if Blender's Python cannot "
        "import it",
        subtype="DIR_PATH",
        default="",
    )

    def draw(self, context: Any) -> None:
        layout = self.layout
        layout.prop(self, "port")
        layout.prop(self, "autostart")
        layout.prop(self, "allow_code_execution")
        layout.prop(self, "package_path")


def start() -> Any:
    """Starts dcclink with the Blender tool pack; returns its ServerInfo."""
    global _server
    package = _dcclink()
    pack = importlib.import_module("dcclink.packs.blender")  # registers the pack's tools
    preferences = _preferences()
    if preferences.allow_code_execution:
        pack.allow_code_execution()
    _server = package.start(host="blender", http=f"127.0.0.1:{preferences.port}")
    return _server


def stop() -> None:
    """Stops dcclink (the panel closes; Blender goes on)."""
    global _server
    if _server is not None:
        import dcclink

        dcclink.stop()
        _server = None


class DCCLINK_OT_start(bpy.types.Operator):
    """Start dcclink's MCP server in Blender"""

    bl_idname = "dcclink.start"
    bl_label = "Start dcclink"

    def execute(self, context: Any) -> set[str]:
        try:
            info = start()
        except Exception as error:
            self.report({"ERROR"}, f"dcclink: {error}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"dcclink is serving at {info.url}")
        return {"FINISHED"}


class DCCLINK_OT_stop(bpy.types.Operator):
    """Stop dcclink's MCP server"""

    bl_idname = "dcclink.stop"
    bl_label = "Stop dcclink"

    def execute(self, context: Any) -> set[str]:
        stop()
        return {"FINISHED"}


class DCCLINK_OT_open_panel(bpy.types.Operator):
    """Open the dcclink panel: every agent call, live, with Cancel"""

    bl_idname = "dcclink.open_panel"
    bl_label = "Open dcclink panel"

    def execute(self, context: Any) -> set[str]:
        if _server is None:
            self.report({"ERROR"}, "dcclink is not running: press Start first")
            return {"CANCELLED"}
        try:
            _dcclink().open_panel()
        except Exception as error:
            self.report({"ERROR"}, f"dcclink: {error}")
            return {"CANCELLED"}
        return {"FINISHED"}


class DCCLINK_PT_sidebar(bpy.types.Panel):
    bl_label = "dcclink"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "dcclink"

    def draw(self, context: Any) -> None:
        layout = self.layout
        if _server is None:
            layout.label(text="Stopped", icon="RADIOBUT_OFF")
            layout.operator("dcclink.start", icon="PLAY")
            return
        layout.label(text="Serving", icon="RADIOBUT_ON")
        layout.label(text=_server.url)
        layout.operator("dcclink.open_panel", icon="WINDOW")
        layout.operator("dcclink.stop", icon="PAUSE")


CLASSES = (
    DcclinkPreferences,
    DCCLINK_OT_start,
    DCCLINK_OT_stop,
    DCCLINK_OT_open_panel,
    DCCLINK_PT_sidebar,
)


def _autostart() -> None:
    if _preferences().autostart and _server is None:
        bpy.ops.dcclink.start()


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    # After Blender has finished starting up.
    bpy.app.timers.register(_autostart, first_interval=0.5)


def unregister() -> None:
    stop()
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
