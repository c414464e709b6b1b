"""Wake latency as Python sees it: a worker thread posts a callable with
``run_on_main_thread`` to a main thread parked in the standalone host's loop
(``serve_forever``); measured from just before the post to the callable's
first line, GIL hand-over included.

    .venv/bin/python tests/benches/wake_from_python.py
"""

from __future__ import annotations

import threading
import time

from dcclink import _native

SAMPLES = 5_000


def main() -> None:
    host = _native.Host()
    latencies: list[int] = []

    def worker() -> None:
        time.sleep(0.2)
        for _ in range(SAMPLES):
            time.sleep(0.0002)  # let the host go idle
            pushed = time.perf_counter_ns()
            host.post(lambda p=pushed: latencies.append(time.perf_counter_ns() - p), ()).wait(5)
        host.stop()

    thread = threading.Thread(target=worker)
    thread.start()
    host.serve_forever()
    thread.join()
    latencies.sort()

    def at(q: float) -> float:
        return latencies[int((len(latencies) - 1) * q)] / 1000

    print(
        f"| wake from a Python thread → main thread ({SAMPLES} samples) "
        f"| {at(0.5):.1f} µs | {at(0.9):.1f} µs | {at(0.99):.1f} µs | {at(1.0):.1f} µs |"
    )


if __name__ == "__main__":
    main()
