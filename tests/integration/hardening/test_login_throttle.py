"""Login throttling over HTTP: the two doors never share a counter, locks answer at once, guessing stays slow."""

from __future__ import annotations

import dataclasses
import threading
import time

from qbwc_server.models import Role
from qbwc_server.web.auth import create_user
from tests.harness import PASSWORD, Harness
from tests.integration.hardening.conftest import Client

ADMIN = "admin@example.com"
ADMIN_PASSWORD = "admin password 1"


def _admin(harness: Harness) -> None:
    with harness.runtime.transaction() as db:
        create_user(db, ADMIN, Role.ADMIN, ADMIN_PASSWORD)


def test_web_connector_failures_never_lock_a_page_login(live):
    # Given an admin, and somebody sending twelve Web Connector logins named like the page's old throttle key
    harness = live()
    _admin(harness)
    attacker = Client(harness.server.port)
    for _ in range(12):
        assert attacker.authenticate(f"page:{ADMIN}", "guess") == ["", "nvu"]
    # When the admin signs in to the page with the right password, from the same address even
    answer = Client(harness.server.port).sign_in(ADMIN, ADMIN_PASSWORD)
    # Then they are in
    assert answer.status == 302 and answer.headers["location"].endswith("/")


def test_wrong_page_passwords_lock_only_the_guessing_address(live):
    harness = live()
    _admin(harness)
    attacker = Client(harness.server.port, source="127.0.0.2")
    statuses = [attacker.sign_in(ADMIN, f"guess {n}").status for n in range(8)]
    # Five free tries, the sixth locks; from then on the answer is 429 at once, without a password check
    assert statuses == [401] * 6 + [429] * 2
    assert attacker.sign_in(ADMIN, ADMIN_PASSWORD).status == 429
    # The admin, at their own address, is not locked out
    assert Client(harness.server.port).sign_in(ADMIN, ADMIN_PASSWORD).status == 302


def test_brute_force_gets_a_few_guesses_through_per_user_and_per_address(live):
    # Given an attacker on one address making 60 page guesses at one user, then 60 spread over 60 users
    harness = live()
    _admin(harness)
    attacker = Client(harness.server.port, source="127.0.0.3")
    started = time.monotonic()
    one_user = [attacker.sign_in(ADMIN, f"guess {n}").status for n in range(60)]
    many_users = [attacker.sign_in(f"user{n}@example.com", "guess").status for n in range(60)]
    minutes = max((time.monotonic() - started) / 60, 1 / 60)
    # Then only the first few were checked (401); the rest were refused unchecked (429)
    checked_one, checked_many = one_user.count(401), many_users.count(401)
    print(
        f"page: {checked_one} of 60 guesses at one user, {checked_many} of 60 over many users checked"
        f" in {minutes:.2f} min"
    )
    assert set(one_user) == {401, 429} and checked_one <= 6
    assert set(many_users) <= {401, 429} and checked_one + checked_many <= 11
    # And the Web Connector door keeps its own, equally tight count
    wc = [attacker.authenticate(f"{harness.slug}-qbwc", f"guess {n}") for n in range(30)]
    assert all(answer == ["", "nvu"] for answer in wc)
    assert attacker.authenticate(f"{harness.slug}-qbwc", PASSWORD) == ["", "nvu"]
    ticket, status = Client(harness.server.port).authenticate(f"{harness.slug}-qbwc", PASSWORD)
    assert ticket and status in ("", "none")


def test_failures_answer_at_once_and_other_calls_are_not_held_up(runtime):
    # Given a long lock step (under the old rule a failure slept a worker thread this long, times its count)
    runtime.settings = dataclasses.replace(runtime.settings, auth_failure_delay_seconds=30)
    harness = Harness(runtime)
    try:
        stop = threading.Event()
        guesses = [0]

        def guess(source: str) -> None:
            client = Client(harness.server.port, source=source)
            while not stop.is_set() and guesses[0] < 2000:
                assert client.authenticate(f"{harness.slug}-qbwc", "guess") == ["", "nvu"]
                guesses[0] += 1

        # When 16 guessers hammer the Web Connector login from 16 addresses
        guessers = [threading.Thread(target=guess, args=(f"127.0.1.{n}",)) for n in range(1, 17)]
        for thread in guessers:
            thread.start()
        time.sleep(1)
        started = time.monotonic()
        version = Client(harness.server.port).soap("serverVersion").result("serverVersion")
        waited = time.monotonic() - started
        stop.set()
        for thread in guessers:
            thread.join(timeout=60)
        # Then the server's version answers promptly all the same
        print(f"serverVersion answered in {waited:.2f} s during {guesses[0]} guesses")
        assert version[0].startswith("qbwc-server")
        assert waited < 5, f"serverVersion waited {waited:.1f} s behind the guessers"
    finally:
        harness.close()
