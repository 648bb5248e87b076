"""A company's sync settings: their defaults, and validation with messages a bookkeeper can act on."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from qbwc_server import tax_mapping
from qbwc_server.errors import InvalidInput

ALL_KINDS = ["customer", "job", "item", "invoice", "payment", "vendor", "bill", "credit_memo", "refund"]
# The imports a Web Connector session can run on the company's schedule: the kinds linked to our records.
LINKED_IMPORT_KINDS = ["customers", "items", "vendors", "invoices", "payments", "bills"]
CONFLICT_RULES = ["app_wins", "quickbooks_wins"]
INVOICE_STATUSES = ["draft", "sent", "finished", "paid"]
LINKABLE_KINDS = ("customer", "job", "item", "vendor")  # kinds link_policy is chosen for


class Kind(enum.Enum):
    """What sort of value a setting holds, which decides how it is checked and shown."""

    FLAG = "flag"  # true or false
    NUMBER = "number"  # a whole number within limits
    KINDS = "kinds"  # a list of record kinds
    STATUSES = "statuses"  # a list of invoice statuses
    NAMES = "names"  # a list of QuickBooks names, or none for all
    DATE = "date"  # a date, or none
    MAPPING = "mapping"  # app names mapped to QuickBooks names
    NAME_FORMAT = "name_format"  # a format such as {last_name}, {first_name}
    TEXT = "text"  # a QuickBooks name (account, tax code); empty only where the default is empty
    CHOICE = "choice"  # one of a few words (the first is the default)
    KIND_CHOICE = "kind_choice"  # one of a few words for each list kind (customer, job, item, vendor)
    CHOICES = "choices"  # any of the setting's choices


@dataclass(frozen=True)
class Setting:
    """One company setting: its key, its default (written here only), what it does, and its sort of value."""

    key: str
    default: Any
    description: str
    kind: Kind
    limits: tuple[int, int] | None = None
    choices: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("auto_sync", True, "Queue records as soon as they arrive (off: only when someone presses sync)", Kind.FLAG),
    Setting("sync_kinds", list(ALL_KINDS), "Which kinds of record sync", Kind.KINDS),
    Setting("batch_size", 25, "Requests per Web Connector round trip", Kind.NUMBER, limits=(1, 500)),
    Setting(
        "max_attempts",
        5,
        "How many times QuickBooks may refuse a record before it waits for a person (a lost answer is no refusal)",
        Kind.NUMBER,
        limits=(1, 50),
    ),
    Setting(
        "customer_name_format",
        "{last_name}, {first_name}",
        "How a customer's QuickBooks name is made",
        Kind.NAME_FORMAT,
    ),
    Setting("job_name_format", "{number} - {address.line1}", "How a job's QuickBooks name is made", Kind.NAME_FORMAT),
    Setting("uppercase_names", False, "Send customer, job and vendor names in capitals", Kind.FLAG),
    Setting(
        "sync_start_date", None, "Customers, invoices and payments created before this date do not sync", Kind.DATE
    ),
    Setting(
        "invoice_sync_statuses",
        ["sent", "finished", "paid"],
        "Invoice statuses that send an invoice to QuickBooks",
        Kind.STATUSES,
    ),
    Setting("payment_methods", None, "Payment methods that sync (empty: all)", Kind.NAMES),
    Setting("to_be_printed", False, "Mark new invoices 'to be printed' in QuickBooks", Kind.FLAG),
    Setting(
        "link_existing_invoices",
        True,
        "Before adding an invoice for a customer QuickBooks already has, link an invoice there with the same number "
        "instead",
        Kind.FLAG,
    ),
    Setting("income_account_default", "Sales", "Income account for new items", Kind.TEXT),
    Setting("income_account_labor", "Labor Income", "Income account for labor items", Kind.TEXT),
    Setting("income_account_materials", "Materials Income", "Income account for materials items", Kind.TEXT),
    Setting(
        "expense_account_default",
        "Cost of Goods Sold",
        "Expense account for item costs and bill lines without one",
        Kind.TEXT,
    ),
    Setting("deposit_account", "Undeposited Funds", "Account payments are deposited to", Kind.TEXT),
    Setting("ar_account", None, "Accounts receivable account (empty: QuickBooks' default)", Kind.TEXT),
    Setting("ap_account", None, "Accounts payable account (empty: QuickBooks' default)", Kind.TEXT),
    Setting(
        "tax_mapping",
        {},
        "Your tax rate names mapped to QuickBooks sales tax items (with your rate and QuickBooks' rate)",
        Kind.MAPPING,
    ),
    Setting("sales_tax_code_taxable", "Tax", "QuickBooks sales tax code for taxable lines", Kind.TEXT),
    Setting("sales_tax_code_non_taxable", "Non", "QuickBooks sales tax code for non-taxable lines", Kind.TEXT),
    Setting(
        "import_max_returned", 500, "Records per page when importing from QuickBooks", Kind.NUMBER, limits=(10, 10000)
    ),
    Setting(
        "delete_transactions",
        "void",
        "What a removed invoice or bill becomes in QuickBooks: void (its number and audit trail stay, amounts zero) "
        "or delete (gone); payments are always deleted, list records made inactive",
        Kind.CHOICE,
        choices=("void", "delete"),
    ),
    Setting(
        "refund_account",
        None,
        "Account refunds to customers are paid from (a bank account or Undeposited Funds); refunds wait until it is "
        "chosen",
        Kind.TEXT,
    ),
    Setting(
        "link_policy",
        {kind: "keep_quickbooks" for kind in LINKABLE_KINDS},
        "When a record is linked to what QuickBooks already has: keep_quickbooks sends nothing then and later only "
        "the fields the app changes; update_quickbooks sends all the app's fields at once",
        Kind.KIND_CHOICE,
        choices=("keep_quickbooks", "update_quickbooks"),
    ),
    Setting(
        "long_names",
        "shorten",
        "A name longer than QuickBooks allows: shorten it (a job's address part first) or stop with an error",
        Kind.CHOICE,
        choices=("shorten", "error"),
    ),
    Setting(
        "duplicate_names",
        "suffix",
        "A name QuickBooks already uses for another of your records or another list: add a suffix such as "
        "'Smith, John (2)' or 'Ferguson Supply (V)', or stop with an error",
        Kind.CHOICE,
        choices=("suffix", "error"),
    ),
    Setting(
        "start_date_prerequisites",
        "find_or_add",
        "A customer from before the sync start date that a syncing invoice or payment needs: find it in QuickBooks "
        "by name and link it, or add it when QuickBooks has none (find_or_add); or only find it (find_only)",
        Kind.CHOICE,
        choices=("find_or_add", "find_only"),
    ),
    Setting(
        "auto_import_every_minutes",
        240,
        "Bring changes made in QuickBooks in every so many minutes, after a Web Connector session sends the queue "
        "(0: only when someone imports)",
        Kind.NUMBER,
        limits=(0, 10080),
    ),
    Setting(
        "auto_import_kinds",
        list(LINKED_IMPORT_KINDS),
        "Which kinds the scheduled imports bring in (each once it has been imported by hand)",
        Kind.CHOICES,
        choices=tuple(LINKED_IMPORT_KINDS),
    ),
    Setting(
        "conflicts",
        "app_wins",
        "When a field changed both in the app and in QuickBooks since the last sync: app_wins sends the app's value "
        "back to QuickBooks, quickbooks_wins takes QuickBooks' value",
        Kind.CHOICE,
        choices=tuple(CONFLICT_RULES),
    ),
)
DEFAULTS: dict[str, Any] = {setting.key: setting.default for setting in SETTINGS}
DESCRIPTIONS: dict[str, str] = {setting.key: setting.description for setting in SETTINGS}
_BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}

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
    setting = _BY_KEY.get(key)
    kind = setting.kind if setting is not None else Kind.TEXT
    if raw.lower() in {"", "none", "null"} and kind is not Kind.NAME_FORMAT:
        return None
    if kind is Kind.FLAG:
        # Unknown words stay text, so validation names the setting and says what it wants.
        return _BOOLEAN_WORDS.get(raw.lower(), raw)
    if kind is Kind.NUMBER:
        return raw
    if kind in (Kind.KINDS, Kind.STATUSES, Kind.NAMES, Kind.CHOICES):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if kind is Kind.MAPPING:
        try:
            return tax_mapping.parse_cli(raw)
        except ValueError as exc:
            raise InvalidInput({key: str(exc)}) from None
    return raw


def _check(key: str, value: Any) -> Any:
    setting = _BY_KEY[key]
    kind = setting.kind
    if kind is Kind.FLAG:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind is Kind.NUMBER:
        low, high = setting.limits or (0, 10**9)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number
    if kind is Kind.KINDS:
        kinds = _string_list(value)
        unknown = [k for k in kinds if k not in ALL_KINDS]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}; choose from {', '.join(ALL_KINDS)}")
        return kinds
    if kind is Kind.STATUSES:
        statuses = _string_list(value)
        unknown = [s for s in statuses if s not in INVOICE_STATUSES]
        if unknown:
            raise ValueError(f"unknown status {unknown[0]!r}; choose from sent, finished, paid")
        if "draft" in statuses:
            raise ValueError("drafts never sync to QuickBooks")
        return statuses
    if kind is Kind.NAMES:
        return None if value in (None, [], "") else _string_list(value)
    if kind is Kind.CHOICES:
        chosen = [] if value is None else _string_list(value)
        unknown = [c for c in chosen if c not in setting.choices]
        if unknown:
            raise ValueError(f"unknown choice {unknown[0]!r}; choose from {', '.join(setting.choices)}")
        return list(dict.fromkeys(chosen))
    if kind is Kind.CHOICE:
        if value not in setting.choices:
            raise ValueError(f"must be one of {', '.join(setting.choices)}")
        return value
    if kind is Kind.DATE:
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
    if kind is Kind.MAPPING:
        return tax_mapping.check(value)
    if kind is Kind.NAME_FORMAT:
        return _check_format(key, value)
    if kind is Kind.CHOICE:
        if value not in setting.choices:
            raise ValueError(f"must be one of {', '.join(setting.choices)}")
        return value
    if kind is Kind.KIND_CHOICE:
        return _check_kind_choice(setting, value)
    # Account and tax-code names: text, or empty for QuickBooks' default where that is allowed.
    if value in (None, ""):
        if setting.default is not None:
            raise ValueError("must not be empty")
        return None
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _check_kind_choice(setting: Setting, value: Any) -> dict[str, str]:
    """Accept one word for every kind, "kind:word, ..." text, or a {kind: word} mapping; kinds not named keep theirs."""
    choices = setting.choices
    if isinstance(value, str) and value.strip() in choices:
        return {kind: value.strip() for kind in LINKABLE_KINDS}
    if isinstance(value, str):
        pairs = {}
        for part in value.split(","):
            if part.strip():
                kind, sep, word = part.partition(":")
                if not sep:
                    raise ValueError(f"write one of {', '.join(choices)}, or kind:choice pairs separated by commas")
                pairs[kind.strip()] = word.strip()
        value = pairs
    if not isinstance(value, Mapping):
        raise ValueError(f"must be one of {', '.join(choices)}, or a choice for each of {', '.join(LINKABLE_KINDS)}")
    chosen = dict(setting.default)
    for kind, word in value.items():
        if kind not in LINKABLE_KINDS:
            raise ValueError(f"unknown kind {kind!r}; choose from {', '.join(LINKABLE_KINDS)}")
        if word not in choices:
            raise ValueError(f"{kind}: must be one of {', '.join(choices)}")
        chosen[kind] = word
    return chosen


def kind_choice(settings: Mapping[str, Any], key: str, kind: str) -> str:
    """Return a per-kind setting's word for one kind (its default word for kinds it does not name)."""
    setting = _BY_KEY[key]
    value = settings.get(key) or {}
    word = value.get(kind) if isinstance(value, Mapping) else None
    return str(word) if word in setting.choices else setting.choices[0]


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
