"""The soak: 8 clients, half over HTTP and half through `dcclink connect`
(stdio), make 100,000 calls in all to one `dcclink serve`; 5% are
cancelled while they run, and a client is killed (kill -9) after every
1,000 calls, to reconnect and carry on. `cargo xtask soak` runs it.

It checks that nothing was lost (every call the server accepted was
answered or cancelled), that no call ran twice or out of its client's
order, that the server's memory stayed flat after warm-up, and that its
descriptors and threads went back to their idle counts once the killed
clients' sessions were reaped. It prints the figures as JSON."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional

from client import BOUND, Http

HERE = Path(__file__).parent
DCCLINK = Path(sys.executable).parent / "dcclink"
CALLS = int(os.environ.get("SOAK_CALLS", 100_000))
CLIENTS = 8
#: A client is killed after every this many calls (1%).
KILL_EVERY = CALLS // 100
#: The RSS is taken as the baseline once this share of the calls is done.
WARM_UP = 0.1
#: How long a killed client's session may outlive it (the reaping bound
#: is 60 s; its last stream's end starts the count).
REAPED_WITHIN = 75.0


def proc(pid: int) -> dict[str, int]:
    """The server's RSS (KiB), descriptors and threads now."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return {
        "rss_kib": rss,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": len(os.listdir(f"/proc/{pid}/task")),
    }


class Client:
    """One client slot: its process now, and the calls it has left."""

    def __init__(self, slot: int, server: dict[str, Any], env: dict[str, str]) -> None:
        self.slot = slot
        self.transport = "http" if slot % 2 == 0 else "stdio"
        self.server = server
        self.env = env
        self.generation = 0
        self.next = 1
        self.left = CALLS // CLIENTS
        self.summaries: list[dict[str, Any]] = []
        self.done = threading.Event()
        self.failed: Optional[str] = None
        self.killed: set[int] = set()
        self.lock = threading.Lock()
        self.start()

    def start(self) -> None:
        self.generation += 1
        tag = f"{self.transport}{self.slot}.{self.generation}"
        command = [
            sys.executable,
            str(HERE / "client.py"),
            self.transport,
            self.server["url"],
            self.server["token"],
            self.server["instance"],
            tag,
            str(self.next),
            str(self.left),
            str(self.slot * 1000 + self.generation),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=self.env)
        threading.Thread(target=self.follow, args=(self.process,), daemon=True).start()

    def follow(self, process: subprocess.Popen[str]) -> None:
        """Keeps count of ``process``'s progress, until it ends or is
        replaced: a killed client's last lines must not count for the next."""
        assert process.stdout is not None
        for line in process.stdout:
            with self.lock:
                if process is not self.process:
                    return
                if line.startswith("progress "):
                    self.next = int(line.split()[1]) + 1
                    self.left -= 1
                elif line.startswith("{"):
                    self.summaries.append(json.loads(line))
        status = process.wait()
        with self.lock:
            if process.pid in self.killed:
                return
        if status == 0:
            self.done.set()
        else:
            self.failed = f"client {self.slot} failed on its own (exit {status})"

    def kill_and_restart(self) -> None:
        with self.lock:
            self.killed.add(self.process.pid)
            self.process.kill()
            self.process.wait()
            # The call in flight when it died may have run: start past it.
            self.next += 1
            self.left -= 1
            if self.left > 0:
                self.start()
            else:
                self.done.set()


def main() -> None:
    runtime = tempfile.mkdtemp(prefix="dcclink-soak-")
    env = {**os.environ, "DCCLINK_RUNTIME_DIR": runtime, "DCCLINK_LOG": "warn"}
    serve = [str(DCCLINK), "serve", "--http", "127.0.0.1:0", "--tools", str(HERE / "tools.py")]
    server = subprocess.Popen(serve, stderr=subprocess.PIPE, text=True, env=env)
    assert server.stderr is not None
    info = json.loads(server.stderr.readline())
    threading.Thread(target=lambda: server.stderr.read(), daemon=True).start()
    idle = proc(server.pid)
    started = time.monotonic()
    clients = [Client(slot, info, env) for slot in range(CLIENTS)]
    rng = random.Random(16)
    kills = 0
    baseline: dict[str, int] = {}
    peak_rss = 0
    # The RSS (KiB) after each tenth of the calls: a leak climbs, a cache
    # levels off.
    series: list[int] = []
    while not all(client.done.is_set() for client in clients):
        time.sleep(0.05)
        failed = [client.failed for client in clients if client.failed]
        if failed:
            server.kill()
            sys.exit("soak failed: " + "; ".join(failed))
        done = CALLS - sum(client.left for client in clients)
        if not baseline and done >= CALLS * WARM_UP:
            baseline = proc(server.pid)
        if baseline:
            peak_rss = max(peak_rss, proc(server.pid)["rss_kib"])
        if done >= (len(series) + 1) * CALLS // 10:
            series.append(proc(server.pid)["rss_kib"])
        if done >= (kills + 1) * KILL_EVERY and kills < 99:
            alive = [client for client in clients if not client.done.is_set()]
            if alive:
                rng.choice(alive).kill_and_restart()
            kills += 1
    took = time.monotonic() - started
    end = proc(server.pid)
    # The killed clients' sessions end when they are reaped.
    deadline = time.monotonic() + REAPED_WITHIN
    while proc(server.pid)["fds"] > idle["fds"] and time.monotonic() < deadline:
        time.sleep(1)
    settled = proc(server.pid)
    report = call_report(info["url"], info["token"])
    server.terminate()
    server.wait(timeout=30)

    summaries = [summary for client in clients for summary in client.summaries]
    lost = [n for summary in summaries for n in summary["lost"]]
    figures = {
        "calls": CALLS,
        "clients": CLIENTS,
        "kills": kills,
        "seconds": round(took, 1),
        "calls_per_second": round(CALLS / took),
        "answered_by_finishing_clients": sum(s["answered"] for s in summaries),
        "cancelled_by_finishing_clients": sum(s["cancelled"] for s in summaries),
        "lost": len(lost),
        "server": report,
        "idle": idle,
        "after_warm_up": baseline,
        "peak_rss_kib": peak_rss,
        "rss_kib_each_tenth": series,
        "at_end": end,
        "settled": settled,
        "rss_growth_mib": round((settled["rss_kib"] - baseline["rss_kib"]) / 1024, 2),
    }
    print(json.dumps(figures, indent=2))
    problems = []
    if lost:
        problems.append(f"{len(lost)} calls lost: {lost[:10]}")
    if report["repeats"] or report["out_of_order"]:
        problems.append(f"calls repeated or out of order: {report}")
    accounted = sum(
        report[f"host_{key}"] for key in ("done", "failed", "cancelled", "timed_out", "refused")
    )
    if accounted != report["host_submitted"] - 1:  # the report call itself runs
        problems.append(f"{report['host_submitted']} submitted, {accounted} accounted for")
    if figures["rss_growth_mib"] >= 5:
        problems.append(f"RSS grew {figures['rss_growth_mib']} MiB after warm-up")
    if settled["fds"] != idle["fds"] or settled["threads"] != idle["threads"]:
        problems.append(f"not back to idle: {idle} then {settled}")
    if problems:
        sys.exit("soak failed: " + "; ".join(problems))


def call_report(url: str, token: str) -> dict[str, int]:
    """``soak_report``, through a session of its own."""
    session = Http(url, token)
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "soak_report"}}
    answer = session.call(call, lambda: None, BOUND)
    session.client.delete(url)
    result: dict[str, int] = answer["result"]["structuredContent"]
    return result


if __name__ == "__main__":
    main()
