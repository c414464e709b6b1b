"""Panel latencies in the embedded WebView (WebKitGTK, in-process), in both
in-process modes, against the same targets as the browser panel:

* ctx.progress → the page's DOM shows it, and → the next animation frame
  begins (target p95 ≤ 16 ms);
* the page calls a Python callback → the callback starts, idle host
  (target p95 ≤ 10 ms);
* 10,000 ctx.emit per second → how many reach the page.

Each mode runs in a process of its own (webview_host.py); the official SDK
is the agent. Needs a display:

    xvfb-run -a .venv/bin/python tests/benches/webview_latency.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from figures import HEADER, row
from mcp import ClientSession
from probes import COUNT_BURST, OBSERVE, callback_loop

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))

from conftest import sdk_session  # noqa: E402

SAMPLES = 300
MODES = {
    "thread": "own UI thread (the default)",
    "host-glib": "host-pumped, host runs a GLib loop",
    "host-timer": "host-pumped, host's own loop",
}


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.content}")
    return result.structured_content


async def page(session: ClientSession, script: str) -> Any:
    """The value of ``script`` in the panel's page."""
    return (await call(session, "page", script=script))["value"]


async def page_value(session: ClientSession, script: str, bound: float = 60) -> Any:
    """Polls ``script`` until it is not null (bounded)."""
    deadline = time.monotonic() + bound
    while (value := await page(session, script)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page never had {script!r}")
        await anyio.sleep(0.5)
    return value


async def measure(url: str, token: str) -> dict[str, Any]:
    async with sdk_session(url, token) as session:
        await session.list_tools()
        await page_value(session, "document.querySelector('#mcp-url')?.textContent || null")
        await page(session, OBSERVE)
        await call(session, "stamped_progress", n=SAMPLES, delay=0.02)
        await anyio.sleep(0.5)
        dom = await page(session, "window.__lat")
        frame = await page(session, "window.__frame")

        await call(session, "page_async", script=callback_loop(SAMPLES))
        await anyio.sleep(SAMPLES * 0.025)
        callback = await page_value(session, "window.__cb ?? null")

        await page(session, COUNT_BURST)
        burst = await call(session, "emit_burst", n=10_000, seconds=1.0)
        await anyio.sleep(1.0)
        received = await page(session, "window.__burst")
    return {"dom": dom, "frame": frame, "callback": callback, "burst": burst, "received": received}


def run(mode: str) -> dict[str, Any]:
    host = subprocess.Popen(
        [sys.executable, str(HERE / "webview_host.py"), "--mode", mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None
        info = json.loads(host.stdout.readline())
        return anyio.run(measure, info["url"], info["token"])
    finally:
        host.kill()
        host.wait(10)


def main() -> None:
    results = {mode: run(mode) for mode in MODES}
    print(HEADER)
    for mode, label in MODES.items():
        r = results[mode]
        print(row(f"{label}: ctx.progress → DOM updated", r["dom"]))
        print(row(f"{label}: ctx.progress → next animation frame", r["frame"]))
        print(row(f"{label}: page calls a callback → callback starts", r["callback"]))
    print()
    for mode, label in MODES.items():
        b, received = results[mode]["burst"], results[mode]["received"]
        print(
            f"- {label}: {b['rate']:.0f} emits/s from one tool; each ctx.emit took "
            f"p50 {b['p50_us']:.1f} µs, p99 {b['p99_us']:.1f} µs, max {b['max_us']:.1f} µs; "
            f"{received:,} of 10,000 reached the page."
        )


if __name__ == "__main__":
    main()
