"""Text no database or QuickBooks can hold: found in incoming JSON with the field's path, replaced when shown."""

from __future__ import annotations

import json
import re
from typing import Any

# NUL and the other C0 controls but tab, line feed and carriage return (XML 1.0 and PostgreSQL refuse them), lone
# UTF-16 surrogates (no UTF-8 encoder writes them), and the two non-characters XML refuses.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
MAX_DEPTH = 32
MESSAGE = "contains a character that cannot be stored (a control character, NUL or a lone surrogate)"


def bad_text_errors(value: Any) -> dict[str, str]:
    """Return {"lines.0.description": message} for every string or key in `value` holding unstorable text."""
    errors: dict[str, str] = {}
    pending: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                errors[".".join(path) or "body"] = MESSAGE
        elif isinstance(item, dict):
            for key, child in item.items():
                name = readable(str(key))
                if UNSTORABLE.search(str(key)):
                    errors[".".join((*path, name))] = "is a field name that " + MESSAGE.replace("contains", "holds")
                pending.append(((*path, name), child))
        elif isinstance(item, list):
            pending.extend(((*path, str(index)), child) for index, child in enumerate(item))
    return dict(sorted(errors.items()))


# How unstorable text can get into parsed JSON: an escape (`\u0000`, `\ud800`, `\b`, `\f`: the parser refuses raw
# control characters in text), a surrogate, U+FFFE or U+FFFF written out in UTF-8 (the parser lets surrogates
# through), or a NUL byte (which every UTF-16 or UTF-32 body has).
_MAYBE_UNSTORABLE_BODY = re.compile(rb"\\[ubf]|\xed[\xa0-\xbf]|\xef\xbf[\xbe\xbf]|\x00")


def surely_storable(body: bytes) -> bool:
    """Whether every text and key of a JSON body, once parsed, is storable, as told from its bytes alone.

    False means only "maybe not" (a backslash in the text looks like an escape): then `bad_text_errors` decides.
    """
    return _MAYBE_UNSTORABLE_BODY.search(body) is None


def depth(value: Any) -> int:
    """Return how deeply lists and objects nest in `value` (0 for a plain value), without recursing."""
    deepest = 0
    pending: list[tuple[int, Any]] = [(0, value)]
    while pending:
        level, item = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((level + 1, child) for child in children)
    return deepest


def readable(text: str) -> str:
    """Return `text` with every unstorable character replaced by U+FFFD, so it can always be shown."""
    return UNSTORABLE.sub(REPLACEMENT, text)


def readable_value(value: Any) -> Any:
    """Return a copy of a JSON-like value with every string and key made `readable`."""
    if isinstance(value, str):
        return readable(value)
    if isinstance(value, dict):
        return {readable(key) if isinstance(key, str) else key: readable_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [readable_value(item) for item in value]
    return value


# What a control character becomes in JSON text (`\u0001`, `\b`, `\f`): the JSON of a value holding no unstorable
# text has none of these and no raw surrogate or non-character (a backslash the text holds may look like one).
_MAYBE_UNSTORABLE_JSON = re.compile(r"\\(?:u00|b|f)|[\ud800-\udfff\ufffe\uffff]")


def readable_json(value: Any) -> str:
    """Return the JSON text of `readable_value(value)` (UTF-8 text, not escaped to ASCII).

    Nearly every value holds no unstorable text, and its JSON is then that of the value as it is: the copy that
    replaces such text is made only when the JSON shows a sign of it.
    """
    text = json.dumps(value, ensure_ascii=False)
    if _MAYBE_UNSTORABLE_JSON.search(text):
        return json.dumps(readable_value(value), ensure_ascii=False)
    return text
