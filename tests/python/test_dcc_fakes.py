"""The Maya and Houdini hosts against fakes of their APIs (``fakes/``): the
real DCCs cannot run here. The fakes keep the APIs' rules (main thread only,
known flags, deferred calls run later, balanced undo chunks) and record every
call, so these tests show that dcclink uses the documented APIs as they must
be used; they do not show that it runs in Maya or Houdini."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DCCLINK, call_tools

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
