"""Fixtures for webhook tests: the end-to-end harness, a loopback receiver, and a fast delivery thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from qbwc_server.runtime import Runtime
from qbwc_server.webhooks.delivery import Deliverer, RetrySchedule
from tests.harness import Harness
from tests.integration.webhooks.receiver import Receiver

# The production schedule in miniature: the same doubling shape, in tenths of a second instead of minutes.
FAST = RetrySchedule(first_delay_seconds=0.1, factor=2.0, max_delay_seconds=1.0, attempts=6)


@pytest.fixture
def harness(runtime) -> Iterator[Harness]:
    """One company on a live server with a simulated QuickBooks."""
    h = Harness(runtime)
    yield h
    h.close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    """Build loopback receivers (stopped after the test)."""
    made: list[Receiver] = []

    def make(failures: int = 0, hold: threading.Event | None = None) -> Receiver:
        r = Receiver(failures=failures, hold=hold)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def deliverer() -> Iterator[Callable[..., Deliverer]]:
    """Start delivery threads on a runtime, with the fast schedule (stopped after the test)."""
    started: list[Deliverer] = []

    def start(runtime: Runtime, **kwargs) -> Deliverer:
        options = {"schedule": FAST, "poll_seconds": 0.02, "timeout_seconds": 5.0, **kwargs}
        d = Deliverer(runtime, **options).start()
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()
