"""Showing stored text: the JSON of a value is that of its readable copy, whatever characters it holds."""

import json

import pytest

from qbwc_server.records.characters import readable_json, readable_value


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
