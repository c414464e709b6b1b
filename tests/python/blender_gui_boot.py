"""Run inside Debian's Blender with its UI, under Xvfb, by
test_blender_gui.py: enables the dcclink add-on (from BLENDER_USER_SCRIPTS),
presses its Start button's operator, and prints the server's address as a
line ``DCCLINK {"url": ..., "token": ...}``. Then Blender's own event loop
runs; dcclink is pumped from bpy.app.timers.

Extra tools for the test: where tools run, and the sidebar's "Open dcclink
panel" operator, run as the button runs it."""

import json
import threading

import addon_utils
import bpy
import dcclink


@dcclink.tool
def where() -> dict:
    """Which thread runs tools, and whether Blender's UI is up."""
    return {
        "main_thread": threading.current_thread() is threading.main_thread(),
        "background": bpy.app.background,
        "blender": bpy.app.version_string,
    }


@dcclink.tool
def press_open_panel() -> str:
    """Runs the sidebar button's operator, as a click on it does."""
    return str(bpy.ops.dcclink.open_panel())


@dcclink.tool
def panel_title() -> dict:
    """The panel window's page title, once it has loaded."""
    if not dcclink.panel.is_open():
        return {"open": False}
    return {"open": True, "title": dcclink.panel.eval_js_sync("document.title", timeout=10)}


def boot() -> None:
    addon_utils.enable("dcclink_blender", default_set=True, handle_error=None)
    bpy.context.preferences.addons["dcclink_blender"].preferences.port = 0
    bpy.ops.dcclink.start()
    import dcclink_blender

    info = dcclink_blender._server
    print("DCCLINK " + json.dumps({"url": info.url, "token": info.token}), flush=True)


# After Blender has opened its window.
bpy.app.timers.register(boot, first_interval=0.5)
