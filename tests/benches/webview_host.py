"""A stand-in DCC for the embedded-WebView benchmark (webview_latency.py):
it serves the benchmark tools over HTTP and shows the panel in a real
WebKitGTK window, in one of the two in-process modes.

``--mode thread``: the window on its own UI thread; the main thread runs
tools in the standalone pump loop.
``--mode host-glib``: the window on the main thread, in a DCC that runs a
GLib main loop (a Qt host on Linux): a GLib timeout calls ``dcclink.pump()``
every 2 ms, the host's loop dispatches the window's events, and the pump
takes the IPC-only path.
``--mode host-timer``: the window on the main thread, in a DCC with a loop
of its own (like Blender): a timer calls ``dcclink.pump()`` every 2 ms, and
the pump dispatches the window's events.

It prints ``{"url": ..., "token": ...}`` on stdout and serves until killed.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import time
from typing import Any

os.environ.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")

import dcclink
import panel_tools  # noqa: F401  (the benchmark's tools and callback)
from dcclink._host import current_host


@dcclink.tool(timeout=60)
def page(script: str) -> dict[str, Any]:
    """The value of ``script`` in the panel's page."""
    return {"value": dcclink.panel.eval_js_sync(script, timeout=30)}


@dcclink.tool
def page_async(script: str) -> str:
    """Starts ``script`` in the panel's page without waiting."""
    dcclink.panel.eval_js(script)
    return "started"


def glib_loop() -> None:
    glib = ctypes.CDLL("libglib-2.0.so.0")
    source_func = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
    glib.g_timeout_add.argtypes = [ctypes.c_uint, source_func, ctypes.c_void_p]
    glib.g_main_loop_new.restype = ctypes.c_void_p
    glib.g_main_loop_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    glib.g_main_loop_run.argtypes = [ctypes.c_void_p]

    def tick(_data: Any) -> int:
        dcclink.pump(10)
        return 1

    timer = source_func(tick)
    glib.g_timeout_add(2, timer, None)
    glib.g_main_loop_run(glib.g_main_loop_new(None, 0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["thread", "host-glib", "host-timer"], required=True)
    mode = parser.parse_args().mode
    info = dcclink.start()
    dcclink.open_panel(mode="thread" if mode == "thread" else "host")
    print(json.dumps({"url": info.url, "token": info.token}), flush=True)
    if mode == "thread":
        current_host().serve_forever()
    elif mode == "host-glib":
        glib_loop()
    else:
        while True:
            dcclink.pump(10)
            time.sleep(0.002)


if __name__ == "__main__":
    main()
