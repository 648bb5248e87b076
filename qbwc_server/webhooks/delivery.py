"""Deliver the outbox: claim due deliveries, post them signed, and retry with exponential back-off for about a day.

A background thread in each server process claims work (FOR UPDATE SKIP LOCKED on PostgreSQL, then a
compare-and-set, as the queue does) and hands each delivery to a small pool of workers. Each endpoint has at most
one delivery in flight per process, with short timeouts, so a slow or dead endpoint holds one worker and never
the Web Connector's requests or another company's deliveries.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from qbwc_server import clock
from qbwc_server.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from qbwc_server.webhooks import signing

log = logging.getLogger(__name__)

HISTORY_KEPT = 20  # attempts remembered per delivery


class Database(Protocol):
    """What delivery needs of the server's runtime: a transaction at a time."""

    def transaction(self) -> AbstractContextManager[Session]:
        """Run a block in one database transaction."""
        ...


@dataclass(frozen=True)
class RetrySchedule:
    """When to try again after a failed attempt: `first_delay_seconds`, times `factor` each time, up to a cap."""

    first_delay_seconds: float = 30.0
    factor: float = 4.0
    max_delay_seconds: float = 12 * 3600.0
    attempts: int = 8  # 30 s, 2 min, 8 min, 32 min, 2.1 h, 8.5 h, 12 h: about a day in all

    def delay_after(self, attempts_made: int) -> float | None:
        """Return the wait before the next attempt, or None when the delivery has had all its attempts."""
        if attempts_made >= self.attempts:
            return None
        return min(self.first_delay_seconds * self.factor ** (attempts_made - 1), self.max_delay_seconds)

    def total_seconds(self) -> float:
        """Return how long a delivery that always fails is retried."""
        return sum(self.delay_after(n) or 0.0 for n in range(1, self.attempts))


@dataclass(frozen=True)
class Attempt:
    """One post of a delivery and what the endpoint did with it."""

    delivery_id: int
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """Tell whether the endpoint took it (any 2xx answer)."""
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without the body: the endpoint must answer itself.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class Deliverer:
    """Post due deliveries from a background thread (`start`/`stop`), or one at once (`deliver`)."""

    def __init__(
        self,
        runtime: Database,
        *,
        schedule: RetrySchedule | None = None,
        timeout_seconds: float = 10.0,
        workers: int = 4,
        poll_seconds: float = 1.0,
        lease_seconds: float = 300.0,
    ) -> None:
        self.runtime = runtime
        self.schedule = schedule or RetrySchedule()
        self.timeout_seconds = timeout_seconds
        self.poll_seconds = poll_seconds
        # A claim older than this belongs to a process that died mid-post: the delivery is taken again.
        self.lease = timedelta(seconds=max(lease_seconds, timeout_seconds * 3))
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._busy: set[int] = set()
        self._lock = threading.Lock()

    # --- the background loop ----------------------------------------------------------------------------------

    def start(self) -> Deliverer:
        """Start delivering in the background; return self."""
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="webhook-post")
        self._thread = threading.Thread(target=self._loop, name="webhook-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop claiming, and wait for the posts in flight (each ends within the timeout)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_seconds + 5)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.dispatch()
            except Exception:
                log.exception("webhook delivery round failed; trying again")
            self._stopping.wait(self.poll_seconds)

    def dispatch(self) -> int:
        """Claim the due deliveries of endpoints not already busy here and hand them to the workers."""
        assert self._pool is not None, "start() first"
        claimed = self.claim(limit=self.workers * 4)
        for delivery_id, endpoint_id in claimed:
            self._pool.submit(self._deliver_claimed, delivery_id, endpoint_id)
        return len(claimed)

    def _deliver_claimed(self, delivery_id: int, endpoint_id: int) -> None:
        try:
            self.deliver(delivery_id)
        except Exception:
            log.exception("webhook delivery %d failed unexpectedly", delivery_id)
        finally:
            with self._lock:
                self._busy.discard(endpoint_id)

    # --- claiming ---------------------------------------------------------------------------------------------

    def claim(self, limit: int) -> list[tuple[int, int]]:
        """Take up to `limit` due deliveries, one per endpoint; return (delivery id, endpoint id) pairs."""
        now = clock.now()
        with self._lock:
            busy = set(self._busy)
        due = and_(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
        stale = now - self.lease
        abandoned = and_(WebhookDelivery.status == DeliveryStatus.SENDING, WebhookDelivery.claimed_at < stale)
        query = (
            select(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.status, WebhookDelivery.attempts)
            .where(or_(due, abandoned))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit * 4)
        )
        claimed: list[tuple[int, int]] = []
        with self.runtime.transaction() as db:
            if db.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for delivery_id, endpoint_id, status, attempts in db.execute(query).all():
                if endpoint_id in busy or len(claimed) >= limit:
                    continue
                taken = db.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == delivery_id,
                        WebhookDelivery.status == status,
                        WebhookDelivery.attempts == attempts,
                    )
                    .values(status=DeliveryStatus.SENDING, claimed_at=now)
                    .returning(WebhookDelivery.id)
                    .execution_options(synchronize_session=False)
                ).first()
                if taken is not None:
                    claimed.append((delivery_id, endpoint_id))
                    busy.add(endpoint_id)
        with self._lock:
            self._busy.update(endpoint for _, endpoint in claimed)
        return claimed

    # --- one post ---------------------------------------------------------------------------------------------

    def deliver(self, delivery_id: int) -> Attempt:
        """Post one claimed delivery now, and record the attempt and what comes next."""
        with self.runtime.transaction() as db:
            delivery = db.get(WebhookDelivery, delivery_id)
            if delivery is None:
                return Attempt(delivery_id, None, "the delivery no longer exists", 0)
            endpoint = db.get(WebhookEndpoint, delivery.endpoint_id)
            assert endpoint is not None
            url, keys = endpoint.url, signing_secrets(endpoint)
            message_id = delivery.event.public_id
            body = json.dumps(delivery.event.payload, ensure_ascii=False, separators=(",", ":")).encode()
        attempt = self._post(delivery_id, url, message_id, body, keys)
        self._record(attempt)
        with self._lock:
            self._busy.discard(endpoint.id)
        return attempt

    def _post(self, delivery_id: int, url: str, message_id: str, body: bytes, keys: list[str]) -> Attempt:
        headers = signing.headers(keys, message_id, int(clock.now().timestamp()), body)
        headers.update({"Content-Type": "application/json", "User-Agent": "qbwc-server-webhooks"})
        # The URL was checked to be http(s) when the endpoint was added.
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            with _opener.open(request, timeout=self.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"answered HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"no answer: {reason}"
        elapsed = int((time.monotonic() - started) * 1000)
        if status is not None and not 200 <= status < 300 and error is None:
            error = f"answered HTTP {status}"
        return Attempt(delivery_id, status, error, elapsed)

    def _record(self, attempt: Attempt) -> None:
        now = clock.now()
        with self.runtime.transaction() as db:
            delivery = db.get(WebhookDelivery, attempt.delivery_id)
            if delivery is None:
                return
            delivery.attempts += 1
            entry = {
                "at": now.isoformat(),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "duration_ms": attempt.duration_ms,
            }
            delivery.history = [*(delivery.history or [])[-(HISTORY_KEPT - 1) :], entry]
            delivery.last_status_code = attempt.status_code
            delivery.last_error = attempt.error
            delivery.claimed_at = None
            if attempt.ok:
                delivery.status = DeliveryStatus.DELIVERED
                delivery.delivered_at = now
                delivery.next_attempt_at = None
                return
            delay = self.schedule.delay_after(delivery.attempts)
            if delay is None:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
                log.warning("webhook delivery %d failed for good: %s", delivery.id, attempt.error)
            else:
                delivery.status = DeliveryStatus.PENDING
                delivery.next_attempt_at = now + timedelta(seconds=delay)


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """Return the secrets that sign now: the current one, and the previous one during the day after a rotation."""
    keys = [endpoint.secret]
    expires = clock.aware(endpoint.previous_secret_expires_at)
    if endpoint.previous_secret and expires is not None and expires > clock.now():
        keys.append(endpoint.previous_secret)
    return keys
