"""A Web Connector login: its user name, its password and the failed-login throttle, before a session opens.

A generated password is a digest, checked in microseconds, so the whole check-in is one transaction. A person's
password has a slow hash (scrypt) that must not hold locks: it is verified between two transactions, and the
login is read again in the second.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from qbwc_server import passwords, throttle, wc_sessions
from qbwc_server.logging_setup import CallRecord
from qbwc_server.models import Company
from qbwc_server.runtime import Runtime
from qbwc_server.webhooks import outbox

NVU = "nvu"  # the Web Connector's answer for "not a valid user"

# Opens the session of a signed-in company in the login's transaction: (db, company, had failures at this address,
# whether the company has an open session, address, call) -> authenticate's answer.
CheckIn = Callable[[Session, Company, bool, bool, str, CallRecord], list[str]]


def sign_in(
    runtime: Runtime, username: str, password: str, address: str, call: CallRecord, check_in: CheckIn
) -> list[str]:
    """Check a login; when it is good, return what `check_in` answers, else ["", "nvu"] (a failure is counted)."""
    values = {"username": username, **throttle.params("wc", username, address)}
    with runtime.transaction() as db:
        found = db.execute(_LOGIN, values).first()
        if found is None:  # no such user: its counters are still read, a locked name answers at once
            if throttle.check(db, "wc", username, address).locked_seconds:
                call.outcome = "locked"
                return ["", NVU]
            passwords.verify_web_connector(None, password)
            return _refuse(runtime, db, username, address, call)
        company, locked_until, has_failures, any_open, any_endpoint = found
        if throttle.checked(locked_until, has_failures).locked_seconds:
            call.outcome = "locked"
            return ["", NVU]
        stored = company.password_hash
        if stored is None or passwords.is_generated(stored):
            if not passwords.verify_web_connector(stored, password):
                return _refuse(runtime, db, username, address, call)
            outbox.note_any_endpoint(db, company.id, any_endpoint)
            return check_in(db, company, has_failures, any_open, address, call)
    valid = passwords.verify_web_connector(stored, password)
    with runtime.transaction() as db:
        if not valid:
            return _refuse(runtime, db, username, address, call)
        found = db.execute(_LOGIN, values).first()
        if found is None:
            call.outcome = NVU
            return ["", NVU]
        company, _locked_until, has_failures, any_open, any_endpoint = found
        outbox.note_any_endpoint(db, company.id, any_endpoint)
        return check_in(db, company, has_failures, any_open, address, call)


def forget_failures(db: Session, company: Company, address: str) -> None:
    """Clear the failed-login counter of the company's user at this address, after a good login."""
    throttle.clear(db, "wc", company.qbwc_username, address)


def _refuse(runtime: Runtime, db: Session, username: str, address: str, call: CallRecord) -> list[str]:
    throttle.note_failure(db, "wc", username, address, runtime.settings.auth_failure_delay_seconds)
    call.outcome = NVU
    return ["", NVU]


# Built once, like the session row's statements (`wc_sessions`). A login reads its company (with the password's
# hash), the login-throttle counters, whether the company has an open session and whether it has a webhook endpoint
# (none: the check-in's announcement asks no more) in one statement. The company row is locked so two simultaneous
# logins cannot both open a session (PostgreSQL; SQLite transactions are already serialised).
_LOGIN = (
    select(Company, throttle.LOCKED_UNTIL, throttle.HAS_FAILURES, wc_sessions.ANY_OPEN, outbox.ANY_ENDPOINT)
    .where(Company.qbwc_username == bindparam("username"))
    .with_for_update(of=Company)
)
