"""`python -m benchmarks [--quick] [--only NAME …]`: run the scenarios, print a table, write results/latest.json."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import (
    batch_upserts,
    by_kind,
    floor,
    growth,
    machine,
    many_companies,
    per_record,
    profiling,
    round_trips,
    soak,
    stack_floor,
    tables,
)
from qbwc_server.simulator.postgres import NoPostgres

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

# Sizes of the full run and of --quick (a smoke run of every scenario in seconds).
FULL = {
    "per_record": 500,
    "round_trips": 1000,
    "import": 100_000,
    "companies": 50,
    "company_size": {"customers": 30, "invoices": 15, "payments": 10},
    "client_processes": 4,
    "profile": 150,
    "batch": 1000,
    "soak": 2000,
    "floor": 500,
    "stack_floor": 500,
    "growth": (50, 500, 5000),
    "existing": 200_000,
    "by_kind": 500,
}
QUICK = {
    "per_record": 10,
    "round_trips": 60,
    "import": 2_000,
    "companies": 4,
    "company_size": {"customers": 3, "invoices": 2, "payments": 1},
    "client_processes": 1,
    "profile": 10,
    "batch": 50,
    "soak": 40,
    "floor": 50,
    "stack_floor": 50,
    "growth": (5, 20),
    "existing": 300,
    "by_kind": 10,
}


def scenarios(sizes: dict[str, Any], databases: tuple[str, ...]) -> dict[str, Callable[[], dict[str, Any]]]:
    """Return the scenarios by name, each a call that runs it at the given sizes."""
    found: dict[str, Callable[[], dict[str, Any]]] = {
        "per_record": lambda: per_record.run(sizes["per_record"], databases),
        "round_trips": lambda: round_trips.run(sizes["round_trips"]),
        "many_companies": lambda: many_companies.run(
            sizes["companies"],
            sizes["company_size"],
            workers=sizes["workers"],
            threads=sizes["threads"],
            clients=sizes["client_processes"],
        ),
        "profile": lambda: profiling.run(sizes["profile"]),
        "batch": lambda: batch_upserts.run(sizes["batch"], databases),
        "soak": lambda: soak.run_all(sizes["soak"], databases),
        "floor": lambda: floor.run(sizes["floor"]),
        "stack_floor": lambda: stack_floor.run(sizes["stack_floor"]),
        "growth": lambda: growth.run(sizes["growth"], sizes["existing"], databases=databases),
        "by_kind": lambda: by_kind.run(sizes["by_kind"], databases),
    }
    try:
        from benchmarks import imports
    except ImportError:
        pass  # the import feature is not in this tree
    else:
        found["import"] = lambda: imports.run(sizes["import"])
    return found


NAMES = (
    "floor",
    "stack_floor",
    "growth",
    "by_kind",
    "per_record",
    "round_trips",
    "import",
    "many_companies",
    "profile",
    "batch",
    "soak",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: every scenario in seconds (a smoke run)")
    parser.add_argument("--only", action="append", choices=NAMES, metavar="NAME", help=f"run only these: {NAMES}")
    parser.add_argument("--records", type=int, help="records per kind for per_record (default 500)")
    parser.add_argument("--mixed", type=int, help="mixed records for round_trips (default 1000)")
    parser.add_argument("--customers", type=int, help="customers imported by the import scenario (default 100000)")
    parser.add_argument("--companies", type=int, help="companies syncing at once (default 50)")
    parser.add_argument("--soak-records", type=int, help="mixed records synced through faults by soak (default 2000)")
    parser.add_argument("--workers", type=int, default=3, help="server processes for many_companies (default 3)")
    parser.add_argument(
        "--threads", type=int, help="threads per server process for many_companies (default: serve's, 3 per worker)"
    )
    parser.add_argument("--existing", type=int, help="synced records of growth's big company (default 200000)")
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip PostgreSQL (per_record, batch, growth, by_kind)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"where to write the JSON (default {RESULTS})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen scenarios; return 1 when one failed or reported errors."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sizes = dict(QUICK if args.quick else FULL)
    for option, key in (
        ("records", "per_record"),
        ("mixed", "round_trips"),
        ("customers", "import"),
        ("soak_records", "soak"),
        ("existing", "existing"),
    ):
        if getattr(args, option):
            sizes[key] = getattr(args, option)
    if args.companies:
        sizes["companies"] = args.companies
    sizes["workers"] = args.workers
    sizes["threads"] = args.threads
    databases = ("sqlite",) if args.sqlite_only else ("sqlite", "postgresql")
    available = scenarios(sizes, databases)
    chosen = args.only or list(NAMES)
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine.describe(), "quick": args.quick, "sizes": sizes, "scenarios": {}}
    failed = False
    for name in chosen:
        if name not in available:
            print(f"{name}: skipped (not available in this tree)", file=sys.stderr)
            results["scenarios"][name] = {"skipped": "not available in this tree"}
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        begun = time.perf_counter()
        try:
            outcome = available[name]()
        except NoPostgres as exc:
            outcome = {"skipped": str(exc)}
            failed = True
        except Exception as exc:  # a broken scenario must not hide the others' figures
            logging.getLogger("benchmarks").exception("%s failed", name)
            outcome = {"failed": f"{type(exc).__name__}: {exc}"}
            failed = True
        outcome["seconds"] = round(time.perf_counter() - begun, 1)
        results["scenarios"][name] = outcome
        failed = failed or bool(outcome.get("errors"))
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(tables.render(results))
    print(f"\nwritten to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
