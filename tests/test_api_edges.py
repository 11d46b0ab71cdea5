"""Edges of the API's HTTP handling: strict UUID ids, bodies sent without Content-Length, and
over-long request lines and headers, through the real HTTP stack (gunicorn on 127.0.0.1)."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engage_site.api.ids import uuid_or_none
from interactions.models import Contact
from tests.automations.processes import ROOT, free_port
from tests.conftest import Persona
from tests.factories import ContactFactory, make_schema

# Each ASCII digit as its full-width form (U+FF10-FF19), which int() reads as that digit.
FULL_WIDTH = {ord("0") + digit: 0xFF10 + digit for digit in range(10)}


def full_width(value: uuid.UUID) -> str:
    return str(value).translate(FULL_WIDTH)


# --- Strict UUIDs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "6F9619FF-8B86-D011-B42D-00C04FC964FF",
        "6f9619ff-8b86-d011-b42d-00c04fc964ff",
    ],
)
def test_a_uuid_is_ascii_hex_in_the_hyphenated_form(text: str) -> None:
    assert uuid_or_none(text) == uuid.UUID(text)


@pytest.mark.parametrize(
    "text",
    [
        "6f9619ff8b86d011b42d00c04fc964ff",  # no hyphens
        "{6f9619ff-8b86-d011-b42d-00c04fc964ff}",
        "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "\uff16f9619ff-8b86-d011-b42d-00c04fc964ff",  # a full-width digit
        "٦f9619ff-8b86-d011-b42d-00c04fc964ff",  # an Arabic-Indic digit
        " 6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "6f9619ff-8b86-d011-b42d-00c04fc964ff\n",
        "",
    ],
)
def test_anything_else_is_not_a_uuid(text: str) -> None:
    assert uuid_or_none(text) is None


def test_a_full_width_contact_id_is_a_400_not_the_contact(alice: Persona) -> None:
    contact = ContactFactory(tenant=alice.tenant)
    for version in ("v2", "v3"):
        response = alice.client.get(f"/api/{version}/contacts/{full_width(contact.pk)}")
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "contactId", "code": "invalid", "message": "must be a UUID"}
        ]
        tags = alice.client.get(f"/api/{version}/contacts/{full_width(contact.pk)}/tags")
        assert tags.status_code == 400


def test_a_full_width_contact_id_in_an_interaction_is_refused(
    alice: Persona, blob_store: Any
) -> None:
    contact = ContactFactory(tenant=alice.tenant)
    make_schema(alice.tenant)
    document = {
        "contactId": full_width(contact.pk),
        "schemaId": "review",
        "payload": {"rating": 4},
    }
    response = alice.post("interactions", document)
    assert response.status_code == 400
    assert {
        "field": "contactId",
        "code": "invalid",
        "message": "must be a UUID",
    } in response.json()["errors"]
    assert not contact.interactions.exists()


def test_a_full_width_id_finds_no_segment_automation_or_interaction(alice: Persona) -> None:
    some_id = full_width(uuid.uuid4())
    assert alice.get(f"interactions?interactionId={some_id}").status_code == 400
    assert alice.get(f"interactions/{some_id}").status_code == 400
    assert alice.get(f"segments/{some_id}").status_code == 404
    assert alice.get(f"automations/{some_id}").status_code == 404


# --- Bodies without Content-Length ---------------------------------------------------------------


def test_a_chunked_body_the_server_did_not_end_is_refused_with_411(alice: Persona) -> None:
    """Django's development server passes a chunked body undecoded: refuse it, never read it as
    empty (which would make a contact of nothing)."""
    response = alice.client.generic(
        "POST",
        "/api/v2/contacts",
        b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json()["errorCode"] == "LengthRequired"
    assert set(response.json()) == {"statusCode", "errorCode", "message"}
    assert not Contact.objects.exists()


def test_a_post_without_any_body_is_invalid_json_whatever_its_type(alice: Persona) -> None:
    response = alice.client.generic("POST", "/api/v2/contacts", b"", content_type="")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "InvalidJson"


# --- Through gunicorn -----------------------------------------------------------------------------


@dataclass
class Served:
    port: int
    key: str
    process: Any

    def send(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as connection:
            connection.sendall(raw)
            data = b""
            while chunk := connection.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers, body


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: Any) -> Iterator[Served]:
    """``manage.py serve`` (gunicorn) on a free port, on a SQLite database of its own."""
    data_dir: Path = tmp_path_factory.mktemp("served")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["DATA_DIR"] = str(data_dir)
    _manage(env, "migrate", "-v0")
    key = _manage(
        env,
        "shell",
        "-c",
        "from interactions.models import Tenant\n"
        "from interactions.services.tenants import api_key_create\n"
        "tenant = Tenant.objects.create(slug='served', name='Served')\n"
        "print(api_key_create(tenant=tenant, name='edge', rate_limit_per_second=0)[1])",
    ).split()[-1]
    port = free_port()
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield Served(port=port, key=key, process=process)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}".encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"


@pytest.mark.slow
def test_gunicorn_passes_a_chunked_body_and_the_api_reads_it(served: Served) -> None:
    body = b'{"email": "chunked@example.com", "firstName": "Chunk"}'
    status, _, answer = served.send(
        b"POST /api/v2/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"apikey: {served.key}\r\n".encode()
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + _chunked(body)
    )
    assert status == 201, answer
    assert b'"email":"chunked@example.com"' in answer


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_413(served: Served) -> None:
    body = b'{"note": "' + b"x" * (64 * 1024) + b'"}'
    status, _, answer = served.send(
        b"POST /api/v2/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"apikey: {served.key}\r\n".encode()
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + _chunked(body)
    )
    assert status == 413
    assert b'"errorCode":"PayloadTooLarge"' in answer


@pytest.mark.slow
def test_an_over_long_request_line_is_414_in_the_api_shape(served: Served) -> None:
    status, headers, answer = served.send(
        b"GET /api/v2/ping?pad=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert b'"errorCode":"UriTooLong"' in answer


@pytest.mark.slow
def test_an_over_large_header_is_431_in_the_api_shape(served: Served) -> None:
    status, headers, answer = served.send(
        b"GET /api/v2/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
        + b"a" * 9000
        + b"\r\nConnection: close\r\n\r\n"
    )
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert b'"errorCode":"RequestHeaderFieldsTooLarge"' in answer


@pytest.mark.slow
def test_past_gunicorns_own_limits_gunicorn_answers_as_the_readme_says(served: Served) -> None:
    status, _, _ = served.send(
        b"GET /api/v2/ping?pad=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\n\r\n"
    )
    assert status == 414


# --- Nullability as documented -------------------------------------------------------------------


@pytest.mark.parametrize("field", ["lastName", "firstName", "email", "contactType"])
def test_a_null_named_contact_attribute_is_refused_naming_it(alice: Persona, field: str) -> None:
    response = alice.post("contacts", {field: None})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": field, "code": "type", "message": "must be a string"}
    ]
    assert not Contact.objects.exists()


def test_a_segment_description_must_be_a_string(alice: Persona) -> None:
    rule = {"type": "tag", "name": "vip"}
    for description in (0, None):
        response = alice.post(
            "segments", {"name": "VIPs", "description": description, "rule": rule}
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "description"
