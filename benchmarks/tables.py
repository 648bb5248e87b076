"""Print the results as plain Markdown tables (the same ones benchmarks/README.md shows)."""

from __future__ import annotations

from typing import Any


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """Return a Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    """Return every scenario's table, and the machine, as text."""
    m = results["machine"]
    parts = [
        f"Machine: {m['nproc']} cores, {m['memory_gib']} GiB, {m['cpu_model']}, Python {m['python']}, "
        f"{m['postgresql'] or 'no PostgreSQL'}; total {results['wall_seconds']} s"
        + (" (--quick)" if results.get("quick") else "")
    ]
    renderers = {
        "floor": _floor,
        "per_record": _per_record,
        "round_trips": _round_trips,
        "import": _import,
        "many_companies": _many_companies,
        "profile": _profile,
        "batch": _batch,
        "soak": _soak,
    }
    for name, outcome in results["scenarios"].items():
        if "skipped" in outcome or "failed" in outcome:
            parts.append(f"## {name}\n{outcome.get('skipped') or outcome.get('failed')}")
            continue
        parts.append(f"## {name} ({outcome['seconds']} s)\n" + renderers[name](outcome))
    return "\n\n".join(parts)


def _floor(r: dict[str, Any]) -> str:
    from benchmarks.floor import rows

    headers = ["server", "server ms per record", "wall ms per record (minus QuickBooks)", "round trips"]
    return table([*headers, "statements per record"], list(rows(r)))


def _per_record(r: dict[str, Any]) -> str:
    rows = []
    for db, figures in r["databases"].items():
        for kind in ("customer", "invoice_5_lines", "payment_applied"):
            f = figures[kind]
            rows.append(
                [db, kind, f["records"], f["median_ms"], f["p95_ms"], f["put_median_ms"], f["sync_median_ms"]]
                + [f["round_trips"], f"{f['put_statements_per_record']} + {f['sync_statements_per_record']}"]
            )
    headers = ["database", "kind", "records", "median ms", "p95 ms", "PUT median ms", "sync median ms", "round trips"]
    return table([*headers, "statements per record (PUT + sync)"], rows)


def _round_trips(r: dict[str, Any]) -> str:
    rows = []
    for label in ("batched", "one_per_round_trip"):
        f = r[label]
        rows.append([label, f["batch_size"], f["round_trips"], f["round_trips_per_1000"], f["sync_seconds"]])
    rows.append(["ratio", "", f"{r['round_trip_ratio']}x", "", f"{r['wall_time_ratio']}x"])
    return table(["pattern", "batch size", "round trips", "per 1,000 records", "sync wall s"], rows)


def _import(r: dict[str, Any]) -> str:
    rows = [[r["customers"], r["imported"], r["round_trips"], r["wall_seconds"], r["server_cpu_seconds"]]]
    rows[0] += [r["records_per_second_wall"], r["records_per_second_server_cpu"], r["peak_rss_mib"]]
    headers = ["customers", "imported", "round trips", "wall s", "server CPU s", "rec/s (wall − QB)"]
    return table(headers + ["rec/s (server CPU)", "server peak RSS MiB"], rows)


def _many_companies(r: dict[str, Any]) -> str:
    lat = r["soap_latency"]
    rows = [
        [
            method,
            lat[method]["median_ms"],
            lat[method]["p99_ms"],
            lat[method]["max_ms"],
        ]
        for method in ("all", "authenticate", "sendRequestXML", "receiveResponseXML")
        if method in lat
    ]
    head = (
        f"{r['companies']} companies × {r['records_per_company']} records, {r['served_by']} "
        f"on {r['database']}: sync {r['sync_wall_seconds']} s, {r['soap_calls']} SOAP calls, "
        f"errors {r['errors']}, sent twice {r['sent_twice']} (items attempted twice {r['items_attempted_twice']}, "
        f"records with two Adds {r['records_with_two_adds']}, QuickBooks duplicates {r['qb_duplicates']})\n\n"
    )
    return head + table(["SOAP call", "p50 ms", "p99 ms", "max ms"], rows)


def _profile(r: dict[str, Any]) -> str:
    stages = table(["stage (cumulative)", "ms per record"], [[k, v] for k, v in r["stages_ms_per_record"].items()])
    layers = table(["layer (self time)", "ms per record"], [[k, v] for k, v in r["layers_ms_per_record"].items()])
    return f"{r['records']} records, {r['profiled_ms_per_record']} ms per record under cProfile\n\n{stages}\n\n{layers}"


def _batch(r: dict[str, Any]) -> str:
    rows = []
    for db, f in r["databases"].items():
        rows.append(
            [db, r["records"], f["single_put_server_ms_per_record"], f["batch_server_ms_per_record"]]
            + [f["single_put_wall_ms_per_record"], f["batch_wall_ms_per_record"], f"{f['server_speedup']}x"]
            + [f"{f['single_put_statements_per_record']} / {f['batch_statements_per_record']}"]
        )
    headers = ["database", "records", "single PUT server ms", "batch server ms", "single PUT wall ms"]
    return table([*headers, "batch wall ms", "server speed-up", "statements per record (single / batch)"], rows)


def _soak(r: dict[str, Any]) -> str:
    rows = []
    for db in ("sqlite", "postgresql"):
        if db not in r:
            continue
        f = r[db]
        faults = ", ".join(f"{kind} {count}" for kind, count in f["faults"].items())
        rows.append(
            [db, f["server_processes"], f["records"], f["round_trips"], f"{f['fault_total']} ({faults})"]
            + [f["restarts"], f["duplicates"], f["lost"], f["not_synced"], f["wall_seconds"]]
        )
    headers = ["database", "servers", "records", "round trips", "faults", "restarts", "duplicates", "lost"]
    return table([*headers, "not synced", "wall s"], rows)
