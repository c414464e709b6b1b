"""Run inside Debian's Blender with its UI, under Xvfb, by
test_blender_gui.py, as a new user would set dcclink up: installs the zip
``dcclink blender-addon`` wrote (``DCCLINK_ADDON_ZIP``) from the add-on
preferences' Install operator, enables it, presses its Start button's
operator, and prints the server's address as a line ``DCCLINK {"url": ...,
"token": ...}``. Then Blender's own event loop runs; dcclink is pumped from
bpy.app.timers.

Extra tools for the test, registered once the add-on has loaded dcclink:
where tools run (and which dcclink), and the sidebar's "Open dcclink panel"
operator, run as the button runs it."""

import json
import os
import threading
import time

import bpy

#: When a timer that runs on every pass of Blender's loop last ran.
passes: list[float] = []


def record_pass() -> float:
    passes.append(time.perf_counter())
    del passes[:-1000]
    return 0.0


def register_test_tools() -> None:
    import dcclink
    from dcclink.hosts.blender import IDLE_INTERVAL

    @dcclink.tool
    def where() -> dict:
        """Which thread runs tools, and whether Blender's UI is up."""
        return {
            "main_thread": threading.current_thread() is threading.main_thread(),
            "background": bpy.app.background,
            "blender": bpy.app.version_string,
            "idle_interval_ms": IDLE_INTERVAL * 1000,
            "dcclink": dcclink.__file__,
        }

    @dcclink.tool
    def loop_passes() -> dict:
        """The gaps between the last passes of Blender's loop (ms): the timer
        interval a bpy.app.timers pump can have at best."""
        return {"ms": [(b - a) * 1000 for a, b in zip(passes, passes[1:])]}

    @dcclink.tool
    def time_directly(tool: str, times: int = 200) -> dict:
        """Runs a tool's function `times` times directly in Blender, as a script
        would, and times each run (ms)."""
        from dcclink import _tools

        function = _tools.registry[tool].function
        runs = []
        for _ in range(times):
            start = time.perf_counter()
            function()
            runs.append((time.perf_counter() - start) * 1000)
        return {"ms": runs}

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
    bpy.ops.preferences.addon_install(filepath=os.environ["DCCLINK_ADDON_ZIP"])
    bpy.ops.preferences.addon_enable(module="dcclink_blender")
    bpy.context.preferences.addons["dcclink_blender"].preferences.port = 0
    bpy.ops.dcclink.start()
    register_test_tools()
    import dcclink_blender

    info = dcclink_blender._server
    print("DCCLINK " + json.dumps({"url": info.url, "token": info.token}), flush=True)


# After Blender has opened its window.
bpy.app.timers.register(boot, first_interval=0.5)
bpy.app.timers.register(record_pass, first_interval=0.0)
