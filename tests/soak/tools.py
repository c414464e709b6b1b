"""The soak's tools: ``stamp`` records that a client's call ran, checking
the order each client's calls run in without keeping them (the server's
memory is what the soak measures)."""

from __future__ import annotations

import time

import dcclink

#: Per client: the number of its last call that ran.
last: dict[str, int] = {}
report = {"runs": 0, "repeats": 0, "out_of_order": 0}


@dcclink.tool
def stamp(client: str, n: int, ctx: dcclink.Context, seconds: float = 0.0) -> int:
    """Records that call ``n`` of ``client`` ran, after ``seconds`` (or its
    cancel). A client numbers its calls from 1, in the order it sends them."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not ctx.cancelled:
        time.sleep(0.001)
    before = last.get(client, 0)
    if n == before:
        report["repeats"] += 1
    elif n < before:
        report["out_of_order"] += 1
    last[client] = n
    report["runs"] += 1
    return n


@dcclink.tool
def soak_report() -> dict[str, int]:
    """What ``stamp`` saw, and the host's counters."""
    return {**report, **{f"host_{key}": value for key, value in dcclink.stats().items()}}
