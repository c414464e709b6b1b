"""Wake latency on the Qt host (target p50 ≤ 1 ms): from a worker thread
queuing work for the main thread to the work starting on the Qt main
thread, with Qt idle in its event loop in between. In the same run, the
same measurement with the pump driven by a QTimer instead: every 16 ms (the
seeds' batching) and every 50 ms (the fastest peer's poll).

    .venv/bin/python tests/benches/qt_wake.py
"""

from __future__ import annotations

import os
import random
import threading
import time
from typing import Optional

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dcclink
from figures import pct
from PySide6 import QtCore, QtWidgets

app = QtWidgets.QApplication(["qt-wake-bench"])


def sample(count: int, gap_ms: float) -> list[float]:
    """Runs Qt's loop while a worker queues `count` calls, a random pause of
    up to `gap_ms` apart; the wake latencies in ms."""
    latencies: list[float] = []

    def worker() -> None:
        for _ in range(count):
            time.sleep(random.uniform(0.2, gap_ms) / 1000)
            queued = time.perf_counter()
            started = dcclink.run_on_main_thread(time.perf_counter).wait(10)
            latencies.append((started - queued) * 1000)
        dcclink.run_on_main_thread(app.quit)

    threading.Thread(target=worker, daemon=True).start()
    app.exec()
    return latencies


def measure(host: str, timer_ms: Optional[int], count: int) -> list[float]:
    dcclink.start(host=host)
    timer: Optional[QtCore.QTimer] = None
    if timer_ms is not None:
        timer = QtCore.QTimer()
        timer.timeout.connect(lambda: dcclink.pump(10))
        timer.start(timer_ms)
    try:
        return sample(count, gap_ms=20)
    finally:
        if timer is not None:
            timer.stop()
        dcclink.stop()


def line(label: str, values: list[float], base: float) -> str:
    p50 = pct(values, 0.5)
    return (
        f"| {label} | {p50:.3f} ms | {pct(values, 0.9):.3f} ms | {pct(values, 0.99):.3f} ms "
        f"| {max(values):.3f} ms | {len(values)} | {p50 / base:.0f}x |"
    )


def main() -> None:
    wake = measure("qt", None, 2000)
    batch = measure("none", 16, 300)
    poll = measure("none", 50, 200)
    base = pct(wake, 0.5)
    print("| the main thread learns of work by | p50 | p90 | p99 | max | samples | p50 / dcclink |")
    print("|---|---|---|---|---|---|---|")
    print(line("dcclink: QSocketNotifier on the wake descriptor", wake, base))
    print(line("QTimer every 16 ms (the seeds' batching)", batch, base))
    print(line("QTimer every 50 ms (the fastest peer)", poll, base))


if __name__ == "__main__":
    main()
