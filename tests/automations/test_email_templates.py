"""Email templates in Liquid: what they see, the hard limits, what is refused at save, how a run
over a limit ends, and the conversion of stored Django templates."""

import importlib
import time
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client

from automations.email_templates import TemplateError, TemplateLimits, template_render
from automations.models import Automation, AutomationRun, RunAttempt
from automations.services.relay import automation_runs_relay
from automations.services.runs import automation_run_execute
from engage_site.api.exceptions import InvalidRequest
from interactions.models import Contact, InteractionSchema
from interactions.services.events import interaction_events_dispatch
from interactions.services.roles import MARKETER
from interactions.services.staff import staff_user_create
from tests.automations.conftest import purchase_schema, webhook_automation
from tests.conftest import Persona
from tests.factories import ContactFactory, make_interaction

NOWHERE = "https://hooks.example.com/in"
NESTED_LOOPS = (
    "{% for a in contact.attributes %}{% for b in contact.attributes %}"
    "{% for c in contact.attributes %}{{ a[0] }}{{ b[0] }}{{ c[0] }}"
    "{% endfor %}{% endfor %}{% endfor %}"
)
conversion = importlib.import_module("automations.migrations.0002_email_templates_to_liquid")


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def purchase(alice: Persona) -> InteractionSchema:
    return purchase_schema(alice.tenant)


def email_automation(persona: Persona, body: str, subject: str = "Hello") -> Automation:
    return webhook_automation(
        persona.tenant, NOWHERE, actions=[{"type": "email", "subject": subject, "body": body}]
    )


def run_for(automation: Automation, contact: Contact, schema: InteractionSchema) -> AutomationRun:
    make_interaction(contact, schema, payload={"store": "Solna", "amount": 12})
    interaction_events_dispatch()
    return AutomationRun.objects.get(automation=automation, contact=contact)


def test_a_template_sees_the_contact_its_attributes_the_interaction_and_the_automation(
    alice: Persona, purchase: InteractionSchema
) -> None:
    contact = ContactFactory(
        tenant=alice.tenant, first_name="Ann", extra_attributes={"tier": "gold"}
    )
    automation = email_automation(
        alice,
        subject="{{ automation.name }} for {{ contact.first_name }}",
        body="{{ contact.attributes.tier | upcase }} at {{ interaction.payload.store }}"
        "{% if interaction.payload.amount > 10 %}, big{% endif %}"
        "[{{ contact.attributes.missing }}][{{ nothing.at.all }}] <{{ contact.last_name }}&>",
    )
    run = run_for(automation, contact, purchase)
    assert automation_run_execute(run_id=str(run.pk)).status == "succeeded"
    (message,) = mail.outbox
    assert message.subject == "Welcome for Ann"
    # Plain text as before: nothing escaped; what is missing renders empty.
    assert message.body == f"GOLD at Solna, big[][] <{contact.last_name}&>"


def test_nested_loops_over_5000_attributes_stop_at_the_limit_within_a_second(
    alice: Persona, purchase: InteractionSchema
) -> None:
    attributes = {f"attribute_{number}": number for number in range(5000)}
    contact = ContactFactory(tenant=alice.tenant, extra_attributes=attributes)
    automation = email_automation(alice, NESTED_LOOPS)  # accepted: over no data it loops 0 times
    run = run_for(automation, contact, purchase)

    started = time.monotonic()
    assert automation_run_execute(run_id=str(run.pk)).status == "failed"
    assert time.monotonic() - started < 1.0  # a timeout, not a benchmark: it was 9.6 s at 200

    run.refresh_from_db()
    assert run.error == (
        "the email body can't be rendered: its loops would run more than 10000 iterations (line 1)"
    )
    assert mail.outbox == []


def test_loops_side_by_side_count_against_one_limit() -> None:
    limits = TemplateLimits(loop_iterations=100)
    loop = "{% for a in list %}{% endfor %}"
    assert template_render(loop * 2, {"list": list(range(50))}, limits=limits) == ""
    with pytest.raises(TemplateError, match="more than 100 iterations"):
        template_render(loop * 3, {"list": list(range(50))}, limits=limits)


def test_the_output_stops_at_its_size_limit() -> None:
    limits = TemplateLimits(output_bytes=1024)
    assert len(template_render("{{ text }}", {"text": "x" * 1024}, limits=limits)) == 1024
    with pytest.raises(TemplateError, match="more than 1024 bytes"):
        template_render("{{ text }}{{ text }}", {"text": "x" * 600}, limits=limits)
    # Values built in memory are capped too, not only what is written.
    with pytest.raises(TemplateError, match="more than 1024 bytes"):
        template_render(
            "{{ text | replace: 'x', text | size }}", {"text": "x" * 600}, limits=limits
        )
    with pytest.raises(TemplateError, match="more than 1024 bytes"):
        template_render(
            "{% assign t = text %}" + "{% assign t = t | append: t %}" * 20, {"text": "xx"},
            limits=limits,
        )  # fmt: skip


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep = "{% if a %}" * 31 + "x" + "{% endif %}" * 31
    with pytest.raises(TemplateError, match="nested more than 30 deep"):
        template_render(deep, {"a": True})


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{% include 'base.html' %}", "unexpected tag 'include' (line 1)"),
        ("Hi\n{% render 'base.html' %}", "unexpected tag 'render' (line 2)"),
        ("{{ contact.first_name | shout }}", "unknown filter 'shout' (line 1)"),
        ("{{ contact.__class__ }}", "the name __class__ is not allowed (names can't start with _)"),
        (
            "{% for i in (1..100000) %}{% endfor %}",
            "its loops would run more than 10000 iterations (line 1)",
        ),
        ("{{ contact.first_name }", "expected '}}', found end of file (line 1)"),
    ],
)
def test_a_template_that_can_only_fail_is_refused_at_save_with_the_reason(
    alice: Persona, template: str, reason: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        email_automation(alice, template)
    (problem,) = refused.value.errors
    assert (problem.field, problem.code, problem.message) == ("actions.0.body", "invalid", reason)


def test_the_template_size_limit_is_a_setting(alice: Persona, settings: Any) -> None:
    settings.AUTOMATIONS_EMAIL_TEMPLATE_MAX_CHARS = 100
    email_automation(alice, "x" * 100)
    with pytest.raises(InvalidRequest) as refused:
        email_automation(alice, "x" * 101)
    (problem,) = refused.value.errors
    assert (problem.field, problem.message) == ("actions.0.body", "must be at most 100 characters")


def test_a_run_whose_template_hits_a_limit_fails_for_good_and_is_not_handed_out_again(
    alice: Persona, purchase: InteractionSchema, settings: Any
) -> None:
    settings.AUTOMATIONS_EMAIL_TEMPLATE_OUTPUT_BYTES = 2048
    contact = ContactFactory(tenant=alice.tenant, extra_attributes={"note": "y" * 3000})
    automation = email_automation(alice, "{{ contact.attributes.note }}")
    run = run_for(automation, contact, purchase)

    assert automation_run_execute(run_id=str(run.pk)).status == "failed"
    assert automation_run_execute(run_id=str(run.pk)).status == "skipped"
    assert automation_runs_relay() == 0
    run.refresh_from_db()
    reason = "the email body can't be rendered: it would write more than 2048 bytes (line 1)"
    assert (run.status, run.error, run.locked_until) == ("failed", reason, None)
    (attempt,) = RunAttempt.objects.filter(run=run)
    assert (attempt.outcome, attempt.error) == ("failed", reason)
    assert mail.outbox == []


def test_the_run_log_page_shows_the_reason(
    alice: Persona, purchase: InteractionSchema, settings: Any
) -> None:
    marketer = Client()
    marketer.force_login(
        staff_user_create(tenant=alice.tenant, username="mia", password="pw-1234567", role=MARKETER)
    )
    settings.AUTOMATIONS_EMAIL_TEMPLATE_LOOP_LIMIT = 10
    contact = ContactFactory(tenant=alice.tenant, extra_attributes={f"a{n}": n for n in range(11)})
    automation = email_automation(alice, "{% for a in contact.attributes %}.{% endfor %}")
    run = run_for(automation, contact, purchase)
    automation_run_execute(run_id=str(run.pk))
    page = marketer.get(f"/automations/{automation.public_id}/runs")
    assert "its loops would run more than 10 iterations (line 1)" in page.content.decode()


# --- Stored Django templates converted by the data migration ---------------------------------


@pytest.mark.parametrize(
    ("django", "liquid"),
    [
        ("Hi {{ contact.first_name }}!", "Hi {{ contact.first_name }}!"),
        (
            '{{ interaction.payload.store|upper }} {{ contact.first_name|default:"friend" }}',
            '{{ interaction.payload.store | upcase }} {{ contact.first_name | default: "friend" }}',
        ),
        (
            '{% if interaction.payload.amount > 10 and contact.email %}big{% elif x == "a" %}a'
            "{% else %}small{% endif %}",
            '{% if interaction.payload.amount > 10 and contact.email %}big{% elsif x == "a" %}a'
            "{% else %}small{% endif %}",
        ),
        (
            "{% for item in interaction.payload.lines reversed %}{{ forloop.counter }}. "
            "{{ item.name|lower }}{% empty %}nothing{% endfor %}",
            "{% for item in interaction.payload.lines reversed %}{{ forloop.index }}. "
            "{{ item.name | downcase }}{% else %}nothing{% endfor %}",
        ),
        ("a{# note #}b{% comment %}{{ x }}{% endcomment %}c{{ list.0 }}", "abc{{ list[0] }}"),
    ],
)
def test_the_mechanical_part_of_django_syntax_converts_to_liquid(django: str, liquid: str) -> None:
    assert conversion.to_liquid(django) == liquid


@pytest.mark.parametrize(
    ("django", "reason"),
    [
        ("{% with name=contact.first_name %}{{ name }}{% endwith %}", "{% with %} has no Liquid"),
        ("{% if not contact.email %}x{% endif %}", "the test 'not' has no Liquid"),
        ("{% if a and b or c %}x{% endif %}", "and mixed with or"),
        ("{{ contact.first_name|title }}", "the filter title has no Liquid"),
        ("{% for k in contact.attributes %}{{ k }}{% endfor %}", "[key, value] pairs"),
        ("{% for k, v in interaction.payload.items %}{% endfor %}", "only {% for x in list %}"),
    ],
)
def test_what_is_not_mechanical_is_refused(django: str, reason: str) -> None:
    with pytest.raises(conversion.Refused, match=reason.replace("[", r"\[").replace("{", r"\{")):
        conversion.to_liquid(django)


def test_the_migration_converts_stored_templates_and_leaves_the_rest_failing_with_a_reason(
    alice: Persona, purchase: InteractionSchema, capsys: Any
) -> None:
    # Stored before the switch, so written straight to the table (the services would refuse).
    legacy = Automation.objects.create(
        tenant=alice.tenant,
        name="Legacy",
        active_since=None,
        actions=[
            {"type": "tag", "name": "legacy"},
            {
                "type": "email",
                "subject": "Hi {{ contact.first_name|upper }}",
                "body": "{% if interaction.payload.amount %}{{ interaction.payload.store }}"
                "{% endif %}",
            },
        ],
    )
    stuck = Automation.objects.create(
        tenant=alice.tenant,
        name="Stuck",
        actions=[{"type": "email", "subject": "s", "body": "{% now 'Y' %}"}],
    )
    conversion._convert(apps, None)

    legacy.refresh_from_db()
    stuck.refresh_from_db()
    assert legacy.actions[1] == {
        "type": "email",
        "subject": "Hi {{ contact.first_name | upcase }}",
        "body": "{% if interaction.payload.amount %}{{ interaction.payload.store }}{% endif %}",
    }
    assert stuck.actions[0]["body"] == "{% now 'Y' %}"
    assert f"automation {stuck.public_id}" in capsys.readouterr().out

    contact = ContactFactory(tenant=alice.tenant, first_name="Ann", email="ann@example.com")
    make_interaction(contact, purchase, payload={"store": "Solna", "amount": 3})
    interaction_events_dispatch()
    for run in AutomationRun.objects.filter(contact=contact):
        automation_run_execute(run_id=str(run.pk))
    (message,) = mail.outbox
    assert (message.subject, message.body) == ("Hi ANN", "Solna")
    failed = AutomationRun.objects.get(automation=stuck)
    assert failed.status == "failed"
    assert failed.error == "the email body can't be rendered: unexpected tag 'now' (line 1)"
