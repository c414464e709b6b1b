"""The Qt host (dcclink.hosts.qt) in a real PySide6 application on the
offscreen platform: tools run on the Qt main thread, woken through the
bridge's descriptor, and the toolbar button opens the panel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import call_tools

pytestmark = pytest.mark.skipif(
    not os.environ.get("DISPLAY") and not os.environ.get("DCCLINK_REQUIRE_DISPLAY"),
    reason="the panel window needs a display (cargo xtask test runs this under xvfb-run)",
)
APP = Path(__file__).with_name("qt_host_app.py")


@pytest.fixture
def qt_app() -> Iterator[dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, str(APP)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        pytest.fail(f"the Qt app did not start: {process.communicate(timeout=10)[1]}")
    info = json.loads(line)
    yield {**info, "process": process}
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def drive(info: dict[str, Any], *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    """Calls tools in order; their structured results."""
    results = call_tools(info, *calls)
    for result in results:
        assert not result.is_error, result.content
    return [result.structured_content for result in results]


def test_tools_run_on_the_qt_main_thread(qt_app: dict[str, Any]) -> None:
    (seen,) = drive(qt_app, ("where", {}))
    assert seen == {"qt_main_thread": True, "python_main_thread": True}


def test_no_timer_pumps_an_idle_host(qt_app: dict[str, Any], tmp_path: Path) -> None:
    """Idle, nothing pumps: the pump runs only when the descriptor wakes it."""
    done = tmp_path / "recorded"
    drive(qt_app, ("watch_idle", {"seconds": 1.5, "done": str(done)}))
    deadline = time.monotonic() + 30
    while not done.exists():  # a call now would pump: watch the file instead
        assert time.monotonic() < deadline, "the idle watcher never recorded"
        time.sleep(0.05)
    (seen,) = drive(qt_app, ("idle_age", {}))
    (age,) = seen["ms_since_pump"]
    assert age >= 1000, f"something pumped {age} ms before, while idle"
    results = drive(qt_app, *[("where", {})] * 50)
    assert all(r["qt_main_thread"] for r in results), "and calls wake it at once"


def test_the_toolbar_button_opens_the_panel(qt_app: dict[str, Any]) -> None:
    # Qt runs on GLib's dispatcher here, so the window joins the main thread.
    assert qt_app["panel_mode"] == "host"
    drive(qt_app, ("click_panel_button", {}))
    deadline = time.monotonic() + 60
    while True:
        (state,) = drive(qt_app, ("panel_state", {}))
        if state == {"open": True, "title": "dcclink"}:
            break
        assert time.monotonic() < deadline, f"the button did not open the panel: {state}"
        time.sleep(0.2)
    (seen,) = drive(qt_app, ("where", {}))
    assert seen["qt_main_thread"], "tools still run on the Qt main thread with the panel open"
    drive(qt_app, ("quit", {}))
    assert qt_app["process"].wait(timeout=30) == 0, "the application exits cleanly"


def test_thousands_of_wakes_then_a_clean_exit(qt_app: dict[str, Any]) -> None:
    """Each call is a wake-up of Qt's loop; thousands of them must leave the
    application sound (PySide6 6.12.0 under Python 3.11 did not: each Qt
    call dropped a reference to None, and the interpreter aborted)."""
    results = drive(qt_app, *[("where", {})] * 3000, ("quit", {}))
    assert len(results) == 3001
    assert qt_app["process"].wait(timeout=30) == 0, "the application exits cleanly"
