"""Scenario: the floor of the chosen stack — what a whole sync of new customers costs before any of our own logic.

qbwc-kit (section 7, `floor`) is the floor of speaking the Web Connector protocol at all: its own small SOAP
reader on the standard library's ElementTree, qbXML built by string concatenation, nothing stored, nothing
checked. qbwc-server must also do what the product asks of every record, with the parts the project chose:
spyne answering the SOAP calls behind the XML guard, each request checked against Intuit's XSD, each answer read
with the hardened parser, the requests rendered from Jinja templates, and the record's trip stored durably
(SQLite in WAL mode, a COMMIT per call, the state, the QuickBooks identity and the log lines a bookkeeper reads).

This scenario runs qbwc-server's own whole sync of the customers once, recording what passed through each of
those parts (the SOAP bodies and what the server answered, the templates rendered and their values, the qbXML
requests and answers, every SQL statement with its parameters and each COMMIT), then replays each part alone on
the recorded input with none of the server's logic around it. The sum is the least this stack can cost for the
same work; what the whole sync costs above it is the server's own logic (planning, references, the lifecycle,
log and webhook values, the ORM).
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
from sqlalchemy import event

from benchmarks import payloads
from benchmarks.databases import sqlite_url
from benchmarks.floor import measure_floor
from benchmarks.site import Site
from qbwc_server.protocol import Conversation
from qbwc_server.qbxml import schema
from qbwc_server.qbxml.parse import parse_response
from qbwc_server.soap import make_soap_app
from qbwc_server.soap_guard import SoapGuard

# The Conversation methods spyne calls, whose answers the replay gives back unchanged.
CALLS = (
    "server_version",
    "client_version",
    "authenticate",
    "send_request_xml",
    "receive_response_xml",
    "connection_error",
    "get_last_error",
    "close_connection",
)
_VERSION = re.compile(r'<\?qbxml version="([0-9.]+)"\?>')
REPEATS = 3
# What the replayed statements must reproduce: the records QuickBooks gave an id.
SYNCED = "SELECT count(*) FROM records WHERE qb_id IS NOT NULL"


class Recording:
    """What one whole sync passed through each part of the stack."""

    def __init__(self) -> None:
        self.soap: list[tuple[dict[str, Any], bytes]] = []  # (environ without its body, body)
        self.answers: list[Any] = []  # what the conversation answered, call by call
        self.requests: list[str] = []  # the qbXML message sets sent
        self.responses: list[str] = []  # QuickBooks' answers received
        self.renders: list[tuple[jinja2.Template, dict[str, Any]]] = []
        self.sql: list[tuple[str, Any, bool] | None] = []  # statements; None is a COMMIT


def run(records: int = 500, batch_size: int = 25) -> dict[str, Any]:
    """Record qbwc-server's whole sync of `records` new customers, replay each part alone; return ms per record."""
    with tempfile.TemporaryDirectory(prefix="qbwc-bench-") as folder:
        site = Site(sqlite_url(Path(folder)), batch_size=batch_size)
        try:
            site.api.put("customers", "warm", payloads.customer(999_999))
            site.sync()
            for n in range(records):
                site.api.put("customers", f"c{n}", payloads.customer(n))
            before = Path(folder) / "before.db"
            _copy_database(site, before)
            site.app.take()
            recording = Recording()
            costs: dict[str, float] = {}
            with _recorded(site, recording):
                reports = site.sync()
            whole = sum(seconds for _, seconds in site.app.take()) * 1000 / records
            added = sum(r.added["Customer"] for r in reports)
            if added != records:
                raise RuntimeError(f"qbwc-server added {added} customers, expected {records}")
            parts = {
                "spyne": _best(lambda: _replay_soap(recording, site, guarded=False)),
                "spyne_and_guard": _best(lambda: _replay_soap(recording, site, guarded=True)),
                "schema_check": _best(lambda: _replay_schema(recording, site)),
                "reading_answers": _best(lambda: _replay_answers(recording)),
                "templates": _best(lambda: _replay_templates(recording)),
                "storing": _best(lambda: _replay_sql(recording, before, Path(folder), _synced(site), costs), repeats=1),
            }
        finally:
            site.close()
    kit = measure_floor(records, batch_size)["server_ms_per_record"]
    per_record = {name: round(seconds * 1000 / records, 3) for name, seconds in parts.items()}
    stack = sum(v for k, v in per_record.items() if k != "spyne")
    return {
        "records": records,
        "batch_size": batch_size,
        "parts_ms_per_record": per_record,
        "statements": sum(1 for s in recording.sql if s is not None),
        "commits": sum(1 for s in recording.sql if s is None),
        "soap_calls": len(recording.soap),
        "stack_ms_per_record": round(stack, 3),
        "whole_sync_ms_per_record": round(whole, 3),
        "qbwc_kit_ms_per_record": kit,
        "stack_against_kit": round(stack / kit, 1) if kit else None,
        "ours_above_stack_ms_per_record": round(whole - stack, 3),
        "costliest_statements_ms": [
            [round(seconds * 1000, 1), sql] for sql, seconds in sorted(costs.items(), key=lambda c: -c[1])[:6]
        ],
    }


def _best(replay: Callable[[], float], repeats: int = REPEATS) -> float:
    return min(replay() for _ in range(repeats))


def _copy_database(site: Site, target: Path) -> None:
    # SQLite's online backup: a consistent copy of the database as the sync will find it, WAL included.
    source = sqlite3.connect(str(site.runtime.engine.url.database))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


@contextmanager
def _recorded(site: Site, recording: Recording) -> Iterator[None]:
    """Note, while the block runs, what each part of the stack is given and what the conversation answers."""
    inner = site.app.app

    def capturing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") == "/qbwc" and environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = BytesIO(body)
            kept = {k: v for k, v in environ.items() if k.isupper() and isinstance(v, str)}
            recording.soap.append((kept, body))
        return inner(environ, start_response)

    def statement(conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, executemany: bool) -> None:
        recording.sql.append((sql, parameters, executemany))

    def commit(conn: Any) -> None:
        recording.sql.append(None)

    originals = {name: getattr(Conversation, name) for name in CALLS}

    def noting(name: str) -> Callable[..., Any]:
        original = originals[name]

        def call(self: Conversation, *args: Any, **kwargs: Any) -> Any:
            answer = original(self, *args, **kwargs)
            recording.answers.append(answer)
            if name == "send_request_xml" and answer:
                recording.requests.append(answer)
            if name == "receive_response_xml" and len(args) > 1 and args[1]:
                recording.responses.append(args[1])
            return answer

        return call

    original_render = jinja2.Template.render

    def rendering(template: jinja2.Template, *args: Any, **kwargs: Any) -> str:
        recording.renders.append((template, dict(*args, **kwargs)))
        return original_render(template, *args, **kwargs)

    site.app.app = capturing
    engine = site.runtime.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    for name in CALLS:
        setattr(Conversation, name, noting(name))
    jinja2.Template.render = rendering  # type: ignore[assignment]
    try:
        yield
    finally:
        jinja2.Template.render = original_render  # type: ignore[method-assign]
        for name, original in originals.items():
            setattr(Conversation, name, original)
        event.remove(engine, "commit", commit)
        event.remove(engine, "before_cursor_execute", statement)
        site.app.app = inner


class _Replayed:
    """A conversation that gives back the recorded answers in order and does nothing else."""

    def __init__(self, answers: list[Any], max_body_bytes: int) -> None:
        self._answers = iter(answers)
        self.runtime = SimpleNamespace(settings=SimpleNamespace(max_body_bytes=max_body_bytes))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in CALLS:
            raise AttributeError(name)
        return lambda *args, **kwargs: next(self._answers)


def _replay_soap(recording: Recording, site: Site, guarded: bool) -> float:
    limit = site.runtime.settings.max_body_bytes
    app: Any = make_soap_app(_Replayed(recording.answers, limit))  # type: ignore[arg-type]
    if guarded:
        app = SoapGuard(app, max_body_bytes=limit)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    spent = 0.0
    for kept, body in recording.soap:
        environ = dict(kept, **{"wsgi.input": BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": BytesIO()})
        started = time.perf_counter()
        b"".join(app(environ, start_response))
        spent += time.perf_counter() - started
    return spent


def _replay_schema(recording: Recording, site: Site) -> float:
    directory = site.runtime.settings.qbxml_schema_dir
    if directory is None:
        return 0.0
    spent = 0.0
    for request in recording.requests:
        found = _VERSION.search(request)
        version = found.group(1) if found else "13.0"
        started = time.perf_counter()
        errors = schema.validate(request, version, directory)
        spent += time.perf_counter() - started
        if errors:
            raise RuntimeError(f"a recorded request failed the schema check: {errors[:2]}")
    return spent


def _replay_answers(recording: Recording) -> float:
    started = time.perf_counter()
    for response in recording.responses:
        parse_response(response)
    return time.perf_counter() - started


def _replay_templates(recording: Recording) -> float:
    started = time.perf_counter()
    for template, context in recording.renders:
        template.render(**context)
    return time.perf_counter() - started


def _synced(site: Site) -> int:
    with site.runtime.engine.connect() as connection:
        return int(connection.exec_driver_sql(SYNCED).scalar_one())


def _replay_sql(recording: Recording, before: Path, folder: Path, synced: int, costs: dict[str, float]) -> float:
    # The same statements with the same parameters on a copy of the database as the sync found it, through the
    # sqlite3 driver alone, with the server's settings; each COMMIT where the server committed.
    copy = folder / "replay.db"
    copy.unlink(missing_ok=True)
    source = sqlite3.connect(before)
    connection = sqlite3.connect(copy, isolation_level=None, check_same_thread=False)
    try:
        source.backup(connection)
        for pragma in ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"):
            connection.execute(pragma)
        cursor = connection.cursor()
        spent = 0.0
        for entry in recording.sql:
            started = time.perf_counter()
            if entry is None:
                sql = "COMMIT"
                if connection.in_transaction:
                    cursor.execute(sql)
            else:
                sql, parameters, many = entry
                if many:
                    cursor.executemany(sql, parameters)
                else:
                    cursor.execute(sql, parameters)
                    if cursor.description is not None:
                        cursor.fetchall()
            took = time.perf_counter() - started
            spent += took
            # Statements told apart by their start (a multi-row VALUES differs only in its length).
            label = " ".join(sql.split())[:90]
            costs[label] = costs.get(label, 0.0) + took
        replayed = connection.execute(SYNCED).fetchone()
        if replayed is None or replayed[0] != synced:
            raise RuntimeError(f"the replayed statements left {replayed} records with a QuickBooks id, not {synced}")
        return spent
    finally:
        connection.close()
        source.close()


def rows(result: dict[str, Any]) -> Iterator[list[str]]:
    """Yield the table's rows: each part, the stack's sum, the whole sync and qbwc-kit."""
    labels = {
        "spyne": "spyne alone (the SOAP calls, answers given back)",
        "spyne_and_guard": "spyne behind the XML guard",
        "schema_check": "each request checked against Intuit's XSD",
        "reading_answers": "each answer read with the hardened parser",
        "templates": "the requests' Jinja templates",
        "storing": "the sync's SQL alone (sqlite3, WAL, a COMMIT per call)",
    }
    for key, label in labels.items():
        yield [label, f"{result['parts_ms_per_record'][key]:.3f}"]
    yield ["the stack's floor (all but 'spyne alone')", f"{result['stack_ms_per_record']:.3f}"]
    yield ["qbwc-server's whole sync", f"{result['whole_sync_ms_per_record']:.3f}"]
    yield ["qbwc-kit's whole sync", f"{result['qbwc_kit_ms_per_record']:.3f}"]
