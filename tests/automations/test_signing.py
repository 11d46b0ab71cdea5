"""Signed deliveries, the Standard Webhooks way, to a real local receiver: a delivery verifies with
the ``standardwebhooks`` library; after a rotation both secrets sign for the grace period and then
only the new one; the deprecated header keeps working for secrets from before the upgrade, whose
data migration keeps their key bytes."""

import base64
import importlib
import ipaddress
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from standardwebhooks import Webhook

from automations.models import Automation
from automations.services.automations import automation_secret_rotate
from automations.services.runs import automation_webhook_test
from automations.services.webhooks import (
    SigningKeys,
    legacy_signature_valid,
    secret_key,
    signing_keys,
    webhook_post,
)
from automations.webhook_targets import AddressPolicy
from tests.automations.conftest import Delivery, Receiver, webhook_automation
from tests.conftest import Persona

migration = importlib.import_module("automations.migrations.0004_standard_webhook_secrets")
LOOPBACK_ONLY = (ipaddress.ip_network("127.0.0.1/32"),)
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def only_loopback_allowed(settings: Any) -> None:
    """The operator's way to reach one internal receiver: private targets off, one network on."""
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = LOOPBACK_ONLY


def deliver(automation: Automation, receiver: Receiver) -> Delivery:
    """A signed delivery of ``automation`` (the "send test" path, signed like a run's)."""
    receiver.deliveries.clear()
    error = automation_webhook_test(
        tenant=automation.tenant, automation=automation, url=f"{receiver.url}/ok"
    )
    assert error is None, error
    (delivery,) = receiver.successes()
    return delivery


def signatures(delivery: Delivery) -> list[str]:
    return delivery.headers["webhook-signature"].split(" ")


def test_a_delivery_verifies_with_the_standardwebhooks_library(receiver: Receiver) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    receiver.secrets.add(secret)
    webhook_post(
        url=f"{receiver.url}/ok",
        body=b'{"a":1}',
        keys=SigningKeys(secret),
        run_id="run-1",
        timeout=5,
        policy=AddressPolicy(allowed_networks=LOOPBACK_ONLY),
    )
    (delivery,) = receiver.successes()
    assert Webhook(secret).verify(delivery.body, delivery.headers) == {"a": 1}
    assert delivery.headers["webhook-id"] == "run-1" == delivery.headers["Idempotency-Key"]
    assert delivery.headers["webhook-timestamp"].isdigit()
    assert signatures(delivery) == [signatures(delivery)[0]]
    assert signatures(delivery)[0].startswith("v1,")
    # The deprecated headers are still sent, keyed with the secret's text.
    assert delivery.headers["X-Engage-Timestamp"] == delivery.headers["webhook-timestamp"]
    assert delivery.legacy_signed


@pytest.mark.usefixtures("only_loopback_allowed")
def test_after_a_rotation_both_secrets_sign_for_the_grace_period_and_then_only_the_new_one(
    alice: Persona, receiver: Receiver, time_machine: Any
) -> None:
    time_machine.move_to(NOON)
    automation = webhook_automation(alice.tenant, f"{receiver.url}/ok")
    old = automation.webhook_secret
    rotated = alice.post(f"automations/{automation.public_id}/secret/rotate", {})
    assert rotated.status_code == 200
    new = rotated.json()["signingSecret"]
    automation.refresh_from_db()

    receiver.secrets = {old}  # a receiver that has not switched yet
    delivery = deliver(automation, receiver)
    assert len(signatures(delivery)) == 2
    Webhook(old).verify(delivery.body, delivery.headers)
    Webhook(new).verify(delivery.body, delivery.headers)

    time_machine.move_to(datetime(2026, 3, 2, 11, 59, tzinfo=UTC))
    assert len(signatures(deliver(automation, receiver))) == 2

    time_machine.move_to(datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC))
    receiver.secrets = {new}
    delivery = deliver(automation, receiver)
    assert len(signatures(delivery)) == 1
    Webhook(new).verify(delivery.body, delivery.headers)
    receiver.secrets = {old}
    error = automation_webhook_test(
        tenant=alice.tenant, automation=automation, url=f"{receiver.url}/ok"
    )
    assert error == "the target answered 401"


@pytest.mark.usefixtures("only_loopback_allowed")
def test_the_grace_period_is_a_setting(
    alice: Persona, receiver: Receiver, settings: Any, time_machine: Any
) -> None:
    settings.AUTOMATIONS_WEBHOOK_SECRET_GRACE_HOURS = 1
    time_machine.move_to(NOON, tick=False)
    automation = webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    rotated = automation_secret_rotate(automation=automation)
    assert rotated.previous_expires_at == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    time_machine.move_to(datetime(2026, 3, 1, 13, 0, 1, tzinfo=UTC))
    assert signing_keys(automation).in_force == [rotated.secret]


def _pre_upgrade(automation: Automation, text: str) -> None:
    """Put back a secret as automations had before secrets took the Standard Webhooks form."""
    Automation.objects.filter(pk=automation.pk).update(
        webhook_secret=text, legacy_webhook_secret=""
    )


@pytest.mark.usefixtures("only_loopback_allowed")
def test_the_migration_keeps_an_old_secret_s_key_and_its_deprecated_header(
    alice: Persona, receiver: Receiver
) -> None:
    automation = webhook_automation(alice.tenant, f"{receiver.url}/ok")
    old = "whsec_" + secrets.token_urlsafe(32)
    _pre_upgrade(automation, old)
    migration.forward(apps, None)
    automation.refresh_from_db()

    assert automation.webhook_secret != old and automation.legacy_webhook_secret == old
    key = base64.urlsafe_b64decode(old.removeprefix("whsec_") + "=")
    assert secret_key(automation.webhook_secret) == key
    receiver.secrets = {automation.webhook_secret}
    delivery = deliver(automation, receiver)
    Webhook(automation.webhook_secret).verify(delivery.body, delivery.headers)
    assert legacy_signature_valid(
        secret=old,
        timestamp=delivery.headers["X-Engage-Timestamp"],
        body=delivery.body,
        received=delivery.headers["X-Engage-Signature"],
    )

    # Rotating hands out a new secret, which keys the deprecated header from then on.
    new = automation_secret_rotate(automation=automation).secret
    assert automation.legacy_webhook_secret == ""
    receiver.secrets = {new}
    assert deliver(automation, receiver).legacy_signed


def test_the_migration_replaces_a_secret_of_another_shape_and_can_be_reversed(
    alice: Persona,
) -> None:
    odd = webhook_automation(alice.tenant, "https://hooks.example.com/a", name="Odd")
    usual = webhook_automation(alice.tenant, "https://hooks.example.com/b", name="Usual")
    usual_text = "whsec_" + secrets.token_urlsafe(32)
    _pre_upgrade(odd, "hand-made secret")
    _pre_upgrade(usual, usual_text)
    migration.forward(apps, None)
    odd.refresh_from_db()
    assert odd.legacy_webhook_secret == "hand-made secret"
    assert len(secret_key(odd.webhook_secret)) == 32

    migration.backward(apps, None)
    assert dict(Automation.objects.values_list("name", "webhook_secret")) == {
        "Odd": "hand-made secret",
        "Usual": usual_text,
    }
    assert set(Automation.objects.values_list("legacy_webhook_secret", flat=True)) == {""}
