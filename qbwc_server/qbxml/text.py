"""Make text fit QuickBooks: ISO-8859-1 only, and no longer than each field allows."""

from __future__ import annotations

import unicodedata

from qbwc_server.qbxml.errors import FieldTooLong

# Typography that word processors and phones put in text; QuickBooks would show "?" for it.
_TYPOGRAPHY = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u2039": "'",
    "\u203a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "-",
    "\u00a0": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u20ac": "EUR",
}

# Letters with no Unicode decomposition to a base letter, so NFKD alone would drop them.
_LETTERS = {
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0126": "H",
    "\u0127": "h",
    "\u0131": "i",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0166": "T",
    "\u0167": "t",
    "\u0138": "k",
    "\u014a": "N",
    "\u014b": "n",
    "\u0192": "f",
}

# Line breaks and tabs are kept: memos and notes use them and XML carries them.
_KEPT_CONTROLS = {"\n", "\t"}


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in _KEPT_CONTROLS


def _base_letters(ch: str) -> str:
    """Return the Latin-1 characters ``ch`` decomposes to, without its accents; "" if none."""
    decomposed = unicodedata.normalize("NFKD", ch)
    kept = [c for c in decomposed if ord(c) < 256 and not unicodedata.combining(c) and not _is_control(c)]
    return "".join(kept)


def _quote_list(chars: list[str]) -> str:
    unique = list(dict.fromkeys(chars))
    shown = " ".join(unique[:10])
    return shown + (" …" if len(unique) > 10 else "")


def to_latin1(value: object, *, field: str | None = None) -> tuple[str, list[str]]:
    """Return ``value`` as text QuickBooks can store (ISO-8859-1), with plain-words warnings of what changed."""
    if value is None:
        return "", []
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and text.replace("\n", " ").replace("\t", " ").isprintable():
        return text, []  # plain ASCII text, the usual case, needs no change
    out: list[str] = []
    typography = False
    replaced: list[str] = []
    dropped: list[str] = []
    controls = False
    for ch in text:
        if ch in _TYPOGRAPHY:
            out.append(_TYPOGRAPHY[ch])
            typography = True
        elif _is_control(ch):
            controls = True
        elif ord(ch) < 256:
            out.append(ch)
        elif ch in _LETTERS:
            out.append(_LETTERS[ch])
            replaced.append(ch)
        else:
            base = _base_letters(ch)
            if base:
                out.append(base)
                replaced.append(ch)
            elif unicodedata.combining(ch):
                # An accent typed as a separate mark: the letter before it stays, the mark goes.
                replaced.append(ch)
            else:
                dropped.append(ch)
    prefix = f"{field}: " if field else ""
    warnings: list[str] = []
    if typography:
        warnings.append(f"{prefix}curly quotes, long dashes or similar signs were changed to plain ones.")
    if replaced:
        warnings.append(
            f"{prefix}letters QuickBooks cannot store were written without their accents ({_quote_list(replaced)})."
        )
    if dropped:
        warnings.append(f"{prefix}characters QuickBooks cannot store were left out ({_quote_list(dropped)}).")
    if controls:
        warnings.append(f"{prefix}invisible control characters were removed.")
    return "".join(out), warnings


def fit(value: object, limit: int, field: str) -> tuple[str, list[str]]:
    """Return free text made Latin-1 and cut to ``limit`` characters, with a warning for each change."""
    text, warnings = to_latin1(value, field=field)
    text = text.strip()
    if len(text) > limit:
        original = len(text)
        text = text[:limit].rstrip()
        warnings.append(f"{field}: cut to {limit} characters, the most QuickBooks allows (it had {original}).")
    return text, warnings


def require_fit(value: object, limit: int, field: str) -> tuple[str, list[str]]:
    """Return a name or reference number made Latin-1; raise FieldTooLong rather than cut it."""
    text, warnings = to_latin1(value, field=field)
    text = " ".join(text.split())
    if len(text) > limit:
        raise FieldTooLong(field, limit, text)
    return text, warnings
