"""The body limit's default leaves room for QuickBooks' largest answers (`python -m benchmarks.answer_size`)."""

from __future__ import annotations

from benchmarks.answer_size import measure
from qbwc_server.config import DEFAULT_MAX_BODY_BYTES


def test_a_page_of_500_invoices_with_40_lines_fits_the_default_limit_four_times_over():
    figures = measure(invoices=500, lines=40)
    # Over spyne's old 2 MiB, which is why that limit had to go…
    assert figures["soap_body_bytes"] > 2 * 1024 * 1024
    # …and far under ours, so longer invoices fit too.
    assert figures["soap_body_bytes"] * 4 < DEFAULT_MAX_BODY_BYTES
