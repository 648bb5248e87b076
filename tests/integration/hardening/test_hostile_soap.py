"""Hostile SOAP traffic never freezes the server, and the one body limit holds at every layer."""

from __future__ import annotations

import dataclasses
import threading
import time

from qbwc_server.simulator import FakeCompany
from tests.harness import Harness
from tests.integration.hardening.conftest import NS, SOAP_HEADERS, Client, raw_exchange

ATTRIBUTES = (
    b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    b'<soap:Body><serverVersion xmlns="http://developer.intuit.com/" '
    + b" ".join(b'a%d="1"' % i for i in range(100_000))
    + b"/></soap:Body></soap:Envelope>"
)


def test_a_hundred_thousand_attributes_are_refused_while_server_version_still_answers(live):
    # Given a server, and more attackers than it has worker threads, each posting 1.1 MB elements with 100,000
    # attributes one after another (spyne reads them in quadratic time: tens of seconds of CPU each)
    harness = live()
    client = Client(harness.server.port)
    faults: list[str] = []
    stop = threading.Event()

    def attack() -> None:
        for _ in range(50):
            if stop.is_set():
                return
            headers = {**SOAP_HEADERS, "SOAPAction": f'"{NS}serverVersion"'}
            faults.append(client.request("POST", "/qbwc", ATTRIBUTES, headers).fault())

    attackers = [threading.Thread(target=attack) for _ in range(8)]
    for thread in attackers:
        thread.start()
    time.sleep(1)
    # When the Web Connector asks for the server's version in the middle of the attack
    started = time.monotonic()
    version = client.soap("serverVersion").result("serverVersion")
    waited = time.monotonic() - started
    stop.set()
    for thread in attackers:
        thread.join(timeout=300)
    # Then it is answered (well within the Web Connector's patience), and every attack got a clear fault
    print(f"serverVersion answered in {waited:.2f} s while {len(faults)} 100,000-attribute requests were refused")
    assert version[0].startswith("qbwc-server")
    assert waited < 10, f"serverVersion waited {waited:.1f} s during the attack"
    assert len(faults) >= 8 and set(faults) == {"An element has more than 32 attributes"}


def test_a_doctype_in_ebcdic_is_refused(live):
    harness = live()
    body = (
        '<?xml version="1.0" encoding="cp037"?><!DOCTYPE x [<!ENTITY e "expanded">]>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        '<clientVersion xmlns="http://developer.intuit.com/"><strVersion>&e;</strVersion></clientVersion>'
        "</soap:Body></soap:Envelope>"
    ).encode("cp037")
    answer = Client(harness.server.port).request(
        "POST", "/qbwc", body, {"Content-Type": "text/xml; charset=cp037", "SOAPAction": f'"{NS}clientVersion"'}
    )
    assert answer.status == 500
    assert answer.headers["content-type"] == "text/xml; charset=utf-8"
    assert answer.fault().startswith(("Document type", "The document is not well-formed XML"))


class CommentedDoctype(FakeCompany):
    """QuickBooks as an attacker would fake it: a comment holding "<QBXML" before a DOCTYPE in every answer."""

    def process_detailed(self, request_xml):  # type: ignore[no-untyped-def]
        result = super().process_detailed(request_xml)
        head, _, rest = result.response.partition("?>")
        trap = '<!-- <QBXML> --><!DOCTYPE QBXML [<!ENTITY e "expanded">]>'
        return dataclasses.replace(result, response=f"{head}?>{trap}{rest}")


def test_a_doctype_after_a_comment_holding_qbxml_is_refused_in_quickbooks_answers(runtime):
    # Given an import of customers, and a QuickBooks whose answers carry a DOCTYPE behind a comment
    harness = Harness(runtime, qb=CommentedDoctype.demo())
    try:
        assert harness.call("POST", "/api/v1/imports", {"kinds": ["customers"]})[0] == 202
        # When the Web Connector runs a session
        harness.session()
        # Then nothing from that answer was filed
        status, body = harness.call("GET", "/api/v1/imports")
        assert status == 200
        customers = next(run for run in body["imports"] if run["kind"] == "customers")
        assert customers["created"] == 0 and customers["seen"] == 0
        assert customers["status"] != "done"
    finally:
        harness.close()


class DeepLastCustomer(FakeCompany):
    """QuickBooks whose import page is fine until its last customer, which nests deeper than any answer may."""

    def process_detailed(self, request_xml):  # type: ignore[no-untyped-def]
        result = super().process_detailed(request_xml)
        head, cut, tail = result.response.rpartition("</CustomerRet>")
        if not cut:
            return result
        return dataclasses.replace(result, response=f"{head}{'<Deep>' * 70}{'</Deep>' * 70}{cut}{tail}")


def test_a_page_refused_at_its_last_object_files_none_of_the_objects_before_it(runtime):
    # Given an import of 1,000 customers in one page (streamed: it is checked in the pass that files it, a chunk
    # of 200 at a time), whose last customer breaks the nesting limit
    qb = DeepLastCustomer.generate(customers=1000, jobs_per=0, items=1, vendors=1)
    harness = Harness(runtime, qb=qb, import_max_returned=1000)
    try:
        assert harness.call("POST", "/api/v1/imports", {"kinds": ["customers"]})[0] == 202
        # When the Web Connector runs a session
        harness.session()
        # Then nothing from that page was filed: no customer, no count, the run not done
        status, body = harness.call("GET", "/api/v1/imports")
        customers = next(run for run in body["imports"] if run["kind"] == "customers")
        assert (customers["created"], customers["seen"]) == (0, 0), customers
        assert customers["status"] != "done"
        status, listed = harness.call("GET", "/api/v1/customers")
        assert status == 200 and listed["data"] == [], listed
    finally:
        harness.close()


def test_a_quickbooks_answer_over_two_mebibytes_is_filed(runtime):
    # Given 3,000 customers in QuickBooks, imported 3,000 a page: one answer of well over spyne's old 2 MiB limit
    harness = Harness(runtime, qb=FakeCompany.generate(customers=3000, items=1, vendors=1), import_max_returned=3000)
    try:
        assert harness.call("POST", "/api/v1/imports", {"kinds": ["customers"]})[0] == 202
        # When the Web Connector runs the import
        harness.sync(max_sessions=3)
        # Then every customer arrived
        status, body = harness.call("GET", "/api/v1/imports")
        customers = next(run for run in body["imports"] if run["kind"] == "customers")
        assert (customers["status"], customers["seen"]) == ("done", 3000), customers
    finally:
        harness.close()


def test_a_body_over_the_limit_is_refused_from_its_content_length_before_it_is_read(runtime):
    runtime.settings = dataclasses.replace(runtime.settings, max_body_bytes=64 * 1024)
    harness = Harness(runtime)
    try:
        # A 300 MB SOAP call announced but never sent: the answer comes from the header alone
        head = (
            b"POST /qbwc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
            b'SOAPAction: "http://developer.intuit.com/serverVersion"\r\nContent-Length: 300000000\r\n\r\n'
        )
        reply = raw_exchange(harness.server.port, head)
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert b"text/xml; charset=utf-8" in reply
        assert b"larger than the server's limit of 65536 bytes" in reply
        # The API answers in JSON; a body within the limit but without a token is refused before it is read
        head = b"PUT /api/v1/customers/c1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        reply = raw_exchange(harness.server.port, head + b"Content-Length: 60000\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
        assert b'{"error": "send your API token' in reply
        token = f"Authorization: Bearer {harness.token}\r\n".encode()
        reply = raw_exchange(harness.server.port, head + token + b"Content-Length: 900000000\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert b'{"error": "The request is larger than' in reply
    finally:
        harness.close()


def test_a_chunked_body_is_cut_off_at_the_limit(runtime):
    runtime.settings = dataclasses.replace(runtime.settings, max_body_bytes=64 * 1024)
    harness = Harness(runtime)
    try:
        head = (
            b"POST /qbwc HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
            b'SOAPAction: "http://developer.intuit.com/serverVersion"\r\nTransfer-Encoding: chunked\r\n\r\n'
        )
        # Up to 10 MB offered in 16 KiB chunks; the server stops reading at 64 KiB and answers
        chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
        reply = raw_exchange(harness.server.port, head, [chunk] * 640)
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert b"<faultstring>The request is larger than" in reply
        # And the server goes on answering
        assert Client(harness.server.port).soap("serverVersion").status == 200
    finally:
        harness.close()
