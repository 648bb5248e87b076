"""Scenario 5: where the server's per-record time goes — cProfile over the scenario-1 workload, on SQLite.

The profiler runs only while the server handles a request (enabled and disabled around each call in the
worker thread that serves it), so the simulator and the benchmark's own client are not in the figures.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import per_record
from benchmarks.databases import sqlite_url
from benchmarks.site import Site
from benchmarks.stats import ms

# Stages of a record's trip, as the cumulative time of the function that does each; they do not overlap.
STAGES = {
    "API PUT (validate JSON, store, queue)": ("qbwc_server/web/api.py", "put_record"),
    "plan the batch (queue + prerequisites)": ("qbwc_server/sync/planner.py", "plan_batch"),
    "render qbXML (steps and builders)": ("qbwc_server/sync/engine.py", "_render"),
    "schema check (lxml XMLSchema)": ("qbwc_server/sync/engine.py", "_drop_invalid"),
    "claim (compare-and-set)": ("qbwc_server/sync/lifecycle.py", "claim"),
    "parse QuickBooks' answer": ("qbwc_server/qbxml/parse.py", "parse_response"),
    "file answers (steps and transitions)": ("qbwc_server/sync/engine.py", "_file"),
    "progress / has_work": ("qbwc_server/sync/engine.py", "progress"),
    "commit (flush + COMMIT)": ("sqlalchemy/orm/session.py", "commit"),
}
# Self time grouped by the library it is spent in.
LAYERS = [
    ("database: SQLAlchemy", ("sqlalchemy/",)),
    ("database: driver (sqlite3 / psycopg)", ("sqlite3", "psycopg")),
    ("templates: Jinja2 / MarkupSafe", ("jinja2/", "markupsafe")),
    ("SOAP: spyne", ("spyne/",)),
    ("web: Flask / Werkzeug", ("flask/", "werkzeug/", "flask_login", "flask_wtf")),
    ("JSON Schema (API input)", ("jsonschema", "referencing", "rpds")),
    # lxml's compiled calls are invisible to cProfile: their time counts as the calling function's own.
    ("qbwc_server's own code (with the lxml calls it makes)", ("qbwc_server/",)),
]


class Profiler:
    """A cProfile that `TimedApp` switches on only while a request is being served."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile()

    def __call__(self, active: bool) -> None:
        """Enable or disable profiling in the serving thread."""
        if active:
            self.profile.enable()
        else:
            self.profile.disable()


def run(records: int) -> dict[str, Any]:
    """Profile `records` customers, invoices and payments on SQLite; return stages, layers and top functions."""
    with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
        # One server thread: cProfile follows one thread at a time, and the calls come one by one anyway.
        site = Site(sqlite_url(Path(folder)), threads=1)
        try:
            per_record.warm_up(site)
            profiler = Profiler()
            site.app.hook = profiler
            site.engine.timings = dict.fromkeys(site.engine.timings, 0.0)
            figures = measure_workload(site, records)
            site.app.hook = None
        finally:
            site.close()
    return {"records_per_kind": records, **figures, **breakdown(profiler.profile, figures["records"])}


def measure_workload(site: Site, records: int) -> dict[str, Any]:
    """Run the scenario-1 kinds and return the server's total time and record count."""
    total_records = 0
    server_seconds = 0.0
    offset = 10_000  # other numbers than the warm-up's
    customers = [f"pc{n}" for n in range(records)]
    kinds = [
        [("customers", ext, per_record.payloads.customer(offset + n)) for n, ext in enumerate(customers)],
        [
            ("invoices", f"pinv{n}", per_record.payloads.invoice(offset + n, customers[n], per_record.ITEMS))
            for n in range(records)
        ],
        [
            ("payments", f"pp{n}", per_record.payloads.payment(offset + n, customers[n], f"pinv{n}", "200.00"))
            for n in range(records)
        ],
    ]
    for puts in kinds:
        for resource, external_id, body in puts:
            site.api.put(resource, external_id, body)
        site.sync()
        total_records += len(puts)
    server_seconds = sum(seconds for _, seconds in site.app.take())
    return {"records": total_records, "server_seconds": round(server_seconds, 3)}


def breakdown(profile: cProfile.Profile, records: int) -> dict[str, Any]:
    """Turn the profile into per-record stage and layer times and the top functions by self time."""
    top = io.StringIO()
    stats = pstats.Stats(profile, stream=top)
    raw = stats.stats  # type: ignore[attr-defined]
    profiled = sum(row[2] for row in raw.values())
    stages = {}
    for label, (path, name) in STAGES.items():
        cumulative = sum(row[3] for (file, _, func), row in raw.items() if func == name and file.endswith(path))
        stages[label] = ms(cumulative / records)
    layers: dict[str, float] = {label: 0.0 for label, _ in LAYERS}
    layers["other (stdlib, waitress, …)"] = 0.0
    for (file, _, func), row in raw.items():
        where = f"{file} {func}"
        label = next((lbl for lbl, marks in LAYERS if any(mark in where for mark in marks)), None)
        layers[label or "other (stdlib, waitress, …)"] += row[2]
    stats.sort_stats("tottime").print_stats(25)
    return {
        "profiled_ms_per_record": ms(profiled / records),
        "stages_ms_per_record": stages,
        "layers_ms_per_record": {label: ms(seconds / records) for label, seconds in layers.items()},
        "top_functions": _top_lines(top.getvalue()),
    }


def _top_lines(text: str) -> list[str]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("ncalls")), len(lines))
    return [" ".join(line.split()) for line in lines[start : start + 26] if line.strip()]
