"""What ``tools/list`` says about a tool beyond its arguments: MCP's hints
and title, and the output schema from the return hint, which every result
is held to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import dcclink
import mcp.types as types
import pytest
from conftest import sdk_session, start_http, with_client
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


PLACE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"place": {"type": "object", "properties": {"city": {"type": "string"}}}},
    "properties": {"home": {"$ref": "#/$defs/place"}},
    "required": ["home"],
    "additionalProperties": False,
}


@dcclink.tool(input_schema=PLACE)
def where_home(home: dict[str, str]) -> str:
    """Says the city."""
    return home.get("city", "?")


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


def test_long_lists_come_in_pages(tmp_path: Path) -> None:
    tools_file = tmp_path / "many_tools.py"
    tools_file.write_text(
        "import dcclink\n"
        + "".join(
            f"\n@dcclink.tool(name='bulk_{i:03}')\ndef bulk_{i:03}() -> None:\n    'One of many.'\n"
            for i in range(150)
        )
    )
    server = start_http("--tools", str(tools_file))

    async def pages() -> list[list[str]]:
        found: list[list[str]] = []
        cursor = None
        async with sdk_session(server.url, server.token) as session:
            while True:
                params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                listed = await session.list_tools(params=params)
                found.append([t.name for t in listed.tools])
                cursor = listed.next_cursor
                if cursor is None:
                    return found

    try:
        found = anyio.run(pages)
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
    names = [name for page in found for name in page]
    assert len(found[0]) == 100, "a page holds at most 100"
    assert len(found) >= 2 and len(names) == len(set(names))
    assert {f"bulk_{i:03}" for i in range(150)} <= set(names), "every tool, once"


def test_an_explicit_input_schema_is_listed_as_given_and_enforced(
    host: dcclink.ServerInfo,
) -> None:
    async def body(session: ClientSession) -> Any:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        good = await session.call_tool("where_home", {"home": {"city": "Lyon"}})
        bad = await session.call_tool("where_home", {"home": {"city": 7}})
        return tools["where_home"], good, bad

    tool, good, bad = with_client(host, body)
    assert tool.input_schema == PLACE, "$schema, $defs and $ref reach the client"
    assert good.content[0].text == "Lyon"
    assert bad.is_error and "parameter 'home.city'" in bad.content[0].text
