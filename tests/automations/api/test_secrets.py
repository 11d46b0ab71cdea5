"""Webhook signing secrets and targets through the API: the secret is returned once on create and
by rotation, never on reads; webhook targets written as non-public addresses are refused on save
with a 400 naming the field and the setting that allows private targets."""

from typing import Any

import pytest

from automations.models import Automation
from tests.conftest import Persona

SETTING = "AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS"
BODY = {"name": "Hook", "trigger": "new_interaction"}
NON_GLOBAL_TARGETS = [
    ("http://127.0.0.1/in", "127.0.0.1", "is a loopback address"),
    ("http://10.0.0.1/in", "10.0.0.1", "is a private address"),
    ("http://169.254.169.254/latest", "169.254.169.254", "is a link-local address"),
    ("http://100.64.0.1/", "100.64.0.1", "is a non-public address"),
    ("http://0.0.0.0:8000/", "0.0.0.0", "is the unspecified address"),  # noqa: S104
    ("http://2130706433/", "127.0.0.1", "is a loopback address"),
    ("http://[::1]/", "::1", "is a loopback address"),
    ("http://[fe80::1]/", "fe80::1", "is a link-local address"),
    ("http://[fd12::1]/", "fd12::1", "is a private address"),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", "leads to 127.0.0.1, a loopback address"),
    ("http://[2002:a00:1::1]/", "2002:a00:1::1", "leads to 10.0.0.1, a private address"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
     "is a Teredo address"),
    ("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe",
     "leads to 169.254.169.254, a link-local address"),
]  # fmt: skip


def refusal(address: str, problem: str) -> str:
    return (
        f"must not point at {address}: it {problem}; webhooks reach only public addresses "
        f"unless the network is listed in {SETTING}"
    )


@pytest.fixture
def no_private(settings: Any) -> None:
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = ()


def create(persona: Persona, url: str = "https://hooks.example.com/in") -> Any:
    return persona.post("automations", {**BODY, "actions": [{"type": "webhook", "url": url}]})


def test_the_secret_is_returned_on_create_only(alice: Persona) -> None:
    created = create(alice)
    assert created.status_code == 201, created.json()
    secret = created.json()["signingSecret"]
    automation = Automation.objects.get()
    assert secret == automation.webhook_secret and secret.startswith("whsec_")
    for path in (f"automations/{automation.public_id}", "automations"):
        assert secret not in alice.get(path).content.decode()
    read = alice.get(f"automations/{automation.public_id}").json()
    assert "signingSecret" not in read
    replaced = alice.client.put(
        alice.url(f"automations/{automation.public_id}"),
        {**BODY, "actions": [{"type": "tag", "name": "t"}]},
        format="json",
    )
    assert replaced.status_code == 200 and "signingSecret" not in replaced.json()


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_rotation_returns_a_new_secret_once_and_keeps_the_old_one_for_the_grace_period(
    alice: Persona, version: str, time_machine: Any
) -> None:
    time_machine.move_to("2026-03-01T12:00:00Z", tick=False)
    first = create(alice).json()
    rotated = alice.client.post(
        alice.url(f"automations/{first['id']}/secret/rotate", version), {}, format="json"
    )
    assert rotated.status_code == 200, rotated.json()
    body = rotated.json()
    assert set(body) == {"signingSecret", "previousSecretExpires"}
    assert body["signingSecret"].startswith("whsec_")
    assert body["signingSecret"] != first["signingSecret"]
    assert body["previousSecretExpires"] == "2026-03-02T12:00:00Z"
    automation = Automation.objects.get()
    assert automation.webhook_secret == body["signingSecret"]
    assert automation.previous_webhook_secret == first["signingSecret"]
    assert body["signingSecret"] not in alice.get(f"automations/{first['id']}").content.decode()


def test_with_no_grace_period_the_old_secret_stops_at_once(alice: Persona, settings: Any) -> None:
    settings.AUTOMATIONS_WEBHOOK_SECRET_GRACE_HOURS = 0
    first = create(alice).json()
    rotated = alice.post(f"automations/{first['id']}/secret/rotate", {}).json()
    assert rotated["previousSecretExpires"] is None
    assert Automation.objects.get().previous_webhook_secret == ""


def test_another_tenant_can_t_rotate_a_secret(alice: Persona, bob: Persona) -> None:
    theirs = create(alice).json()
    before = Automation.objects.get().webhook_secret
    refused = bob.post(f"automations/{theirs['id']}/secret/rotate", {})
    nothing = bob.post("automations/00000000-0000-4000-8000-000000000000/secret/rotate", {})
    assert refused.status_code == 404
    assert (
        refused.json()
        == nothing.json()
        == {
            "statusCode": 404,
            "errorCode": "AutomationNotFound",
            "message": "No automation has this id.",
        }
    )
    assert Automation.objects.get().webhook_secret == before


@pytest.mark.usefixtures("no_private")
@pytest.mark.parametrize(("url", "address", "problem"), NON_GLOBAL_TARGETS)
def test_a_non_public_target_is_refused_on_create_naming_the_field_and_the_setting(
    alice: Persona, url: str, address: str, problem: str
) -> None:
    refused = create(alice, url)
    assert refused.status_code == 400
    assert refused.json() == {
        "statusCode": 400,
        "errorCode": "InvalidRequest",
        "message": "The automation is not valid.",
        "errors": [
            {"field": "actions.0.url", "code": "forbidden", "message": refusal(address, problem)}
        ],
    }
    assert Automation.objects.count() == 0


@pytest.mark.usefixtures("no_private")
def test_a_non_public_target_is_refused_on_replace(alice: Persona) -> None:
    created = create(alice).json()
    refused = alice.client.put(
        alice.url(f"automations/{created['id']}"),
        {**BODY, "actions": [{"type": "tag", "name": "t"},
                             {"type": "webhook", "url": "http://[::ffff:10.0.0.1]:8080/x"}]},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "field": "actions.1.url",
            "code": "forbidden",
            "message": refusal("::ffff:a00:1", "leads to 10.0.0.1, a private address"),
        }
    ]
    assert Automation.objects.get().actions == [
        {"type": "webhook", "url": "https://hooks.example.com/in"}
    ]


def test_a_listed_network_is_accepted_and_names_pass_until_sending(
    alice: Persona, settings: Any
) -> None:
    import ipaddress

    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    settings.AUTOMATIONS_WEBHOOK_ALLOWED_NETWORKS = (ipaddress.ip_network("10.1.0.0/16"),)
    assert create(alice, "http://10.1.2.3/in").status_code == 201
    assert create(alice, "http://10.2.0.1/in").status_code == 400
    # A name is resolved, and its addresses checked, only when a delivery is sent.
    assert create(alice, "http://localhost:9/in").status_code == 201
