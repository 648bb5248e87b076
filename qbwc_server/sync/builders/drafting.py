"""Read a record's fields into the prepared values the templates expect, collecting warnings as we go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from qbwc_server.qbxml import limits, values
from qbwc_server.qbxml.errors import FieldTooLong
from qbwc_server.qbxml.text import fit, require_fit
from qbwc_server.sync.builders.types import ProblemKind, RecordProblem, RequestInput

DEFAULT_SETTINGS: Mapping[str, Any] = {
    "customer_name_format": "{last_name}, {first_name}",
    "job_name_format": "{number} - {address.line1}",
    "uppercase_names": False,
    "income_account_default": "Sales",
    "income_account_labor": "Labor Income",
    "income_account_materials": "Materials Income",
    "expense_account_default": "Cost of Goods Sold",
    "deposit_account": "Undeposited Funds",
    "ar_account": None,
    "ap_account": None,
    "to_be_printed": False,
    "tax_mapping": {},
    "sales_tax_code_taxable": "Tax",
    "sales_tax_code_non_taxable": "Non",
}


def setting(settings: Mapping[str, Any], key: str) -> Any:
    """Return a company setting, falling back to its documented default."""
    value = settings.get(key)
    return DEFAULT_SETTINGS.get(key) if value is None else value


def blank(value: Any) -> bool:
    """Tell whether a field is absent for our purposes (missing, null or only spaces)."""
    return value is None or (isinstance(value, str) and not value.strip())


def check_request_id(request_id: str) -> str:
    """Return the request ID; raise ValueError when QuickBooks would refuse it (status 1060)."""
    if not request_id or len(request_id) > limits.REQUEST_ID:
        raise ValueError(f"requestID must be 1 to {limits.REQUEST_ID} characters")
    return request_id


class Draft:
    """Turn one record's raw fields into template values; warnings accumulate in ``self.warnings``."""

    def __init__(self, inp: RequestInput):
        self.inp = inp
        self.data = inp.data
        self.warnings: list[str] = []

    def setting(self, key: str) -> Any:
        return setting(self.inp.settings, key)

    def text(self, value: Any, limit: int, label: str) -> str | None:
        """Free text: Latin-1, cut to ``limit`` with a warning; None when blank."""
        if blank(value):
            return None
        text, warnings = fit(value, limit, label)
        self.warnings.extend(warnings)
        return text or None

    def exact(self, value: Any, limit: int, label: str, field: str) -> str | None:
        """A name or reference number: Latin-1, never cut; RecordProblem when too long."""
        if blank(value):
            return None
        try:
            text, warnings = require_fit(value, limit, label)
        except FieldTooLong as exc:
            raise RecordProblem(field, f"{exc} Shorten it in the app and sync again.", ProblemKind.TOO_LONG) from None
        self.warnings.extend(warnings)
        return text or None

    def _number(self, value: Any, field: str, label: str, formatter: Callable[[Decimal], str]) -> Decimal | None:
        found = self.figure(value, field, label, formatter)
        return found[0] if found is not None else None

    def figure(
        self, value: Any, field: str, label: str, formatter: Callable[[Decimal], str]
    ) -> tuple[Decimal, str] | None:
        """A number and its qbXML text (``formatter``: `values.money` or `values.price`), each worked out once;
        None when blank, RecordProblem when QuickBooks would refuse it. A template writes the text as it is."""
        if blank(value):
            return None
        try:
            number = values.to_decimal(value)
            return number, formatter(number)
        except ValueError as exc:
            raise RecordProblem(field, f"{label}: {exc}.") from None

    def money(self, value: Any, field: str, label: str) -> Decimal | None:
        """An amount QuickBooks accepts (two decimals, up to 13 digits), or RecordProblem."""
        return self._number(value, field, label, values.money)

    def price(self, value: Any, field: str, label: str) -> Decimal | None:
        """A rate, cost or quantity QuickBooks accepts (up to 10 digits, 5 decimals), or RecordProblem."""
        return self._number(value, field, label, values.price)

    def date(self, value: Any, field: str, label: str) -> str | None:
        if blank(value):
            return None
        try:
            return values.iso_date(value)
        except ValueError as exc:
            raise RecordProblem(field, f"{label}: {exc}.") from None

    @staticmethod
    def flag(value: Any) -> bool | None:
        return None if value is None else bool(value)

    def address(self, value: Any, label: str) -> dict[str, str | None] | None:
        """An address aggregate from {line1, line2, city, state, postal_code, country}; None when empty."""
        if not isinstance(value, Mapping):
            return None
        result = {
            "addr1": self.text(value.get("line1"), limits.ADDR_LINE, f"{label} line 1"),
            "addr2": self.text(value.get("line2"), limits.ADDR_LINE, f"{label} line 2"),
            "city": self.text(value.get("city"), limits.CITY, f"{label} city"),
            "state": self.text(value.get("state"), limits.STATE, f"{label} state"),
            "postal_code": self.text(value.get("postal_code"), limits.POSTAL_CODE, f"{label} postal code"),
            "country": self.text(value.get("country"), limits.COUNTRY, f"{label} country"),
        }
        return result if any(v is not None for v in result.values()) else None

    def record_ref(self, kind: str, external_id: Any, field: str) -> dict[str, str | None]:
        """A reference to another synced record by its ListID/TxnID; RecordProblem when it is not in QuickBooks."""
        ref = self.inp.refs.get((kind, str(external_id)))
        if ref is None:
            raise RecordProblem(
                field,
                f"The {kind} '{external_id}' is not in QuickBooks yet; it has to be synced before this record.",
            )
        if ref.group:
            raise RecordProblem(
                field,
                f"The item '{external_id}' is a QuickBooks group item. QuickBooks takes a group on a transaction only "
                "as a group line, which the server does not send yet: put the group's own items on the lines.",
            )
        return {"list_id": ref.id, "full_name": ref.full_name}

    def named_ref(self, name: Any, limit: int, label: str, field: str) -> dict[str, str | None] | None:
        """A reference to a QuickBooks list entry by its name (account, terms, class, payment method)."""
        text = self.exact(name, limit, label, field)
        return None if text is None else {"list_id": None, "full_name": text}

    def tax_code(self, taxable: Any) -> dict[str, str | None] | None:
        """The sales tax code for a taxable / non-taxable flag; None when the record does not say."""
        if taxable is None:
            return None
        key = "sales_tax_code_taxable" if taxable else "sales_tax_code_non_taxable"
        return self.named_ref(self.setting(key), limits.SALES_TAX_CODE_NAME, "Sales tax code setting", key)
