"""Entry rules, trigger conditions and the cases that never fire, on the real outbox path.

Interactions are stored by the core's services (which write their "received" event); the events
are then handed over in this process with ``interaction_events_dispatch``, exactly as the worker
would, and runs are executed with ``automation_run_execute``. Time is frozen with time-machine.
"""

import importlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core import mail

from automations.models import Automation, AutomationRun, RunAttempt
from automations.services.automations import automation_update
from automations.services.relay import automation_runs_relay
from automations.services.runs import (
    automation_run_execute,
    automation_run_retry,
    automation_runs_purge,
)
from interactions.models import Contact, Interaction, InteractionEvent, InteractionSchema
from interactions.services.contacts import contact_erase
from interactions.services.events import interaction_events_dispatch
from interactions.services.interactions import (
    InteractionDraft,
    interaction_check,
    interaction_create,
    interaction_delete,
)
from interactions.services.schemas import interaction_schema_delete
from interactions.services.tags import contact_tag_names
from tests.automations.conftest import purchase_schema, webhook_automation
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NOWHERE = "https://hooks.example.com/in"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def purchase(alice: Persona) -> InteractionSchema:
    return purchase_schema(alice.tenant)


def receive(contact: Contact, schema: InteractionSchema, **payload: Any) -> Interaction:
    """Store an interaction and hand its event to the subscribers, as the dispatcher does."""
    interaction = make_interaction(contact, schema, payload=payload or {"store": "Solna"})
    interaction_events_dispatch()
    return interaction


def runs(automation: Automation, contact: Contact | None = None) -> list[AutomationRun]:
    found = AutomationRun.objects.filter(automation=automation).order_by("created_at", "id")
    return list(found.filter(contact=contact) if contact else found)


def test_once_per_contact_fires_for_the_first_qualifying_interaction_only(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE)
    first = receive(contact, purchase)
    frozen.shift(timedelta(days=400))
    receive(contact, purchase)
    other = ContactFactory(tenant=alice.tenant)
    receive(other, purchase)

    assert [run.interaction_id for run in runs(automation, contact)] == [first.pk]
    assert len(runs(automation, other)) == 1
    assert runs(automation)[0].claim_key == "once"


def test_it_never_fires_for_interactions_received_before_it_existed_or_while_it_was_off(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    make_interaction(contact, purchase, payload={"store": "old"})  # event not yet handed over
    frozen.shift(timedelta(minutes=1))
    automation = webhook_automation(alice.tenant, NOWHERE)
    interaction_events_dispatch()
    assert runs(automation) == []

    automation_update(automation=automation, is_active=False)
    frozen.shift(timedelta(minutes=1))
    receive(contact, purchase)
    assert runs(automation) == []

    frozen.shift(timedelta(minutes=1))
    automation_update(automation=automation, is_active=True)
    fired = receive(contact, purchase)
    assert [run.interaction_id for run in runs(automation)] == [fired.pk]


def test_deactivating_and_reactivating_does_not_let_a_contact_in_again(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE)
    receive(contact, purchase)
    automation_update(automation=automation, is_active=False)
    frozen.shift(timedelta(days=1))
    automation_update(automation=automation, is_active=True)
    frozen.shift(timedelta(days=1))
    receive(contact, purchase)
    assert len(runs(automation)) == 1


def test_a_run_that_failed_for_good_still_counts(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any, settings: Any
) -> None:
    automation = webhook_automation(alice.tenant, "http://127.0.0.1:9/in")
    # Allowed when saved, refused when sent (the operator closed private targets since).
    settings.AUTOMATIONS_ALLOW_PRIVATE_WEBHOOKS = False
    receive(contact, purchase)
    (run,) = runs(automation)
    assert automation_run_execute(run_id=str(run.pk)).status == "failed"  # refused: permanent
    receive(contact, purchase)
    assert [r.status for r in runs(automation)] == ["failed"]


def test_once_per_value_fires_once_for_each_value_of_the_property(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(
        alice.tenant,
        NOWHERE,
        trigger=Automation.Trigger.SPECIFIC_INTERACTION,
        schema=purchase,
        property_name="store",
        operator="one_of",
        condition_value=["Solna", "Kista"],
        entry_rule=Automation.EntryRule.ONCE_PER_VALUE,
    )
    receive(contact, purchase, store="Solna")
    receive(contact, purchase, store="Solna")
    receive(contact, purchase, store="Kista")
    receive(contact, purchase, store="Täby")  # no match
    assert len(runs(automation)) == 2
    assert len({run.claim_key for run in runs(automation)}) == 2


def test_every_n_days_is_counted_from_the_last_run(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(
        alice.tenant, NOWHERE, entry_rule=Automation.EntryRule.EVERY_N_DAYS, entry_period_days=7
    )
    fired_on = []
    for day in (0, 3, 6, 8, 10, 14, 15, 22):
        frozen.move_to(START + timedelta(days=day, hours=1))
        before = len(runs(automation))
        receive(contact, purchase)
        if len(runs(automation)) > before:
            fired_on.append(day)
    # 0 fires; 8 is 8 days after it; 15 is 7 days after 8; 22 is 7 days after 15.
    assert fired_on == [0, 8, 15, 22]


def test_every_time_fires_for_each_interaction(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE, entry_rule="every_time")
    for _ in range(3):
        receive(contact, purchase)
    assert len(runs(automation)) == 3


def test_a_specific_trigger_fires_only_when_the_condition_holds(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(
        alice.tenant,
        NOWHERE,
        trigger=Automation.Trigger.SPECIFIC_INTERACTION,
        schema=purchase,
        property_name="amount",
        operator="gte",
        condition_value=100,
        entry_rule="every_time",
    )
    receive(contact, purchase, amount=99.5)
    receive(contact, purchase, store="no amount")
    assert runs(automation) == []
    big = receive(contact, purchase, amount=100)
    assert [run.interaction_id for run in runs(automation)] == [big.pk]


def test_a_new_interaction_trigger_limited_to_schemas_ignores_others(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    visit = purchase_schema(alice.tenant, schema_id="visit")
    automation = webhook_automation(alice.tenant, NOWHERE, schemas=[visit])
    receive(contact, purchase)
    assert runs(automation) == []
    receive(contact, visit)
    assert len(runs(automation)) == 1


def test_an_event_handed_over_twice_claims_nothing_new(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE, entry_rule="every_time")
    receive(contact, purchase)
    InteractionEvent.objects.update(dispatched_at=None)  # as after a dispatcher's crash
    interaction_events_dispatch()
    assert len(runs(automation)) == 1


def test_deleting_re_reading_and_retrying_a_post_never_fire(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE, entry_rule="every_time")
    body = {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {"store": "Solna"}}
    first = alice.post("interactions", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 200
    interaction_events_dispatch()
    assert len(runs(automation)) == 1

    again = alice.post("interactions", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.json() == first.json()
    assert alice.get(f"interactions/{first.json()['id']}").status_code == 200
    assert alice.delete(f"interactions/{first.json()['id']}").status_code == 204
    interaction_events_dispatch()
    assert len(runs(automation)) == 1


def test_an_interaction_deleted_before_its_event_is_handed_over_never_fires(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE)
    interaction = make_interaction(contact, purchase, payload={"store": "x"})
    interaction_delete(tenant=alice.tenant, interaction=interaction)
    interaction_events_dispatch()
    assert runs(automation) == []


def test_a_bulk_import_that_opts_out_never_fires(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE)
    document = {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {"store": "x"}}
    draft = interaction_check(tenant=alice.tenant, document=document)
    assert isinstance(draft, InteractionDraft)
    interaction_create(
        tenant=alice.tenant,
        draft=draft,
        body=json.dumps(document).encode(),
        received_at=START,
        source=InteractionEvent.Source.IMPORT,
    )
    interaction_events_dispatch()
    assert runs(automation) == []


def test_an_accepted_replay_of_a_refused_interaction_fires(
    alice: Persona, contact: Contact, frozen: Any, blob_store: Any
) -> None:
    from interactions.models import RefusedInteraction
    from interactions.services.replay import refused_interaction_replay

    body = {"contactId": str(contact.pk), "schemaId": "purchase", "payload": {"store": "x"}}
    refused = alice.post("interactions", body)
    assert refused.status_code == 404  # no such schema yet
    schema = purchase_schema(alice.tenant)
    automation = webhook_automation(alice.tenant, NOWHERE)
    replayed = refused_interaction_replay(
        tenant=alice.tenant, refused=RefusedInteraction.objects.get(pk=refused.json()["refusedId"])
    )
    interaction_events_dispatch()
    assert [run.interaction_id for run in runs(automation)] == [replayed.pk]
    assert replayed.schema == schema


def test_deleting_its_schema_switches_the_automation_off_and_flags_it(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    specific = webhook_automation(
        alice.tenant,
        NOWHERE,
        name="Big buys",
        trigger=Automation.Trigger.SPECIFIC_INTERACTION,
        schema=purchase,
        property_name="amount",
        operator="gt",
        condition_value=10,
    )
    limited = webhook_automation(alice.tenant, NOWHERE, name="Purchases", schemas=[purchase])
    anything = webhook_automation(alice.tenant, NOWHERE, name="Anything")
    interaction_schema_delete(tenant=alice.tenant, schema_id="purchase")
    for automation in (specific, limited, anything):
        automation.refresh_from_db()
    assert not specific.is_active and "purchase was deleted" in specific.flagged_reason
    assert not limited.is_active and limited.flagged_reason
    assert anything.is_active and not anything.flagged_reason


def test_erasing_a_contact_erases_its_runs(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE)
    receive(contact, purchase)
    contact_erase(tenant=alice.tenant, contact=contact)
    assert runs(automation) == []


def test_the_email_action_renders_the_tenant_s_template_with_contact_and_interaction_fields(
    alice: Persona, purchase: InteractionSchema, frozen: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contact = ContactFactory(tenant=alice.tenant, first_name="Ann", email="ann@example.com")
    automation = webhook_automation(
        alice.tenant,
        NOWHERE,
        actions=[
            {
                "type": "email",
                "subject": "Thanks, {{ contact.first_name }}!",
                "body": "You bought at {{ interaction.payload.store | upcase }}."
                "{% if interaction.payload.amount %} ({{ interaction.payload.amount }}){% endif %}",
            },
        ],
    )
    receive(contact, purchase, store="Solna")
    (run,) = runs(automation)
    assert automation_run_execute(run_id=str(run.pk)).status == "succeeded"
    (message,) = mail.outbox
    assert message.to == ["ann@example.com"]
    assert message.subject == "Thanks, Ann!"
    assert message.body == "You bought at SOLNA."
    assert message.extra_headers["X-Engage-Run-Id"] == str(run.pk)


@pytest.mark.parametrize(
    "template",
    [
        "{% debug %}",
        "{% load static %}{% static 'x' %}",
        "{% include 'base.html' %}",
        "{{ contact.__class__ }}",
        "{% extends 'base.html' %}",
    ],
)
def test_email_templates_can_reach_nothing_but_the_fields(alice: Persona, template: str) -> None:
    from engage_site.api.exceptions import InvalidRequest

    with pytest.raises(InvalidRequest) as refused:
        webhook_automation(
            alice.tenant, NOWHERE, actions=[{"type": "email", "subject": "s", "body": template}]
        )
    assert refused.value.errors[0].field == "actions.0.body"


def test_the_tag_action_puts_the_tag_on_the_contact(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(
        alice.tenant, NOWHERE, actions=[{"type": "tag", "name": "first-purchase"}]
    )
    receive(contact, purchase)
    (run,) = runs(automation)
    assert automation_run_execute(run_id=str(run.pk)).status == "succeeded"
    assert automation_run_execute(run_id=str(run.pk)).status == "skipped"
    assert contact_tag_names(contact=contact) == ["first-purchase"]
    assert [a.outcome for a in RunAttempt.objects.filter(run=run)] == ["succeeded"]


def test_a_failed_run_can_be_retried_and_the_relay_sends_due_runs(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contact.email = ""
    contact.save(update_fields=["email"])
    automation = webhook_automation(
        alice.tenant, NOWHERE, actions=[{"type": "email", "subject": "s", "body": "b"}]
    )
    receive(contact, purchase)
    (run,) = runs(automation)
    assert automation_run_execute(run_id=str(run.pk)).status == "failed"
    run.refresh_from_db()
    assert run.error == "the contact has no email address"
    contact.email = "back@example.com"
    contact.save(update_fields=["email"])
    automation_run_retry(run=run)
    frozen.shift(timedelta(minutes=10))  # past the lease: the relay sends it
    assert automation_runs_relay() == 1  # eagerly executed without a broker
    automation_run_execute(run_id=str(run.pk))  # with a broker: executed here (no-op otherwise)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert len(mail.outbox) == 1


def test_attempts_are_numbered_over_the_run_s_life_across_a_retry_by_hand(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contact.email = ""
    contact.save(update_fields=["email"])
    automation = webhook_automation(
        alice.tenant,
        NOWHERE,
        actions=[{"type": "tag", "name": "seen"}, {"type": "email", "subject": "s", "body": "b"}],
    )
    receive(contact, purchase)
    (run,) = runs(automation)
    assert automation_run_execute(run_id=str(run.pk)).status == "failed"
    run.refresh_from_db()
    automation_run_retry(run=run)
    frozen.shift(timedelta(minutes=10))  # past the lease the retry set
    assert automation_run_execute(run_id=str(run.pk)).status == "failed"
    attempts = RunAttempt.objects.filter(run=run).order_by("started_at", "id")
    assert [(a.action_index, a.number, a.outcome) for a in attempts] == [
        (0, 1, "succeeded"),
        (1, 1, "failed"),
        (1, 2, "failed"),
    ]


def test_the_migration_renumbers_attempts_logged_with_the_count_started_again(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    automation = webhook_automation(alice.tenant, NOWHERE, actions=[{"type": "tag", "name": "t"}])
    receive(contact, purchase)
    (run,) = runs(automation)
    for index, number in [(0, 1), (0, 1), (0, 2), (1, 1)]:
        frozen.shift(timedelta(seconds=1))  # started one after the other
        RunAttempt.objects.create(
            run=run, action_index=index, action_type="tag", number=number,
            outcome="failed", duration_ms=1,
        )  # fmt: skip
    importlib.import_module("automations.migrations.0005_number_attempts_over_the_run").renumber(
        django_apps, None
    )
    attempts = RunAttempt.objects.filter(run=run).order_by("started_at", "id")
    assert [(a.action_index, a.number) for a in attempts] == [(0, 1), (0, 2), (0, 3), (1, 1)]


def test_retention_purges_old_attempt_logs_but_keeps_the_claims(
    alice: Persona, contact: Contact, purchase: InteractionSchema, frozen: Any
) -> None:
    once = webhook_automation(alice.tenant, NOWHERE, actions=[{"type": "tag", "name": "a"}])
    every = webhook_automation(
        alice.tenant, NOWHERE, entry_rule="every_time", actions=[{"type": "tag", "name": "b"}]
    )
    receive(contact, purchase)
    for run in AutomationRun.objects.all():
        automation_run_execute(run_id=str(run.pk))
    frozen.shift(timedelta(days=91))
    assert automation_runs_purge() == {"attempts": 2, "runs": 1}
    assert len(runs(once)) == 1 and runs(every) == []
    receive(contact, purchase)
    assert len(runs(once)) == 1


def test_claimed_runs_start_when_events_are_handed_over_outside_a_task(
    alice: Persona,
    contact: Contact,
    purchase: InteractionSchema,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The dispatcher may run in a plain process (a replay, a management command): the runs it
    claims are queued there instead of run inline."""
    automation = webhook_automation(alice.tenant, NOWHERE)
    with django_capture_on_commit_callbacks(execute=True):
        receive(contact, purchase)
    [run] = runs(automation, contact)
    assert RunAttempt.objects.filter(run=run).count() >= 1
