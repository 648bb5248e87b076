"""The settings form: one field per company setting, choices from the imported QuickBooks lists, form parsing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qbwc_server import tax_mapping
from qbwc_server.company_settings import ALL_KINDS, DEFAULTS, DESCRIPTIONS, LINKED_IMPORT_KINDS, SETTINGS, Kind
from qbwc_server.models import QbListEntry

# The widget follows the default's type, so a setting added later gets a sensible field without a change here.
BOOLEANS = tuple(key for key, default in DEFAULTS.items() if isinstance(default, bool))
NUMBERS: dict[str, tuple[int | None, int | None]] = {
    key: (None, None) for key, default in DEFAULTS.items() if isinstance(default, int) and not isinstance(default, bool)
}
NUMBERS.update({"batch_size": (1, 500), "max_attempts": (1, 50), "import_max_returned": (10, 10000)})
NUMBERS["auto_import_every_minutes"] = (0, 10080)
MULTI = {
    "sync_kinds": ALL_KINDS,
    "invoice_sync_statuses": ["sent", "finished", "paid"],
    "auto_import_kinds": LINKED_IMPORT_KINDS,
}
CHOICES = {setting.key: list(setting.choices) for setting in SETTINGS if setting.kind is Kind.CHOICE}
KIND_CHOICES = {setting.key: setting.choices for setting in SETTINGS if setting.kind is Kind.KIND_CHOICE}
# The rules behind some choices, in words, under the field.
RULES = {
    "start_date_prerequisites": (
        "Customers created before the sync start date are never sent on their own. When an invoice or payment that "
        "does sync needs one, the server looks for it in QuickBooks by its name and links it; when QuickBooks has "
        "none, find_or_add adds it and find_only stops with an error on it so you can link it by hand."
    ),
    "long_names": (
        "QuickBooks allows 41 characters for customer, job and vendor names and 31 for items. Shortening cuts a "
        "job's address part first, then the end of the name; each record's log shows both names."
    ),
    "duplicate_names": (
        "One QuickBooks entry belongs to one record. A second customer named 'Smith, John' becomes 'Smith, John (2)'; "
        "a vendor named like a customer becomes 'Ferguson Supply (V)', a customer named like a vendor "
        "'Ferguson Supply (C)'."
    ),
    "link_policy": (
        "One choice per kind, written kind:choice. Linking happens when QuickBooks already has the name, on an "
        "import, or when you link a record by hand."
    ),
}
FORMATS = {
    "customer_name_format": "Fields: {first_name}, {last_name}, {company_name}, {name}, {email}, {phone}.",
    "job_name_format": "Fields: {number}, {name}, {description}, {address.line1}, {address.city}, {customer}.",
}

# Which imported list (and which account types) each name setting chooses from.
INCOME = ("Income", "OtherIncome")
LIST_CHOICES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "income_account_default": (("account",), INCOME),
    "income_account_labor": (("account",), INCOME),
    "income_account_materials": (("account",), INCOME),
    "expense_account_default": (("account",), ("Expense", "OtherExpense", "CostOfGoodsSold")),
    "deposit_account": (("account",), ("OtherCurrentAsset", "Bank")),
    "ar_account": (("account",), ("AccountsReceivable",)),
    "ap_account": (("account",), ("AccountsPayable",)),
    "refund_account": (("account",), ("Bank", "OtherCurrentAsset")),
    "sales_tax_code_taxable": (("sales_tax_code",), ()),
    "sales_tax_code_non_taxable": (("sales_tax_code",), ()),
    "payment_methods": (("payment_method",), ()),
    "tax_mapping": (("sales_tax_item", "item_sales_tax", "item_sales_tax_group"), ()),
}
LIST_NAMES = {
    "account": "accounts",
    "sales_tax_code": "sales tax codes",
    "payment_method": "payment methods",
    "sales_tax_item": "sales tax items",
}
EMPTY_TAX_ROWS = 3

# The form in the order a bookkeeper thinks about it; settings added later land under "Other settings".
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    (
        "What syncs, and when",
        (
            "auto_sync",
            "sync_kinds",
            "sync_start_date",
            "start_date_prerequisites",
            "invoice_sync_statuses",
            "payment_methods",
        ),
    ),
    (
        "Names in QuickBooks",
        ("customer_name_format", "job_name_format", "uppercase_names", "long_names", "duplicate_names", "link_policy"),
    ),
    (
        "Accounts",
        (
            "income_account_default",
            "income_account_labor",
            "income_account_materials",
            "expense_account_default",
            "deposit_account",
            "ar_account",
            "ap_account",
        ),
    ),
    (
        "Invoices and sales tax",
        (
            "to_be_printed",
            "link_existing_invoices",
            "tax_mapping",
            "sales_tax_code_taxable",
            "sales_tax_code_non_taxable",
        ),
    ),
    ("Pace", ("batch_size", "max_attempts", "import_max_returned")),
    ("Changes made in QuickBooks", ("auto_import_every_minutes", "auto_import_kinds", "conflicts")),
]


@dataclass
class SettingField:
    """One setting as the form shows it."""

    key: str
    label: str
    widget: str  # checkbox, number, date, text, select, checkboxes, mapping
    value: Any
    choices: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # chosen values QuickBooks' lists do not have
    nullable: bool = False
    help: str = ""
    error: str = ""
    minimum: int | None = None
    maximum: int | None = None
    rates: dict[str, str] = field(default_factory=dict)  # sales tax item -> QuickBooks' rate (as imported)
    flags: list[str] = field(default_factory=list)  # what a bookkeeper should check before anything is sent

    @property
    def input_id(self) -> str:
        """Return the id a <label for> points at."""
        return f"setting-{self.key}"


def imported_names(db: Session, company_id: int, key: str) -> list[str]:
    """Return the names a setting may choose from QuickBooks' imported lists (empty when never imported)."""
    spec = LIST_CHOICES.get(key)
    if spec is None:
        return []
    list_types, subtypes = spec
    query = select(QbListEntry.full_name, QbListEntry.subtype).where(
        QbListEntry.company_id == company_id,
        QbListEntry.list_type.in_(list_types),
        QbListEntry.active.is_(True),
    )
    rows = db.execute(query.order_by(QbListEntry.full_name)).all()
    return [name for name, subtype in rows if not subtypes or subtype is None or subtype in subtypes]


def build_fields(
    db: Session, company_id: int, values: Mapping[str, Any], errors: Mapping[str, str] | None = None
) -> list[SettingField]:
    """Describe every company setting for the form, with the current (or just submitted) values."""
    errors = errors or {}
    fields = []
    for key, default in DEFAULTS.items():
        value = values.get(key, default)
        label = DESCRIPTIONS.get(key, key.replace("_", " ").capitalize())
        names = imported_names(db, company_id, key)
        spec = SettingField(key=key, label=label, widget="text", value=value, error=errors.get(key, ""))
        if key in BOOLEANS:
            spec.widget = "checkbox"
        elif key in NUMBERS:
            spec.widget = "number"
            spec.minimum, spec.maximum = NUMBERS[key]
        elif key in MULTI:
            spec.widget, spec.choices = "checkboxes", list(MULTI[key])
        elif key in CHOICES:
            spec.widget, spec.choices = "select", CHOICES[key]
        elif key in KIND_CHOICES:
            if isinstance(value, dict):
                spec.value = ", ".join(f"{kind}:{word}" for kind, word in value.items())
        elif key == "sync_start_date":
            spec.widget, spec.nullable = "date", True
            spec.help = "Leave empty to sync everything."
        elif key in FORMATS:
            spec.help = FORMATS[key]
        elif key == "payment_methods":
            chosen = list(value or [])
            spec.nullable = True
            if names:
                spec.widget = "checkboxes"
                spec.choices = names + [m for m in chosen if m not in names]
                spec.missing = [m for m in chosen if m not in names]
                spec.help = "Tick none to sync payments of every method."
            else:
                spec.value = ", ".join(chosen)
                spec.help = "Names as QuickBooks spells them, separated by commas; empty syncs every method."
        elif key == "tax_mapping":
            spec.widget, spec.choices = "mapping", names
            items = tax_mapping.item_names(value)
            spec.missing = [item for item in items.values() if names and item not in names]
            spec.rates = imported_tax_rates(db, company_id)
            spec.flags = [row.flag for row in tax_rows(value, spec.rates) if row.flag]
            spec.help = (
                "Left: the tax rate name your app sends, and the rate it charges. Right: the QuickBooks sales tax item "
                "it stands for, and the rate QuickBooks charges for it (from the last import of items)."
            )
        elif key in LIST_CHOICES:
            spec.nullable = default is None
            if names:
                spec.widget = "select"
                spec.choices = list(names)
                if value and value not in names:
                    spec.missing = [value]
                    spec.choices.insert(0, value)
            if spec.nullable:
                spec.help = "Leave empty to use QuickBooks' default."
        if key in RULES:
            spec.help = (spec.help + " " if spec.help else "") + RULES[key]
        if not names and key in LIST_CHOICES and key != "tax_mapping":
            spec.help = (spec.help + " " if spec.help else "") + _no_list_note(key)
        fields.append(spec)
    return fields


def group_fields(fields: list[SettingField]) -> list[tuple[str, list[SettingField]]]:
    """Arrange the fields under the form's section headings."""
    by_key = {f.key: f for f in fields}
    groups = []
    for title, keys in SECTIONS:
        members = [by_key.pop(key) for key in keys if key in by_key]
        if members:
            groups.append((title, members))
    if by_key:
        groups.append(("Other settings", list(by_key.values())))
    return groups


def _no_list_note(key: str) -> str:
    list_type = LIST_CHOICES[key][0][0]
    return f"Import {LIST_NAMES.get(list_type, 'the lists')} from QuickBooks to choose from a list."


def parse_form(form: Mapping[str, Any], getlist: Any) -> dict[str, Any]:
    """Turn the submitted form into a {setting: value} dict for company_settings.validate."""
    changes: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        if key in BOOLEANS:
            changes[key] = form.get(key) == "on"
        elif key in NUMBERS:
            changes[key] = form.get(key, "").strip()
        elif key in MULTI:
            changes[key] = [v for v in getlist(key) if v]
        elif key == "payment_methods":
            ticked = [v for v in getlist(key) if v]
            if f"{key}-list" in form:
                changes[key] = ticked or None
            else:
                text = form.get(key, "")
                changes[key] = [p.strip() for p in text.split(",") if p.strip()] or None
        elif key == "tax_mapping":
            mapping: dict[str, Any] = {}
            rates, items = getlist("tax_rate"), getlist("tax_item")
            app_rates, qb_rates = getlist("tax_app_rate"), getlist("tax_qb_rate")
            for index, (rate, item) in enumerate(zip(rates, items, strict=False)):
                if not (rate.strip() or item.strip()):
                    continue
                app_rate = app_rates[index].strip() if index < len(app_rates) else ""
                qb_rate = qb_rates[index].strip() if index < len(qb_rates) else ""
                if app_rate or qb_rate:
                    row = {"item": item.strip(), "rate": app_rate or None, "quickbooks_rate": qb_rate or None}
                    mapping[rate.strip()] = {k: v for k, v in row.items() if v is not None}
                else:
                    mapping[rate.strip()] = item.strip()
            changes[key] = mapping
        else:
            raw = form.get(key)
            changes[key] = raw.strip() if isinstance(raw, str) else default
            if changes[key] == "" and (default is None or key == "sync_start_date"):
                changes[key] = None
    return changes


@dataclass
class TaxRow:
    """One row of the tax mapping as the form shows it, with QuickBooks' rate and a flag when the rates differ."""

    rate_name: str = ""
    item: str = ""
    app_rate: str = ""
    quickbooks_rate: str = ""  # as typed in the setting
    imported_rate: str = ""  # as the last import of QuickBooks' sales tax items said
    flag: str = ""


def tax_rows(value: Mapping[str, Any] | None, rates: Mapping[str, str] | None = None) -> list[TaxRow]:
    """Return the mapping's rows, each flagged when the app's rate is not QuickBooks', plus a few empty ones."""
    rows = []
    for name, row in tax_mapping.rows(value).items():
        imported = (rates or {}).get(row.item, "")
        shown = TaxRow(
            name,
            row.item,
            _pct(row.rate),
            _pct(row.quickbooks_rate),
            imported,
        )
        try:
            theirs = tax_mapping.percent(imported) if imported else None
        except ValueError:
            theirs = None
        if row.differs(theirs):
            qb_rate = theirs if theirs is not None else row.quickbooks_rate
            shown.flag = (
                f"“{name}” is mapped to “{row.item}”, which QuickBooks charges at {_pct(qb_rate)}%, but the app "
                f"charges {_pct(row.rate)}%: invoices with this rate will total differently in QuickBooks. Map it "
                "to an item with the app's rate, or correct the item's rate in QuickBooks."
            )
        rows.append(shown)
    return rows + [TaxRow() for _ in range(EMPTY_TAX_ROWS)]


def _pct(value: Any) -> str:
    return "" if value is None else format(value, "f")


def imported_tax_rates(db: Session, company_id: int) -> dict[str, str]:
    """Return QuickBooks' rate for each imported sales tax item, by its name."""
    rows = db.execute(
        select(QbListEntry.full_name, QbListEntry.data).where(
            QbListEntry.company_id == company_id, QbListEntry.list_type == "sales_tax_item"
        )
    ).all()
    return {name: str(data["tax_rate"]) for name, data in rows if (data or {}).get("tax_rate") is not None}
