"""Showing stored text: the JSON of a value is that of its readable copy, whatever characters it holds."""

import json

import pytest

from qbwc_server.records.characters import bad_text_errors, readable_json, readable_value, surely_storable


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "Café – 10 €",
        "tab\tline\nreturn\r",
        "a NUL \x00 and a bell \x07",
        "backspace \x08 and form feed \x0c",
        "a lone \ud800 surrogate",
        "non-characters \ufffe \uffff",
        "a backslash \\b \\f \\u0000 that only looks like an escape",
    ],
)
def test_the_json_shown_is_that_of_the_readable_copy(text):
    value = {"name": text, text: [text, 1, None, {"nested": text}]}

    shown = readable_json(value)

    assert shown == json.dumps(readable_value(value), ensure_ascii=False)
    assert "\ufffd" in shown or shown == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "\\u0000"}',
        b'{"name": "\\ud800"}',
        b'{"name": "\\b or \\f"}',
        '{"name": "\ud800"}'.encode("utf-8", "surrogatepass"),
        '{"name": "\uffff"}'.encode(),
        '{"name": "\ufffe"}'.encode(),
        '{"name": "plain"}'.encode("utf-16"),
        '{"name": "plain"}'.encode("utf-32"),
    ],
)
def test_a_body_that_may_hold_unstorable_text_is_not_taken_as_storable(raw):
    assert not surely_storable(raw)


def test_a_body_of_ordinary_text_is_surely_storable_and_is():
    raw = json.dumps({"name": "Café – 10 €", "notes": 'a "quote", a tab\t and\nlines\r'}, ensure_ascii=False).encode()

    assert surely_storable(raw)
    assert bad_text_errors(json.loads(raw)) == {}
