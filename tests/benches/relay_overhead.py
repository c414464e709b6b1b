"""What ``dcclink connect`` adds to a call (target: ≤ 200 µs at p50 over
direct HTTP).

One ``dcclink serve --http`` instance with the fixture tools; the same lean
client logic (``lean_client.py``) calls its ``noop`` tool directly over HTTP,
and through ``dcclink connect`` over stdio, as an IDE launches it. The two
alternate in blocks of 100 calls, so both see the same machine.

    .venv/bin/python tests/benches/relay_overhead.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from conftest import DCCLINK, start_http
from figures import pct
from lean_client import LeanClient, LeanHttpClient, LeanStdioClient

BLOCKS = 20
BLOCK = 100


def timed_block(client: LeanClient, into: list[float]) -> None:
    for _ in range(BLOCK):
        start = time.perf_counter()
        client.call_tool("noop", {})
        into.append((time.perf_counter() - start) * 1e6)


def row(label: str, values: list[float]) -> str:
    return (
        f"| {label} | {pct(values, 0.5):.0f} µs | {pct(values, 0.9):.0f} µs "
        f"| {pct(values, 0.99):.0f} µs | {len(values)} |"
    )


def main() -> None:
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": tempfile.mkdtemp(prefix="dcclink-bench-")}
    server = start_http(env=env)
    direct = LeanHttpClient(server.url, server.token)
    relayed = LeanStdioClient([str(DCCLINK), "connect", "--instance", server.instance], env)
    try:
        for client in (direct, relayed):  # warm-up
            timed_block(client, [])
        times: dict[str, list[float]] = {"direct": [], "relayed": []}
        for _ in range(BLOCKS):
            timed_block(direct, times["direct"])
            timed_block(relayed, times["relayed"])
    finally:
        relayed.close()
        direct.close()
        server.process.terminate()
        server.process.wait(timeout=10)
    print("| noop | p50 | p90 | p99 | samples |")
    print("|---|---|---|---|---|")
    print(row("direct HTTP (lean client)", times["direct"]))
    print(row("stdio → dcclink connect → HTTP (lean client)", times["relayed"]))
    added = pct(times["relayed"], 0.5) - pct(times["direct"], 0.5)
    print(f"\n- the relay adds {added:.0f} µs at p50 (target ≤ 200 µs)")


if __name__ == "__main__":
    main()
