from __future__ import annotations

import pytest

from qbwc_server.qbxml import limits
from qbwc_server.qbxml.errors import FieldTooLong
from qbwc_server.qbxml.text import fit, require_fit, to_latin1


def test_plain_latin1_text_passes_unchanged_without_warnings():
    assert to_latin1("Café Müller & Söhne, 1/2 price ½") == ("Café Müller & Söhne, 1/2 price ½", [])


def test_typography_becomes_plain_quotes_and_dashes():
    text, warnings = to_latin1("“Quoted” ‘single’ – en — em … done")
    assert text == "\"Quoted\" 'single' - en - em ... done"
    assert len(warnings) == 1 and "curly quotes" in warnings[0]


def test_letters_outside_latin1_keep_their_base_letter():
    text, warnings = to_latin1("Łódź Œuvre Ärger Ţară ﬁne")
    assert text == "Lódz OEuvre Ärger Tara fine"
    assert any("without their accents" in w and "Ł" in w for w in warnings)


def test_emoji_and_cjk_are_dropped_with_a_warning():
    text, warnings = to_latin1("Pipe 🚰 漢字 fix")
    assert text == "Pipe   fix"
    assert any("left out" in w and "🚰" in w for w in warnings)


def test_control_characters_are_removed_but_line_breaks_stay():
    text, warnings = to_latin1("a\x00b\x07c\r\nd\te\x85")
    assert text == "abc\nd\te"
    assert any("control characters" in w for w in warnings)


def test_the_whole_example_from_the_bookkeeper_becomes_storable():
    text, warnings = to_latin1("Café — “Ünïcode” 🚰 Łódź")
    assert text.encode("latin-1").decode("latin-1") == text
    assert text.startswith('Café - "Ünïcode"')
    assert text.endswith("Lódz")
    assert len(warnings) == 3


def test_field_name_prefixes_the_warning():
    _, warnings = to_latin1("“x”", field="Memo")
    assert warnings[0].startswith("Memo: ")


def test_fit_cuts_free_text_and_says_so():
    text, warnings = fit("x" * 50, limits.ADDR_LINE, "Address line 1")
    assert text == "x" * 41
    assert warnings == ["Address line 1: cut to 41 characters, the most QuickBooks allows (it had 50)."]


def test_fit_counts_characters_not_escaped_bytes():
    text, warnings = fit("&" * 41, limits.ADDR_LINE, "Address line 1")
    assert text == "&" * 41 and warnings == []


def test_require_fit_never_cuts_a_name():
    assert require_fit("N" * 41, limits.CUSTOMER_NAME, "Name") == ("N" * 41, [])
    with pytest.raises(FieldTooLong) as caught:
        require_fit("N" * 42, limits.CUSTOMER_NAME, "Name")
    assert caught.value.limit == 41 and caught.value.field == "Name"
    assert "42 characters" in str(caught.value)


def test_limits_table_has_the_reference_numbers_quickbooks_rejects_most():
    assert limits.FIELD_LIMITS["InvoiceAdd/RefNumber"] == 11
    assert limits.FIELD_LIMITS["ReceivePaymentAdd/RefNumber"] == 20
    assert limits.ITEM_NAME == 31 and limits.CUSTOMER_NAME == 41 and limits.PHONE == 21
