"""What the Qt stand-in DCCs (qt_host_app.py, dcc_fake_app.py) share: start
dcclink, say where it listens, and run Qt's loop until the ``quit`` tool."""

from __future__ import annotations

import json
from typing import Any, Callable

import dcclink
from PySide6 import QtCore, QtWidgets


def serve_until_quit(
    app: QtWidgets.QApplication, more: Callable[[], dict[str, Any]] = dict
) -> None:
    """Starts dcclink (host="auto"), prints ``{"url", "token", "instance",
    **more()}`` on stdout, and runs ``app`` until the ``quit`` tool runs."""

    @dcclink.tool
    def quit() -> str:
        """Ends the application's event loop."""
        QtCore.QTimer.singleShot(0, app.quit)
        return "bye"

    info = dcclink.start()
    line = {"url": info.url, "token": info.token, "instance": info.instance, **more()}
    print(json.dumps(line), flush=True)
    app.exec()
    dcclink.panel.close()
    dcclink.stop()
