"""Staff pages that only read are served from a streaming replica; the API and a staff user's
pages right after their own write read from the primary; a replica that is down or too far
behind is passed over, and the logs say so. Against a real replica of the test server, started
for this module (``tests/replica_server.py``); replication is paused on it to make it lag."""

import logging
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

from engage_site.replicas import REPLICA, replica_verdict
from interactions.models import Contact
from segments.models import SegmentMembership
from segments.services.segments import segment_create
from tests.conftest import Persona, staff_client, wait_until
from tests.factories import ContactFactory, make_schema
from tests.replica_server import StreamingReplica, replica_limits

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="a streaming replica needs PostgreSQL",
    ),
]


@pytest.fixture(scope="module")
def replica_server(django_db_setup: None, django_db_blocker: Any) -> Iterator[StreamingReplica]:
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        server = StreamingReplica(connection.settings_dict, replica_limits(cursor))
    try:
        server.create()
    except RuntimeError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the primary does not allow a streaming replica here: {error}")
    server.start()
    yield server
    try:
        server.stop()
    finally:
        server.remove()


@pytest.fixture(scope="module", autouse=True)
def replica_database(replica_server: StreamingReplica) -> Iterator[None]:
    """The ``replica`` database, as DATABASE_REPLICA_URL configures it (a test mirror of the
    default one, so the tests never flush it); set up before each test declares its databases."""
    connections.settings[REPLICA] = replica_server.settings_for(connection.settings_dict)
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica(replica_server: StreamingReplica, settings: Any) -> Iterator[Any]:
    """The verdict on the replica is taken afresh on every read, and the lag bound is generous
    unless a test narrows it; replay is resumed after a test that paused it."""
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 60
    replica_verdict.forget()
    yield connections[REPLICA]
    if replica_server_is_paused(replica_server):
        replay(replica_server, paused=False)
    replica_verdict.forget()


def _on_replica(server: StreamingReplica, sql: str) -> Any:
    import psycopg

    with (
        psycopg.connect(
            host="127.0.0.1", port=server.port, user="postgres", dbname="postgres", autocommit=True
        ) as direct,
        direct.cursor() as cursor,
    ):
        cursor.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None


def replay(server: StreamingReplica, *, paused: bool) -> None:
    _on_replica(
        server, "SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()"
    )


def replica_server_is_paused(server: StreamingReplica) -> bool:
    try:
        return _on_replica(server, "SELECT pg_get_wal_replay_pause_state()") != "not paused"
    except Exception:
        return False


def caught_up(server: StreamingReplica) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        target = cursor.fetchone()[0]
    wait_until(
        lambda: _on_replica(
            server, f"SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '{target}') >= 0"
        ),
        timeout=30,
    )


RULE_JSON = '{"type": "count", "schemaId": "review"}'


@pytest.fixture
def marketer(alice: Persona) -> Any:
    return staff_client(alice.tenant, "mia")


def test_staff_pages_read_from_the_replica_and_the_api_from_the_primary(
    alice: Persona, marketer: Any, replica: Any, replica_server: StreamingReplica
) -> None:
    known = ContactFactory(tenant=alice.tenant, first_name="Known", email="known@example.com")
    caught_up(replica_server)
    replay(replica_server, paused=True)
    late = ContactFactory(tenant=alice.tenant, first_name="Latecomer")
    Contact.objects.filter(pk=known.pk).update(email="renamed@example.com")

    listed = marketer.get("/contacts/").content.decode()
    assert "Known" in listed and "Latecomer" not in listed  # the replica has not seen it yet
    assert "known@example.com" in marketer.get(f"/contacts/{known.pk}/").content.decode()
    assert marketer.get(f"/contacts/{late.pk}/").status_code == 404  # not on the replica yet
    assert alice.get(f"/contacts/{late.pk}").status_code == 200  # the API reads the primary

    replay(replica_server, paused=False)
    caught_up(replica_server)
    assert "Latecomer" in marketer.get("/contacts/").content.decode()
    assert "renamed@example.com" in marketer.get(f"/contacts/{known.pk}/").content.decode()


def test_a_segment_export_streams_from_the_replica(
    alice: Persona, marketer: Any, replica: Any, replica_server: StreamingReplica
) -> None:
    make_schema(alice.tenant)
    member = ContactFactory(tenant=alice.tenant, email="before@example.com")
    segment = segment_create(
        tenant=alice.tenant, name="Everyone", rule={"type": "never", "schemaId": "review"}
    )
    wait_until(lambda: SegmentMembership.objects.filter(segment=segment).exists())
    caught_up(replica_server)
    replay(replica_server, paused=True)
    Contact.objects.filter(pk=member.pk).update(email="after@example.com")

    export = marketer.get(f"/segments/{segment.pk}/members.csv")
    body = b"".join(export.streaming_content).decode()  # read after the view has returned
    assert "before@example.com" in body and "after@example.com" not in body


def test_after_their_own_write_a_staff_user_reads_from_the_primary(
    alice: Persona, marketer: Any, replica: Any, replica_server: StreamingReplica
) -> None:
    make_schema(alice.tenant)
    caught_up(replica_server)
    replay(replica_server, paused=True)
    other = staff_client(alice.tenant, "olle")

    created = marketer.post(
        "/segments/new/",
        {"name": "Reviewers", "refresh_minutes": 60, "rule": RULE_JSON},
    )
    assert created.status_code == 302
    assert "Reviewers" in marketer.get("/segments/").content.decode()  # their own write
    assert "Reviewers" not in other.get("/segments/").content.decode()  # the replica, behind


def test_a_replica_too_far_behind_is_passed_over_and_the_logs_say_so(
    alice: Persona,
    marketer: Any,
    replica: Any,
    replica_server: StreamingReplica,
    settings: Any,
    caplog: Any,
) -> None:
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    caught_up(replica_server)
    replay(replica_server, paused=True)
    ContactFactory(tenant=alice.tenant, first_name="Latecomer")
    time.sleep(1.5)

    with caplog.at_level(logging.WARNING, logger="engage_site.replicas"):
        listed = marketer.get("/contacts/").content.decode()
    assert "Latecomer" in listed  # read from the primary
    assert "behind the primary" in caplog.text and "reading from the primary" in caplog.text


def test_a_replica_that_is_down_is_passed_over_and_the_logs_say_so(
    alice: Persona,
    marketer: Any,
    replica: Any,
    replica_server: StreamingReplica,
    caplog: Any,
) -> None:
    ContactFactory(tenant=alice.tenant, first_name="Known")
    replica.close()
    replica_server.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="engage_site.replicas"):
            listed = marketer.get("/contacts/")
        assert listed.status_code == 200 and "Known" in listed.content.decode()
        assert "Replica unreachable" in caplog.text
    finally:
        replica_server.start()
