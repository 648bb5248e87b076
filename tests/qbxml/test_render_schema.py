from __future__ import annotations

import pytest
from jinja2 import UndefinedError
from markupsafe import Markup

from qbwc_server.qbxml import schema
from qbwc_server.qbxml.errors import SchemaUnavailable
from qbwc_server.qbxml.render import environment, markup_text, message_set, render

MINIMAL = '<CustomerAddRq requestID="1"><CustomerAdd><Name>Acme</Name></CustomerAdd></CustomerAddRq>'


def test_message_set_has_the_declarations_quickbooks_expects():
    xml = message_set([MINIMAL], "13.0", on_error="stopOnError")
    assert xml.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML>')
    assert '<QBXMLMsgsRq onError="stopOnError">' in xml


@pytest.mark.parametrize(("version", "on_error"), [('13.0"?><x', "continueOnError"), ("13.0", "ignore")])
def test_message_set_refuses_values_that_would_break_the_document(version, on_error):
    with pytest.raises(ValueError):
        message_set([MINIMAL], version, on_error=on_error)


def test_templates_escape_markup_in_values():
    r = dict.fromkeys(
        [
            "is_active",
            "parent",
            "company_name",
            "first_name",
            "last_name",
            "bill_address",
            "ship_address",
            "phone",
            "email",
            "job_desc",
            "notes",
        ]
    )
    r["name"] = 'A & B <Plumbing> "Co"'
    xml = render("customer_add.xml.j2", request_id='1"&', r=r)
    assert "<Name>A &amp; B &lt;Plumbing&gt; &#34;Co&#34;</Name>" in xml
    assert 'requestID="1&#34;&amp;"' in xml


def test_an_element_filters_markup_is_written_as_it_is_and_anything_else_escaped():
    # Given the one environment, and a template mixing element filters and plain values
    env = environment()
    template = env.from_string('<A x="{{ v }}">{{ v | el("B") }}{{ v | upper }}{{ r | ref("C") }}</A>')
    # When a value with markup in it is rendered
    xml = template.render(v="<&>", r={"list_id": None, "full_name": "Tom & Jerry"})
    # Then every value is escaped once, inside the filters' elements and out
    expected = '<A x="&lt;&amp;&gt;"><B>&lt;&amp;&gt;</B>\n&lt;&amp;&gt;'
    assert xml == expected + "<C><FullName>Tom &amp; Jerry</FullName></C>\n</A>"
    # And an element filter's output is handed on when it is Markup, escaped when it is not
    piece = Markup("<B>x</B>")
    assert markup_text(piece) is piece
    assert markup_text("<B>") == "&lt;B&gt;"


def test_templates_refuse_missing_values():
    with pytest.raises(UndefinedError, match="is_active"):
        render("customer_add.xml.j2", request_id="1", r={"name": "x"})


@pytest.mark.parametrize("version", ["13.0", "16.0"])
def test_valid_message_set_validates_in_both_versions(schema_dir, version):
    assert schema.validate(message_set([MINIMAL], version), version, schema_dir) == []


def test_schema_reports_order_and_length_errors(schema_dir):
    wrong_order = "<CustomerAddRq><CustomerAdd><IsActive>true</IsActive><Name>x</Name></CustomerAdd></CustomerAddRq>"
    errors = schema.validate(message_set([wrong_order], "13.0"), "13.0", schema_dir)
    assert errors and "IsActive" in errors[0]
    too_long = f"<CustomerAddRq><CustomerAdd><Name>{'x' * 42}</Name></CustomerAdd></CustomerAddRq>"
    assert "maxLength" in schema.validate(message_set([too_long], "16.0"), "16.0", schema_dir)[0]


def test_version_picks_the_schema(schema_dir):
    # ClassRef on a bill exists only from qbXML 16.0 on.
    bill = (
        "<BillAddRq><BillAdd><VendorRef><FullName>V</FullName></VendorRef>"
        "<ClassRef><FullName>C</FullName></ClassRef></BillAdd></BillAddRq>"
    )
    assert schema.validate(message_set([bill], "16.0"), "16.0", schema_dir) == []
    assert schema.validate(message_set([bill], "13.0"), "13.0", schema_dir) != []
    assert schema.schema_folder_for("5.0") == "v13" and schema.schema_folder_for("16.0") == "v16"


def test_malformed_xml_is_reported_not_raised(schema_dir):
    assert schema.validate("<QBXML><oops></QBXML>", "13.0", schema_dir)[0].startswith("The qbXML document")


def test_schema_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(schema.ENV_VAR, raising=False)
    assert schema.schema_dir() is None
    with pytest.raises(SchemaUnavailable):
        schema.validate(message_set([MINIMAL], "13.0"), "13.0")
    monkeypatch.setenv(schema.ENV_VAR, str(tmp_path))
    assert schema.schema_dir() == tmp_path
    with pytest.raises(SchemaUnavailable, match="missing"):
        schema.validate(message_set([MINIMAL], "13.0"), "13.0")


def test_schema_is_loaded_once(schema_dir):
    assert schema.load_schema("13.0", schema_dir) is schema.load_schema("12.0", schema_dir)
