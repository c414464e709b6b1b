"""A small Qt application standing in for a Qt DCC (Maya, Houdini, Nuke),
for test_qt_host.py: PySide6 on the offscreen platform, a main window whose
toolbar has the dcclink button, and dcclink started with host="auto".

It prints ``{"url": ..., "token": ..., "panel_mode": ...}`` on stdout, then
runs Qt's event loop until its ``quit`` tool runs."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")

import dcclink
import panel_tools  # noqa: F401  (registers panel_state)
from dcclink.hosts import qt
from PySide6 import QtCore, QtWidgets
from qt_stand_in import serve_until_quit

app = QtWidgets.QApplication(["qt-host-app"])
app.setApplicationName("QtStandIn")
app.setApplicationVersion("1.0")
window = QtWidgets.QMainWindow()
toolbar = window.addToolBar("dcclink")
button_action = qt.panel_action(toolbar)
toolbar.addAction(button_action)
window.show()


@dcclink.tool
def where(ctx: dcclink.Context) -> dict:
    """Which thread runs tools, as Qt and Python see it."""
    ctx.progress(1, 1)
    return {
        "qt_main_thread": QtCore.QThread.currentThread() is app.thread(),
        "python_main_thread": threading.current_thread() is threading.main_thread(),
    }


@dcclink.tool
def click_panel_button() -> str:
    """Clicks the toolbar's dcclink button, as the user would, once the
    tool has returned and Qt's loop runs again."""
    button = toolbar.widgetForAction(button_action)
    QtCore.QTimer.singleShot(0, button.click)
    return "clicked"


idle_ages: list[int] = []


@dcclink.tool
def watch_idle(seconds: float, done: str) -> str:
    """After `seconds` with no calls, records how long ago the main thread
    last pumped (read from another thread, so reading it pumps nothing),
    then creates the file `done`: the test waits for it without calling in."""

    def later() -> None:
        time.sleep(seconds)
        idle_ages.append(dcclink.stats()["ms_since_pump"])
        Path(done).touch()

    threading.Thread(target=later, daemon=True).start()
    return "watching"


@dcclink.tool
def idle_age() -> dict:
    """What watch_idle recorded."""
    return {"ms_since_pump": idle_ages}


def main() -> None:
    serve_until_quit(app, lambda: {"panel_mode": qt.QtHost().panel_mode()})


if __name__ == "__main__":
    main()
