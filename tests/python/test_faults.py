"""Faults injected on purpose, each against the real thing: a DCC's main
thread that stalls for a minute, and a dcclink killed with SIGKILL in the
middle of a call. Nothing the user relies on is lost or left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from conftest import (
    DCCLINK,
    FIXTURE_TOOLS,
    HttpServer,
    sdk_session,
    start_http,
    start_until_running,
)
from mcp import ClientSession, StdioServerParameters, stdio_client

pytestmark = pytest.mark.anyio

#: How long the stand-in DCC's main thread blocks, as the issue asks.
STALL = 60.0
#: The stand-in's queue deadline.
QUEUE_TIMEOUT = 3.0
APP = Path(__file__).with_name("stalling_host_app.py")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def panel_status(info: dict[str, Any], wanted: str, bound: float = 10) -> dict[str, Any]:
    """The host's status as the panel is shown it, once it is ``wanted``."""
    url = info["url"].removesuffix("/mcp") + "/panel/events"
    headers = {"Authorization": f"Bearer {info['token']}"}
    seen: list[str] = []
    with anyio.fail_after(bound):
        async with (
            httpx2.AsyncClient(timeout=bound) as client,
            client.stream("GET", url, headers=headers) as stream,
        ):
            kind = "message"
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                if not line.startswith("data:"):
                    continue
                data = json.loads(line[5:])
                status = data.get("status") if kind == "message" else data
                if kind in ("message", "status") and status:
                    seen.append(status["state"])
                    if status["state"] == wanted:
                        return dict(status)
    raise AssertionError(f"the panel never said {wanted!r}: {seen}")


async def test_a_stalled_main_thread_leaves_the_server_live_and_the_panel_says_so() -> None:
    process = subprocess.Popen(
        [sys.executable, str(APP), str(QUEUE_TIMEOUT)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "DCCLINK_LOG": "warn"},
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        async with sdk_session(info["url"], info["token"]) as session:
            await session.call_tool("stall", {"seconds": STALL})
            stalled_at = time.monotonic()

            # A call waits past its queue deadline: a clear error, on time.
            with anyio.fail_after(QUEUE_TIMEOUT + 10):
                expired = await session.call_tool("add", {"a": 1, "b": 2})
            assert expired.is_error
            text = expired.content[0].text
            assert f"was not run (queue timeout {QUEUE_TIMEOUT} s)" in text, text

            # The protocol stays live: ping, the tool list, a new client.
            with anyio.fail_after(5):
                await session.send_ping()
                assert "add" in {tool.name for tool in (await session.list_tools()).tools}
                async with sdk_session(info["url"], info["token"]) as newcomer:
                    await newcomer.send_ping()

            # While a call waits, the panel says the host is stalled.
            async with anyio.create_task_group() as group:
                group.start_soon(session.call_tool, "add", {"a": 2, "b": 2})
                status = await panel_status(info, "stalled")
                group.cancel_scope.cancel()
            assert status["ms_since_pump"] > 1000
            assert time.monotonic() - stalled_at < STALL, "all of that happened within the stall"

            # Once the stall ends the host serves again.
            await panel_status(info, "idle", bound=STALL + 30)
            with anyio.fail_after(30):
                after = await session.call_tool("add", {"a": 3, "b": 4})
            assert after.structured_content == {"result": 7}
    finally:
        process.kill()
        process.wait(timeout=10)


def audit_lines(env: dict[str, str]) -> dict[str, list[str]]:
    """Each audit file's lines, by file name."""
    folder = Path(env["DCCLINK_RUNTIME_DIR"]) / "audit"
    return {path.name: path.read_text().splitlines() for path in folder.glob("*.jsonl")}


async def test_a_server_killed_mid_call_leaves_whole_audit_lines_and_is_not_appended_to(
    env: dict[str, str],
) -> None:
    """(That its registry entry is cleaned by the next reader, and that
    `dcclink connect` tells the IDE, is in test_instances.py and
    test_connect.py.)"""
    server = start_http(env=env)
    async with sdk_session(server.url, server.token) as session:
        await session.call_tool("add", {"a": 1, "b": 1})
        async with anyio.create_task_group() as group:
            await start_until_running(session, group, "wait_cancel", {"limit": 30})
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=10)
            group.cancel_scope.cancel()
    before = audit_lines(env)
    assert len(before) == 1
    for lines in before.values():
        assert [json.loads(line)["name"] for line in lines] == ["add"]

    restarted: HttpServer = start_http(env=env)
    try:
        async with sdk_session(restarted.url, restarted.token) as session:
            await session.call_tool("add", {"a": 2, "b": 2})
    finally:
        restarted.process.terminate()
        restarted.process.wait(timeout=10)
    after = audit_lines(env)
    assert len(after) == 2, "the new instance writes a file of its own"
    assert {name: after[name] for name in before} == before, "the old file is untouched"


async def test_stdio_servers_never_share_an_audit_file(env: dict[str, str]) -> None:
    """A stdio server has no registry id; its file is named by pid and
    start, so a reused pid cannot append to a killed server's file."""
    params = StdioServerParameters(
        command=str(DCCLINK), args=["serve", "--stdio", "--tools", str(FIXTURE_TOOLS)], env=env
    )
    for _ in range(2):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("add", {"a": 1, "b": 2})
    names = sorted(audit_lines(env))
    assert len(names) == 2, names
    assert all(re.fullmatch(r"stdio-\d+-\d+\.jsonl", name) for name in names), names


def serve_reading_stderr(
    command: list[str], env: dict[str, str]
) -> tuple[subprocess.Popen[str], dict[str, Any], list[str]]:
    """Starts ``command`` (a ``dcclink serve --http``), reads what it says
    on stderr until its JSON line; returns the process, that line's fields
    and the lines before it."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    said: list[str] = []
    for line in process.stderr:
        if line.startswith("{"):
            return process, json.loads(line), said
        said.append(line)
    raise AssertionError(f"dcclink exited before it served: {said}")


async def calls_all_answer(info: dict[str, Any], count: int) -> None:
    """Makes ``count`` calls, each of which must succeed."""
    with anyio.fail_after(120):
        async with sdk_session(info["url"], info["token"]) as session:
            for n in range(count):
                result = await session.call_tool("add", {"a": n, "b": 1})
                assert result.structured_content == {"result": n + 1}


def warnings_after(process: subprocess.Popen[str], said: list[str]) -> list[str]:
    """Stops ``process``; every warning it printed."""
    process.terminate()
    _, rest = process.communicate(timeout=10)
    return [line for line in said + rest.splitlines() if "WARN" in line]


async def test_an_unusable_runtime_dir_is_said_once_and_the_server_serves(
    tmp_path: Path,
) -> None:
    (tmp_path / "file").touch()
    runtime = tmp_path / "file" / "runtime"  # under a file: never a folder
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": str(runtime), "DCCLINK_LOG": "warn"}
    command = [str(DCCLINK), "serve", "--http", "127.0.0.1:0", "--tools", str(FIXTURE_TOOLS)]
    process, info, said = serve_reading_stderr(command, env)
    await calls_all_answer(info, 5)
    warned = warnings_after(process, said)
    assert len(warned) == 2, warned
    assert "dcclink list` and `dcclink connect` will not find this instance" in warned[0]
    assert "calls are not recorded in the audit log" in warned[1]
    assert all(str(runtime) in line and info["token"] not in line for line in warned)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs (as cargo xtask test, root)")
async def test_a_full_disk_costs_only_audit_lines_and_is_said_once(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    # A 16 KiB disk of the server's own (a mount namespace of its own):
    # the registry entry and the first audit lines fit, the rest do not.
    serve = f"{DCCLINK} serve --http 127.0.0.1:0 --tools {FIXTURE_TOOLS}"
    mount = f"mount -t tmpfs -o size=16k,mode=700 tmpfs {runtime} && exec {serve}"
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": str(runtime), "DCCLINK_LOG": "warn"}
    process, info, said = serve_reading_stderr(["unshare", "--mount", "sh", "-c", mount], env)
    await calls_all_answer(info, 300)
    warned = warnings_after(process, said)
    assert len(warned) == 1, warned
    assert "cannot write the audit log" in warned[0] and "disk full" in warned[0], warned
