"""Scenario: a crash and fault soak. Mixed records sync while faults hit the Web Connector sessions.

Real `qbwc-server serve` processes (one on SQLite, two sharing PostgreSQL) serve one company. The host app PUTs
customers, jobs, items, invoices, payments, vendors and bills, and edits some of them along the way. Web Connector
sessions then run against the servers while a seeded random share of them goes wrong the ways real ones do:

- `lost_answer`: QuickBooks applied the message set, but its answer never reached the server;
- `abandoned`: the Web Connector stopped mid-session, without closeConnection;
- `connection_error`: QuickBooks could not open the company file, reported with connectionError;
- `killed_after_applied`: the server process is killed with SIGKILL after QuickBooks applied a message set;
- `killed_before_applied`: the server process is killed while QuickBooks holds a message set it has not run.

A killed server is started again. At the end, clean sessions run until the server has nothing to do, and both
sides are checked: every record synced, nothing left queued or in flight, and QuickBooks holding exactly one entry
per record with every total equal to the app's.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks import payloads
from benchmarks.databases import postgres, sqlite_url
from benchmarks.servers import ServerProcess
from benchmarks.site import PASSWORD, ApiClient, add_company, bench_settings
from qbwc_server.models import OPEN_STATUSES, QueueItem, Record, SyncLogEntry
from qbwc_server.runtime import Runtime
from qbwc_server.simulator import FakeCompany, FakeWebConnector
from qbwc_server.simulator.errors import ServerUnreachableError
from qbwc_server.simulator.webconnector import Faults

FAULT_KINDS = ("lost_answer", "abandoned", "connection_error", "killed_after_applied", "killed_before_applied")
# Shares of the mix; what is left over goes to customers.
MIX = {"jobs": 0.15, "items": 0.05, "invoices": 0.3, "payments": 0.15, "vendors": 0.03, "bills": 0.1}
# The session outcome that shows each fault struck.
FAULT_OUTCOMES = {
    "lost_answer": "dropped",
    "abandoned": "ended",
    "connection_error": "connection_error",
    "killed_after_applied": "unreachable",
    "killed_before_applied": "unreachable",
}
SESSION_ROUND_TRIPS = 4  # a clean session stops after this many round trips, so faults keep coming
CLEAN_UP_SESSIONS = 40
MAX_SESSIONS_PER_RECORD = 0.5


@dataclass
class Workload:
    """The app's records and what QuickBooks must end with."""

    puts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    # Expected QuickBooks contents: names of list entries, and totals of transactions by reference number.
    customer_names: set[str] = field(default_factory=set)
    item_names: set[str] = field(default_factory=set)
    vendor_names: set[str] = field(default_factory=set)
    invoice_totals: dict[str, Decimal] = field(default_factory=dict)
    paid: dict[str, Decimal] = field(default_factory=dict)
    payment_amounts: dict[str, Decimal] = field(default_factory=dict)
    bill_totals: dict[str, Decimal] = field(default_factory=dict)
    edits: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


def workload(total: int, seed: int = 1) -> Workload:
    """Return `total` mixed records (parents first) and a few later edits, the same for the same seed."""
    rng = random.Random(seed)
    counts = {kind: max(1, int(total * share)) for kind, share in MIX.items()}
    counts["customers"] = max(1, total - sum(counts.values()))
    w = Workload()
    customers = [f"c{n}" for n in range(counts["customers"])]
    for n, ext in enumerate(customers):
        w.puts.append(("customers", ext, payloads.customer(n)))
        w.customer_names.add(f"Smith{n}, Ann{n}")
    jobs: list[tuple[str, str]] = []
    for n in range(counts["jobs"]):
        owner = n % len(customers)
        w.puts.append(("jobs", f"j{n}", payloads.job(n, customers[owner])))
        w.customer_names.add(f"Smith{owner}, Ann{owner}:J{n} - {n} Oak Ave")
        jobs.append((customers[owner], f"j{n}"))
    items = [f"i{n}" for n in range(counts["items"])]
    for n, ext in enumerate(items):
        w.puts.append(("items", ext, payloads.item(n)))
        w.item_names.add(f"Service {n}")
    invoices: list[tuple[str, str, Decimal]] = []
    for n in range(counts["invoices"]):
        lines = []
        for k in range(rng.randint(1, payloads.LINES_PER_INVOICE)):
            quantity, rate = rng.randint(1, 5), Decimal(rng.randint(1000, 30000)) / 100
            lines.append({"id": f"l{k}", "item": rng.choice(items), "quantity": str(quantity), "rate": str(rate)})
        owner = customers[n % len(customers)]
        body: dict[str, Any] = {
            "customer": owner,
            "number": f"S{n}",
            "date": "2026-11-02",
            "status": "sent",
            "lines": lines,
        }
        if jobs and n % 3 == 0:
            owner, body["job"] = jobs[n % len(jobs)]
            body["customer"] = owner
        w.puts.append(("invoices", f"inv{n}", body))
        subtotal = sum(Decimal(line["quantity"]) * Decimal(line["rate"]) for line in lines)
        w.invoice_totals[f"S{n}"] = subtotal
        invoices.append((owner, f"inv{n}", subtotal))
    for n in range(min(counts["payments"], len(invoices))):
        owner, invoice, subtotal = invoices[n]
        amount = subtotal if n % 2 else (subtotal / 2).quantize(Decimal("0.01"))
        body = payloads.payment(n, owner, invoice, str(amount))
        w.puts.append(("payments", f"p{n}", body))
        w.paid[f"S{n}"] = amount
        w.payment_amounts[body["reference"]] = amount
    vendors = [f"v{n}" for n in range(counts["vendors"])]
    for n, ext in enumerate(vendors):
        w.puts.append(("vendors", ext, {"name": f"Supplier {n}", "is_1099": n % 2 == 0}))
        w.vendor_names.add(f"Supplier {n}")
    for n in range(counts["bills"]):
        amount = Decimal(rng.randint(1000, 90000)) / 100
        body = {
            "vendor": vendors[n % len(vendors)],
            "number": f"VB{n}",
            "date": "2026-11-03",
            "expense_lines": [{"account": "Job Materials", "amount": str(amount), "memo": "materials"}],
        }
        w.puts.append(("bills", f"b{n}", body))
        w.bill_totals[f"VB{n}"] = amount
    # Later edits (sent as Mods once the record is in QuickBooks): customers' phones and invoices' memos.
    for ext in customers[:: max(1, len(customers) // 10)]:
        n = int(ext[1:])
        w.edits.append(("customers", ext, {**payloads.customer(n), "phone": "555-0199"}))
    for resource, ext, body in w.puts:
        if resource == "invoices" and int(ext[3:]) % 10 == 5:
            w.edits.append(("invoices", ext, {**body, "memo": "edited by the app"}))
    return w


class FaultyQuickBooks(FakeCompany):
    """A QuickBooks company that calls `before` and `after` around each message set (None: nothing happens)."""

    before: Callable[[], None] | None = None
    after: Callable[[], None] | None = None

    def process_detailed(self, request_xml: str):  # type: ignore[no-untyped-def]
        """Run the hooks around QuickBooks' own processing of a message set (not the host/company query)."""
        data_request = "<HostQueryRq" not in request_xml
        if data_request and self.before is not None:
            self.before()
        result = super().process_detailed(request_xml)
        if data_request and self.after is not None:
            self.after()
        return result


class Servers:
    """The `serve` processes of the soak, any of which may be killed with SIGKILL and started again."""

    def __init__(self, database_url: str, count: int, folder: Path) -> None:
        self.database_url = database_url
        self.folder = folder
        self.procs = [self._start(n) for n in range(count)]
        for proc in self.procs:
            proc.wait_ready()
        self.restarts = 0

    def _start(self, n: int) -> ServerProcess:
        log_file = self.folder / f"server{n}-{time.monotonic_ns()}.log"
        return ServerProcess(self.database_url, threads=4, log_file=log_file, wait=False)

    def kill(self, n: int) -> None:
        """Kill server `n` at once, as a crash or an out-of-memory kill would."""
        proc = self.procs[n]
        proc.process.kill()
        proc.process.wait(timeout=30)

    def restart_dead(self) -> None:
        """Start every server that is not running again, on a new port."""
        for n, proc in enumerate(self.procs):
            if proc.process.poll() is not None:
                proc.stop()
                self.procs[n] = self._start(n)
                self.procs[n].wait_ready()
                self.restarts += 1

    def stop(self) -> None:
        """Stop every server."""
        for proc in self.procs:
            proc.stop()


def run(
    records: int, database: str = "sqlite", *, fault_share: float = 0.5, seed: int = 1, batch_size: int = 25
) -> dict[str, Any]:
    """Sync `records` mixed records through faulty sessions; return the faults, the checks and the wall time."""
    w = workload(records, seed)
    rng = random.Random(seed)
    started = time.perf_counter()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qbwc-soak-")))
        if database == "sqlite":
            url, server_count = sqlite_url(folder), 1
        else:
            url, server_count = stack.enter_context(postgres()), 2
        runtime = Runtime(bench_settings(url))
        stack.callback(runtime.close)
        company = add_company(runtime, "soak", batch_size=batch_size)
        servers = Servers(url, server_count, folder)
        stack.callback(servers.stop)
        qb = FaultyQuickBooks.empty()
        before = {kind: set(_names(qb, kind)) for kind in ("Customer", "Vendor")}
        soak = _Soak(servers, company, qb, rng, fault_share)
        # The app keeps sending while the Web Connector runs: a slice of records between sessions, and after every
        # second slice the edits of records it sent before (some synced by then, some still queued or in flight).
        step = max(1, len(w.puts) // 8)
        put: set[tuple[str, str]] = set()
        edits = list(w.edits)
        for slice_number, begin in enumerate(range(0, len(w.puts), step)):
            api = ApiClient(servers.procs[0].url, company["token"])
            for resource, ext, body in w.puts[begin : begin + step]:
                api.put(resource, ext, body)
                put.add((resource, ext))
            if slice_number % 2:
                due = [edit for edit in edits if (edit[0], edit[1]) in put]
                edits = [edit for edit in edits if (edit[0], edit[1]) not in put]
                for resource, ext, body in due:
                    api.put(resource, ext, body)
            for _ in range(3):
                soak.session()
        for resource, ext, body in edits:
            ApiClient(servers.procs[0].url, company["token"]).put(resource, ext, body)
        session_limit = int(records * MAX_SESSIONS_PER_RECORD) + 50
        while not soak.quiet() and soak.sessions < session_limit:
            soak.session()
        clean = 0
        while clean < CLEAN_UP_SESSIONS:
            clean += 1
            if soak.session(faults_allowed=False) == "no_work":
                break
        checks = _check(runtime, qb, w, before)
    wall = time.perf_counter() - started
    faults = dict(soak.faults)
    return {
        "database": database,
        "server_processes": server_count,
        "records": len(w.puts),
        "edits": len(w.edits),
        "sessions": soak.sessions,
        "round_trips": soak.round_trips,
        "faults": faults,
        "fault_total": sum(faults.values()),
        "faults_per_round_trip": round(sum(faults.values()) / max(soak.round_trips, 1), 3),
        "restarts": servers.restarts,
        "clean_up_sessions": clean,
        "wall_seconds": round(wall, 1),
        **checks,
    }


class _Soak:
    """Run sessions against the servers, choosing each one's fault."""

    def __init__(
        self, servers: Servers, company: dict[str, Any], qb: FaultyQuickBooks, rng: random.Random, share: float
    ) -> None:
        self.servers = servers
        self.company = company
        self.qb = qb
        self.rng = rng
        self.share = share
        self.sessions = 0
        self.round_trips = 0
        self.faults: Counter[str] = Counter({kind: 0 for kind in FAULT_KINDS})
        self.turn = 0
        self.last_outcome = ""

    def quiet(self) -> bool:
        """Tell whether the last session found nothing to do."""
        return self.last_outcome == "no_work"

    def session(self, *, faults_allowed: bool = True) -> str:
        """Run one Web Connector session, perhaps with a fault; return its outcome."""
        self.sessions += 1
        n = self.sessions % len(self.servers.procs)
        # Faults take turns, and a fault that did not strike (the session ended before its round trip) comes again.
        fault = FAULT_KINDS[self.turn % len(FAULT_KINDS)] if faults_allowed and self.rng.random() < self.share else None
        at = self.rng.randint(1, 2)
        faults = Faults()
        if fault == "lost_answer":
            faults.drop_response_at = at
        elif fault == "abandoned":
            faults.end_after_round_trips = at
        elif fault == "connection_error":
            faults.connection_errors = 1
        connector = FakeWebConnector(
            self.servers.procs[n].url + "/qbwc",
            self.company["username"],
            PASSWORD,
            self.qb,
            owner_id=self.company["owner_id"],
            file_id=self.company["file_id"],
            faults=faults,
            max_round_trips=SESSION_ROUND_TRIPS if faults_allowed else 10_000,
            timeout=60,
        )
        self._arm(fault, at, n)
        try:
            report = connector.run_session()
            outcome = report.outcome
            self.round_trips += report.round_trips
        except ServerUnreachableError as exc:
            outcome = "unreachable"
            self.round_trips += getattr(exc.report, "round_trips", 0)
        finally:
            self.qb.before = self.qb.after = None
        # A fault counts only when it struck (a session may end before the round trip it was set for).
        if fault is not None and outcome == FAULT_OUTCOMES[fault]:
            self.faults[fault] += 1
            self.turn += 1
        self.servers.restart_dead()
        self.last_outcome = outcome
        return outcome

    def _arm(self, fault: str | None, at: int, n: int) -> None:
        """Set QuickBooks' hooks so the server is killed at round trip `at` of this session."""
        if fault not in ("killed_after_applied", "killed_before_applied"):
            return
        seen = {"sets": 0}

        def count_and_kill(before: bool) -> None:
            seen["sets"] += 1 if before else 0
            if seen["sets"] == at:
                self.servers.kill(n)
                if before:
                    raise ServerUnreachableError("the server was killed while QuickBooks held its request")

        if fault == "killed_before_applied":
            self.qb.before = lambda: count_and_kill(True)
        else:
            self.qb.before = lambda: seen.__setitem__("sets", seen["sets"] + 1)
            self.qb.after = lambda: count_and_kill(False)


def _names(qb: FakeCompany, kind: str) -> list[str]:
    return [qb.full_name(entry) for entry in qb.state.lists[kind].values()]


def _check(runtime: Runtime, qb: FakeCompany, w: Workload, before: dict[str, set[str]]) -> dict[str, Any]:
    """Compare the server's records and QuickBooks' contents with the workload; return the counts."""
    with runtime.transaction() as db:
        states = Counter(r.value for r in db.scalars(select(Record.sync_state)))
        open_items = len(db.scalars(select(QueueItem.id).where(QueueItem.status.in_(OPEN_STATUSES))).all())
        unsynced = list(db.scalars(select(Record).where(Record.sync_state != "synced").limit(5)))
        errors = [f"{r.kind.value} {r.external_id}: {(r.last_error or {}).get('message')}" for r in unsynced]
        # The first unsynced record's whole story, to read what went wrong.
        story = (
            [
                f"{entry.event.value}: {entry.message}"
                for entry in db.scalars(
                    select(SyncLogEntry).where(SyncLogEntry.record_id == unsynced[0].id).order_by(SyncLogEntry.id)
                )
            ]
            if unsynced
            else []
        )
    lists = qb.state.lists
    customers = Counter(n for n in _names(qb, "Customer") if n not in before["Customer"])
    items = Counter(i["Name"] for kind in ("ItemService", "ItemNonInventory") for i in lists[kind].values())
    vendors = Counter(n for n in _names(qb, "Vendor") if n not in before["Vendor"])
    invoices = Counter(t["RefNumber"] for t in qb.state.txns["Invoice"].values())
    payments = Counter(t.get("RefNumber") for t in qb.state.txns["ReceivePayment"].values())
    bills = Counter(t.get("RefNumber") for t in qb.state.txns["Bill"].values())
    found = {
        "customers": (customers, w.customer_names),
        "items": (items, w.item_names),
        "vendors": (vendors, w.vendor_names),
        "invoices": (invoices, set(w.invoice_totals)),
        "payments": (payments, set(w.payment_amounts)),
        "bills": (bills, set(w.bill_totals)),
    }
    duplicates = {kind: sum(max(0, counts[key] - 1) for key in expected) for kind, (counts, expected) in found.items()}
    missing = {kind: sorted(k for k in expected if counts[k] == 0)[:5] for kind, (counts, expected) in found.items()}
    strangers = {kind: sorted(set(counts) - expected)[:5] for kind, (counts, expected) in found.items()}
    wrong_totals: list[str] = []
    for invoice in qb.state.txns["Invoice"].values():
        number = invoice["RefNumber"]
        if number not in w.invoice_totals:
            continue
        subtotal = Decimal(invoice["Subtotal"])
        total = subtotal + Decimal(invoice.get("SalesTaxTotal") or "0")
        if subtotal != w.invoice_totals[number]:
            wrong_totals.append(f"invoice {number}: subtotal {subtotal} != {w.invoice_totals[number]}")
        elif Decimal(invoice["BalanceRemaining"]) != total - w.paid.get(number, Decimal(0)):
            wrong_totals.append(f"invoice {number}: balance {invoice['BalanceRemaining']} with {w.paid.get(number)}")
    for payment in qb.state.txns["ReceivePayment"].values():
        reference = payment.get("RefNumber")
        if reference in w.payment_amounts and Decimal(payment["TotalAmount"]) != w.payment_amounts[reference]:
            wrong_totals.append(f"payment {reference}: {payment['TotalAmount']}")
    for bill in qb.state.txns["Bill"].values():
        number = bill.get("RefNumber")
        if number in w.bill_totals and Decimal(bill["AmountDue"]) != w.bill_totals[number]:
            wrong_totals.append(f"bill {number}: {bill['AmountDue']} != {w.bill_totals[number]}")
    # Each later edit must be in QuickBooks: customers' new phone, invoices' new memo.
    phones = {qb.full_name(c): c.get("Phone") for c in lists["Customer"].values()}
    memos = {t["RefNumber"]: t.get("Memo") for t in qb.state.txns["Invoice"].values()}
    edits_missing = []
    for resource, ext, body in w.edits:
        if resource == "customers":
            in_quickbooks = phones.get(f"{body['last_name']}, {body['first_name']}") == body["phone"]
        else:
            in_quickbooks = memos.get(body["number"]) == body["memo"]
        if not in_quickbooks:
            edits_missing.append(ext)
    with runtime.transaction() as db:
        stories = {
            ext: [
                f"{entry.event.value}: {entry.message}"
                for entry in db.scalars(
                    select(SyncLogEntry)
                    .join(Record, Record.id == SyncLogEntry.record_id)
                    .where(Record.external_id == ext)
                    .order_by(SyncLogEntry.id)
                )
            ]
            for ext in edits_missing[:1]
        }
    return {
        "sync_states": dict(states),
        "not_synced": sum(number for state, number in states.items() if state != "synced"),
        "not_synced_examples": errors,
        "first_not_synced_log": story,
        "open_queue_items": open_items,
        "duplicates": sum(duplicates.values()),
        "duplicates_by_kind": duplicates,
        "lost": sum(len(keys) for keys in missing.values()),
        "missing_examples": {kind: keys for kind, keys in missing.items() if keys},
        "unexpected_in_quickbooks": {kind: keys for kind, keys in strangers.items() if keys},
        "wrong_totals": len(wrong_totals),
        "wrong_total_examples": wrong_totals[:5],
        "edits_missing_in_quickbooks": len(edits_missing),
        "edits_missing_examples": edits_missing[:5],
        "first_edit_missing_log": stories,
    }


def run_all(records: int, databases: tuple[str, ...]) -> dict[str, Any]:
    """Run the soak on each database; its `errors` count what went wrong (duplicates, lost, unsynced, totals)."""
    result: dict[str, Any] = {"records": records}
    errors = 0
    for database in databases:
        # Small runs use small batches, so that they too have enough round trips for the faults to strike.
        outcome = run(records, database, fault_share=0.6, batch_size=max(5, min(25, records // 80)))
        result[database] = outcome
        errors += outcome["duplicates"] + outcome["lost"] + outcome["not_synced"] + outcome["open_queue_items"]
        errors += outcome["wrong_totals"] + outcome["edits_missing_in_quickbooks"]
    result["errors"] = errors
    return result
