"""The Blender pack in a headless Blender worker: the ``bpy`` module from
PyPI (5.0.1, Python 3.11) in ``.venv-blender``, serving
``dcclink serve --tools dcclink.packs.blender``. The official SDK creates
objects, renders an image returned inline and exports glTF; the results are
read back from the scene and the files."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from blender_processes import BLENDER_PYTHON, blender_worker
from conftest import ROOT, call_tools, sdk_session
from mcp import ClientSession
from PIL import Image

pytestmark = pytest.mark.skipif(
    not BLENDER_PYTHON.exists() and not os.environ.get("DCCLINK_REQUIRE_BLENDER"),
    reason="needs .venv-blender with bpy (cargo xtask setup makes it)",
)


@pytest.fixture(scope="module")
def blender() -> Iterator[dict[str, Any]]:
    with blender_worker() as info:
        yield info


def session_run(info: dict[str, Any], body: Any) -> Any:
    out: dict[str, Any] = {}

    async def main() -> None:
        with anyio.fail_after(180):
            async with sdk_session(info["url"], info["token"]) as session:
                out["value"] = await body(session)

    anyio.run(main)
    return out["value"]


async def call(session: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result


def glb_json(path: Path) -> dict[str, Any]:
    """The JSON chunk of a glTF binary file."""
    data = path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    chunk_length, chunk_type = struct.unpack_from("<I4s", data, 12)
    assert chunk_type == b"JSON"
    return json.loads(data[20 : 20 + chunk_length])


def test_an_agent_builds_renders_and_exports_a_scene(
    blender: dict[str, Any], tmp_path: Path
) -> None:
    export = tmp_path / "scene.glb"

    async def body(session: ClientSession) -> dict[str, Any]:
        tools = {t.name for t in (await session.list_tools()).tools}
        assert {"scene_summary", "create_object", "render_image", "export_gltf"} <= tools
        assert len(tools) <= 15, "a pack stays small enough for the IDEs' tool limits"
        assert "execute_python" not in tools, "running code is off by default"
        start = await call(session, "scene_summary")
        box = await call(session, "create_object", kind="cube", name="Box", size=1.0)
        await call(session, "create_object", kind="sphere", name="Ball", location=[3, 0, 0])
        await call(session, "create_object", kind="cone", name="Spike", location=[-3, 0, 0])
        await call(session, "transform_object", name="Box", location=[0, 0, 1], rotation=[0, 0, 45])
        await call(session, "set_material_color", name="Box", color=[1, 0, 0])
        await call(session, "delete_objects", names=["Spike", "Cube"])
        image = await call(session, "render_image", width=64, height=48, samples=4)
        await call(session, "export_gltf", path=str(export))
        listed = await call(session, "list_objects", type="mesh")
        summary = await call(session, "scene_summary")
        scene = await session.read_resource("blender://scene")  # type: ignore[arg-type]
        ball = await session.read_resource("blender://objects/Ball")  # type: ignore[arg-type]
        undone = await call(session, "undo")
        after_undo = await call(session, "list_objects", type="mesh")
        await call(session, "redo")
        after_redo = await call(session, "list_objects", type="mesh")
        return {
            "start": start.structured_content,
            "box": box.structured_content,
            "image": image.content[0],
            "listed": listed.structured_content,
            "summary": summary.structured_content,
            "scene": json.loads(scene.contents[0].text),
            "ball": json.loads(ball.contents[0].text),
            "after_undo": after_undo.structured_content,
            "after_redo": after_redo.structured_content,
            "undone": undone.structured_content,
        }

    seen = session_run(blender, body)
    # Blender's startup scene: the default cube, a camera and a light.
    assert seen["start"]["objects"] == {"MESH": 1, "CAMERA": 1, "LIGHT": 1}
    assert seen["box"]["name"] == "Box" and seen["box"]["type"] == "MESH"

    # The render comes back inline, as image content, never as a path.
    assert seen["image"].type == "image" and seen["image"].mime_type == "image/png"
    import base64

    picture = Image.open(io.BytesIO(base64.b64decode(seen["image"].data))).convert("RGB")
    assert picture.size == (64, 48)
    reddish = sum(1 for r, g, b in picture.getdata() if r > 2 * max(g, b, 8))
    assert reddish > 20, "the red box shows in the render"

    objects = {o["name"]: o for o in seen["listed"]["objects"]}
    assert set(objects) == {"Box", "Ball"}, "the cone and the default cube were deleted"
    assert objects["Box"]["location"] == [0, 0, 1]
    assert objects["Box"]["rotation"][2] == pytest.approx(45)
    assert objects["Box"]["materials"] == ["Box_color"]
    assert seen["summary"]["objects"] == {"MESH": 2, "CAMERA": 1, "LIGHT": 1}
    assert seen["summary"]["blender"].startswith("5.0")
    assert seen["scene"] == seen["summary"], "the scene is also a resource"
    assert seen["ball"] == objects["Ball"], "and so is each object"

    nodes = {node["name"] for node in glb_json(export)["nodes"]}
    assert {"Box", "Ball"} <= nodes and not {"Spike", "Cube"} & nodes

    # Each call is one undo step; questions and renders are not steps, so
    # undo reverts the last change: the delete.
    assert seen["undone"] == {"undone": 1}
    names = {o["name"] for o in seen["after_undo"]["objects"]}
    assert names == {"Box", "Ball", "Spike", "Cube"}
    assert {o["name"] for o in seen["after_redo"]["objects"]} == {"Box", "Ball"}


def test_execute_python_runs_only_what_the_user_allows() -> None:
    """Switched on, execute_python asks in the panel (here a headless
    Chromium showing it) before each run."""
    from playwright.sync_api import expect, sync_playwright

    made = "bpy.context.scene.collection.objects.link(bpy.data.objects.new('FromCode', None))"
    code = f"import bpy\n{made}\nprint('made')\nresult = 6 * 7"
    with blender_worker(str(ROOT / "tests/fixtures/blender_code.py")) as info:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(info["panel"])
            page.wait_for_selector("#mcp-url:not(:empty)")
            results: list[Any] = []

            def agent(source: str) -> threading.Thread:
                def run() -> None:
                    results.extend(call_tools(info, ("execute_python", {"code": source})))

                thread = threading.Thread(target=run)
                thread.start()
                return thread

            allowed = agent(code)
            expect(page.locator(".prompt pre")).to_have_text(code)
            expect(page.locator(".prompt")).to_contain_text("Run this Python in Blender?")
            page.locator(".prompt button.allow").click()
            allowed.join(60)
            denied = agent("import os\nos.remove('/nothing')")
            page.locator(".prompt button.deny").click()
            denied.join(60)
            browser.close()
        (listed,) = call_tools(info, ("list_objects", {"name_contains": "FromCode"}))

    assert results[0].structured_content == {"printed": "made\n", "result": "42"}
    assert results[1].is_error and "the user said no" in results[1].content[0].text
    assert listed.structured_content["count"] == 1, "the allowed code ran in Blender"


EXTENSION_RUN = """
import json, os, sys, threading
sys.path.remove(sys.argv[2])  # the checkout's dcclink: a user's Blender has none
import bpy
bpy.ops.extensions.package_install_files(
    filepath=sys.argv[1], repo="user_default", enable_on_install=True
)
module = "bl_ext.user_default.dcclink"
bpy.context.preferences.addons[module].preferences.port = 0
assert bpy.ops.dcclink.start() == {"FINISHED"}
import dcclink
me = next(i for i in dcclink.instances() if i["pid"] == os.getpid())
print("DCCLINK " + json.dumps({"dcclink": dcclink.__file__, **me}), flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.is_set():  # the main thread, as Blender's own timer would pump it
    dcclink.pump(10)
    done.wait(0.005)
bpy.ops.dcclink.stop()
"""


def test_the_extension_installs_its_wheel_and_serves_blender(tmp_path: Path) -> None:
    """Blender 4.2+ (bpy 5.0.1 is one) installs the extension ``cargo xtask
    dist`` makes from the release wheel through its own operator: the
    manifest's ``wheels`` put dcclink on Blender's path. Started from the
    add-on, it serves the Blender pack's tools."""
    dist = os.environ.get("DCCLINK_DIST")
    if dist is None:
        pytest.skip("DCCLINK_DIST is not set: `cargo xtask test` builds dist/ and sets it")
    (extension,) = Path(dist, "blender").glob("dcclink-*-linux_x64.zip")
    resources = tmp_path / "blender-user"  # not the real user's Blender
    process = subprocess.Popen(
        [str(BLENDER_PYTHON), "-c", EXTENSION_RUN, str(extension), str(ROOT / "python")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "BLENDER_USER_RESOURCES": str(resources)},
    )
    try:
        seen = announced(process)
        assert seen["dcc"] == "blender", "it started, as Blender"
        wheels = resources / "extensions" / ".local"
        assert seen["dcclink"].startswith(str(wheels)), "from the wheel Blender installed"
        (listed,) = call_tools(seen, ("list_objects", {}))
        assert not listed.is_error, listed.content
        assert listed.structured_content["count"] >= 1  # the default scene's cube, camera, light
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=60)
    assert process.returncode == 0


def announced(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The ``DCCLINK {...}`` line the script prints once dcclink serves."""
    assert process.stdout is not None
    seen: list[str] = []
    for line in process.stdout:
        if line.startswith("DCCLINK "):
            found: dict[str, Any] = json.loads(line[len("DCCLINK ") :])
            return found
        seen.append(line)
    raise AssertionError("dcclink did not start in bpy:\n" + "".join(seen[-40:]))
