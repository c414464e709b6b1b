"""The Maya and Houdini hosts against fakes of their APIs (``fakes/``): the
real DCCs cannot run here. The fakes keep the APIs' rules (main thread only,
known flags, deferred calls run later, balanced undo chunks) and record every
call, so these tests show that dcclink uses the documented APIs as they must
be used; they do not show that it runs in Maya or Houdini."""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import DCCLINK, call_tools, sdk_session
from mcp import ClientSession, StdioServerParameters, stdio_client

APP = Path(__file__).with_name("dcc_fake_app.py")
EXPECTED = {
    "maya": ("2025", "/projects/shot010/scenes/layout.ma"),
    "houdini": ("20.5.278", "/projects/shot010/fx.hip"),
}


@pytest.fixture(params=["maya", "houdini"])
def dcc(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, str(APP), request.param],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        pytest.fail(f"the fake {request.param} did not start: {process.communicate(timeout=10)[1]}")
    yield {**json.loads(line), "dcc": request.param}
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def drive(info: dict[str, Any], *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    """Calls tools in order; their results (structured, or the error text)."""
    return [
        result.content[0].text if result.is_error else result.structured_content
        for result in call_tools(info, *calls)
    ]


def listed(instance: str) -> dict[str, Any]:
    lines = subprocess.run(
        [str(DCCLINK), "list", "--json"], capture_output=True, text=True, timeout=30
    ).stdout.splitlines()
    return {entry["id"]: entry for entry in map(json.loads, lines)}[instance]


def test_tools_run_deferred_on_the_main_thread_one_undo_step_each(dcc: dict[str, Any]) -> None:
    where, failed, after = drive(dcc, ("where", {}), ("fails", {}), ("after", {}))
    assert where["main_thread"] and where["deferred"], "the pump runs from the DCC's idle queue"
    assert where["undo"] == ["dcclink: where"], "each call is one undo step, named after it"
    assert "ValueError: half way" in failed
    assert after["undo"] == ["dcclink: after"], "the failed call's undo step was closed"
    # Deferred once per wake-up, not once per turn of Qt's loop.
    assert after["deferrals"] <= 3


def test_the_registry_names_the_dcc_and_follows_the_open_scene(dcc: dict[str, Any]) -> None:
    version, scene = EXPECTED[dcc["dcc"]]
    entry = listed(dcc["instance"])
    assert (entry["dcc"], entry["dcc_version"], entry["scene"]) == (dcc["dcc"], version, scene)
    drive(dcc, ("open_scene", {"path": "/projects/shot020/new"}))
    deadline = time.monotonic() + 10
    while listed(dcc["instance"])["scene"] != "/projects/shot020/new":
        assert time.monotonic() < deadline, "the registry did not follow the opened scene"
        time.sleep(0.1)


def test_the_shelf_tool_opens_the_panel(dcc: dict[str, Any]) -> None:
    drive(dcc, ("press_shelf_tool", {}))
    deadline = time.monotonic() + 60
    while (state := drive(dcc, ("panel_state", {}))[0]) != {"open": True, "title": "dcclink"}:
        assert time.monotonic() < deadline, f"the shelf tool did not open the panel: {state}"
        time.sleep(0.2)
    drive(dcc, ("quit", {}))


SCENE_FILES = {"maya": ("scene.obj", "OBJexport"), "houdini": ("scene.abc", "alembic")}


def crate(results: dict[str, Any]) -> dict[str, Any]:
    (found,) = results["objects"]
    return found


def test_the_pack_edits_the_scene_one_undo_step_per_call(dcc: dict[str, Any]) -> None:
    lookup = ("list_objects", {"name_contains": "crate"})
    results = drive(
        dcc,
        ("create_object", {"kind": "cube", "name": "crate", "location": [1, 2, 3]}),
        ("set_material_color", {"name": "crate", "color": [1, 0, 0]}),
        ("transform_object", {"name": "crate", "rotation": [0, 45, 0], "scale": [2, 2, 2]}),
        lookup,
        ("undo", {}),
        lookup,
        ("redo", {}),
        lookup,
        ("delete_objects", {"names": ["crate", "ghost"]}),
        ("scene_summary", {}),
        ("delete_objects", {"names": ["crate"]}),
        ("list_objects", {}),
        ("undo", {}),
        lookup,
    )
    created, coloured, _, edited, undone, reverted, redone, again, refused, summary = results[:10]
    deleted, emptied, restored = results[10], results[11], crate(results[13])
    assert created["location"] == [1, 2, 3] and created["scale"] == [1, 1, 1]
    assert coloured["color"] == [1, 0, 0, 1]
    assert crate(edited)["scale"] == [2, 2, 2] and crate(edited)["rotation"] == [0, 45, 0]
    assert crate(edited)["materials"], "the colour is the object's material"
    assert undone == {"undone": 1} and crate(reverted)["scale"] == [1, 1, 1]
    assert crate(reverted)["materials"], "undo reverted the transform only: one step per call"
    assert redone == {"redone": 1} and crate(again) == crate(edited)
    assert "no object is called 'ghost'" in refused
    assert sum(summary["objects"].values()) == 1, "a refused delete deletes nothing"
    assert deleted == {"deleted": ["crate"]} and emptied["count"] == 0
    assert restored == crate(edited), "undo brings the deleted object back"


def test_the_pack_captures_the_viewport_and_exports(dcc: dict[str, Any], tmp_path: Path) -> None:
    name, _ = SCENE_FILES[dcc["dcc"]]
    exported = tmp_path / name
    results = call_tools(
        dcc,
        ("create_object", {"kind": "sphere", "name": "ball"}),
        ("create_object", {"kind": "cube", "name": "crate"}),
        ("select_objects", {"names": ["ball"]}),
        ("capture_viewport", {"width": 64, "height": 48}),
        ("export_scene", {"path": str(exported), "selected_only": True}),
        ("export_scene", {"path": str(tmp_path / "scene.txt")}),
    )
    assert not any(r.is_error for r in results[:5]), [r.content for r in results]
    (image,) = results[3].content
    assert image.type == "image" and image.mime_type == "image/png"
    png = base64.b64decode(image.data)
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) == (64, 48)
    assert exported.read_text().splitlines()[1:] == ["o ball"], "only the selection"
    assert results[5].is_error and "path must end with" in results[5].content[0].text


def test_code_execution_is_off_unless_switched_on(dcc: dict[str, Any]) -> None:
    async def tools() -> list[str]:
        async with sdk_session(dcc["url"], dcc["token"]) as session:
            return [t.name for t in (await session.list_tools()).tools]

    names = anyio.run(tools)
    assert "create_object" in names and "execute_python" not in names


@pytest.fixture
def fake_apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fakes, importable as ``maya`` and ``hou`` for one test, then
    forgotten (dcclink's host="auto" looks for those modules)."""
    monkeypatch.syspath_prepend(str(Path(__file__).with_name("fakes")))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def off_the_main_thread(call: Any) -> BaseException:
    failure: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return failure[0]


@pytest.mark.usefixtures("fake_apis")
def test_the_maya_fake_refuses_what_maya_refuses() -> None:
    from maya import cmds

    with pytest.raises(TypeError, match="Invalid flag 'size'"):
        cmds.polyCube(size=1)
    transform, _ = cmds.polyCube()
    assert cmds.listRelatives(transform, parent=True) is None, "Maya answers None, not []"
    cmds.undoInfo(openChunk=True, chunkName="open")
    with pytest.raises(RuntimeError, match="inside the open undo chunk"):
        cmds.undo()
    cmds.undoInfo(closeChunk=True)
    with pytest.raises(RuntimeError, match="without an open chunk"):
        cmds.undoInfo(closeChunk=True)
    with pytest.raises(RuntimeError, match="Invalid file type"):
        cmds.file("/tmp/x.fbx", type="FBX export", exportAll=True)  # its plug-in is not loaded
    assert "off the main thread" in str(off_the_main_thread(lambda: cmds.ls(selection=True)))


@pytest.mark.usefixtures("fake_apis")
def test_the_houdini_fake_refuses_what_houdini_refuses() -> None:
    import hou

    obj = hou.node("/obj")
    with pytest.raises(hou.OperationFailed, match="Invalid node type name: box"):
        obj.createNode("box")  # a SOP, in the object network
    geo = obj.createNode("geo", "crate")
    assert geo.parm("no_such_parm") is None and geo.parm("t") is None, "t is a parm tuple"
    with pytest.raises(hou.OperationFailed, match="already exists"):
        obj.createNode("null", "crate")
    with hou.undos.group("open"), pytest.raises(hou.OperationFailed, match="inside the open"):
        hou.undos.performUndo()
    assert "off the main thread" in str(off_the_main_thread(lambda: hou.node("/obj")))


def test_the_pack_serves_the_scene_as_resources(dcc: dict[str, Any]) -> None:
    scheme = dcc["dcc"]

    async def read() -> tuple[list[str], Any, Any]:
        async with sdk_session(dcc["url"], dcc["token"]) as session:
            await session.call_tool("create_object", {"kind": "cube", "name": "crate"})
            templates = (await session.list_resource_templates()).resource_templates
            scene = await session.read_resource(f"{scheme}://scene")  # type: ignore[arg-type]
            crate = await session.read_resource(f"{scheme}://objects/crate")  # type: ignore[arg-type]
            return [t.uri_template for t in templates], scene.contents[0], crate.contents[0]

    templates, scene, crate = anyio.run(read)
    assert f"{scheme}://objects/{{name}}" in templates
    assert scene.mime_type == "application/json"
    assert json.loads(scene.text)["file"] == EXPECTED[scheme][1]
    assert json.loads(crate.text)["name"] == "crate"


@pytest.mark.parametrize(("dcc", "module"), [("maya", "maya.cmds"), ("houdini", "hou")])
def test_without_a_ui_the_caller_pumps_and_the_pack_works(dcc: str, module: str) -> None:
    """mayapy and hython: no UI, so no host adapter; ``dcclink serve`` pumps
    its own main thread, and the pack's tools run there."""
    env = {
        **os.environ,
        "DCCLINK_FAKE_NO_UI": "1",
        "PYTHONPATH": os.pathsep.join([str(APP.parent / "fakes"), str(APP.parent)]),
    }
    probe = f"import {module}; from dcclink import hosts; print(hosts.select('auto'))"
    chosen = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert chosen.stdout.strip() == "None", chosen.stderr

    async def summarize() -> Any:
        params = StdioServerParameters(
            command=str(DCCLINK),
            args=["serve", "--stdio", "--tools", f"dcclink.packs.{dcc}"],
            env=env,
        )
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            with anyio.fail_after(60):
                await session.initialize()
                return await session.call_tool("scene_summary", {})

    summary = anyio.run(summarize)
    assert not summary.is_error, summary.content
    assert summary.structured_content is not None


def test_the_packs_long_tools_may_run_as_tasks(dcc: dict[str, Any]) -> None:
    async def main() -> dict[str, Any]:
        with anyio.fail_after(60):
            async with sdk_session(dcc["url"], dcc["token"]) as session:
                listed = (await session.list_tools()).tools
                return {tool.name: tool.execution for tool in listed}

    execution = anyio.run(main)
    for long_tool in ("capture_viewport", "export_scene"):
        assert execution[long_tool].task_support == "optional", long_tool
    assert execution["create_object"] is None, "quick edits answer at once"
