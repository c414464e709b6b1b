"""Time limits end to end, with Python tools that ignore ``ctx.cancelled``:
a tool's own ``timeout=``, the ``--timeout`` default, ``--queue-capacity``
and ``--queue-timeout``. Each refusal is answered at once, while the main
thread is still busy, never when the stubborn tool finally returns."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from conftest import DCCLINK, FIXTURE_TOOLS, start_until_running
from mcp import ClientSession, StdioServerParameters, stdio_client

pytestmark = pytest.mark.anyio

#: Well under the 4 s the stubborn tools hold the main thread.
AT_ONCE = 2.5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def served(*options: str) -> AsyncIterator[ClientSession]:
    """`dcclink serve --stdio` with the fixture tools and ``options``."""
    args = ["serve", "--stdio", "--tools", str(FIXTURE_TOOLS), *options]
    params = StdioServerParameters(command=str(DCCLINK), args=args)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def timed_call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> Any:
    """Calls ``tool``; returns its result and how long the answer took."""
    started = time.monotonic()
    with anyio.fail_after(30):
        result = await session.call_tool(tool, arguments)
    return result, time.monotonic() - started


async def test_a_tools_own_timeout_answers_while_it_runs_on() -> None:
    async with served() as session:
        result, took = await timed_call(session, "stubborn", {"seconds": 4})
    assert result.is_error
    assert "tool 'stubborn' timed out after 0.5 s" in result.content[0].text
    assert took < AT_ONCE, f"answered after {took:.1f} s, when the tool ended"


async def test_the_default_timeout_comes_from_the_command_line() -> None:
    async with served("--timeout", "0.5") as session:
        result, took = await timed_call(session, "busy", {"seconds": 4})
    assert result.is_error
    assert "tool 'busy' timed out after 0.5 s" in result.content[0].text
    assert took < AT_ONCE


async def test_queue_capacity_and_queue_timeout_come_from_the_command_line() -> None:
    results: list[Any] = []

    async def call_add() -> None:
        results.append(await timed_call(session, "add", {"a": 1, "b": 2}))

    async with (
        served("--queue-capacity", "1", "--queue-timeout", "0.5") as session,
        anyio.create_task_group() as group,
    ):
        # busy holds the main thread; the queue is empty
        await start_until_running(session, group, "busy", {"seconds": 4})
        # Two calls for the queue's one place: whichever comes second is
        # refused at once, the first expires in the queue after 0.5 s.
        group.start_soon(call_add)
        group.start_soon(call_add)
        with anyio.fail_after(30):
            while len(results) < 2:
                await anyio.sleep(0.01)
        group.cancel_scope.cancel()
    texts = sorted(result.content[0].text for result, _ in results)
    assert all(result.is_error for result, _ in results)
    assert "the host's queue is full (1 calls waiting)" in texts[1], texts
    assert "was not run (queue timeout 0.5 s)" in texts[0], texts
    assert all(took < AT_ONCE for _, took in results)
