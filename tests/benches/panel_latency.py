"""Panel latencies in headless Chromium against `dcclink serve --http`:

* ctx.progress → the panel's DOM shows it (target p95 ≤ 16 ms);
* the page calls a Python callback → the callback starts, idle host
  (target p95 ≤ 10 ms);
* 10,000 ctx.emit per second → how many reach the page, and what each emit
  costs the tool (it must not block).

    .venv/bin/python tests/benches/panel_latency.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
from figures import HEADER, row
from playwright.sync_api import sync_playwright
from probes import COUNT_BURST, OBSERVE, callback_loop

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "python"))

from conftest import sdk_session  # noqa: E402

DCCLINK = Path(sys.executable).parent / "dcclink"


def agent(url: str, token: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    async def main() -> None:
        async with sdk_session(url, token) as session:
            out["result"] = await session.call_tool(tool, arguments)

    # Playwright's sync API owns this thread's event loop; the agent gets its own.
    thread = threading.Thread(target=anyio.run, args=(main,))
    thread.start()
    thread.join(120)
    return out


def main() -> None:
    server = subprocess.Popen(
        [
            str(DCCLINK),
            "serve",
            "--http",
            "127.0.0.1:0",
            "--tools",
            str(ROOT / "tests/benches/panel_tools.py"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    info = json.loads(server.stderr.readline())
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            # The benchmark instruments the page, which its CSP would forbid.
            page = browser.new_context(bypass_csp=True).new_page()
            page.add_init_script(OBSERVE)
            page.goto(info["panel"])
            page.wait_for_selector("#mcp-url:not(:empty)")

            agent(info["url"], info["token"], "stamped_progress", {"n": 300, "delay": 0.02})
            time.sleep(0.5)
            progress = page.evaluate("window.__lat")
            frame = page.evaluate("window.__frame")

            page.evaluate(callback_loop(300))
            page.wait_for_function("window.__cb", timeout=60_000)
            callback = page.evaluate("window.__cb")

            page.evaluate(COUNT_BURST)
            burst = agent(info["url"], info["token"], "emit_burst", {"n": 10_000, "seconds": 1.0})
            time.sleep(1.0)
            received = page.evaluate("window.__burst")
            emitter = burst["result"].structured_content
            browser.close()
    finally:
        server.terminate()
        server.wait(10)

    print(HEADER)
    print(row("ctx.progress → panel DOM updated", progress))
    print(row("ctx.progress → next animation frame", frame))
    print(row("page calls a callback → callback starts (idle host)", callback))
    print()
    print(
        f"- {emitter['rate']:.0f} emits/s from one tool: each ctx.emit took "
        f"p50 {emitter['p50_us']:.1f} µs, p99 {emitter['p99_us']:.1f} µs, "
        f"max {emitter['max_us']:.1f} µs; {received:,} of 10,000 reached the page."
    )


if __name__ == "__main__":
    main()
