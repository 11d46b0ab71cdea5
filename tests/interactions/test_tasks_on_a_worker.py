"""Background jobs of the core, run by a real Celery worker on Redis (CI's PostgreSQL leg)."""

from typing import Any

import pytest
from django.core.files.storage import storages

from interactions.models import Interaction, InteractionSchema, PendingRawCopy
from interactions.services.raw_storage import raw_copy_path
from interactions.tasks import raw_copies_flush_task
from tests.conftest import Persona, wait_until
from tests.factories import ContactFactory, make_interaction, make_schema

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_moves_raw_copies_to_blob_storage(celery_worker: Any, alice: Persona) -> None:
    schema = make_schema(alice.tenant)
    contact = ContactFactory(tenant=alice.tenant)
    response = alice.post(
        "interactions",
        {"contactId": str(contact.pk), "schemaId": schema.schema_id, "payload": {"rating": 5}},
    )
    assert response.status_code == 200
    path = raw_copy_path(
        tenant_id=alice.tenant.pk, kind="interactions", object_id=response.json()["id"]
    )
    assert PendingRawCopy.objects.filter(path=path).exists()

    raw_copies_flush_task.delay()

    def moved() -> bool:
        """the raw copy is in blob storage and no longer pending"""
        return not PendingRawCopy.objects.filter(path=path).exists()

    wait_until(moved, timeout=10)
    assert storages["raw_copies"].exists(path)
    raw = alice.client.get(f"/api/v2/interactions/{response.json()['id']}/raw")
    assert raw.content == response.wsgi_request.body


def test_the_worker_purges_a_deleted_schema_with_many_interactions(
    celery_worker: Any, alice: Persona, settings: Any
) -> None:
    settings.SCHEMA_DELETE_INLINE_LIMIT = 2
    schema = make_schema(alice.tenant)
    contact = ContactFactory(tenant=alice.tenant)
    for _ in range(5):
        make_interaction(contact, schema)

    assert alice.delete(f"interactionschemas/{schema.schema_id}").status_code == 204
    # Gone from the API at once, and the id is free again.
    assert alice.get(f"interactionschemas/{schema.schema_id}").status_code == 404
    assert make_schema(alice.tenant).schema_id == schema.schema_id

    def purged() -> bool:
        """the deleted schema's interactions and its row are gone"""
        return not InteractionSchema.objects.filter(pk=schema.pk).exists()

    wait_until(purged, timeout=10)
    assert Interaction.objects.filter(schema_id=schema.pk).count() == 0
