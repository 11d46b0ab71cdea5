"""Raw copies in an S3-compatible store, for real: moto's S3 server on a local port, reached through
django-storages and boto3 as in production (``BLOB_STORAGE=s3``). Copies are flushed to the bucket,
read back from it and erased from it; while the store is down, POSTs still answer 200, reads are
served from the database, flushes and erasures wait, and nothing is lost."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.storage import storages
from moto.server import ThreadedMotoServer

from engage_site.storage import s3_storage
from interactions.models import BlobDeletion, PendingRawCopy
from interactions.services.raw_storage import blob_deletions_process, raw_copies_flush
from tests.automations.processes import free_port
from tests.conftest import Persona
from tests.factories import ContactFactory, make_schema

BUCKET = "engage-raw"
PREFIX = "raw-copies"
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class S3Server:
    """moto's standalone S3 server on a fixed local port. Its buckets live in this process's
    memory, so stopping and starting it again is an outage that keeps what was stored."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        assert self._server is not None
        self._server.stop()
        self._server = None

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", **CREDENTIALS)

    def object_keys(self) -> set[str]:
        listed = self.client().list_objects_v2(Bucket=BUCKET)
        return {item["Key"] for item in listed.get("Contents", [])}

    def body(self, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=BUCKET, Key=key)["Body"].read())


@pytest.fixture
def s3(settings: Any) -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    server.client().create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "raw_copies": s3_storage(
            bucket=BUCKET,
            endpoint_url=server.url,
            region="us-east-1",
            access_key="test",
            secret_key="test",
            prefix=PREFIX,
            connect_timeout=1,
            read_timeout=2,
            max_attempts=1,
        ),
    }
    assert type(storages["raw_copies"]).__name__ == "S3Storage"
    yield server
    if server._server is not None:
        server.stop()


@pytest.fixture
def review_contact(alice: Persona) -> Any:
    make_schema(alice.tenant)
    return ContactFactory(tenant=alice.tenant)


def post_review(alice: Persona, contact: Any, text: str) -> tuple[str, bytes]:
    payload = {"rating": 5, "text": text}
    document = {"contactId": str(contact.pk), "schemaId": "review", "payload": payload}
    body = json.dumps(document, indent=1).encode()  # kept as sent, spacing included
    answer = alice.client.post("/api/v2/interactions", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()["id"], body


def key_of(alice: Persona, interaction_id: str) -> str:
    return f"{PREFIX}/tenants/{alice.tenant.pk}/interactions/{interaction_id}.json"


def test_raw_copies_are_flushed_to_read_from_and_erased_in_the_bucket(
    alice: Persona, review_contact: Any, s3: S3Server
) -> None:
    interaction_id, body = post_review(alice, review_contact, "Fits well")

    assert raw_copies_flush() == 1
    assert not PendingRawCopy.objects.exists()
    assert s3.body(key_of(alice, interaction_id)) == body

    raw = alice.get(f"/interactions/{interaction_id}/raw")
    assert raw.status_code == 200
    assert raw.content == body  # read back from the bucket, byte for byte

    assert alice.delete(f"/interactions/{interaction_id}").status_code == 204
    assert blob_deletions_process() == 1
    assert s3.object_keys() == set()
    assert not BlobDeletion.objects.exists()


def test_while_the_store_is_down_posts_succeed_and_nothing_is_lost(
    alice: Persona, review_contact: Any, s3: S3Server
) -> None:
    stored_before, _ = post_review(alice, review_contact, "Before")
    assert raw_copies_flush() == 1

    s3.stop()
    during, body_during = post_review(alice, review_contact, "During")
    assert raw_copies_flush() == 0  # the upload fails; the copy stays in the database
    assert PendingRawCopy.objects.count() == 1
    assert alice.get(f"/interactions/{during}/raw").content == body_during  # from the database
    unreadable = alice.get(f"/interactions/{stored_before}/raw")  # only in the bucket
    assert unreadable.status_code == 503
    assert unreadable.json()["errorCode"] == "RawCopyUnavailable"
    assert alice.delete(f"/interactions/{stored_before}").status_code == 204
    assert blob_deletions_process() == 0  # the erasure waits, recorded
    assert BlobDeletion.objects.get().attempts == 1

    s3.start()
    assert raw_copies_flush() == 1
    assert blob_deletions_process() == 1
    assert s3.object_keys() == {key_of(alice, during)}
    assert s3.body(key_of(alice, during)) == body_during
    assert not PendingRawCopy.objects.exists() and not BlobDeletion.objects.exists()
