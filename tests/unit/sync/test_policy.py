"""The error policy: each QuickBooks status code leads to one action and a hint a bookkeeper can follow."""

from __future__ import annotations

import pytest

from qbwc_server.sync.policy import Action, classify, hint, missing_reference, plain_error, retry_delay


@pytest.mark.parametrize(
    ("code", "was_add", "action"),
    [
        (0, True, Action.SUCCEED),
        (530, False, Action.SUCCEED),
        (3100, True, Action.LINK_EXISTING),
        (3100, False, Action.FAIL),
        (3200, False, Action.REFRESH),
        (3140, True, Action.PREREQUISITE),
        (3170, False, Action.RETRY_LATER),
        (3180, True, Action.RETRY_LATER),
        (3120, False, Action.RESYNC),
        (3210, True, Action.FAIL),
    ],
)
def test_status_codes_map_to_actions(code, was_add, action):
    assert classify(code, was_add=was_add) is action


def test_a_3140_message_names_what_is_missing(fixtures_dir):
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
    error = plain_error(3210, message, "payment")
    assert error["message"].startswith('QuickBooks error 3210: The "AppliedToTxnAdd payment amount"')
    assert "more than the invoice's open balance" in error["hint"]


def test_transient_retries_back_off_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3)] == [60, 120, 240]
    assert retry_delay(20) == 3600
