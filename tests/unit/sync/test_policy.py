"""The error policy: each QuickBooks status code means one thing per request, with a hint a bookkeeper can follow."""

from __future__ import annotations

import pytest

from qbwc_server.models import Actor, Fix
from qbwc_server.sync.policy import (
    CODES,
    Action,
    Request,
    hint,
    meaning,
    missing_reference,
    quickbooks_error,
    retry_delay,
)


@pytest.mark.parametrize(
    ("code", "asked", "action"),
    [
        (0, Request.SEND, Action.SUCCEED),
        (530, Request.SEND, Action.SUCCEED),
        (3100, Request.SEND, Action.LINK_EXISTING),
        (3200, Request.SEND, Action.REFRESH),
        (3140, Request.SEND, Action.PREREQUISITE),
        (3170, Request.SEND, Action.RETRY_LATER),
        (3180, Request.SEND, Action.RETRY_LATER),
        (3120, Request.SEND, Action.RESYNC),
        (3210, Request.SEND, Action.FAIL),
        (9999, Request.SEND, Action.FAIL),
        (1, Request.LOOKUP, Action.NOT_FOUND),
        (500, Request.LOOKUP, Action.NOT_FOUND),
        (3100, Request.LOOKUP, Action.FAIL),
        (1, Request.REFRESH, Action.RESYNC),
        (3120, Request.REFRESH, Action.RESYNC),
        (3200, Request.REFRESH, Action.FAIL),
    ],
)
def test_status_codes_mean_one_thing_per_request(code, asked, action):
    assert meaning(code, asked) is action


def test_every_code_in_the_table_has_advice_unless_it_succeeds():
    for code, row in CODES.items():
        assert row.send is Action.SUCCEED or row.hint, code


def test_an_error_says_who_must_act_the_fix_and_whether_a_retry_helps():
    busy = quickbooks_error(3180, "This list has been modified by another user.", "customer")
    assert (busy.who_must_act, busy.fix, busy.retryable) == (Actor.NOBODY, Fix.NONE, True)
    taken = quickbooks_error(3100, 'The name "Smith, Jo" of the list element is already in use.', "customer").to_json()
    assert taken["who_must_act"] == "bookkeeper_in_quickbooks"
    assert taken["fix"] == "rename"
    assert taken["retryable"] is False
    assert taken["quickbooks"] == {
        "code": 3100,
        "message": 'The name "Smith, Jo" of the list element is already in use.',
    }
    assert taken["message"].startswith("QuickBooks error 3100:") and "vendor, employee" in taken["hint"]


def test_a_missing_account_is_fixed_in_the_settings():
    message = 'There is an invalid reference to QuickBooks Account "Sales" in the Invoice.'
    assert quickbooks_error(3140, message, "invoice").who_must_act is Actor.BOOKKEEPER_IN_SETTINGS


def test_a_3140_message_names_what_is_missing():
    message = (
        'There is an invalid reference to QuickBooks Customer "Joe Smith" in the SalesOrder.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    )
    missing = missing_reference(message)
    assert (missing.list_name, missing.name) == ("Customer", "Joe Smith")


def test_a_missing_payment_method_says_what_to_do():
    message = 'There is an invalid reference to QuickBooks PaymentMethod "Zelle" in the ReceivePayment.'
    assert hint(3140, message) == (
        "Create the payment method 'Zelle' in QuickBooks, or stop syncing 'Zelle' payments in the settings."
    )


def test_the_real_3210_message_becomes_plain_words():
    message = (
        "The &quot;AppliedToTxnAdd payment amount&quot; field has an invalid value &quot;129.43&quot;.  "
        "QuickBooks error message: You cannot pay more than the amount due."
    )
    error = quickbooks_error(3210, message, "payment")
    assert error.message.startswith('QuickBooks error 3210: The "AppliedToTxnAdd payment amount"')
    assert "more than the invoice's open balance" in (error.hint or "")


def test_transient_retries_back_off_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(20) == 3600


def test_a_3210_on_a_tax_field_is_fixed_in_the_tax_settings():
    message = (
        "The &quot;SalesTaxCodeRef&quot; field has an invalid value &quot;Tax&quot;.  "
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    )
    note = quickbooks_error(3210, message, "invoice")
    assert (note.who_must_act, note.fix) == (Actor.BOOKKEEPER_IN_SETTINGS, Fix.CHANGE_SETTINGS)
    assert "'Tax' (SalesTaxCodeRef)" in note.hint and "tax" in note.hint


def test_a_3210_on_an_account_field_is_fixed_in_the_account_settings():
    message = 'The "DepositToAccountRef" field has an invalid value "Sales".  QuickBooks error message: Invalid type.'
    note = quickbooks_error(3210, message, "payment")
    assert (note.who_must_act, note.fix) == (Actor.BOOKKEEPER_IN_SETTINGS, Fix.CHANGE_SETTINGS)
    assert note.hint.startswith("QuickBooks refused the account 'Sales' (DepositToAccountRef) for this payment.")


def test_a_3210_on_any_other_field_is_corrected_in_the_app():
    message = 'The "Phone" field has an invalid value "call me".  QuickBooks error message: Invalid argument.'
    note = quickbooks_error(3210, message, "customer")
    assert (note.who_must_act, note.fix) == (Actor.APP, Fix.CORRECT_IN_APP)
    assert note.hint == "QuickBooks refused a value in this record; correct it and reprocess."
    overpaid = quickbooks_error(
        3210,
        'The "AppliedToTxnAdd payment amount" field has an invalid value "129.43".  QuickBooks error message: '
        "You cannot pay more than the amount due.",
        "payment",
    )
    assert overpaid.who_must_act is Actor.APP and "open balance" in overpaid.hint
