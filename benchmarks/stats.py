"""Small statistics the benchmarks report: percentiles in milliseconds, and SQL statements counted."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


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


class StatementCount:
    """How many SQL statements an engine ran (an executemany counts once: it is one round trip's worth of work)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any, **_kwargs: Any) -> None:
        self.count += 1


@contextmanager
def statement_counter(engine: Engine) -> Iterator[StatementCount]:
    """Count the statements `engine` runs inside the block, from every thread."""
    counter = StatementCount()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)
