"""Counters and latency histograms of the Web Connector's SOAP calls, kept by each server process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# Kept out of prometheus_client's global registry: the scrape decides how to combine the processes' values.
REGISTRY = CollectorRegistry(auto_describe=True)

# From a few milliseconds (getLastError) to the minutes a large import page may take to file.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

SOAP_CALLS = Counter(
    "qbwc_soap_calls",
    "Web Connector SOAP calls answered, by method and outcome",
    ["method", "outcome"],
    registry=REGISTRY,
)
SOAP_SECONDS = Histogram(
    "qbwc_soap_call_duration_seconds",
    "Time the server took to answer a Web Connector SOAP call",
    ["method"],
    buckets=BUCKETS,
    registry=REGISTRY,
)


def observe(method: str, outcome: str, seconds: float) -> None:
    """Count one answered SOAP call and its duration."""
    # By position, in the order of the label names above (the keyword form costs twice as much per call).
    SOAP_CALLS.labels(method, outcome_label(outcome)).inc()
    SOAP_SECONDS.labels(method).observe(seconds)


def outcome_label(outcome: str) -> str:
    """Fold an outcome that carries a number (receiveResponseXML's progress) into a word: one series each."""
    word, _, rest = outcome.partition(" ")
    if word == "progress" and rest.lstrip("-").isdigit():
        progress = int(rest)
        return "finished" if progress >= 100 else "stopped" if progress < 0 else "more"
    return outcome.replace(" ", "-")
