"""Worker pools on a Ray cluster (``engine="ray"``): a head and two nodes
on this machine, each node offering ``{"blender": 2}``; the workers are
Ray actors whose processes run ``bpy`` 5.0.1. Each scenario runs in
``.venv-blender``'s Python, which has Ray and ``bpy`` (``ray_cluster.py``),
and reports what happened for these tests to check."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
from blender_processes import BLENDER_PYTHON
from conftest import ROOT

pytestmark = pytest.mark.skipif(
    not BLENDER_PYTHON.exists() and not os.environ.get("DCCLINK_REQUIRE_BLENDER"),
    reason="needs .venv-blender with bpy and ray (cargo xtask setup makes it)",
)

SCENARIOS = ROOT / "tests" / "python" / "ray_cluster.py"


def scenario(name: str) -> dict[str, Any]:
    run = subprocess.run(
        [str(BLENDER_PYTHON), str(SCENARIOS), name],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    report: dict[str, Any] = json.loads(run.stdout.splitlines()[-1])
    return report


def test_items_land_on_both_nodes_and_closing_leaves_no_worker_process() -> None:
    report = scenario("spread")
    results = report["results"]
    assert [result["index"] for result in results] == list(range(6))
    assert {result["blender"] for result in results} == {"5.0.1"}
    assert {result["node"] for result in results} == set(report["nodes"])
    assert report["alive_after_close"] == []


def test_removing_a_node_mid_map_loses_nothing() -> None:
    report = scenario("remove_node")
    assert not report["hung"]
    assert "error" not in report, report["error"]
    results = report["results"]
    assert [result["index"] for result in results] == list(range(6))
    survivor = next(node for node in report["nodes"] if node != report["removed"])
    # The item that ran on the removed node ran again on the other one.
    assert results[report["lost_item"]]["node"] == survivor
    workers = report["status"]["workers"]
    assert report["status"]["failed"] == 0
    # Ray restarted the lost worker on the surviving node.
    assert [(w["node"], w["state"]) for w in workers] == [(survivor, "idle")] * 2
    assert workers[0]["replaced"] == 1
