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
        "stack_floor": _stack_floor,
        "growth": _growth,
        "by_kind": _by_kind,
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


def _stack_floor(r: dict[str, Any]) -> str:
    from benchmarks.stack_floor import rows

    counts = f"{r['soap_calls']} SOAP calls, {r['statements']} statements, {r['commits']} COMMITs"
    costliest = "\n".join(f"- {ms} ms: {sql}" for ms, sql in r["costliest_statements_ms"])
    return (
        table(["part, replayed alone", "ms per record"], list(rows(r)))
        + f"\n\n{counts} for {r['records']} records; the costliest statements replayed:\n{costliest}"
    )


def _growth(r: dict[str, Any]) -> str:
    from benchmarks.growth import big_rows, rows

    sizes = table(
        ["new customers in one sync", "server ms per record", "server CPU ms per record", "statements per record"]
        + ["round trips", "sessions"],
        list(rows(r)),
    )
    headers = ["database", "synced records", "1 new: PUT ms", "1 new: sync ms", "1 new: statements (PUT + sync)"]
    headers += [f"{r['batch']} new, twice: sync ms per record", "sync CPU ms per record", "PUT ms per record"]
    headers += ["statements per record (PUT + sync)", f"{r['batch']} invoices: sync CPU ms per record (statements)"]
    headers += ["full scans"]
    big = table(headers, list(big_rows(r)))
    scans = "\n".join(f"- {scan}" for scan in r["full_scans"]) or "- none"
    slow = "\n".join(
        f"- {kind}: " + "; ".join(f"{ms} ms {text[:90]}" for ms, text in figures["big"]["slowest_statements_ms"][:3])
        for kind, figures in r["big_company"].items()
    )
    return (
        f"{sizes}\n\n{big}\n\nFull scans of records, queue items or the sync log in the big company:\n{scans}"
        f"\n\nSlowest statements of the first batch in the big company:\n{slow}"
    )


def _by_kind(r: dict[str, Any]) -> str:
    from benchmarks.by_kind import rows

    headers = ["kind", "records", "database", "server ms per record", "server CPU ms per record"]
    headers += ["statements per record", "round trips"]
    return table([*headers, "PostgreSQL / SQLite"], list(rows(r)))


def _per_record(r: dict[str, Any]) -> str:
    rows = []
    for db, figures in r["databases"].items():
        for kind in ("customer", "invoice_5_lines", "payment_applied", "customer_mod", "customer_edit_queued"):
            if kind not in figures:
                continue  # results from before the edits were measured
            f = figures[kind]
            rows.append(
                [db, kind, f["records"], f["median_ms"], f["p95_ms"], f["put_median_ms"], f["put_cpu_median_ms"]]
                + [f["sync_median_ms"]]
                + [f["round_trips"], f"{f['put_statements_per_record']} + {f['sync_statements_per_record']}"]
            )
    headers = ["database", "kind", "records", "median ms", "p95 ms", "PUT median ms", "PUT CPU median ms"]
    headers += ["sync median ms", "round trips"]
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
    inside = r.get("inside_workers", {})
    for row in rows:
        f = inside.get(row[0], {})
        row += [f.get("median_ms", "-"), f.get("p99_ms", "-")]
    tail = (
        f"\n\nserver CPU {r['server_cpu_seconds']} s (by process, busiest first: {r.get('server_cpu_by_process')}), "
        f"PostgreSQL CPU {r.get('postgres_cpu_seconds')} s, "
        f"the load generator's CPU (connectors and simulated QuickBooks) {r.get('client_cpu_seconds')} s, "
        f"PostgreSQL connections opened during the sync {r.get('postgres_connections_opened')}, "
        f"lock waits {r.get('lock_waits')}"
    )
    headers = ["SOAP call", "p50 ms", "p99 ms", "max ms", "inside worker p50 ms", "inside worker p99 ms"]
    return head + table(headers, rows) + tail


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
