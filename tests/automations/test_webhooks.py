"""Webhook delivery against a real local receiver: signatures, run ids, retries, refused
addresses (directly, after a redirect), and the signing secret's rotation."""

import ipaddress
import json
from typing import Any

import pytest

from automations.models import AutomationRun, RunAttempt
from automations.models.automations import new_webhook_secret
from automations.services.automations import automation_secret_rotate
from automations.services.webhooks import (
    AddressRefused,
    SigningKeys,
    WebhookError,
    legacy_signature,
    legacy_signature_valid,
    signing_keys,
    webhook_post,
)
from automations.webhook_targets import AddressPolicy, address_allowed
from tests.automations.conftest import Receiver, purchase_schema, webhook_automation
from tests.conftest import Persona, wait_until
from tests.factories import ContactFactory

NO_PRIVATE = AddressPolicy()
EMPTY: dict[str, Any] = {"payload": {}}
ONLY_127_0_0_1 = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
SECRET = new_webhook_secret()
KEYS = SigningKeys(SECRET)


def post(url: str, policy: AddressPolicy) -> Any:
    return webhook_post(url=url, body=b'{"a":1}', keys=KEYS, run_id="r-1", timeout=5, policy=policy)


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("172.16.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address checked, not bound
        ("100.64.0.1", False),
        ("2606:4700::1111", True),
    ],
)
def test_only_public_addresses_are_allowed_by_default(address: str, allowed: bool) -> None:
    assert address_allowed(address, policy=NO_PRIVATE) is allowed


def test_the_deprecated_signature_covers_timestamp_and_body() -> None:
    signed = legacy_signature(secret="k", timestamp=100, body=b"{}")
    assert legacy_signature_valid(secret="k", timestamp="100", body=b"{}", received=signed)
    assert not legacy_signature_valid(secret="k", timestamp="101", body=b"{}", received=signed)
    assert not legacy_signature_valid(secret="k", timestamp="100", body=b"{ }", received=signed)
    assert not legacy_signature_valid(secret="other", timestamp="100", body=b"{}", received=signed)


def test_it_refuses_loopback_unless_allowed(receiver: Receiver) -> None:
    receiver.secrets.add(SECRET)
    with pytest.raises(AddressRefused):
        post(f"{receiver.url}/ok", NO_PRIVATE)
    with pytest.raises(AddressRefused):
        post(f"http://localhost:{receiver.url.rsplit(':', 1)[1]}/ok", NO_PRIVATE)
    assert receiver.deliveries == []
    post(f"{receiver.url}/ok", ONLY_127_0_0_1)
    assert receiver.run_ids() == {"r-1": 1}


@pytest.mark.parametrize(
    "host",
    ["[::ffff:127.0.0.1]", "[2002:7f00:1::1]", "[64:ff9b::7f00:1]", "2130706433", "localhost"],
)
def test_it_refuses_when_sending_every_spelling_that_leads_to_loopback(
    receiver: Receiver, host: str
) -> None:
    receiver.secrets.add(SECRET)
    port = receiver.url.rsplit(":", 1)[1]
    with pytest.raises(AddressRefused) as refused:
        post(f"http://{host}:{port}/ok", NO_PRIVATE)
    assert "refused address" in str(refused.value)
    assert receiver.deliveries == []


def test_it_refuses_a_redirect_to_a_refused_address(receiver: Receiver) -> None:
    receiver.secrets.add(SECRET)
    port = receiver.url.rsplit(":", 1)[1]
    for target in (f"http://127.0.0.2:{port}/ok", f"http://[::1]:{port}/ok", "http://10.0.0.1/"):
        with pytest.raises(AddressRefused):
            post(f"{receiver.url}/redirect?to={target}", ONLY_127_0_0_1)
    assert receiver.deliveries == []
    post(f"{receiver.url}/redirect?to={receiver.url}/ok", ONLY_127_0_0_1)
    assert receiver.run_ids() == {"r-1": 1}


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://user:pw@example.com/", "http:///x"]
)
def test_it_refuses_urls_that_are_not_plain_http(url: str) -> None:
    with pytest.raises(WebhookError) as refused:
        post(url, NO_PRIVATE)
    assert refused.value.permanent


def test_it_gives_up_on_a_target_that_does_not_answer_in_time() -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        with pytest.raises(WebhookError) as failed:
            webhook_post(
                url=f"http://127.0.0.1:{silent.getsockname()[1]}/",
                body=b"{}",
                keys=KEYS,
                run_id="r",
                timeout=0.5,
                policy=ONLY_127_0_0_1,
            )
        assert not failed.value.permanent
    finally:
        silent.close()


pytestmark_db = pytest.mark.django_db(transaction=True)
with_background = pytest.mark.usefixtures("background")


@pytestmark_db
@with_background
def test_a_run_is_delivered_signed_with_its_run_id_and_the_interaction(
    alice: Persona, receiver: Receiver
) -> None:
    schema = purchase_schema(alice.tenant)
    contact = ContactFactory(tenant=alice.tenant)
    automation = webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver)
    body = {"contactId": str(contact.pk), "schemaId": schema.schema_id, "payload": {"store": "S"}}
    posted = alice.post("interactions", body)
    assert posted.status_code == 200

    wait_until(lambda: len(receiver.successes()) == 1, timeout=20)
    (delivery,) = receiver.successes()
    run = AutomationRun.objects.get(automation=automation)
    assert delivery.signed and delivery.legacy_signed and delivery.run_id == str(run.pk)
    assert delivery.headers["webhook-id"] == str(run.pk)
    assert delivery.document["runId"] == str(run.pk)
    assert delivery.document["automation"] == {"id": str(automation.public_id), "name": "Welcome"}
    assert delivery.document["contact"]["id"] == str(contact.pk)
    assert delivery.document["interaction"]["id"] == posted.json()["id"]
    assert delivery.document["interaction"]["payload"] == {"store": "S"}
    wait_until(lambda: AutomationRun.objects.get(pk=run.pk).status == "succeeded", timeout=10)


@pytestmark_db
@with_background
def test_a_target_that_fails_three_times_gets_one_effect_and_four_logged_attempts(
    alice: Persona, receiver: Receiver
) -> None:
    purchase_schema(alice.tenant)
    contact = ContactFactory(tenant=alice.tenant)
    automation = webhook_automation(alice.tenant, f"{receiver.url}/flaky", receiver)
    receiver.flaky_failures = 3
    alice.post(
        "interactions", {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {}}
    )
    wait_until(lambda: len(receiver.successes("/flaky")) == 1, timeout=30)
    run = AutomationRun.objects.get(automation=automation)
    wait_until(lambda: AutomationRun.objects.get(pk=run.pk).status == "succeeded", timeout=10)
    attempts = list(RunAttempt.objects.filter(run=run).order_by("started_at", "id"))
    assert [(a.number, a.outcome) for a in attempts] == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "succeeded"),
    ]
    assert all("503" in a.error for a in attempts[:3])
    assert all(a.duration_ms >= 0 for a in attempts)
    assert receiver.run_ids("/flaky") == {str(run.pk): 1}


@pytestmark_db
@with_background
def test_a_target_that_always_fails_ends_the_run_failed_and_the_next_run_still_goes(
    alice: Persona, receiver: Receiver
) -> None:
    purchase_schema(alice.tenant)
    down = webhook_automation(alice.tenant, f"{receiver.url}/down", receiver, name="Down")
    contact = ContactFactory(tenant=alice.tenant)
    alice.post(
        "interactions", {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {}}
    )
    run = None

    def failed() -> bool:
        nonlocal run
        run = AutomationRun.objects.filter(automation=down).first()
        return run is not None and run.status == "failed"

    wait_until(failed, timeout=30)
    assert run is not None
    assert RunAttempt.objects.filter(run=run).count() == 5
    assert "500" in run.error

    webhook_automation(alice.tenant, f"{receiver.url}/ok", receiver, name="Fine")
    other = ContactFactory(tenant=alice.tenant)
    alice.post("interactions", {"contactId": str(other.pk), "schemaId": "purchase"} | EMPTY)
    wait_until(lambda: len(receiver.successes()) == 1, timeout=20)


@pytestmark_db
@with_background
def test_a_rotated_secret_signs_the_next_deliveries(alice: Persona, receiver: Receiver) -> None:
    automation = webhook_automation(alice.tenant, f"{receiver.url}/ok")
    old = automation.webhook_secret
    new = automation_secret_rotate(automation=automation).secret
    assert new != old
    receiver.secrets.add(new)
    body = json.dumps({"x": 1}).encode()
    webhook_post(url=f"{receiver.url}/ok", body=body, keys=signing_keys(automation), run_id="r",
                 timeout=5, policy=ONLY_127_0_0_1)  # fmt: skip
    receiver.secrets.discard(new)
    receiver.secrets.add(new_webhook_secret())
    with pytest.raises(WebhookError):
        webhook_post(url=f"{receiver.url}/ok", body=body, keys=signing_keys(automation),
                     run_id="r", timeout=5, policy=ONLY_127_0_0_1)  # fmt: skip
