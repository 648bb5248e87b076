"""Whatever text the host app sends, a builder gives valid qbXML or a RecordProblem: never a broken request."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbwc_server.sync.builders import QbIdentity, RecordProblem, build

from .conftest import SAMPLES, have_schemas, make_input, schema_errors

pytestmark = pytest.mark.skipif(not have_schemas(), reason="the qbXML schemas (../shared/qbxml-xsd) are not present")

# Any Unicode text, controls and astral characters included, sometimes far longer than any limit.
ANY_TEXT = st.one_of(st.text(max_size=60), st.text(min_size=30, max_size=5000))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _address(t):
    return {"line1": t["a"], "line2": t["b"], "city": t["a"], "state": t["b"], "postal_code": t["a"], "country": t["b"]}


def _check(kind: str, data: dict, mod: bool) -> None:
    qb = QbIdentity("X-1", "1", line_ids={"0": "L-0", "e:0": "E-0", "i:0": "I-0"}) if mod else None
    try:
        built = build(make_input(kind, data, qb=qb), "1")
    except RecordProblem as problem:
        assert problem.message and problem.field
        return
    assert schema_errors(built) == {"13.0": [], "16.0": []}, built.xml


TEXTS = st.fixed_dictionaries({"a": ANY_TEXT, "b": ANY_TEXT, "c": ANY_TEXT})


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_customer_text(t, mod):
    data = {
        "name": t["a"],
        "first_name": t["b"],
        "last_name": t["c"],
        "company_name": t["c"],
        "email": t["a"],
        "phone": t["b"],
        "notes": t["c"],
        "billing_address": _address(t),
        "service_address": _address(t),
    }
    _check("customer", data, mod)


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_customer_name_from_format(t, mod):
    _check("customer", {"first_name": t["a"], "last_name": t["b"]}, mod)


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_job_text(t, mod):
    _check("job", {"customer": "c-1", "number": t["a"], "description": t["b"], "address": _address(t)}, mod)


@FAST
@given(t=TEXTS, mod=st.booleans(), item_type=st.sampled_from(["service", "non_inventory", "other_charge"]))
def test_item_text(t, mod, item_type):
    _check(
        "item",
        {
            "name": t["a"],
            "type": item_type,
            "description": t["b"],
            "income_account": t["c"],
            "price": "1",
            "cost": "0.5",
        },
        mod,
    )


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_vendor_text(t, mod):
    data = {
        "name": t["a"],
        "company_name": t["b"],
        "first_name": t["c"],
        "last_name": t["a"],
        "phone": t["b"],
        "email": t["c"],
        "address": _address(t),
    }
    _check("vendor", data, mod)


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_invoice_text(t, mod):
    data = {
        **SAMPLES["invoice"],
        "number": t["a"],
        "po_number": t["b"],
        "memo": t["c"],
        "terms": t["a"],
        "class": t["b"],
        "lines": [{"item": "labor", "description": t["c"], "amount": "1"}],
    }
    _check("invoice", data, mod)


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_payment_text(t, mod):
    _check("payment", {**SAMPLES["payment"], "reference": t["a"], "method": t["b"], "memo": t["c"]}, mod)


@FAST
@given(t=TEXTS, mod=st.booleans())
def test_bill_text(t, mod):
    data = {
        **SAMPLES["bill"],
        "number": t["a"],
        "memo": t["b"],
        "expense_lines": [{"account": t["c"], "amount": "1", "memo": t["a"]}],
        "item_lines": [{"item": "pipe", "description": t["b"], "amount": "2"}],
    }
    _check("bill", data, mod)
