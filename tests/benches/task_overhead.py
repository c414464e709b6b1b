"""What an MCP task costs against a plain call (targets: creating a task
≤ 2x a plain no-op call's round trip, polling it with ``tasks/get`` ≤ 1x).

One ``dcclink serve --http`` instance and one ``dcclink serve --stdio``
process, both with the fixture tools and the task tools. The same lean
client (``lean_client.py``, 2025-11-25) times, in alternating blocks:

- a plain ``tools/call`` of ``noop``;
- a task-augmented ``tools/call`` of ``which_task`` until its
  ``CreateTaskResult`` (the task then runs; the block waits for the last
  one to end before the next block, so no plain call queues behind it);
- ``tasks/get`` of a task that has ended.

    .venv/bin/python tests/benches/task_overhead.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from conftest import DCCLINK, FIXTURE_TOOLS, ROOT, start_http
from figures import pct
from lean_client import LeanClient, LeanHttpClient, LeanStdioClient

TASK_TOOLS = ROOT / "tests" / "fixtures" / "task_tools.py"
BLOCKS = 20
BLOCK = 100


def timed(into: list[float], action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    answer = action()
    into.append((time.perf_counter() - start) * 1e6)
    return answer


def create(client: LeanClient) -> str:
    params = {"name": "which_task", "arguments": {}, "task": {"ttl": 600_000}}
    created = client.request("tools/call", params)
    return str(created["task"]["taskId"])


def wait_until_ended(client: LeanClient, task_id: str) -> None:
    deadline = time.monotonic() + 60
    while client.request("tasks/get", {"taskId": task_id})["status"] == "working":
        assert time.monotonic() < deadline, "the task never ended"
        time.sleep(0.001)


def run_blocks(client: LeanClient, times: dict[str, list[float]]) -> None:
    for _ in range(BLOCK):
        timed(times["plain"], lambda: client.call_tool("noop", {}))
    created = [timed(times["create"], lambda: create(client)) for _ in range(BLOCK)]
    wait_until_ended(client, created[-1])
    for task_id in created:
        params = {"taskId": task_id}
        timed(times["get"], lambda params=params: client.request("tasks/get", params))


def main() -> None:
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": tempfile.mkdtemp(prefix="dcclink-bench-")}
    tools = ["--tools", str(FIXTURE_TOOLS), "--tools", str(TASK_TOOLS)]
    server = start_http("--tools", str(TASK_TOOLS), env=env)
    clients: dict[str, LeanClient] = {
        "stdio": LeanStdioClient([str(DCCLINK), "serve", "--stdio", *tools], env),
        "HTTP": LeanHttpClient(server.url, server.token),
    }
    kinds = ("plain", "create", "get")
    times = {label: {kind: [] for kind in kinds} for label in clients}
    try:
        for client in clients.values():  # warm-up
            run_blocks(client, {kind: [] for kind in kinds})
        for _ in range(BLOCKS):
            for label, client in clients.items():
                run_blocks(client, times[label])
    finally:
        for client in clients.values():
            client.close()
        server.process.terminate()
        server.process.wait(timeout=10)
    print("| transport | request | p50 | p90 | p99 | x plain at p50 | samples |")
    print("|---|---|---|---|---|---|---|")
    names = {
        "plain": "plain `tools/call` (noop)",
        "create": "task-augmented `tools/call` → `CreateTaskResult`",
        "get": "`tasks/get`",
    }
    for label, measured in times.items():
        plain = pct(measured["plain"], 0.5)
        for kind, values in measured.items():
            print(
                f"| {label} | {names[kind]} | {pct(values, 0.5):.0f} µs "
                f"| {pct(values, 0.9):.0f} µs | {pct(values, 0.99):.0f} µs "
                f"| {pct(values, 0.5) / plain:.2f} | {len(values)} |"
            )
    print()
    for label, measured in times.items():
        plain = pct(measured["plain"], 0.5)
        create_ratio = pct(measured["create"], 0.5) / plain
        get_ratio = pct(measured["get"], 0.5) / plain
        print(
            f"- {label}: a task costs {create_ratio:.2f}x a plain call (target ≤ 2), "
            f"polling it {get_ratio:.2f}x (target ≤ 1)"
        )


if __name__ == "__main__":
    main()
