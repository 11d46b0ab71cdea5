"""What one POST /api/v2/interactions costs the database, and the cache of checked API keys that
keeps the key lookup out of it (with its documented revocation delay)."""

import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from interactions.models import ApiKey, Interaction, InteractionEvent, PendingRawCopy
from interactions.services import events
from interactions.services.schemas import interaction_schema_create
from interactions.services.tenants import api_key_revoke
from tests.conftest import Persona

SCHEMA = {
    "type": "object",
    "properties": {"rating": {"type": "integer"}, "title": {"type": "string"}},
}


@pytest.fixture
def review(alice: Persona) -> Any:
    return interaction_schema_create(
        tenant=alice.tenant, schema_id="review", display_name="Review", json_schema=SCHEMA
    )


def post(alice: Persona, contact: Any, rating: int) -> Any:
    body = {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": rating}}
    response = alice.post("interactions", body)
    assert response.status_code == 200, response.content
    return response


# Not inside a test transaction, so that the request's own transaction is a real one (a test
# transaction would turn it into a savepoint).
@pytest.mark.django_db(transaction=True)
def test_an_accepted_post_costs_a_lookup_and_one_insert_statement(
    alice: Persona, contact: Any, review: Any, monkeypatch: Any
) -> None:
    # Tests run tasks in-process: keep the dispatch that the commit hints at out of the count.
    monkeypatch.setattr(events, "interaction_events_dispatch_soon", lambda: None)
    post(alice, contact, 1)  # warm up: the key is checked and cached, last_used_at written

    with CaptureQueriesContext(connection) as queries:
        response = post(alice, contact, 2)

    sql = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")
    ]
    # The schema with whether the contact exists, then the interaction, its raw copy, its event
    # and the contact card's counts: one statement on PostgreSQL, one each elsewhere. No key
    # lookup, no savepoint.
    expected = 2 if connection.vendor == "postgresql" else 5
    assert len(sql) == expected, sql
    assert not any("interactions_apikey" in statement for statement in sql), sql
    assert not any("SAVEPOINT" in statement for statement in sql), sql
    interaction = Interaction.objects.get(pk=response.json()["id"])
    assert interaction.payload == {"rating": 2}
    assert PendingRawCopy.objects.filter(path__contains=str(interaction.pk)).count() == 1
    assert InteractionEvent.objects.filter(interaction_id=interaction.pk).count() == 1


def test_last_used_at_is_written_once_per_window_with_the_cached_key(alice: Persona) -> None:
    assert alice.get("ping").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert alice.get("ping").status_code == 200
    assert queries.captured_queries == []
    assert ApiKey.objects.get(tenant=alice.tenant).last_used_at is not None


def test_a_key_revoked_in_this_process_is_refused_at_once(alice: Persona) -> None:
    assert alice.get("ping").status_code == 200  # cached
    api_key_revoke(api_key=ApiKey.objects.get(tenant=alice.tenant))
    assert alice.get("ping").status_code == 401


def test_a_key_revoked_by_another_process_works_until_the_cache_expires(
    alice: Persona, settings: Any
) -> None:
    settings.API_KEY_CACHE_SECONDS = 0.2
    assert alice.get("ping").status_code == 200
    # Another process revokes the key: this one is not told, so its cache answers for a while.
    ApiKey.objects.filter(tenant=alice.tenant).update(revoked_at=timezone.now())
    assert alice.get("ping").status_code == 200
    time.sleep(0.25)
    assert alice.get("ping").status_code == 401


def test_without_the_cache_a_key_revoked_elsewhere_is_refused_at_once(
    alice: Persona, settings: Any
) -> None:
    settings.API_KEY_CACHE_SECONDS = 0
    assert alice.get("ping").status_code == 200
    ApiKey.objects.filter(tenant=alice.tenant).update(revoked_at=timezone.now())
    assert alice.get("ping").status_code == 401


def test_editing_a_key_in_this_process_takes_effect_at_once(alice: Persona) -> None:
    assert alice.get("ping").status_code == 200
    api_key = ApiKey.objects.get(tenant=alice.tenant)
    api_key.rate_limit_per_second = 1
    api_key.save()
    assert [alice.get("ping").status_code for _ in range(3)].count(429) >= 1
