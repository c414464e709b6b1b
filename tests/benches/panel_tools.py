"""Tools for the panel benchmark (tests/benches/panel_latency.py)."""

from __future__ import annotations

import time

import dcclink


@dcclink.tool(timeout=120)
def stamped_progress(ctx: dcclink.Context, n: int = 300, delay: float = 0.02) -> int:
    """Report progress n times; each message is the wall-clock time in ms."""
    for i in range(n):
        ctx.progress(i + 1, n, f"{time.time() * 1000:.3f}")
        time.sleep(delay)
    return n


@dcclink.tool(timeout=120)
def emit_burst(ctx: dcclink.Context, n: int = 10_000, seconds: float = 1.0) -> dict:
    """Emit n events evenly over `seconds`; time each emit."""
    costs = []
    start = time.perf_counter()
    for i in range(n):
        while time.perf_counter() - start < i * seconds / n:
            pass
        before = time.perf_counter_ns()
        ctx.emit("burst", i)
        costs.append(time.perf_counter_ns() - before)
    elapsed = time.perf_counter() - start
    costs.sort()
    return {
        "rate": n / elapsed,
        "p50_us": costs[n // 2] / 1000,
        "p99_us": costs[int(n * 0.99)] / 1000,
        "max_us": costs[-1] / 1000,
    }


@dcclink.panel.callback
def stamp() -> float:
    """When the callback started, in wall-clock ms."""
    return time.time() * 1000
