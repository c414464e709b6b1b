"""The host-pumped panel (RFC 0006): a real WebKitGTK WebView on the host's
main thread, driven by dcclink.pump(), in host_pumped_app.py — a stand-in
DCC run in a process of its own, under Xvfb — driven by the official MCP
SDK client.

Each test runs with both kinds of host loop: a timer that pumps (the pump
dispatches the window's native events) and a GLib main loop (the host
dispatches them; the pump takes the IPC-only path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import anyio
import pytest
from conftest import sdk_session
from mcp import ClientSession

T = TypeVar("T")

pytestmark = pytest.mark.skipif(
    not os.environ.get("DISPLAY") and not os.environ.get("DCCLINK_REQUIRE_DISPLAY"),
    reason="needs a display (cargo xtask test runs this under xvfb-run)",
)
APP = Path(__file__).with_name("host_pumped_app.py")
MESSAGES = 10_000
CALLS = 200


@dataclass
class App:
    process: subprocess.Popen[str]
    url: str
    token: str


@pytest.fixture(params=["timer", "glib"])
def app(request: pytest.FixtureRequest) -> Iterator[App]:
    process = subprocess.Popen(
        [sys.executable, str(APP), "--loop", request.param],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DCCLINK_LOG": "warn"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, "the host app exited before it served"
        info = json.loads(line)
        yield App(process, info["url"], info["token"])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def drive(app: App, body: Callable[[ClientSession], Awaitable[T]], bound: float = 120) -> T:
    """Runs ``body`` with an SDK session to ``app``, then quits the app and
    checks that it exited cleanly. Bounded: a deadlock fails, not hangs."""
    outcome: dict[str, Any] = {}

    async def main() -> None:
        with anyio.fail_after(bound):
            async with sdk_session(app.url, app.token) as session:
                outcome["value"] = await body(session)
                await session.call_tool("quit", {})

    anyio.run(main)
    assert app.process.wait(30) == 0, "the host app did not exit cleanly"
    return outcome["value"]


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def test_reentrant_messages_keep_their_order_without_deadlock(app: App) -> None:
    """10,000 messages from a worker thread (WebView operations and Python
    tasks), 200 tool calls and 200 page callbacks, interleaved. Tools,
    callbacks and tasks call emit, eval_js and pump from inside."""

    async def body(session: ClientSession) -> Any:
        await call(session, "start_messages", count=MESSAGES, page_calls=CALLS)
        for n in range(CALLS):
            assert (await call(session, "tool_step", n=n)) == {"result": n}
        while True:
            report = await call(session, "report")
            page = report["page"]
            if len(page["seq"]) == MESSAGES and page["pageDone"]:
                return report
            await anyio.sleep(0.2)

    report = drive(app, body)
    ran, page = report["ran"], report["page"]
    tasks = [n for n in range(MESSAGES) if n % 4]
    assert ran["task"] == tasks, "tasks ran in the order they were posted"
    assert ran["tool"] == list(range(CALLS)), "tool calls ran in order"
    assert ran["callback"] == list(range(CALLS)), "page callbacks ran in order"
    assert page["seq"] == list(range(MESSAGES)), (
        "WebView operations and Python tasks took effect in one FIFO order"
    )
    assert page["tools"] == list(range(CALLS))
    assert page["callbacks"] == list(range(CALLS))
    assert page["nested"] == [n for n in tasks if n % 50 == 1]


def test_the_pump_never_steals_the_hosts_messages(app: App, request: pytest.FixtureRequest) -> None:
    """Inside the host's GLib loop the pump dispatches no native events (the
    IPC-only path). Under a plain timer nothing else would dispatch them, so
    there it must."""

    async def body(session: ClientSession) -> Any:
        return await call(session, "stolen")

    dispatched = drive(app, body)["result"]
    assert dispatched is (request.node.callspec.params["app"] == "timer")


def test_a_worker_thread_gets_the_pages_answer(app: App) -> None:
    async def body(session: ClientSession) -> Any:
        await call(session, "ask_from_worker")
        while not (answers := (await call(session, "worker_answer"))["answers"]):
            await anyio.sleep(0.01)
        return answers

    assert drive(app, body) == [42]


def test_open_close_reopen_and_close_during_a_tool(app: App) -> None:
    async def body(session: ClientSession) -> Any:
        cycled = await call(session, "cycle", times=100)
        midway = (await session.call_tool("close_midway", {})).content[0]
        reopened = await call(session, "reopen")
        conflict = await session.call_tool("other_mode", {})
        return cycled, midway, reopened, conflict

    started = time.monotonic()
    cycled, midway, reopened, conflict = drive(app, body)
    print(f"100 open/close cycles in {time.monotonic() - started:.1f} s; {cycled}")
    assert cycled["title"] == "dcclink"
    assert cycled["grown_mib"] < 200, f"peak RSS grew {cycled['grown_mib']:.0f} MiB"
    assert getattr(midway, "text", None) == "survived"
    assert reopened == {"result": 2}
    assert "already shows the panel" in conflict.content[0].text
