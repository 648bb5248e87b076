"""The tax mapping setting: each app tax rate name, the QuickBooks sales tax item it stands for, and both rates.

A row is either the item's name alone (``"IL 7.5%": "State Tax"``) or an object that also carries the rate the app
charges and, when known, the rate QuickBooks charges for that item (``{"item": "State Tax", "rate": "7.5",
"quickbooks_rate": "6.25"}``). QuickBooks' rate is normally read from the imported sales tax items, which are newer
than anything typed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_KEYS = {"item", "rate", "quickbooks_rate"}


@dataclass(frozen=True)
class TaxMap:
    """One row of the mapping."""

    rate_name: str
    item: str
    rate: Decimal | None = None  # the percentage the app charges
    quickbooks_rate: Decimal | None = None  # the percentage QuickBooks charges for the item, as typed or imported

    def differs(self, quickbooks_rate: Decimal | None = None) -> bool:
        """Tell whether the app's rate and QuickBooks' rate are both known and not the same."""
        theirs = quickbooks_rate if quickbooks_rate is not None else self.quickbooks_rate
        return self.rate is not None and theirs is not None and self.rate != theirs


def percent(value: Any) -> Decimal | None:
    """Return a percentage from text such as "7.5" or "7.5%"; None when empty; ValueError when not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("must be a percentage such as 7.5")
    text = str(value).strip().removesuffix("%").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a percentage such as 7.5") from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise ValueError(f"{value!r} must be a percentage between 0 and 100")
    return number.normalize() if number != 0 else Decimal(0)


def check(value: Any) -> dict[str, Any]:
    """Return the mapping as it is stored; ValueError naming the first bad row."""
    if not isinstance(value, Mapping):
        raise ValueError("must map tax rate names to QuickBooks sales tax item names")
    clean: dict[str, Any] = {}
    for name, target in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError("each tax rate needs a name")
        if isinstance(target, str) and target.strip():
            clean[name] = target.strip()
            continue
        if not isinstance(target, Mapping) or not isinstance(target.get("item"), str) or not target["item"].strip():
            raise ValueError(f"the tax rate {name!r} needs the name of a QuickBooks sales tax item")
        unknown = set(target) - _KEYS
        if unknown:
            raise ValueError(f"the tax rate {name!r} has {sorted(unknown)[0]!r}; use item, rate and quickbooks_rate")
        row: dict[str, Any] = {"item": target["item"].strip()}
        for key in ("rate", "quickbooks_rate"):
            try:
                number = percent(target.get(key))
            except ValueError as exc:
                raise ValueError(f"the {key.replace('_', ' ')} of {name!r}: {exc}") from None
            if number is not None:
                row[key] = format(number, "f")
        clean[name] = row if len(row) > 1 else row["item"]
    return clean


def rows(value: Any) -> dict[str, TaxMap]:
    """Return the stored mapping's rows by app tax rate name (rows that cannot be read are left out)."""
    found: dict[str, TaxMap] = {}
    for name, target in dict(value or {}).items():
        if isinstance(target, str):
            found[str(name)] = TaxMap(str(name), target)
        elif isinstance(target, Mapping) and target.get("item"):
            found[str(name)] = TaxMap(
                str(name),
                str(target["item"]),
                _quiet_percent(target.get("rate")),
                _quiet_percent(target.get("quickbooks_rate")),
            )
    return found


def item_names(value: Any) -> dict[str, str]:
    """Return {app tax rate name: QuickBooks sales tax item name}."""
    return {name: row.item for name, row in rows(value).items()}


def _quiet_percent(value: Any) -> Decimal | None:
    try:
        return percent(value)
    except ValueError:
        return None


def parse_cli(text: str) -> dict[str, Any]:
    """Read ``RATE:ITEM[:APP_RATE[:QUICKBOOKS_RATE]]`` pairs separated by commas; ValueError when one is not."""
    mapping: dict[str, Any] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        parts = [part.strip() for part in pair.split(":")]
        if len(parts) < 2 or len(parts) > 4:
            raise ValueError(
                "write it as APP_RATE:QuickBooks Tax Item, or APP_RATE:Item:APP_PERCENT[:QUICKBOOKS_PERCENT], "
                "separated by commas"
            )
        if len(parts) == 2:
            mapping[parts[0]] = parts[1]
        else:
            row = {"item": parts[1], "rate": parts[2]}
            if len(parts) == 4:
                row["quickbooks_rate"] = parts[3]
            mapping[parts[0]] = row
    return mapping
