"""Small statistics the benchmarks report: percentiles in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile (`share` between 0 and 1) of `values`; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    """Return seconds as milliseconds rounded to 0.01 ms."""
    return round(seconds * 1000, 2)


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """Return median, p95, p99, mean and max of durations in seconds, as milliseconds."""
    return {
        "median_ms": ms(percentile(values, 0.5)),
        "p95_ms": ms(percentile(values, 0.95)),
        "p99_ms": ms(percentile(values, 0.99)),
        "mean_ms": ms(sum(values) / len(values)) if values else 0.0,
        "max_ms": ms(max(values)) if values else 0.0,
    }
