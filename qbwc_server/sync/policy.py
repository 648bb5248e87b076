"""What each QuickBooks status code means for a send, a lookup and a refresh, and how to say it to a bookkeeper.

The table `CODES` is the policy: one row per code, the meaning for each kind of request beside the plain-language
hint, who must act, the fix and whether a retry can help. A new code is one row.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from qbwc_server.models import Actor, Fix, Note, NoteKind
from qbwc_server.sync.builders.types import ProblemKind


class Action(enum.Enum):
    """What an answer with a given status code means for the request it answers."""

    SUCCEED = "succeed"
    NOT_FOUND = "not_found"  # a query found nothing (1, 500)
    LINK_EXISTING = "link_existing"  # 3100 on an Add: find the QuickBooks record with that name and link it
    REFRESH = "refresh"  # 3200: re-read the EditSequence, then send again
    PREREQUISITE = "prerequisite"  # 3140: something referenced is missing in QuickBooks
    RETRY_LATER = "retry_later"  # 3170-3180: someone else is editing in QuickBooks
    RESYNC = "resync"  # 3120 (or a refresh that finds nothing): the object we hold an id for is gone
    FAIL = "fail"


class Request(enum.Enum):
    """The kinds of request whose answers the policy interprets."""

    SEND = "send"
    LOOKUP = "lookup"
    REFRESH = "refresh"


@dataclass(frozen=True)
class Rule:
    """One status code: its meaning per request, and what a bookkeeper reads when it becomes an error."""

    send: Action
    lookup: Action
    refresh: Action
    hint: str
    who: Actor
    fix: Fix
    retryable: bool


_B_QB, _B_SET, _APP, _NOBODY = (
    Actor.BOOKKEEPER_IN_QUICKBOOKS,
    Actor.BOOKKEEPER_IN_SETTINGS,
    Actor.APP,
    Actor.NOBODY,
)
_BUSY = "QuickBooks was busy (someone is editing in multi-user mode). It will be retried automatically."
_GONE = "The record was deleted in QuickBooks. Reprocess to create it again, or exclude it."
_PERMISSIONS = (
    "QuickBooks does not allow this for the connected user or edition; check the Web Connector's permissions."
)
_NOT_FOUND = Rule(Action.FAIL, Action.NOT_FOUND, Action.RESYNC, _GONE, _B_QB, Fix.REPROCESS, False)

CODES: dict[int, Rule] = {
    0: Rule(Action.SUCCEED, Action.SUCCEED, Action.SUCCEED, "", _NOBODY, Fix.NONE, False),
    1: _NOT_FOUND,
    500: _NOT_FOUND,
    3100: Rule(
        Action.LINK_EXISTING,
        Action.FAIL,
        Action.FAIL,
        "This name is already used in QuickBooks. Rename one of them, or link this record to the existing one.",
        _B_QB,
        Fix.RENAME,
        False,
    ),
    3120: Rule(Action.RESYNC, Action.FAIL, Action.RESYNC, _GONE, _B_QB, Fix.REPROCESS, False),
    3140: Rule(
        Action.PREREQUISITE,
        Action.FAIL,
        Action.FAIL,
        "QuickBooks does not have '{name}' that this {kind} refers to; sync or create it first, then reprocess.",
        _B_QB,
        Fix.CREATE_IN_QUICKBOOKS,
        True,
    ),
    3170: Rule(Action.RETRY_LATER, Action.FAIL, Action.FAIL, _BUSY, _NOBODY, Fix.NONE, True),
    3175: Rule(Action.RETRY_LATER, Action.FAIL, Action.FAIL, _BUSY, _NOBODY, Fix.NONE, True),
    3176: Rule(Action.RETRY_LATER, Action.FAIL, Action.FAIL, _BUSY, _NOBODY, Fix.NONE, True),
    3180: Rule(Action.RETRY_LATER, Action.FAIL, Action.FAIL, _BUSY, _NOBODY, Fix.NONE, True),
    3200: Rule(
        Action.REFRESH,
        Action.FAIL,
        Action.FAIL,
        "Someone changed this record in QuickBooks at the same time; reprocess to send it again.",
        _NOBODY,
        Fix.REPROCESS,
        True,
    ),
    3210: Rule(
        Action.FAIL,
        Action.FAIL,
        Action.FAIL,
        "QuickBooks refused a value in this record; correct it and reprocess.",
        _APP,
        Fix.CORRECT_IN_APP,
        False,
    ),
    3250: Rule(Action.FAIL, Action.FAIL, Action.FAIL, _PERMISSIONS, _B_QB, Fix.CHECK_PERMISSIONS, False),
    3260: Rule(Action.FAIL, Action.FAIL, Action.FAIL, _PERMISSIONS, _B_QB, Fix.CHECK_PERMISSIONS, False),
    3261: Rule(Action.FAIL, Action.FAIL, Action.FAIL, _PERMISSIONS, _B_QB, Fix.CHECK_PERMISSIONS, False),
}
_INFO = CODES[0]  # status codes below 1000 are information and warnings: the request succeeded
_UNKNOWN = Rule(
    Action.FAIL, Action.FAIL, Action.FAIL, "Correct the record, then reprocess it.", _APP, Fix.CORRECT_IN_APP, False
)
# QuickBooks refused a whole message set (0x80040400): the set is split until the bad request is alone.
REFUSED_SET = Rule(
    Action.FAIL,
    Action.FAIL,
    Action.FAIL,
    "QuickBooks could not read this record's request; check its text fields and reprocess.",
    _APP,
    Fix.CORRECT_IN_APP,
    False,
)
TRANSIENT = frozenset(code for code, rule in CODES.items() if rule.send is Action.RETRY_LATER)
RETRY_BASE_SECONDS = 60


def rule(status_code: int | None) -> Rule:
    """Return the row for a status code (information codes succeed, unknown errors fail)."""
    if status_code is None:
        return _UNKNOWN
    if status_code in CODES:
        return CODES[status_code]
    return _INFO if status_code < 1000 else _UNKNOWN


def meaning(status_code: int, request: Request) -> Action:
    """Return what a status code means for one kind of request."""
    row: Action = getattr(rule(status_code), request.value)  # each Request's value names its column of the row
    return row


def retry_delay(refusals: int) -> float:
    """Seconds to wait before retrying a transient failure: doubling from one minute, at most an hour."""
    return float(min(RETRY_BASE_SECONDS * 2 ** max(refusals - 1, 0), 3600))


@dataclass(frozen=True)
class MissingReference:
    """What a 3140 says is missing: the QuickBooks list ('Customer', 'Item', 'Account', …) and the name."""

    list_name: str
    name: str


_REFERENCE = re.compile(r'invalid reference to QuickBooks (?P<list>[A-Za-z ]+?) "(?P<name>[^"]*)"')


def missing_reference(message: str) -> MissingReference | None:
    """Read the list and name out of a 3140 message (QuickBooks gives them nowhere else)."""
    match = _REFERENCE.search(message.replace("&quot;", '"'))
    if not match:
        return None
    return MissingReference(match.group("list").strip(), match.group("name"))


# The list a 3140 names decides the advice, and whether the fix is in QuickBooks or in the settings.
_MISSING_LISTS: list[tuple[tuple[str, ...], str, Actor]] = [
    (
        ("PaymentMethod",),
        "Create the payment method '{name}' in QuickBooks, or stop syncing '{name}' payments in the settings.",
        _B_QB,
    ),
    (
        ("Account",),
        "Create the account '{name}' in QuickBooks, or choose another account in the settings' account mappings.",
        _B_SET,
    ),
    (("Terms", "StandardTerms"), "Create the terms '{name}' in QuickBooks or change them on the invoice.", _B_QB),
    (("Class",), "Create the class '{name}' in QuickBooks or remove it from the record.", _B_QB),
    (
        ("ItemSalesTax", "SalesTax", "Sales Tax"),
        "Create the sales tax item '{name}' in QuickBooks, or map the tax rate to an existing one in the settings.",
        _B_SET,
    ),
]
_NAME_IN_USE = {
    "vendor": "A customer, employee or other name in QuickBooks already uses this name, and QuickBooks names must be "
    "unique across all of them. Rename the vendor (for example 'Name (vendor)'), then reprocess.",
    "customer": "A vendor, employee or other name in QuickBooks already uses this name, and QuickBooks names must be "
    "unique across all of them. Rename one of them, then reprocess.",
}
_NAME_IN_USE["job"] = _NAME_IN_USE["customer"]


_INVALID_FIELD = re.compile(r'The "(?P<field>[A-Za-z]+)" field has an invalid value "(?P<value>[^"]*)"')
# A 3210 names the field QuickBooks refused; where the value comes from a setting, the fix is there, not in the app.
_SETTING_FIELDS: list[tuple[tuple[str, ...], str]] = [
    (
        ("ItemSalesTaxRef", "SalesTaxCodeRef", "ItemSalesTaxGroupRef"),
        "QuickBooks refused the sales tax value '{value}' ({field}). Sales tax items come from the tax mapping and "
        "tax codes from the sales tax code settings: choose ones QuickBooks has, then reprocess.",
    ),
    (
        (
            "AccountRef",
            "IncomeAccountRef",
            "ExpenseAccountRef",
            "ARAccountRef",
            "APAccountRef",
            "DepositToAccountRef",
            "RefundFromAccountRef",
        ),
        "QuickBooks refused the account '{value}' ({field}) for this {kind}. It comes from the account settings: "
        "choose an account of the right type in QuickBooks' chart of accounts, then reprocess.",
    ),
]


def _advice(status_code: int, message: str, kind: str) -> tuple[str, Actor, Fix | None]:
    """What to do about an error, who does it, and the fix when it is not the code's own (None: the code's)."""
    row = rule(status_code)
    if status_code == 3140:
        missing = missing_reference(message)
        name = missing.name if missing else "it"
        for lists, text, who in _MISSING_LISTS:
            if missing is not None and missing.list_name in lists:
                return text.format(name=name), who, None
        return row.hint.format(name=name, kind=kind), row.who, None
    if status_code == 3100:
        return _NAME_IN_USE.get(kind, row.hint), row.who, None
    if status_code == 3210:
        return _invalid_value_advice(message.replace("&quot;", '"'), kind) or (row.hint, row.who, None)
    return row.hint, row.who, None


def _invalid_value_advice(message: str, kind: str) -> tuple[str, Actor, Fix | None] | None:
    if "more than the amount due" in message:
        return (
            "The payment is more than the invoice's open balance in QuickBooks; check the amounts applied.",
            _APP,
            None,
        )
    if "credit remaining" in message:
        return (
            "The refund or the credit applied is larger than the credit left in QuickBooks (refunded or applied "
            "already, or the credit is smaller); lower the amount in the app, then reprocess.",
            _APP,
            None,
        )
    field = _INVALID_FIELD.search(message)
    if field is None:
        return None
    for fields, text in _SETTING_FIELDS:
        if field.group("field") in fields:
            words = text.format(field=field.group("field"), value=field.group("value"), kind=kind)
            return words, _B_SET, Fix.CHANGE_SETTINGS
    return None


def hint(status_code: int, message: str, kind: str = "record") -> str:
    """Return a plain-language suggestion of what to fix for a QuickBooks error."""
    return _advice(status_code, message, kind)[0]


def quickbooks_error(
    status_code: int | None, message: str, kind: str = "record", row: Rule | None = None, advice: str | None = None
) -> Note:
    """Build the error a record shows for a QuickBooks answer: its code and text, what to do and who must do it.

    `advice` replaces the code's hint when the caller knows more (a 3210 names the invoice whose balance is lower).
    """
    text = (message or "").replace("&quot;", '"').strip()
    row = row or rule(status_code)
    hint, who, fix = _advice(status_code or 0, text, kind) if row is not REFUSED_SET else (row.hint, row.who, None)
    advice = advice or hint
    return Note(
        kind=NoteKind.ERROR,
        message=f"QuickBooks error {status_code}: {text}" if status_code is not None else text,
        status_code=status_code,
        qb_message=text if status_code is not None else None,
        hint=advice,
        who_must_act=who,
        fix=fix or row.fix,
        retryable=row.retryable,
    )


_PROBLEMS: dict[ProblemKind, tuple[str, Actor, Fix]] = {
    ProblemKind.DATA: ("Correct the record in your app, then reprocess it.", _APP, Fix.CORRECT_IN_APP),
    ProblemKind.TOO_LONG: (
        "Shorten the field in your app (QuickBooks' limit is shown above), then reprocess.",
        _APP,
        Fix.CORRECT_IN_APP,
    ),
    ProblemKind.SETTINGS: (
        "Correct the company's settings as said above, then reprocess.",
        _B_SET,
        Fix.CHANGE_SETTINGS,
    ),
    ProblemKind.TAX_MAPPING: (
        "Map the tax rate to a QuickBooks sales tax item in the settings, then reprocess.",
        _B_SET,
        Fix.CHANGE_SETTINGS,
    ),
    ProblemKind.QUICKBOOKS: ("Import again, or exclude it.", _B_QB, Fix.REPROCESS),
    ProblemKind.REFUND_ACCOUNT: (
        "Choose the account refunds are paid from in the settings (Refund account: a bank account or Undeposited "
        "Funds), then reprocess.",
        _B_SET,
        Fix.CHANGE_SETTINGS,
    ),
}


def cannot_send(message: str, problem: ProblemKind) -> Note:
    """Build the error of a record that cannot be sent as it is (checked before QuickBooks sees it)."""
    advice, who, fix = _PROBLEMS[problem]
    return Note(
        kind=NoteKind.ERROR,
        message=f"Cannot be sent to QuickBooks: {message}",
        hint=advice,
        who_must_act=who,
        fix=fix,
        retryable=False,
    )
