"""The embedded panel: a real WebKitGTK WebView under Xvfb, opened with
dcclink.open_panel() in an embedded host whose main thread pumps. The DOM is
read back with eval_js_sync; the screenshot goes to artifacts/webview.png."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import dcclink
import httpx2
import panel_tools  # noqa: F401  (registers close_midway)
import pytest
from conftest import ACCEPT, DCCLINK, INIT, ROOT, HttpServer, with_client
from mcp import ClientSession

# `cargo xtask test` runs this under xvfb-run with DCCLINK_REQUIRE_DISPLAY
# set, so there a missing display fails instead of skipping.
pytestmark = pytest.mark.skipif(
    not os.environ.get("DISPLAY") and not os.environ.get("DCCLINK_REQUIRE_DISPLAY"),
    reason="needs a display (cargo xtask test runs this under xvfb-run)",
)
ARTIFACTS = ROOT / "artifacts"
# Xvfb has no GPU: WebKitGTK's DMABUF renderer would draw where an X
# screenshot cannot see it. (Set before the first WebView starts.)
os.environ.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")


def bar_of(call: int) -> str:
    return f"document.querySelector('tr.call[data-call=\"{call}\"] .bar')?.dataset.progress ?? null"


@dcclink.tool
def watched(ctx: dcclink.Context, steps: int = 20) -> list:
    """Reports progress and reads its own progress bar back from the panel,
    from inside the tool, on the main thread (must not deadlock)."""
    shown = []
    for i in range(1, steps + 1):
        ctx.progress(i, steps, f"step {i}")
        ctx.emit("step", {"i": i})
        deadline = time.monotonic() + 5
        value = None
        while time.monotonic() < deadline:
            value = dcclink.panel.eval_js_sync(bar_of(ctx.call_id))
            if value is not None and float(value) >= i:
                break
            time.sleep(0.005)
        shown.append(float(value) if value is not None else None)
        if i == steps // 2:
            from PIL import ImageGrab

            ARTIFACTS.mkdir(exist_ok=True)
            ImageGrab.grab().save(ARTIFACTS / "webview.png")
    return shown


@pytest.fixture
def panel_host() -> Iterator[dcclink.ServerInfo]:
    info = dcclink.start()
    dcclink.open_panel()
    yield info
    dcclink.panel.close()
    dcclink.stop()


def test_the_window_shows_each_call_and_its_progress(panel_host: dcclink.ServerInfo) -> None:
    assert dcclink.panel.is_open()
    assert dcclink.panel.eval_js_sync("document.title") == "dcclink"

    async def body(session: ClientSession) -> Any:
        return (await session.call_tool("watched", {"steps": 20})).structured_content

    shown = with_client(panel_host, body)["result"]
    assert shown == [float(i) for i in range(1, 21)], "the panel showed every step"
    state = "document.querySelector('tr.call').dataset.state"
    deadline = time.monotonic() + 5
    while dcclink.panel.eval_js_sync(state) != "done":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert (ARTIFACTS / "webview.png").stat().st_size > 10_000


def test_open_focuses_and_close_then_reopen_works(panel_host: dcclink.ServerInfo) -> None:
    dcclink.open_panel()  # already open: focuses it
    assert dcclink.panel.is_open()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(100):
        dcclink.panel.close()
        deadline = time.monotonic() + 5
        while dcclink.panel.is_open():
            assert time.monotonic() < deadline
            time.sleep(0.001)
        dcclink.open_panel()
        assert dcclink.panel.is_open()
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert dcclink.panel.eval_js_sync("document.title") == "dcclink"
    print(f"peak RSS grew {grown_mib:.1f} MiB over 100 open/close cycles")
    assert grown_mib < 200, f"peak RSS grew {grown_mib:.0f} MiB over 100 cycles"


def test_closing_during_a_running_tool_is_safe(panel_host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        return (await session.call_tool("close_midway", {})).content[0].text

    assert with_client(panel_host, body) == "survived"
    assert not dcclink.panel.is_open()
    dcclink.open_panel()
    assert dcclink.panel.eval_js_sync("1 + 1") == 2


def test_eval_js_sync_is_bounded(panel_host: dcclink.ServerInfo) -> None:
    # The page is busy for a second; the wait gives up after a tenth.
    busy = "(() => { const end = Date.now() + 1000; while (Date.now() < end) {} return 1; })()"
    with pytest.raises(TimeoutError, match="did not answer"):
        dcclink.panel.eval_js_sync(busy, timeout=0.1)
    dcclink.panel.close()
    deadline = time.monotonic() + 5
    while dcclink.panel.is_open():
        assert time.monotonic() < deadline
        time.sleep(0.001)
    with pytest.raises(RuntimeError, match="not open"):
        dcclink.panel.eval_js_sync("1")


def test_dcclink_panel_shows_an_instance_in_its_own_process(http_server: HttpServer) -> None:
    link = http_server.url.removesuffix("/mcp") + f"/panel?token={http_server.token}"
    env = {**os.environ, "WEBKIT_DISABLE_DMABUF_RENDERER": "1"}

    def open_viewer(*choice: str) -> subprocess.Popen[str]:
        viewer = subprocess.Popen(
            [str(DCCLINK), "panel", *choice], stderr=subprocess.PIPE, text=True, env=env
        )
        assert viewer.stderr is not None
        assert json.loads(viewer.stderr.readline()) == {"panel": "open"}
        return viewer

    viewer = open_viewer("--instance", http_server.instance)
    viewer.send_signal(signal.SIGTERM)
    assert viewer.wait(timeout=10) == 0

    # A crash of the panel process cannot take the instance down.
    viewer = open_viewer("--url", link)
    viewer.kill()
    viewer.wait(timeout=10)
    headers = {**http_server.auth, **ACCEPT}
    assert httpx2.post(http_server.url, json=INIT, headers=headers, timeout=10).status_code == 200


def test_gtk_and_webkit_load_only_when_a_window_opens() -> None:
    """A DCC that never opens the panel never gets GTK or WebKit: the window
    is a plugin loaded by the first open_panel()."""
    script = """
import dcclink, json
def loaded():
    maps = open("/proc/self/maps").read()
    return {lib: lib in maps for lib in ("libwebkit2gtk", "libgtk-3", "libdcclink_webview")}
info = dcclink.start()
before = loaded()
dcclink.open_panel()
after = loaded()
dcclink.panel.close()
dcclink.stop()
print(json.dumps([before, after]))
"""
    env = {**os.environ, "WEBKIT_DISABLE_DMABUF_RENDERER": "1"}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert run.returncode == 0, run.stderr
    before, after = json.loads(run.stdout.splitlines()[-1])
    assert not any(before.values()), f"loaded before any window opened: {before}"
    assert all(after.values()), f"the window did not load the plugin: {after}"
