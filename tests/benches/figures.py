"""Percentiles and table rows shared by the panel benchmarks."""

from __future__ import annotations


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0 ≤ q ≤ 1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def row(label: str, values: list[float]) -> str:
    """A Markdown table row: label, p50, p95, max (ms) and the sample count."""
    if not values:
        return f"| {label} | - | - | - | 0 |"
    return (
        f"| {label} | {pct(values, 0.5):.1f} ms | {pct(values, 0.95):.1f} ms "
        f"| {max(values):.1f} ms | {len(values)} |"
    )


HEADER = "| measurement | p50 | p95 | max | samples |\n|---|---|---|---|---|"
