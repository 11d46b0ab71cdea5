"""manage.py import_interactions: the checks of POST interactions, refusals in an errors file with
their line numbers, CSV mappings, constant memory, and resuming after SIGINT or a crash without
storing a line twice."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from interactions.models import ImportProgress, Interaction, InteractionEvent, RefusedInteraction
from interactions.services import imports, raw_storage
from tests.conftest import Persona, _database_url
from tests.factories import ContactFactory, make_schema

ROOT = Path(__file__).resolve().parents[2]


def line_of(contact_id: Any, number: int, **extra: Any) -> str:
    document = {
        "contactId": str(contact_id),
        "schemaId": "review",
        "payload": {"rating": number % 5 + 1, "productSku": f"sku-{number}"},
        **extra,
    }
    return json.dumps(document)


def write_ndjson(path: Path, contact: Any, count: int) -> Path:
    with open(path, "w") as out:
        for number in range(count):
            out.write(line_of(contact.pk, number) + "\n")
    return path


def run_import(path: Path, *args: str) -> str:
    out = StringIO()
    call_command(
        "import_interactions", str(path), "--tenant", "alice", *args, stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def errors_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def skus(tenant: Any) -> list[str]:
    return sorted(
        payload["productSku"]
        for payload in Interaction.objects.filter(tenant=tenant).values_list("payload", flat=True)
    )


@pytest.fixture
def review(alice: Persona) -> Any:
    return make_schema(alice.tenant)


# --- NDJSON -------------------------------------------------------------------------------------


def test_each_line_is_checked_as_a_single_post_and_refusals_go_to_the_errors_file(
    alice: Persona, contact: Any, review: Any, tmp_path: Path
) -> None:
    lines = [
        line_of(contact.pk, 1),
        "",  # blank lines are skipped
        line_of(contact.pk, 2, createdDate="2020-02-03T04:05:06Z"),
        line_of(uuid.uuid4(), 3),
        '{"contactId": "not json',
        json.dumps({"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 9}}),
        "  " + line_of(contact.pk, 6) + "  ",
    ]
    path = tmp_path / "history.ndjson"
    path.write_text("\n".join(lines) + "\n")
    output = run_import(path)
    assert "3 stored, 3 refused" in output

    assert skus(alice.tenant) == ["sku-1", "sku-2", "sku-6"]
    entries = errors_of(tmp_path / "history.ndjson.errors.ndjson")
    assert [(e["line"], e["status"], e["errorCode"]) for e in entries] == [
        (4, 404, "ContactNotFound"),
        (5, 400, "InvalidJson"),
        (6, 400, "InvalidInteraction"),
    ]
    assert entries[2]["errors"] == [
        {"field": "payload.rating", "code": "maximum", "message": "must be at most 5"}
    ]
    assert "refusedId" not in entries[1]
    # Refused and stored lines alike keep their own text as their raw copy.
    for entry, line in ((entries[0], lines[3]), (entries[2], lines[5])):
        refused = RefusedInteraction.objects.get(pk=entry["refusedId"])
        path_of = raw_storage.raw_copy_path(
            tenant_id=alice.tenant.pk, kind=raw_storage.REFUSED, object_id=refused.pk
        )
        assert raw_storage.raw_copy_read(path=path_of) == line.encode()
    stored = Interaction.objects.get(payload__productSku="sku-6")
    path_of = raw_storage.raw_copy_path(
        tenant_id=alice.tenant.pk, kind=raw_storage.INTERACTIONS, object_id=stored.pk
    )
    assert raw_storage.raw_copy_read(path=path_of) == lines[6].strip().encode()
    created = Interaction.objects.get(payload__productSku="sku-2").created_date
    assert created.isoformat() == "2020-02-03T04:05:06+00:00"
    # Automations stay off: the events say the interactions were imported.
    assert set(InteractionEvent.objects.values_list("source", flat=True)) == {"import"}


def test_fire_automations_marks_them_as_live(
    alice: Persona, contact: Any, review: Any, tmp_path: Path
) -> None:
    run_import(write_ndjson(tmp_path / "a.ndjson", contact, 3), "--fire-automations")
    assert list(InteractionEvent.objects.values_list("source", flat=True)) == ["api"] * 3


def test_a_file_imported_already_is_not_imported_twice_unless_restarted(
    alice: Persona, contact: Any, review: Any, tmp_path: Path
) -> None:
    path = write_ndjson(tmp_path / "a.ndjson", contact, 25)
    run_import(path, "--batch-size", "10")
    progress = ImportProgress.objects.get(tenant=alice.tenant)
    assert (progress.last_line, progress.accepted, progress.refused) == (25, 25, 0)
    assert "imported already" in run_import(path)
    # The same content under another name is the same file.
    copy = tmp_path / "copy.ndjson"
    copy.write_bytes(path.read_bytes())
    assert "imported already" in run_import(copy)
    assert Interaction.objects.count() == 25
    run_import(path, "--restart")
    assert Interaction.objects.count() == 50


def test_another_tenants_contact_is_refused_as_unknown(
    alice: Persona, bob: Persona, review: Any, tmp_path: Path
) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text(line_of(ContactFactory(tenant=bob.tenant).pk, 1) + "\n")
    run_import(path)
    assert errors_of(tmp_path / "a.ndjson.errors.ndjson")[0]["errorCode"] == "ContactNotFound"
    assert not Interaction.objects.exists()


def test_a_crash_mid_file_resumes_after_the_last_committed_chunk(
    alice: Persona, contact: Any, review: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.ndjson"
    lines = [line_of(contact.pk if n % 7 else uuid.uuid4(), n) for n in range(50)]
    path.write_text("\n".join(lines) + "\n")
    store = imports.import_chunk_store
    calls = []

    def crash_on_the_third_chunk(**kwargs: Any) -> Any:
        calls.append(kwargs["last_line"])
        if len(calls) == 3:
            # Its refusals reach the errors file, then the transaction dies.
            kwargs["before_commit"] = lambda results, write=kwargs["before_commit"]: (
                write(results),
                (_ for _ in ()).throw(RuntimeError("power cut")),
            )
        return store(**kwargs)

    monkeypatch.setattr(
        "interactions.management.commands.import_interactions.import_chunk_store",
        crash_on_the_third_chunk,
    )
    with pytest.raises(RuntimeError, match="power cut"):
        run_import(path, "--batch-size", "10")
    assert ImportProgress.objects.get().last_line == 20
    assert Interaction.objects.count() + RefusedInteraction.objects.count() == 20

    monkeypatch.undo()
    assert "Resuming" in run_import(path, "--batch-size", "10")
    assert skus(alice.tenant) == sorted(f"sku-{n}" for n in range(50) if n % 7)
    entries = errors_of(tmp_path / "a.ndjson.errors.ndjson")
    assert [e["line"] for e in entries] == [n + 1 for n in range(50) if n % 7 == 0]
    assert RefusedInteraction.objects.count() == len(entries)


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_columns_are_mapped_and_typed_as_the_schema_declares(
    alice: Persona, contact: Any, tmp_path: Path
) -> None:
    make_schema(
        alice.tenant,
        json_schema={
            "type": "object",
            "properties": {
                "rating": {"type": "integer"},
                "recommends": {"type": "boolean"},
                "price": {"type": "number"},
                "title": {"type": "string"},
            },
            "required": ["rating"],
        },
    )
    path = tmp_path / "reviews.csv"
    path.write_text(
        "customer,kind,at,stars,recommends,price,payload.title\n"
        f'{contact.pk},review,2022-01-02T03:04:05Z,4,true,19.5,"Warm, light"\n'
        f"{contact.pk},review,,five,false,,\n"
        f"{uuid.uuid4()},review,,3,,,\n"
    )
    output = run_import(
        path,
        "--map",
        "contactId=customer",
        "--map",
        "schemaId=kind",
        "--map",
        "createdDate=at",
        "--map",
        "payload.rating=stars",
        "--map",
        "payload.recommends=recommends",
        "--map",
        "payload.price=price",
    )
    assert "1 stored, 2 refused" in output
    stored = Interaction.objects.get()
    assert stored.payload == {
        "rating": 4,
        "recommends": True,
        "price": 19.5,
        "title": "Warm, light",
    }
    assert stored.created_date.isoformat() == "2022-01-02T03:04:05+00:00"
    entries = errors_of(tmp_path / "reviews.csv.errors.ndjson")
    assert [(e["line"], e["errorCode"]) for e in entries] == [
        (3, "InvalidInteraction"),
        (4, "ContactNotFound"),
    ]
    assert entries[0]["errors"][0]["field"] == "payload.rating"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "contact"], "FIELD=COLUMN"),
        (["--map", "owner=customer"], "payload.NAME"),
        (["--map", "contactId=nothing"], "no column 'nothing'"),
    ],
)
def test_a_mapping_that_cant_work_is_refused_before_anything_is_stored(
    alice: Persona, tmp_path: Path, args: list[str], message: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("customer,schemaId\nx,review\n")
    with pytest.raises(CommandError, match=message):
        run_import(path, *args)
    assert not RefusedInteraction.objects.exists()


# --- SIGINT and memory, in real processes -------------------------------------------------------


def command(path: Path, *args: str) -> list[str]:
    manage = str(ROOT / "manage.py")
    return [sys.executable, manage, "import_interactions", str(path), "--tenant", "alice", *args]


def process_env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict)}


@pytest.mark.django_db(transaction=True)
def test_sigint_stops_after_a_committed_chunk_and_a_rerun_stores_every_line_once(
    alice: Persona, contact: Any, review: Any, tmp_path: Path
) -> None:
    total = 20_000
    path = write_ndjson(tmp_path / "big.ndjson", contact, total)
    process = subprocess.Popen(
        command(path, "--batch-size", "200"),
        env=process_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ImportProgress.objects.filter(last_line__gte=600).exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, (out, err)
    stopped_at = ImportProgress.objects.get().last_line
    assert 600 <= stopped_at < total
    assert f"lines up to {stopped_at} are stored" in err
    assert Interaction.objects.count() == stopped_at  # whole chunks, nothing half stored

    rerun = subprocess.run(
        command(path, "--batch-size", "200"),
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"Resuming {path} after line {stopped_at}" in rerun.stdout
    assert skus(alice.tenant) == sorted(f"sku-{n}" for n in range(total))


PEAK_RSS = (
    "import resource, sys, django; django.setup();"
    "from django.core.management import call_command;"
    "call_command('import_interactions', sys.argv[1], '--tenant', 'alice', '--no-progress');"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def peak_rss_kb(path: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(path)],
        env={**process_env(), "DJANGO_SETTINGS_MODULE": "engage_site.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def assert_constant_memory(tmp_path: Path, contact: Any, small: int, big: int) -> None:
    small_peak = peak_rss_kb(write_ndjson(tmp_path / "small.ndjson", contact, small))
    big_path = write_ndjson(tmp_path / "big.ndjson", contact, big)
    big_peak = peak_rss_kb(big_path)
    assert Interaction.objects.count() == small + big
    # The big file is ten times the small one (and bigger than the margin), the peak is not.
    assert big_path.stat().st_size > 10 * 1024 * 1024 or big < 100_000
    assert big_peak < small_peak + 8 * 1024, (small_peak, big_peak)


@pytest.mark.django_db(transaction=True)
def test_memory_does_not_grow_with_the_file(
    alice: Persona, contact: Any, review: Any, tmp_path: Path
) -> None:
    assert_constant_memory(tmp_path, contact, 2_000, 20_000)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_100k_line_file_is_imported_in_constant_memory(
    alice: Persona, contact: Any, review: Any, tmp_path: Path
) -> None:
    assert_constant_memory(tmp_path, contact, 10_000, 100_000)
