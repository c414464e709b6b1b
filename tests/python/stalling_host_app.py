"""A stand-in DCC whose main thread stalls on demand, as a real one does in
a modal dialog or a long render of its own, for test_faults.py.

    python stalling_host_app.py QUEUE_TIMEOUT

It starts dcclink with ``queue_timeout`` (seconds), prints ``{"url": ...,
"token": ...}`` on stdout, then pumps from its loop until killed. After
its ``stall`` tool returns, the loop blocks for the seconds asked, with
no tool running."""

from __future__ import annotations

import json
import sys
import time

import dcclink

stall_for = 0.0


@dcclink.tool
def stall(seconds: float) -> str:
    """Blocks the host's main loop for ``seconds`` once this returns."""
    global stall_for
    stall_for = seconds
    return "stalling"


@dcclink.tool
def add(a: int, b: int) -> int:
    """Adds two integers."""
    return a + b


def main() -> None:
    global stall_for
    info = dcclink.start(queue_timeout=float(sys.argv[1]))
    print(json.dumps({"url": info.url, "token": info.token}), flush=True)
    while True:
        dcclink.pump(10)
        if stall_for:
            time.sleep(stall_for)
            stall_for = 0.0
        time.sleep(0.002)


if __name__ == "__main__":
    main()
