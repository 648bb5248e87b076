"""The end-to-end harness as a fixture: one company on a live server and a simulated QuickBooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.harness import Harness


@pytest.fixture
def harness(runtime) -> Iterator[Callable[..., Harness]]:
    """Build harnesses (closing them after the test); keyword arguments become company settings."""
    made: list[Harness] = []

    def make(**kwargs) -> Harness:
        h = Harness(runtime, **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
