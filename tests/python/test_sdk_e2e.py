"""End to end with the official MCP Python SDK as the client, over stdio and
Streamable HTTP, against `dcclink serve` and the fixture tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from conftest import DCCLINK, FIXTURE_TOOLS, HttpServer, start_until_running
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def stdio_session() -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=str(DCCLINK), args=["serve", "--stdio", "--tools", str(FIXTURE_TOOLS)]
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def http_session(server: HttpServer) -> AsyncIterator[ClientSession]:
    async with (
        create_mcp_http_client(headers=server.auth) as client,
        streamable_http_client(server.url, http_client=client) as (read, write, *_),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def exercise(session: ClientSession) -> None:
    tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert {"add", "count", "noop", "where", "wait_cancel"} <= set(tools)
    assert tools["add"].input_schema["required"] == ["a", "b"]
    assert tools["add"].description == "Add two integers."

    result = await session.call_tool("add", {"a": 2, "b": 40})
    assert result.structured_content == {"result": 42}
    assert result.is_error is False

    bad = await session.call_tool("add", {"a": "two", "b": 1})
    assert bad.is_error
    assert "parameter 'a'" in bad.content[0].text

    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    counted = await session.call_tool("count", {"n": 50}, progress_callback=on_progress)
    assert counted.structured_content == {"result": 50}
    assert seen, "progress reached the client"
    assert seen == sorted(set(seen)) and seen[-1] == 50

    where = await session.call_tool("where", {})
    assert where.structured_content["is_main"] is True

    # Cancelling a running call: the tool sees ctx.cancelled and the next call runs.
    with anyio.move_on_after(0.3):
        await session.call_tool("wait_cancel", {"limit": 20})
    with anyio.fail_after(5):
        after = await session.call_tool("add", {"a": 1, "b": 1})
    assert after.structured_content == {"result": 2}


async def test_stdio() -> None:
    async with stdio_session() as session:
        await exercise(session)


async def test_http(http_server: HttpServer, caplog: pytest.LogCaptureFixture) -> None:
    async with http_session(http_server) as session:
        await exercise(session)
        assert (await session.send_ping()) is not None
    # Leaving the session sent DELETE, which dcclink answered as the SDK
    # expects (it logged "Session termination failed: 202" before).
    failed = [r.message for r in caplog.records if "termination failed" in r.message]
    assert not failed, failed


async def test_calls_behind_a_tool_off_the_main_thread_do_not_wait_for_it(
    http_server: HttpServer,
) -> None:
    async with http_session(http_server) as session, anyio.create_task_group() as group:
        beside = await start_until_running(session, group, "beside", {"seconds": 3.0})
        with anyio.fail_after(1.5):
            total = await session.call_tool("add", {"a": 2, "b": 3})
        assert total.structured_content == {"result": 5}
        assert not beside, "the main thread waited for it"
        with anyio.fail_after(10):
            while not beside:
                await anyio.sleep(0.01)
    assert beside["answer"].structured_content["main_thread"] is False


async def test_ping_answers_while_a_python_tool_holds_the_gil(http_server: HttpServer) -> None:
    async with http_session(http_server) as session, anyio.create_task_group() as group:
        # busy runs, holding the GIL
        busy = await start_until_running(session, group, "busy", {"seconds": 3.0})
        with anyio.fail_after(1.5):
            await session.send_ping()
            await session.list_tools()
        assert not busy, "the ping was answered only after the tool ended"
        group.cancel_scope.cancel()
