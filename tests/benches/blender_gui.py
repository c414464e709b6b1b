"""The cost of a call in Blender with its UI (target: at most one timer
interval over the same operation run directly in Blender).

Two clients each call the Blender pack's ``scene_summary`` 300 times, a
random 0 to 20 ms apart so that calls land at every phase of Blender's loop:
the official SDK, and a lean client (``lean_client.py``: one kept-alive
connection, nothing else) that shows what dcclink costs without what a full
client adds. Both run against two hosts, measured in the same run:

- Debian's Blender 3.4 with its UI under Xvfb, the dcclink add-on started:
  the pump runs from a ``bpy.app.timers`` timer on every pass of Blender's
  loop. Blender also runs the same function directly, as a script would,
  and reports how long its loop's passes take.
- The headless worker (the ``bpy`` 5.0.1 module, ``dcclink serve``), whose
  pump wakes at once: the same client, transport and tool without Blender's
  loop, which separates what the client and HTTP cost from what waiting for
  Blender's loop costs.

    xvfb-run -a .venv/bin/python tests/benches/blender_gui.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from blender_processes import blender_ui, blender_worker
from conftest import sdk_session
from figures import pct
from lean_client import LeanHttpClient

CALLS = 300


async def timed_calls(info: dict[str, Any], after: tuple[str, ...] = ()) -> dict[str, Any]:
    """Times CALLS calls of scene_summary; then calls each tool in `after`."""
    async with sdk_session(info["url"], info["token"]) as session:
        await session.list_tools()
        for _ in range(20):  # warm-up
            await session.call_tool("scene_summary", {})
        calls = []
        for _ in range(CALLS):
            await anyio.sleep(random.uniform(0, 0.02))
            start = time.perf_counter()
            result = await session.call_tool("scene_summary", {})
            calls.append((time.perf_counter() - start) * 1000)
            assert not result.is_error
        out: dict[str, Any] = {"calls": calls}
        for tool in after:
            arguments = {"tool": "scene_summary"} if tool == "time_directly" else {}
            out[tool] = (await session.call_tool(tool, arguments)).structured_content["ms"]
        return out


def lean_calls(info: dict[str, Any]) -> list[float]:
    """Times CALLS calls of scene_summary with the lean client."""
    client = LeanHttpClient(info["url"], info["token"])
    try:
        for _ in range(20):  # warm-up
            client.call_tool("scene_summary", {})
        calls = []
        for _ in range(CALLS):
            time.sleep(random.uniform(0, 0.02))
            start = time.perf_counter()
            result = client.call_tool("scene_summary", {})
            calls.append((time.perf_counter() - start) * 1000)
            assert not result["isError"]
        return calls
    finally:
        client.close()


def row(label: str, values: list[float]) -> str:
    return (
        f"| {label} | {pct(values, 0.5):.2f} ms | {pct(values, 0.9):.2f} ms "
        f"| {pct(values, 0.99):.2f} ms | {len(values)} |"
    )


def main() -> None:
    with blender_ui() as info:
        ui = anyio.run(timed_calls, info, ("time_directly", "loop_passes"))
        ui_lean = lean_calls(info)
    with blender_worker() as info:
        headless = anyio.run(timed_calls, info)
        headless_lean = lean_calls(info)
    calls, direct, passes = ui["calls"], ui["time_directly"], ui["loop_passes"]
    print("| scene_summary | p50 | p90 | p99 | samples |")
    print("|---|---|---|---|---|")
    print(row("Blender 3.4's UI, through dcclink, SDK client", calls))
    print(row("Blender 3.4's UI, through dcclink, lean client", ui_lean))
    print(row("Blender 3.4's UI, run directly", direct))
    print(row("headless bpy worker, through dcclink, SDK client", headless["calls"]))
    print(row("headless bpy worker, through dcclink, lean client", headless_lean))
    print(row("a pass of Blender 3.4's UI loop (the timer's interval)", passes))
    interval = pct(passes, 0.5)
    print()
    for label, through, worker in (
        ("SDK client", calls, headless["calls"]),
        ("lean client", ui_lean, headless_lean),
    ):
        overhead = pct(through, 0.5) - pct(direct, 0.5)
        loop = pct(through, 0.5) - pct(worker, 0.5)
        print(
            f"- {label}: overhead over running it directly, p50 {overhead:.2f} ms "
            f"= {overhead / interval:.2f} timer intervals; of which waiting for Blender's "
            f"loop (UI minus headless) {loop:.2f} ms = {loop / interval:.2f} intervals, "
            f"and the client and HTTP {overhead - loop:.2f} ms"
        )


if __name__ == "__main__":
    main()
