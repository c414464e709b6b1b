"""What ``dcclink connect`` adds to a call (target: ≤ 100 µs at p50 over
direct HTTP).

One ``dcclink serve --http`` instance with the fixture tools; the same lean
client logic (``lean_client.py``) calls its ``noop`` tool directly over HTTP,
and through ``dcclink connect`` over stdio, as an IDE launches it. A second
instance serves remote access (TLS on a non-loopback address, reached here
through loopback), and a relay pins its certificate (``connect --url
--fingerprint``). They alternate in blocks of 100 calls, so all see the same
machine.

With ``DCCLINK_BASELINE`` naming another build's ``dcclink`` (an older
release, say), its relay runs in the same blocks against the same instance:
an A/B of two relays in one run.

    .venv/bin/python tests/benches/relay_overhead.py
    DCCLINK_BASELINE=/path/to/old/bin/dcclink .venv/bin/python tests/benches/relay_overhead.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from conftest import DCCLINK, FIXTURE_TOOLS, announcement, start_http
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


TOKEN = "relay-overhead-bench-token-0123456789"


def remote_instance(env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """An instance serving TLS on 0.0.0.0, and the relay arguments that
    reach it through loopback with its certificate pinned."""
    config = tempfile.mkdtemp(prefix="dcclink-bench-config-")
    serve = [str(DCCLINK), "serve", "--http", "0.0.0.0:0", "--token", TOKEN]
    process = subprocess.Popen(
        [*serve, "--tools", str(FIXTURE_TOOLS)],
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "XDG_CONFIG_HOME": config, "DCCLINK_LOG": "warn"},
    )
    info = announcement(process)
    url = info["remote_url"].replace("0.0.0.0", "127.0.0.1")
    return process, ["--url", url, "--token", TOKEN, "--fingerprint", info["fingerprint"]]


def main() -> None:
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": tempfile.mkdtemp(prefix="dcclink-bench-")}
    server = start_http(env=env)
    remote, pinned = remote_instance(env)
    relays = {"stdio → dcclink connect → HTTP (lean client)": str(DCCLINK)}
    baseline = os.environ.get("DCCLINK_BASELINE")
    if baseline:
        relays[f"stdio → {baseline} connect → HTTP (baseline)"] = baseline
    direct_label = "direct HTTP (lean client)"
    clients: dict[str, LeanClient] = {direct_label: LeanHttpClient(server.url, server.token)}
    for label, dcclink in relays.items():
        clients[label] = LeanStdioClient([dcclink, "connect", "--instance", server.instance], env)
    tls_label = "stdio → dcclink connect --url → HTTPS, pinned (lean client)"
    clients[tls_label] = LeanStdioClient([str(DCCLINK), "connect", *pinned], env)
    try:
        for client in clients.values():  # warm-up
            timed_block(client, [])
        times: dict[str, list[float]] = {label: [] for label in clients}
        for _ in range(BLOCKS):
            for label, client in clients.items():
                timed_block(client, times[label])
    finally:
        for client in clients.values():
            client.close()
        for process in (server.process, remote):
            process.terminate()
            process.wait(timeout=10)
    print("| noop | p50 | p90 | p99 | samples |")
    print("|---|---|---|---|---|")
    for label, values in times.items():
        print(row(label, values))
    direct = pct(times[direct_label], 0.5)
    print()
    for label in relays:
        added = pct(times[label], 0.5) - direct
        print(f"- {label}: the relay adds {added:.0f} µs at p50 (target ≤ 100 µs)")
    plain = pct(times[next(iter(relays))], 0.5)
    tls = pct(times[tls_label], 0.5)
    print(f"- TLS to a remote instance adds {tls - plain:.0f} µs at p50 to the relayed call")


if __name__ == "__main__":
    main()
