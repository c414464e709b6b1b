"""Blender with its UI: Debian's ``blender`` 3.4 under Xvfb, with the dcclink
add-on installed as a user installs it (the zip ``dcclink blender-addon``
writes, through the preferences' Install operator), enabled and started from
its Start operator. dcclink is pumped from
``bpy.app.timers`` inside Blender's own event loop while an MCP client
drives it; the panel opens from the add-on's sidebar button operator. A
screenshot of Blender showing the result goes to artifacts/blender.png, and
one with the panel open to artifacts/blender-panel.png."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from blender_processes import BLENDER, blender_ui
from conftest import ROOT, sdk_session
from mcp import ClientSession

pytestmark = pytest.mark.skipif(
    (BLENDER is None or not os.environ.get("DISPLAY"))
    and not os.environ.get("DCCLINK_REQUIRE_BLENDER"),
    reason="needs Debian's blender and a display (cargo xtask test installs and runs them)",
)


@pytest.fixture(scope="module")
def blender() -> Iterator[dict[str, Any]]:
    with blender_ui() as info:
        yield info


def screenshot(name: str) -> int:
    """Saves the display to artifacts/NAME; how many colours a thumbnail of
    it has (a blank screen has one)."""
    from PIL import ImageGrab

    shot = ImageGrab.grab()
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    shot.save(artifacts / name)
    return len(set(shot.resize((64, 40)).getdata()))


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


def test_an_agent_drives_blender_while_its_ui_runs(blender: dict[str, Any]) -> None:
    seen: dict[str, Any] = {}

    async def main() -> None:
        with anyio.fail_after(180):
            async with sdk_session(blender["url"], blender["token"]) as session:
                await session.list_tools()
                seen["where"] = await call(session, "where")
                await call(session, "delete_objects", names=["Cube"])
                await call(
                    session, "create_object", kind="monkey", name="Suzanne", location=[0, 0, 1]
                )
                await call(session, "set_material_color", name="Suzanne", color=[1, 0.4, 0.1])
                await call(session, "create_object", kind="plane", name="Floor", size=8)
                await call(session, "select_objects", names=["Suzanne"])
                await call(session, "transform_object", name="Suzanne", rotation=[0, 0, 30])
                await call(session, "undo")
                seen["undone"] = await call(session, "list_objects", name_contains="Suzanne")
                await call(session, "redo")
                seen["redone"] = await call(session, "list_objects", name_contains="Suzanne")
                seen["summary"] = await call(session, "scene_summary")
                # Let Blender's loop redraw the viewport, then keep what it shows.
                await anyio.sleep(1.5)
                seen["scene_shot"] = screenshot("blender.png")
                await call(session, "press_open_panel")
                deadline = time.monotonic() + 60
                while (state := await call(session, "panel_title")) != {
                    "open": True,
                    "title": "dcclink",
                }:
                    assert time.monotonic() < deadline, f"the panel did not open: {state}"
                    await anyio.sleep(0.2)

    anyio.run(main)
    assert seen["where"]["main_thread"] and not seen["where"]["background"]
    assert seen["where"]["blender"] == "3.4.1"
    # Installed from `dcclink blender-addon`'s zip, dcclink came with it.
    assert "/addons/dcclink_blender/vendor/dcclink/" in seen["where"]["dcclink"]
    # Each call is one undo step: undo reverts the rotation, redo restores it.
    assert seen["undone"]["objects"][0]["rotation"] == [0, 0, 0]
    assert seen["redone"]["objects"][0]["rotation"][2] == pytest.approx(30)
    assert seen["summary"]["objects"] == {"MESH": 2, "CAMERA": 1, "LIGHT": 1}
    assert seen["summary"]["selected"] == ["Suzanne"]

    assert seen["scene_shot"] > 20, "the screenshot of Blender is not blank"
    time.sleep(1.0)
    screenshot("blender-panel.png")
