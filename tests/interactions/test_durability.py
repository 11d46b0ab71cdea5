"""Accepted means durable: a 200 is sent only once the interaction and its raw copy are committed.

The blob store and the database are made to fail for real: the blob store is a file-system storage
that can be switched off (``failing_storage``), and database writes fail through Django's query hook
(``connection.execute_wrapper``), so the code under test runs unchanged.
"""

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import OperationalError, connection

from interactions.models import (
    BlobDeletion,
    IdempotencyRecord,
    Interaction,
    PendingRawCopy,
    RefusedInteraction,
)
from interactions.services.raw_storage import (
    blob_deletions_process,
    raw_copies_flush,
    raw_copy_path,
    raw_copy_read,
)
from interactions.services.retention import retention_purge
from tests.conftest import Persona
from tests.factories import make_interaction, make_schema
from tests.interactions.failing_storage import FailingStorage

SERVICE_UNAVAILABLE = {
    "statusCode": 503,
    "errorCode": "ServiceUnavailable",
    "message": "A service the request needs is unavailable; nothing was stored. Retry later.",
}
RAW_COPY_UNAVAILABLE = {
    "statusCode": 503,
    "errorCode": "RawCopyUnavailable",
    "message": "The raw copy can't be read right now; retry later.",
}
INTERACTION_TABLE = "interactions_interaction"
PENDING_RAW_COPY_TABLE = "interactions_pendingrawcopy"


@pytest.fixture
def blob_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The raw-copy blob store: a directory of this test, served by a store that can go down."""
    location = tmp_path / "blobs"
    settings.STORAGES = {
        **settings.STORAGES,
        "raw_copies": {
            "BACKEND": "tests.interactions.failing_storage.FailingStorage",
            "OPTIONS": {"location": str(location), "allow_overwrite": True},
        },
    }
    FailingStorage.down = False
    yield location
    FailingStorage.down = False


@contextmanager
def blob_store_down() -> Iterator[None]:
    FailingStorage.down = True
    try:
        yield
    finally:
        FailingStorage.down = False


@contextmanager
def database_fails_to_insert_into(table: str) -> Iterator[None]:
    """Every statement that inserts into ``table`` fails as if the database had gone away
    mid-transaction (on PostgreSQL one statement inserts an interaction with its raw copy)."""
    insert = f'INSERT INTO "{table}"'

    def fail(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if insert in sql:
            raise OperationalError(f"injected failure: server closed the connection ({table})")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


def review(contact: Any, **payload: Any) -> dict[str, Any]:
    return {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 4, **payload}}


def blob(blob_dir: Path, persona: Persona, kind: str, object_id: Any) -> Path:
    return blob_dir / raw_copy_path(tenant_id=persona.tenant.pk, kind=kind, object_id=object_id)


def get_raw(persona: Persona, interaction_id: str) -> Any:
    return persona.get(f"interactions/{interaction_id}/raw")


# --- The blob store fails ---------------------------------------------------------------------


def test_with_the_blob_store_down_an_interaction_is_still_accepted_and_its_raw_copy_readable(
    alice: Persona, contact: Any, blob_dir: Path
) -> None:
    make_schema(alice.tenant)
    with blob_store_down():
        response = alice.post("interactions", review(contact, title="Store is down"))
        assert response.status_code == 200
        interaction_id = response.json()["id"]
        sent = response.wsgi_request.body

        assert raw_copies_flush() == 0
        assert PendingRawCopy.objects.count() == 1

        raw = get_raw(alice, interaction_id)
        assert raw.status_code == 200
        assert raw.content == sent

        refused = alice.post("interactions", {**review(contact), "schemaId": "no-such-schema"})
        assert refused.status_code == 404
        kept = alice.get(f"refusedinteractions/{refused.json()['refusedId']}")
        assert kept.status_code == 200
        assert kept.json()["raw"] == refused.wsgi_request.body.decode()

    assert raw_copies_flush() == 2
    assert PendingRawCopy.objects.count() == 0
    assert blob(blob_dir, alice, "interactions", interaction_id).read_bytes() == sent
    raw = get_raw(alice, interaction_id)
    assert raw.status_code == 200
    assert raw.content == sent


def test_reading_a_flushed_raw_copy_while_the_blob_store_is_down_is_503(
    alice: Persona, contact: Any, blob_dir: Path
) -> None:
    make_schema(alice.tenant)
    accepted = alice.post("interactions", review(contact))
    refused = alice.post("interactions", {**review(contact), "schemaId": "no-such-schema"})
    assert (accepted.status_code, refused.status_code) == (200, 404)
    assert raw_copies_flush() == 2

    with blob_store_down():
        raw = get_raw(alice, accepted.json()["id"])
        refused_read = alice.get(f"refusedinteractions/{refused.json()['refusedId']}")

    assert raw.status_code == 503
    assert raw.json() == RAW_COPY_UNAVAILABLE
    assert refused_read.status_code == 503
    assert refused_read.json() == RAW_COPY_UNAVAILABLE
    assert get_raw(alice, accepted.json()["id"]).content == accepted.wsgi_request.body


# --- The database fails in the middle of a POST -----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "table",
    [
        pytest.param(PENDING_RAW_COPY_TABLE, id="after-the-interaction-row-was-inserted"),
        pytest.param(INTERACTION_TABLE, id="on-the-interaction-row"),
    ],
)
def test_a_database_failure_during_a_post_is_503_and_leaves_nothing_half_written(
    alice: Persona, contact: Any, blob_dir: Path, table: str
) -> None:
    make_schema(alice.tenant)
    with database_fails_to_insert_into(table):
        response = alice.post("interactions", review(contact))

    assert response.status_code == 503
    assert response.json() == SERVICE_UNAVAILABLE
    assert int(response["Retry-After"]) >= 1
    assert Interaction.objects.count() == 0
    assert PendingRawCopy.objects.count() == 0
    assert RefusedInteraction.objects.count() == 0

    retried = alice.post("interactions", review(contact))
    assert retried.status_code == 200
    assert Interaction.objects.count() == 1
    assert get_raw(alice, retried.json()["id"]).content == retried.wsgi_request.body


@pytest.mark.django_db(transaction=True)
def test_nothing_that_got_a_200_is_missing(alice: Persona, contact: Any, blob_dir: Path) -> None:
    make_schema(alice.tenant)
    rng = random.Random(20240523)  # a fixed seed: the same third fails on every run
    failing = dict.fromkeys(rng.sample(range(30), 10))
    for index in failing:
        failing[index] = rng.choice([INTERACTION_TABLE, PENDING_RAW_COPY_TABLE])

    accepted: dict[str, bytes] = {}
    statuses = []
    for index in range(30):
        document = review(contact, title=f"review #{index}")
        if index in failing:
            with database_fails_to_insert_into(failing[index]):
                response = alice.post("interactions", document)
        else:
            response = alice.post("interactions", document)
        statuses.append(response.status_code)
        if response.status_code == 200:
            accepted[response.json()["id"]] = response.wsgi_request.body

    assert sorted(statuses) == [200] * 20 + [503] * 10
    assert Interaction.objects.count() == len(accepted)
    assert PendingRawCopy.objects.count() == len(accepted)
    for interaction_id, sent in accepted.items():
        assert alice.get(f"interactions/{interaction_id}").status_code == 200
        assert get_raw(alice, interaction_id).content == sent

    assert raw_copies_flush() == len(accepted)
    for interaction_id, sent in accepted.items():
        assert blob(blob_dir, alice, "interactions", interaction_id).read_bytes() == sent
        assert get_raw(alice, interaction_id).content == sent


# --- Flushing raw copies and deleting blobs ---------------------------------------------------


def test_flush_writes_each_pending_copy_to_the_store_and_deletes_its_row(
    alice: Persona, contact: Any, blob_dir: Path
) -> None:
    schema = make_schema(alice.tenant)
    interactions = [make_interaction(contact, schema, {"rating": rating}) for rating in (1, 2, 3)]
    bodies = {
        interaction.pk: json.dumps(
            {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": rating}}
        ).encode()
        for interaction, rating in zip(interactions, (1, 2, 3), strict=True)
    }
    assert PendingRawCopy.objects.count() == 3

    assert raw_copies_flush() == 3

    assert PendingRawCopy.objects.count() == 0
    for interaction in interactions:
        path = raw_copy_path(
            tenant_id=alice.tenant.pk, kind="interactions", object_id=interaction.pk
        )
        assert (blob_dir / path).read_bytes() == bodies[interaction.pk]
        assert raw_copy_read(path=path) == bodies[interaction.pk]
    assert raw_copies_flush() == 0


def test_flush_moves_no_more_than_its_limit(alice: Persona, contact: Any, blob_dir: Path) -> None:
    schema = make_schema(alice.tenant)
    for _ in range(3):
        make_interaction(contact, schema)

    assert raw_copies_flush(limit=2) == 2
    assert PendingRawCopy.objects.count() == 1
    assert raw_copies_flush() == 1


def test_deleting_an_interaction_records_a_blob_deletion_that_is_then_carried_out(
    alice: Persona, contact: Any, blob_dir: Path
) -> None:
    make_schema(alice.tenant)
    interaction_id = alice.post("interactions", review(contact)).json()["id"]
    raw_copies_flush()
    stored = blob(blob_dir, alice, "interactions", interaction_id)
    assert stored.exists()

    assert alice.delete(f"interactions/{interaction_id}").status_code == 204

    assert list(BlobDeletion.objects.values_list("path", "attempts")) == [
        (raw_copy_path(tenant_id=alice.tenant.pk, kind="interactions", object_id=interaction_id), 0)
    ]
    assert stored.exists()  # the blob goes after the commit, not inside the transaction
    assert blob_deletions_process() == 1
    assert not stored.exists()
    assert BlobDeletion.objects.count() == 0
    assert get_raw(alice, interaction_id).status_code == 404


def test_deleting_an_interaction_whose_copy_is_still_pending_removes_the_pending_row(
    alice: Persona, contact: Any, blob_dir: Path
) -> None:
    make_schema(alice.tenant)
    interaction_id = alice.post("interactions", review(contact)).json()["id"]

    assert alice.delete(f"interactions/{interaction_id}").status_code == 204

    assert PendingRawCopy.objects.count() == 0
    assert raw_copies_flush() == 0
    assert blob_deletions_process() == 1
    assert not blob(blob_dir, alice, "interactions", interaction_id).exists()


def test_a_blob_deletion_that_fails_is_kept_and_counted_until_it_succeeds(
    alice: Persona, contact: Any, blob_dir: Path
) -> None:
    make_schema(alice.tenant)
    interaction_id = alice.post("interactions", review(contact)).json()["id"]
    raw_copies_flush()
    stored = blob(blob_dir, alice, "interactions", interaction_id)
    alice.delete(f"interactions/{interaction_id}")

    with blob_store_down():
        assert blob_deletions_process() == 0
        assert list(BlobDeletion.objects.values_list("attempts", flat=True)) == [1]
        assert blob_deletions_process() == 0
        assert list(BlobDeletion.objects.values_list("attempts", flat=True)) == [2]
    assert stored.exists()

    assert blob_deletions_process() == 1
    assert BlobDeletion.objects.count() == 0
    assert not stored.exists()


# --- Retention --------------------------------------------------------------------------------


def test_retention_deletes_refused_bodies_past_their_time_with_their_raw_copies(
    alice: Persona, contact: Any, blob_dir: Path, settings: Any
) -> None:
    settings.REFUSED_RETENTION_DAYS = 10
    make_schema(alice.tenant)
    unknown_schema = {**review(contact), "schemaId": "no-such-schema"}
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        old = alice.post("interactions", unknown_schema).json()["refusedId"]
        old_unflushed = alice.post("interactions", unknown_schema).json()["refusedId"]
        alice.post("interactions", review(contact), HTTP_IDEMPOTENCY_KEY="first-try")
        assert IdempotencyRecord.objects.count() == 1
        raw_copies_flush(limit=1)  # ``old`` reaches the blob store; ``old_unflushed`` stays pending
        old_blob = blob(blob_dir, alice, "refused", old)
        assert old_blob.exists()

        traveller.shift(timedelta(days=2))
        young = alice.post("interactions", unknown_schema)
        raw_copies_flush()

        traveller.shift(timedelta(days=9))  # ``old`` is 11 days old, ``young`` 9
        assert retention_purge() == {"refused": 2, "idempotency": 1, "events": 0}

        for refused_id in (old, old_unflushed):
            gone = alice.get(f"refusedinteractions/{refused_id}")
            assert gone.status_code == 404
            assert gone.json()["errorCode"] == "RefusedInteractionNotFound"
        assert PendingRawCopy.objects.count() == 0
        assert blob_deletions_process() == 2
        assert not old_blob.exists()

        kept = alice.get(f"refusedinteractions/{young.json()['refusedId']}")
        assert kept.status_code == 200
        assert kept.json()["raw"] == young.wsgi_request.body.decode()
        assert blob(blob_dir, alice, "refused", young.json()["refusedId"]).exists()
        assert RefusedInteraction.objects.count() == 1
        assert retention_purge() == {"refused": 0, "idempotency": 0, "events": 0}
