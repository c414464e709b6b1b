"""Shared fixtures: the dcclink command and servers started from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import anyio
import dcclink
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import methods as _methods
from mcp_types._v2025_11_25 import CreateTaskResult as CreateTaskResult2025
from playwright.sync_api import Browser, sync_playwright

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_TOOLS = ROOT / "tests" / "fixtures" / "tools.py"
DCCLINK = Path(sys.executable).parent / "dcclink"
# Instances started by the tests list themselves here, not in the user's
# runtime dir (the spawned servers inherit it).
os.environ["DCCLINK_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="dcclink-test-runtime-")


#: A raw MCP `initialize` request, for tests that speak HTTP by hand.
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "pytest", "version": "0"},
    },
}
#: What a Streamable HTTP client must accept.
ACCEPT = {"Accept": "application/json, text/event-stream"}


@dataclass
class HttpServer:
    process: subprocess.Popen[str]
    url: str
    token: str
    instance: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def start_http(
    *extra: str,
    log: str = "warn",
    env: Optional[dict[str, str]] = None,
    address: str = "127.0.0.1:0",
) -> HttpServer:
    """`dcclink serve --http ADDRESS` with the fixture tools, logging at
    ``log`` (in environment ``env``, else this one); waits for its JSON line
    on stderr."""
    process = subprocess.Popen(
        [str(DCCLINK), "serve", "--http", address, "--tools", str(FIXTURE_TOOLS), *extra],
        stderr=subprocess.PIPE,
        text=True,
        env={**(env or os.environ), "DCCLINK_LOG": log},
    )
    info = announcement(process)
    return HttpServer(process, info["url"], info["token"], info["instance"])


def announcement(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON line a dcclink process prints on stderr once it serves (or
    once its panel window is open); when it prints something else, the
    process is killed and the test fails with what it said."""
    assert process.stderr is not None
    line = process.stderr.readline()
    try:
        found: dict[str, Any] = json.loads(line)
    except json.JSONDecodeError:
        process.kill()
        raise AssertionError(f"dcclink did not announce itself; it said: {line!r}") from None
    return found


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment with a registry of its own."""
    return {**os.environ, "DCCLINK_RUNTIME_DIR": str(tmp_path / "runtime")}


@pytest.fixture
def instances(env: dict[str, str]) -> Iterator[list[HttpServer]]:
    """Starts instances on demand (``instances.append(start_http(env=env))``
    via ``launch``); stops them all afterwards."""
    started: list[HttpServer] = []
    yield started
    for server in started:
        server.process.terminate()
        server.process.wait(timeout=10)


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    server = start_http()
    yield server
    server.process.terminate()
    server.process.wait(timeout=10)


def pump_while(thread: threading.Thread, bound: float = 30) -> None:
    """Pumps, as a DCC's timer would, until ``thread`` ends (bounded)."""
    deadline = time.monotonic() + bound
    while thread.is_alive():
        assert time.monotonic() < deadline, "the other thread hung"
        dcclink.pump(10)
        time.sleep(0.001)


@asynccontextmanager
async def sdk_session(url: str, token: str, **options: Any) -> AsyncIterator[ClientSession]:
    """An initialized session of the official SDK's client with ``url``;
    ``options`` go to ``ClientSession`` (``message_handler=``, …)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write, *_),
        ClientSession(read, write, **options) as session,
    ):
        await session.initialize()
        yield session


def call_tools(info: dict[str, Any], *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    """Calls tools in order through the official SDK, bounded; their
    results."""
    results: list[Any] = []

    async def main() -> None:
        with anyio.fail_after(120):
            async with sdk_session(info["url"], info["token"]) as session:
                await session.list_tools()
                for tool, arguments in calls:
                    results.append(await session.call_tool(tool, arguments))

    anyio.run(main)
    return results


def with_client(
    info: dcclink.ServerInfo, body: Callable[[ClientSession], Awaitable[T]], **options: Any
) -> T:
    """Runs ``body`` with an SDK session (``options`` as for
    :func:`sdk_session`) on another thread while this (the main) thread
    pumps, as a DCC's timer would."""
    outcome: dict[str, Any] = {}

    def client_thread() -> None:
        async def main() -> None:
            assert info.url is not None
            async with sdk_session(info.url, info.token, **options) as session:
                outcome["value"] = await body(session)

        try:
            anyio.run(main)
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=client_thread)
    thread.start()
    pump_while(thread)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


async def start_until_running(
    session: Any, group: anyio.abc.TaskGroup, tool: str, arguments: dict[str, Any]
) -> dict[str, Any]:
    """Starts ``tool`` in ``group`` and returns once it has begun: its first
    progress arrived (the fixture tools that run long report it at once),
    where a fixed sleep would only guess. The call's result (``"answer"``)
    or the error it raised (``"error"``) lands in the returned dict."""
    started = anyio.Event()
    ended: dict[str, Any] = {}

    async def on_progress(progress: float, total: Any, message: Any) -> None:
        started.set()

    async def call() -> None:
        try:
            ended["answer"] = await session.call_tool(
                tool, arguments, progress_callback=on_progress
            )
        except Exception as error:
            ended["error"] = error

    group.start_soon(call)
    with anyio.fail_after(30):
        await started.wait()
    return ended


def panel_events(server: HttpServer) -> list[dict[str, Any]]:
    """The events a panel opened now is shown (its first snapshot)."""
    url = server.url.removesuffix("/mcp") + "/panel/events"
    with httpx2.stream("GET", url, headers=server.auth, timeout=10) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                return list(json.loads(line[5:])["events"])
    raise AssertionError("the panel's event stream sent no snapshot")


@pytest.fixture
def sdk_takes_created_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK 2.3 has 2025-11-25's task types but no task client: its
    session checks every ``tools/call`` result against ``CallToolResult``.
    A task-augmented call's answer is a ``CreateTaskResult``; this checks
    it against that type instead (every other result as before)."""
    check = _methods.validate_server_result

    def validate(method: str, version: str, data: Any, **options: Any) -> None:
        if method == "tools/call" and version == "2025-11-25" and "task" in data:
            CreateTaskResult2025.model_validate(data)
            return
        check(method, version, data, **options)

    monkeypatch.setattr(_methods, "validate_server_result", validate)


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
HEADLESS_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), driven by Playwright."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=HEADLESS_FLAGS)
        yield chromium
        chromium.close()
