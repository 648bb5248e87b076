"""Webhooks on the page: an admin adds an endpoint, sees its secret once, its deliveries, and sends again or a test."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qbwc_server.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from qbwc_server.webhooks.delivery import Deliverer, RetrySchedule
from tests.integration.webhooks.receiver import Receiver


@pytest.fixture
def admin(client, make_company, make_user, login):
    make_company("acme")
    make_company("other")
    make_user("root@example.com", "admin")
    login("root@example.com")
    return client


@pytest.fixture
def hooks():
    r = Receiver(failures=1)
    yield r
    r.stop()


def test_add_an_endpoint_test_it_and_send_a_failed_delivery_again(rt, admin, hooks):
    # Given an endpoint added on the page, its secret shown once
    page = admin.post("/c/acme/webhooks", data={"url": hooks.url, "events": ["record.error"]}).get_data(as_text=True)
    secret = re.search(r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"', page).group(1)
    assert secret not in admin.get("/c/acme/webhooks").get_data(as_text=True)
    with rt.transaction() as db:
        endpoint_id = db.scalars(select(WebhookEndpoint.id)).one()
    # When a test event is sent and the endpoint refuses its only attempt
    response = admin.post(f"/c/acme/webhooks/{endpoint_id}/test", follow_redirects=True)
    assert "A test event is on its way" in response.get_data(as_text=True)
    deliverer = Deliverer(rt, schedule=RetrySchedule(attempts=1))
    [(delivery_id, _)] = deliverer.claim(limit=5)
    assert not deliverer.deliver(delivery_id).ok
    # Then the page shows it failed with the endpoint's answer, and offers to send it again
    listing = admin.get("/c/acme/webhooks").get_data(as_text=True)
    assert "webhook.test" in listing and "failed" in listing and "answered HTTP 500" in listing
    admin.post(f"/c/acme/webhooks/deliveries/{delivery_id}/again")
    [(again, _)] = deliverer.claim(limit=5)
    assert again == delivery_id and deliverer.deliver(delivery_id).ok
    with rt.transaction() as db:
        assert db.get(WebhookDelivery, delivery_id).status is DeliveryStatus.DELIVERED
    assert "1 delivered" in admin.get("/c/acme/webhooks").get_data(as_text=True)


def test_a_bad_address_is_refused_with_the_reason(rt, admin):
    page = admin.post("/c/acme/webhooks", data={"url": "mailto:me@example.com"}).get_data(as_text=True)
    assert "must start with https://" in page
    with rt.transaction() as db:
        assert db.scalars(select(WebhookEndpoint)).all() == []


def test_another_companys_delivery_cannot_be_sent_again_through_this_one(rt, admin, hooks):
    admin.post("/c/other/webhooks", data={"url": hooks.url})
    with rt.transaction() as db:
        endpoint_id = db.scalars(select(WebhookEndpoint.id)).one()
    admin.post(f"/c/other/webhooks/{endpoint_id}/test")
    with rt.transaction() as db:
        delivery_id = db.scalars(select(WebhookDelivery.id)).one()
    assert admin.post(f"/c/acme/webhooks/deliveries/{delivery_id}/again").status_code == 404
    assert admin.post(f"/c/acme/webhooks/{endpoint_id}/test").status_code == 404
