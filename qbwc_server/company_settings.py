"""A company's sync settings: their defaults, and validation with messages a bookkeeper can act on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from qbwc_server.errors import InvalidInput

ALL_KINDS = ["customer", "job", "item", "invoice", "payment", "vendor", "bill"]
INVOICE_STATUSES = ["draft", "sent", "finished", "paid"]

DEFAULTS: dict[str, Any] = {
    "auto_sync": True,
    "sync_kinds": list(ALL_KINDS),
    "batch_size": 25,
    "max_attempts": 5,
    "customer_name_format": "{last_name}, {first_name}",
    "job_name_format": "{number} - {address.line1}",
    "uppercase_names": False,
    "sync_start_date": None,
    "invoice_sync_statuses": ["sent", "finished", "paid"],
    "payment_methods": None,
    "to_be_printed": False,
    "link_existing_invoices": True,
    "income_account_default": "Sales",
    "income_account_labor": "Labor Income",
    "income_account_materials": "Materials Income",
    "expense_account_default": "Cost of Goods Sold",
    "deposit_account": "Undeposited Funds",
    "ar_account": None,
    "ap_account": None,
    "tax_mapping": {},
    "sales_tax_code_taxable": "Tax",
    "sales_tax_code_non_taxable": "Non",
    "import_max_returned": 500,
}

DESCRIPTIONS: dict[str, str] = {
    "auto_sync": "Queue records as soon as they arrive (off: only when someone presses sync)",
    "sync_kinds": "Which kinds of record sync",
    "batch_size": "Requests per Web Connector round trip",
    "max_attempts": "How many times a record is tried before it waits for a person",
    "customer_name_format": "How a customer's QuickBooks name is made",
    "job_name_format": "How a job's QuickBooks name is made",
    "uppercase_names": "Send customer, job and vendor names in capitals",
    "sync_start_date": "Customers, invoices and payments created before this date do not sync",
    "invoice_sync_statuses": "Invoice statuses that send an invoice to QuickBooks",
    "payment_methods": "Payment methods that sync (empty: all)",
    "to_be_printed": "Mark new invoices 'to be printed' in QuickBooks",
    "link_existing_invoices": "Before adding an invoice for a customer QuickBooks already has, link an invoice "
    "there with the same number instead",
    "income_account_default": "Income account for new items",
    "income_account_labor": "Income account for labor items",
    "income_account_materials": "Income account for materials items",
    "expense_account_default": "Expense account for item costs and bill lines without one",
    "deposit_account": "Account payments are deposited to",
    "ar_account": "Accounts receivable account (empty: QuickBooks' default)",
    "ap_account": "Accounts payable account (empty: QuickBooks' default)",
    "tax_mapping": "Your tax rate names mapped to QuickBooks sales tax items",
    "sales_tax_code_taxable": "QuickBooks sales tax code for taxable lines",
    "sales_tax_code_non_taxable": "QuickBooks sales tax code for non-taxable lines",
    "import_max_returned": "Records per page when importing from QuickBooks",
}

_NAME_FIELDS = {
    "customer_name_format": {"first_name", "last_name", "company_name", "name", "email", "phone"},
    "job_name_format": {"number", "name", "description", "address.line1", "address.city", "customer"},
}


def effective(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the defaults overlaid with a company's stored settings."""
    merged = dict(DEFAULTS)
    merged.update(settings or {})
    return merged


def validate(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise changed settings; raise InvalidInput naming each bad key."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in DEFAULTS:
            errors[key] = f"unknown setting; known settings are: {', '.join(sorted(DEFAULTS))}"
            continue
        try:
            clean[key] = _check(key, value)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise InvalidInput(errors)
    return clean


_BOOLEAN_WORDS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def parse_cli_value(key: str, raw: str) -> Any:
    """Turn the text after KEY= on the command line into the setting's type."""
    default = DEFAULTS.get(key)
    if raw.lower() in {"", "none", "null"} and key not in {"customer_name_format", "job_name_format"}:
        return None
    if isinstance(default, bool):
        # Unknown words stay text, so validation names the setting and says what it wants.
        return _BOOLEAN_WORDS.get(raw.lower(), raw)
    if isinstance(default, int):
        return raw
    if isinstance(default, list) or key == "payment_methods":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, dict):
        mapping: dict[str, str] = {}
        for pair in raw.split(","):
            if pair.strip():
                name, sep, target = pair.partition(":")
                if not sep:
                    raise InvalidInput({key: "write it as APP_RATE:QuickBooks Tax Item, separated by commas"})
                mapping[name.strip()] = target.strip()
        return mapping
    return raw


def _check(key: str, value: Any) -> Any:
    default = DEFAULTS[key]
    if key in {"auto_sync", "uppercase_names", "to_be_printed", "link_existing_invoices"}:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if key in {"batch_size", "max_attempts", "import_max_returned"}:
        limits = {"batch_size": (1, 500), "max_attempts": (1, 50), "import_max_returned": (10, 10000)}[key]
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number") from None
        if not limits[0] <= number <= limits[1]:
            raise ValueError(f"must be between {limits[0]} and {limits[1]}")
        return number
    if key == "sync_kinds":
        kinds = _string_list(value)
        unknown = [k for k in kinds if k not in ALL_KINDS]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}; choose from {', '.join(ALL_KINDS)}")
        return kinds
    if key == "invoice_sync_statuses":
        statuses = _string_list(value)
        unknown = [s for s in statuses if s not in INVOICE_STATUSES]
        if unknown:
            raise ValueError(f"unknown status {unknown[0]!r}; choose from sent, finished, paid")
        if "draft" in statuses:
            raise ValueError("drafts never sync to QuickBooks")
        return statuses
    if key == "payment_methods":
        return None if value in (None, [], "") else _string_list(value)
    if key == "sync_start_date":
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
    if key == "tax_mapping":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
        ):
            raise ValueError("must map tax rate names to QuickBooks sales tax item names")
        return dict(value)
    if key in _NAME_FIELDS:
        return _check_format(key, value)
    # Account and tax-code names: text, or empty for QuickBooks' default where that is allowed.
    if value in (None, ""):
        if default is not None:
            raise ValueError("must not be empty")
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _string_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of names")
    return value


def _check_format(key: str, value: Any) -> str:
    import string

    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a name format such as {last_name}, {first_name}")
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
    except ValueError:
        raise ValueError("has an unmatched { or }") from None
    allowed = _NAME_FIELDS[key]
    for field in fields:
        if field not in allowed:
            raise ValueError(f"{{{field}}} is not a field you can use; use {', '.join(sorted(allowed))}")
    if not fields:
        raise ValueError("must use at least one field, such as {last_name}")
    return value
