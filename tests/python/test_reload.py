"""``dcclink.reload()``: a TD edits a tool file and reloads; the agent's
client is told the lists changed and sees the new tools, without a restart."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import anyio
import dcclink
import pytest
from conftest import with_client
from dcclink._host import load_tool_files
from mcp import ClientSession

FIRST = '''
import dcclink

@dcclink.tool
def greet(name: str) -> str:
    """Says hello."""
    return f"hello {name}"

@dcclink.tool
def retired() -> str:
    """Goes away in the next version."""
    return "old"

@dcclink.resource("shots://current")
def current_shot() -> str:
    """The shot being worked on."""
    return "sh010"

@dcclink.tool
def reload_tools() -> dict:
    """Reloads this tool file (other tests' modules are loaded too)."""
    return dcclink.reload(__name__)
'''
SECOND = (
    FIRST.replace('f"hello {name}"', 'f"hi {name}"')
    .replace("def retired() -> str", "def farewell() -> str")
    .replace('"shots://current"', '"shots://latest"')
)


def test_reload_replaces_the_tools_and_tells_the_client(tmp_path: Path) -> None:
    tools_file = tmp_path / "shot_tools.py"
    tools_file.write_text(textwrap.dedent(FIRST))
    load_tool_files([tools_file])
    changed: list[str] = []
    seen = anyio.Event()

    async def on_message(message: Any) -> None:
        if getattr(message, "method", "").endswith("list_changed"):
            changed.append(message.method)
            seen.set()

    async def body(session: ClientSession) -> dict[str, Any]:
        before = {t.name for t in (await session.list_tools()).tools}
        tools_file.write_text(textwrap.dedent(SECOND))
        reloaded = await session.call_tool("reload_tools", {})
        with anyio.fail_after(10):
            await seen.wait()
        after = {t.name for t in (await session.list_tools()).tools}
        resources = {str(r.uri) for r in (await session.list_resources()).resources}
        greeting = await session.call_tool("greet", {"name": "Ana"})
        return {
            "before": before,
            "after": after,
            "resources": resources,
            "reloaded": reloaded.structured_content,
            "greeting": greeting.content[0].text,
        }

    info = dcclink.start()
    try:
        seen_by_client = with_client(info, body, message_handler=on_message)
    finally:
        dcclink.stop()
    assert {"greet", "retired", "reload_tools"} <= seen_by_client["before"]
    assert "retired" not in seen_by_client["after"] and "farewell" in seen_by_client["after"]
    assert "shots://latest" in seen_by_client["resources"]
    assert "shots://current" not in seen_by_client["resources"]
    assert seen_by_client["greeting"] == "hi Ana", "the new code runs"
    assert seen_by_client["reloaded"]["added"] == ["farewell", "shots://latest"]
    assert seen_by_client["reloaded"]["removed"] == ["retired", "shots://current"]
    assert "notifications/tools/list_changed" in changed


def test_a_module_that_fails_to_reload_keeps_its_tools(tmp_path: Path) -> None:
    tools_file = tmp_path / "broken_tools.py"
    tools_file.write_text(
        "import dcclink\n\n@dcclink.tool\ndef steady() -> str:\n    return 'ok'\n"
    )
    load_tool_files([tools_file])
    tools_file.write_text("import dcclink\n\ndef steady(:\n")
    with pytest.raises(ImportError, match="dcclink_tools_broken_tools: SyntaxError"):
        dcclink.reload("dcclink_tools_broken_tools")
    assert "steady" in dcclink._tools.registry
