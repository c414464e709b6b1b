"""What ``tools/list`` says about a tool beyond its arguments: MCP's hints
and title, and the output schema from the return hint, which every result
is held to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dcclink
import pytest
from conftest import with_client
from mcp import ClientSession


@dcclink.tool(title="Wipe the cache", destructive=True, idempotent=True, read_only=False)
def wipe_cache(shot: str) -> dict[str, int]:
    """Deletes a shot's cache."""
    return {"files": 12}


@dcclink.tool
def lies_about_its_result() -> dict[str, int]:
    """Says dict, returns a list."""
    return [1, 2]  # type: ignore[return-value]


@dcclink.tool
def frame_count() -> int:
    """An int, wrapped as {"result": …}."""
    return 240


@pytest.fixture
def host() -> Iterator[dcclink.ServerInfo]:
    info = dcclink.start()
    yield info
    dcclink.stop()


def test_hints_title_and_output_schema_reach_the_client(host: dcclink.ServerInfo) -> None:
    async def body(session: ClientSession) -> Any:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        wiped = await session.call_tool("wipe_cache", {"shot": "sh010"})
        counted = await session.call_tool("frame_count", {})
        return tools, wiped, counted

    tools, wiped, counted = with_client(host, body)
    hints = tools["wipe_cache"].annotations
    assert (hints.title, hints.destructive_hint, hints.idempotent_hint) == (
        "Wipe the cache",
        True,
        True,
    )
    assert hints.read_only_hint is False and hints.open_world_hint is None
    assert tools["wipe_cache"].output_schema["type"] == "object"
    assert tools["frame_count"].annotations is None, "no hints given, none sent"
    assert wiped.structured_content == {"files": 12}
    assert counted.structured_content == {"result": 240}


def test_a_result_that_breaks_its_return_hint_is_an_error_for_the_author(
    host: dcclink.ServerInfo,
) -> None:
    async def body(session: ClientSession) -> Any:
        return await session.call_tool("lies_about_its_result", {})

    result = with_client(host, body)
    assert result.is_error
    assert "does not match its return type" in result.content[0].text
