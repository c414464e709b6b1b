"""Worker pools (``dcclink.workers``) against the work they carry, side by
side in one run, in ``.venv-blender``'s Python (``bpy`` 5.0.1 and Ray):

- per-item overhead: a no-op (``where``) through a warm pool of two
  (``pool.call``) against a call straight to one of its workers on the
  pool's own link, in alternating blocks; for the local engine and for a
  Ray pool on a head and two nodes on this machine;
- the undo step a worker does not push: a no-op on a ``bpy`` worker
  (``serve --stdio --worker``) against ``serve --stdio`` on the same
  ``bpy``, which makes each call an undo step;
- a CPU-bound ``bpy`` item (``subdivide``: a cube subdivided to 25k
  vertices, about 50 ms), 100 items: run in this process one after
  another, in two bare ``bpy`` processes (the machine's ceiling), on the
  local pool of two and on the Ray pool of two workers on two nodes; in
  rounds, each mode once a round, the median round reported (the machine
  is shared: one long run of each would compare different moments);
- each idle worker's memory (RSS).

    .venv-blender/bin/python tests/benches/pool_overhead.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from dcclink import _native  # noqa: E402
from dcclink.workers import Pool  # noqa: E402
from figures import pct  # noqa: E402

TOOLS = ROOT / "tests" / "fixtures" / "pool_tools.py"
BLOCKS = 10
BLOCK = 100
ITEMS = 100
LEVELS = 6
ROUNDS = 3


def timed(into: list[float], action: Callable[[], Any]) -> None:
    start = time.perf_counter()
    action()
    into.append((time.perf_counter() - start) * 1e3)


def direct(link: _native.Worker, tool: str, arguments: dict[str, Any]) -> Any:
    call = link.call(tool, arguments, 60.0)
    while True:
        event = call.next(60.0)
        assert event is not None, "no answer"
        if event[0] != "progress":
            assert event[0] == "result", event
            return event[1]


def overhead(pool: Pool) -> tuple[list[float], list[float]]:
    """Milliseconds of a no-op through the pool, and straight to worker 0."""
    link = pool.slots[0].worker.link  # type: ignore[union-attr]
    through: list[float] = []
    straight: list[float] = []
    for block in range(BLOCKS + 1):
        pooled: list[float] = [] if block == 0 else through  # block 0 warms up
        alone: list[float] = [] if block == 0 else straight
        for _ in range(BLOCK):
            timed(pooled, lambda: pool.call("where"))
        for _ in range(BLOCK):
            timed(alone, lambda: direct(link, "where", {}))
    return through, straight


def undo_cost(python: str) -> tuple[list[float], list[float]]:
    """Milliseconds of a no-op on a bpy worker and on plain serve --stdio."""
    serve = [python, "-m", "dcclink", "serve", "--stdio", "--tools", str(TOOLS)]
    worker = _native.Worker.spawn([*serve, "--worker"])
    plain = _native.Worker.spawn(serve)
    without: list[float] = []
    with_undo: list[float] = []
    try:
        for block in range(BLOCKS + 1):
            first: list[float] = [] if block == 0 else without
            second: list[float] = [] if block == 0 else with_undo
            for _ in range(BLOCK):
                timed(first, lambda: direct(worker, "where", {}))
            for _ in range(BLOCK):
                timed(second, lambda: direct(plain, "where", {}))
    finally:
        worker.close()
        plain.close()
    return without, with_undo


def batch(pool: Pool) -> float:
    """Seconds for ITEMS subdivisions on the pool."""
    start = time.perf_counter()
    pool.map("subdivide", [{"levels": LEVELS, "index": i} for i in range(ITEMS)])
    return time.perf_counter() - start


def serial() -> float:
    """Seconds for ITEMS subdivisions in this process, one after another."""
    import pool_tools

    pool_tools.subdivide(levels=LEVELS)  # warm
    start = time.perf_counter()
    for index in range(ITEMS):
        pool_tools.subdivide(levels=LEVELS, index=index)
    return time.perf_counter() - start


def overhead_rows(where: str, pool: Pool) -> list[tuple[str, str, str]]:
    """The no-op straight to a worker of ``pool`` and through it."""
    through, straight = overhead(pool)
    extra = f"+{pct(through, 0.5) - pct(straight, 0.5):.2f} ms"
    return [
        (f"no-op straight to a {where} worker", ms(straight), ""),
        (f"no-op through the {where} pool", ms(through), extra),
    ]


def two_processes(python: str) -> float:
    """Seconds for the same ITEMS in two plain bpy processes, half each,
    with no dcclink: what this machine allows two workers at best."""
    import subprocess

    script = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); import pool_tools; "
        "pool_tools.subdivide(levels=int(sys.argv[2])); print(time.time(), flush=True); "
        "[pool_tools.subdivide(levels=int(sys.argv[2]), index=i) for i in range(int(sys.argv[3]))]"
    )
    args = [python, "-c", script, str(ROOT / "tests" / "fixtures"), str(LEVELS), str(ITEMS // 2)]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    warm = [float(process.stdout.readline()) for process in processes if process.stdout]
    for process in processes:
        process.wait()
    return time.time() - max(warm)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def idle_memory(pool: Pool) -> list[float]:
    return [rss_mb(worker["pid"]) for worker in pool.status()["workers"]]


def ms(values: list[float]) -> str:
    return f"{pct(values, 0.5):.2f} ms | {pct(values, 0.95):.2f} ms"


def main() -> None:
    import ray
    from ray.cluster_utils import Cluster

    rows = []
    python = sys.executable
    without, with_undo = undo_cost(python)
    rows.append(("no-op on a bpy worker (--worker, no undo step)", ms(without), ""))
    rows.append(
        (
            "no-op on bpy serve --stdio (an undo step a call)",
            ms(with_undo),
            f"{pct(with_undo, 0.5) / pct(without, 0.5):.2f}x",
        )
    )

    with Pool([TOOLS], size=2, python=python) as local:
        rows += overhead_rows("local", local)
        local_memory = idle_memory(local)

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
        try:
            for _ in range(2):
                cluster.add_node(num_cpus=1, resources={"blender": 1})
            ray.init(address=cluster.address, log_to_driver=False)
            with Pool([TOOLS], size=2, engine="ray", resources={"blender": 1}) as remote:
                rows += overhead_rows("Ray", remote)
                ray_memory = idle_memory(remote)
                rounds: dict[str, list[float]] = {"serial": [], "bare": [], "local": [], "ray": []}
                for _ in range(ROUNDS):
                    rounds["serial"].append(serial())
                    rounds["bare"].append(two_processes(python))
                    rounds["local"].append(batch(local))
                    rounds["ray"].append(batch(remote))
        finally:
            ray.shutdown()
            cluster.shutdown()
    alone, ceiling, local_batch, ray_batch = (
        pct(rounds[mode], 0.5) for mode in ("serial", "bare", "local", "ray")
    )

    print("| measurement | p50 | p95 | against |\n|---|---|---|---|")
    for label, figures, against in rows:
        print(f"| {label} | {figures} | {against} |")
    print()
    print(f"{ITEMS} subdivisions (levels={LEVELS}), median of {ROUNDS} rounds:\n")
    print("| where | seconds | speed-up |\n|---|---|---|")
    print(f"| this process, one after another | {alone:.1f} s | 1.00x |")
    print(
        f"| two bare bpy processes, half each (no dcclink: the machine's ceiling) "
        f"| {ceiling:.1f} s | {alone / ceiling:.2f}x |"
    )
    print(f"| local pool of 2 | {local_batch:.1f} s | {alone / local_batch:.2f}x |")
    print(f"| Ray pool of 2, on two nodes | {ray_batch:.1f} s | {alone / ray_batch:.2f}x |")
    print()
    print(
        "idle worker RSS: local "
        + ", ".join(f"{mb:.0f} MB" for mb in local_memory)
        + "; Ray actors "
        + ", ".join(f"{mb:.0f} MB" for mb in ray_memory)
        + f" (cores: {os.cpu_count()})"
    )


if __name__ == "__main__":
    main()
