"""Runs a worker pool scenario on a Ray cluster of a head and two nodes on
this machine (``ray.cluster_utils.Cluster``), in ``.venv-blender``'s
Python, whose ``bpy`` the workers run; prints what happened as one JSON
line for ``test_workers_ray.py`` to check.

    python ray_cluster.py spread|remove_node
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import ray
from blender_processes import alive
from dcclink.workers import ItemError, Pool
from ray.cluster_utils import Cluster

TOOLS = Path(__file__).resolve().parents[1] / "fixtures" / "pool_tools.py"
BOUND = 60.0


def spread(cluster: Cluster, nodes: list[Any]) -> dict[str, Any]:
    """Items on a pool of two, and what is left after it closes."""
    pool = Pool([TOOLS], size=2, engine="ray", resources={"blender": 1}, start_timeout=BOUND)
    results = pool.map("where", [{"seconds": 0.3, "index": i} for i in range(6)])
    pids = [worker["pid"] for worker in pool.status()["workers"]]
    pool.close()
    time.sleep(0.5)  # ray.kill returns before the process is reaped
    deadline = time.monotonic() + BOUND
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {
        "nodes": [node.node_id for node in nodes],
        "results": results,
        "worker_pids": pids,
        "alive_after_close": [pid for pid in pids if alive(pid)],
    }


def remove_node(cluster: Cluster, nodes: list[Any]) -> dict[str, Any]:
    """Removes the node of worker 0 while both workers run an idempotent item."""
    pool = Pool([TOOLS], size=2, engine="ray", resources={"blender": 1}, start_timeout=BOUND)
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            items = [{"seconds": 1.0, "index": i} for i in range(6)]
            out["results"] = pool.map("where_again", items)
        except ItemError as error:
            out["error"] = str(error)

    mapper = threading.Thread(target=run)
    mapper.start()
    deadline = time.monotonic() + BOUND
    while [w["state"] for w in pool.status()["workers"]] != ["busy", "busy"]:
        assert time.monotonic() < deadline, "the workers never both ran an item"
        time.sleep(0.02)
    doomed = pool.status()["workers"][0]["node"]
    out["lost_item"] = pool.status()["workers"][0]["item"]["index"]
    cluster.remove_node(next(node for node in nodes if node.node_id == doomed))
    mapper.join(BOUND * 2)
    out["hung"] = mapper.is_alive()
    out["removed"] = doomed
    out["nodes"] = [node.node_id for node in nodes]
    out["status"] = pool.status()
    pool.close(timeout=2.0)
    return out


def main() -> None:
    scenario = {"spread": spread, "remove_node": remove_node}[sys.argv[1]]
    cluster = Cluster(
        initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False}
    )
    try:
        # Each node can take both workers, so Ray can restart a lost one on the other.
        nodes = [cluster.add_node(num_cpus=2, resources={"blender": 2}) for _ in range(2)]
        ray.init(address=cluster.address, log_to_driver=False)
        report = scenario(cluster, nodes)
    finally:
        ray.shutdown()
        cluster.shutdown()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
