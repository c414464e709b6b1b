"""A small stand-in for a DCC that hosts the panel on its main thread
(``open_panel(mode="host")``), for test_panel_host_pumped.py. GTK lives on
one thread per process, so each test runs this in a process of its own.

``--loop timer``: the host's loop is a timer that calls ``dcclink.pump()``,
which then dispatches the window's native events itself (like Blender).
``--loop glib``: the host runs a GLib main loop (like a Qt host on its GLib
dispatcher) and calls ``dcclink.pump()`` from a GLib timeout; the host's loop
dispatches the window's events and the pump takes the IPC-only path.

It prints ``{"url": ..., "token": ...}`` on stdout, then serves until its
``quit`` tool runs. The tests drive it over MCP."""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import sys
import threading
import time
from typing import Any, Optional

os.environ.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")

import dcclink
import panel_tools  # noqa: F401  (registers close_midway)

MAIN = threading.get_ident()
#: (stream, number, on the main thread) for every message that ran.
ran: list[tuple[str, int, bool]] = []
running = True
glib = ctypes.CDLL("libglib-2.0.so.0")
SourceFunc = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
glib.g_idle_add.argtypes = [SourceFunc, ctypes.c_void_p]
glib.g_idle_add.restype = ctypes.c_uint
glib.g_source_remove.argtypes = [ctypes.c_uint]
glib.g_timeout_add.argtypes = [ctypes.c_uint, SourceFunc, ctypes.c_void_p]
glib.g_main_loop_new.restype = ctypes.c_void_p
glib.g_main_loop_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
glib.g_main_loop_run.argtypes = [ctypes.c_void_p]
glib.g_main_loop_quit.argtypes = [ctypes.c_void_p]


def record(stream: str, number: int) -> None:
    ran.append((stream, number, threading.get_ident() == MAIN))


def reenter(array: str, number: int) -> None:
    """What RFC 0006's deadlock was made of: WebView calls and a nested pump
    from inside Python that the pump runs."""
    dcclink.panel.emit("reenter", {"array": array, "n": number})
    dcclink.panel.eval_js(f"(window.{array} ??= []).push({number})")
    dcclink.pump(1)


@dcclink.tool
def tool_step(n: int, ctx: dcclink.Context) -> int:
    """One tool call of the re-entrancy test."""
    ctx.progress(1, 2, "reentering")
    reenter("__tools", n)
    ctx.progress(2, 2)
    record("tool", n)
    return n


@dcclink.panel.callback
def page_step(n: int) -> int:
    """One callback the page calls in the re-entrancy test."""
    reenter("__callbacks", n)
    record("callback", n)
    return n


def task_step(n: int) -> None:
    record("task", n)
    dcclink.panel.eval_js(f"window.__seq.push({n})")
    if n % 50 == 1:
        reenter("__nested", n)


def produce(count: int) -> None:
    """Posts `count` messages from a worker thread, numbered in order: every
    fourth a WebView operation, the rest Python tasks. Both kinds put their
    number in the page's ``__seq``, so the page sees the FIFO's order."""
    last: Optional[dcclink._native.MainThreadCall] = None
    for n in range(count):
        if n % 4 == 0:
            dcclink.panel.eval_js(f"window.__seq.push({n})")
        else:
            last = dcclink.run_on_main_thread(task_step, n)
        if n % 500 == 499 and last is not None:
            last.wait(60)  # keeps the queue under its capacity


@dcclink.tool
def start_messages(count: int, page_calls: int) -> str:
    """Starts the worker that posts `count` messages, and has the page call
    `page_step` `page_calls` times, one after another."""
    dcclink.panel.eval_js_sync("window.__seq = []; true")
    threading.Thread(target=produce, args=(count,), daemon=True).start()
    loop = f"for (let n = 0; n < {page_calls}; n++) await window.dcclink.call('page_step', {{n}});"
    dcclink.panel.eval_js(f"(async () => {{ {loop} window.__pageDone = true; }})()")
    return "started"


@dcclink.tool
def report() -> dict[str, Any]:
    """What ran, in which order, and what the page received."""
    page = dcclink.panel.eval_js_sync(
        "({seq: window.__seq, tools: window.__tools ?? [], callbacks: window.__callbacks ?? [],"
        " nested: window.__nested ?? [], pageDone: window.__pageDone === true})",
        timeout=30,
    )
    streams: dict[str, list[int]] = {}
    for stream, number, on_main in ran:
        assert on_main, f"{stream} {number} ran off the main thread"
        streams.setdefault(stream, []).append(number)
    return {"ran": streams, "page": page}


@dcclink.tool
def stolen() -> bool:
    """Adds a message of the host's own (an idle source) to its loop, pumps,
    and says whether the pump dispatched it: a second message pump."""
    seen: list[bool] = []

    def idle(_data: Any) -> int:
        seen.append(True)
        return 0

    callback = SourceFunc(idle)
    source = glib.g_idle_add(callback, None)
    dcclink.pump(50)
    if not seen:
        glib.g_source_remove(source)
    return bool(seen)


worker_answers: list[Any] = []


@dcclink.tool
def ask_from_worker() -> str:
    """Starts a worker thread that calls eval_js_sync: the script goes
    through the FIFO, the answer comes through the page's native events."""

    def worker() -> None:
        worker_answers.append(dcclink.panel.eval_js_sync("6 * 7", timeout=10))

    threading.Thread(target=worker, daemon=True).start()
    return "asked"


@dcclink.tool
def worker_answer() -> Any:
    """What the worker got back, or None while it waits."""
    return {"answers": worker_answers}


@dcclink.tool
def cycle(times: int) -> dict[str, Any]:
    """Closes and reopens the panel `times` times; the growth of peak RSS."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(times):
        dcclink.panel.close()
        assert not dcclink.panel.is_open()
        dcclink.open_panel(mode="host")
        assert dcclink.panel.is_open()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return {"grown_mib": grown / 1024, "title": dcclink.panel.eval_js_sync("document.title")}


@dcclink.tool
def reopen() -> Any:
    """Opens the panel again and reads the page."""
    dcclink.open_panel(mode="host")
    return dcclink.panel.eval_js_sync("1 + 1")


@dcclink.tool
def other_mode() -> str:
    """Asks for the panel on a UI thread of its own, which this process
    cannot have any more."""
    dcclink.open_panel(mode="thread")
    return "opened"


@dcclink.tool
def quit() -> str:
    """Ends the host's loop."""
    global running
    running = False
    return "bye"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=["timer", "glib"], required=True)
    loop_kind = parser.parse_args().loop
    info = dcclink.start()
    dcclink.open_panel(mode="host")
    print(json.dumps({"url": info.url, "token": info.token}), flush=True)
    if loop_kind == "timer":
        while running:
            dcclink.pump(10)
            time.sleep(0.002)
    else:
        loop = glib.g_main_loop_new(None, 0)

        def tick(_data: Any) -> int:
            dcclink.pump(10)
            if not running:
                glib.g_main_loop_quit(loop)
            return 1

        timer = SourceFunc(tick)
        glib.g_timeout_add(2, timer, None)
        glib.g_main_loop_run(loop)
    dcclink.panel.close()
    dcclink.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
