"""The typed values of segmentable properties (``SegmentableValue``) follow every write: a single
POST, a batch, an import, deleting an interaction, a contact or a schema, a change of which
properties are segmentable, and the backfill of interactions stored without them."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from interactions.models import Interaction, InteractionSchema, SegmentableValue
from interactions.services.segment_values import segment_values_rebuild
from tests.conftest import Persona
from tests.factories import ContactFactory, make_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "addToSegmentation": True},
        "channel": {"type": "string", "addToSegmentation": True},
        "gift": {"type": "boolean", "addToSegmentation": True},
        "shippedAt": {"type": "string", "format": "date-time", "addToSegmentation": True},
        "day": {"type": "string", "format": "date", "addToSegmentation": True},
        "note": {"type": "string"},
    },
}
PAYLOAD = {
    "amount": 12.5,
    "channel": "Web",
    "gift": False,
    "shippedAt": "2025-03-01T12:00:00+02:00",
    "day": "2025-02-28",
    "note": "not segmentable",
}
# (property, number, text, boolean, instant) of PAYLOAD's segmentable properties.
TYPED = [
    ("amount", Decimal("12.5"), None, None, None),
    ("channel", None, "Web", None, None),
    ("day", None, None, None, datetime(2025, 2, 28, tzinfo=UTC)),
    ("gift", None, None, False, None),
    ("shippedAt", None, None, None, datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
]


@pytest.fixture
def purchase(alice: Persona) -> InteractionSchema:
    return make_schema(alice.tenant, schema_id="purchase", json_schema=SCHEMA)


def document(contact: Any, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "contactId": str(contact.pk),
        "schemaId": "purchase",
        "createdDate": "2025-03-02T08:00:00Z",
        "payload": PAYLOAD if payload is None else payload,
    }


def import_file(persona: Persona, line: dict[str, Any], tmp_path: Path) -> None:
    """``manage.py import_interactions`` of a file of one line, for the persona's tenant."""
    path = tmp_path / "history.ndjson"
    path.write_text(json.dumps(line) + "\n")
    call_command(
        "import_interactions",
        str(path),
        "--tenant",
        persona.tenant.slug,
        "--no-progress",
        stdout=StringIO(),
        stderr=StringIO(),
    )


def typed_values(interaction_id: Any) -> list[tuple[Any, ...]]:
    rows = SegmentableValue.objects.filter(interaction_id=interaction_id).order_by("property")
    return [
        (
            row.property,
            None if row.number is None else Decimal(row.number),
            row.text,
            row.boolean,
            row.instant,
        )
        for row in rows
    ]


def assert_values_copied_from(interaction: Interaction) -> None:
    """Each value row carries its interaction's tenant, schema, contact and date."""
    rows = SegmentableValue.objects.filter(interaction=interaction)
    assert {(row.tenant_id, row.schema_id, row.contact_id, row.created_date) for row in rows} == {
        (
            interaction.tenant_id,
            interaction.schema_id,
            interaction.contact_id,
            interaction.created_date,
        )
    }


def test_a_single_post_stores_the_segmentable_properties_typed(
    alice: Persona, purchase: InteractionSchema, contact: Any
) -> None:
    response = alice.post("interactions", document(contact))
    assert response.status_code == 200, response.json()
    interaction = Interaction.objects.get(pk=response.json()["id"])
    assert typed_values(interaction.pk) == TYPED
    assert_values_copied_from(interaction)


def test_only_the_properties_a_payload_holds_get_a_row(
    alice: Persona, purchase: InteractionSchema, contact: Any
) -> None:
    response = alice.post("interactions", document(contact, {"gift": True, "note": "x"}))
    assert typed_values(response.json()["id"]) == [("gift", None, None, True, None)]


def test_a_batch_stores_the_segmentable_properties_of_each_accepted_item(
    alice: Persona, purchase: InteractionSchema, contact: Any
) -> None:
    items = [
        document(contact),
        document(contact, {"amount": "not a number"}),  # refused: stores nothing
        document(contact, {"amount": 10**20, "channel": "Store"}),
    ]
    response = alice.post("interactions/batch", {"interactions": items})
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert typed_values(results[0]["id"]) == TYPED
    assert typed_values(results[2]["id"]) == [
        ("amount", Decimal(10**20), None, None, None),
        ("channel", None, "Store", None, None),
    ]
    assert SegmentableValue.objects.count() == len(TYPED) + 2
    assert_values_copied_from(Interaction.objects.get(pk=results[2]["id"]))


def test_an_import_stores_the_segmentable_properties(
    alice: Persona, purchase: InteractionSchema, contact: Any, tmp_path: Path
) -> None:
    import_file(alice, document(contact), tmp_path)
    [interaction] = Interaction.objects.filter(tenant=alice.tenant)
    assert typed_values(interaction.pk) == TYPED
    assert_values_copied_from(interaction)


def test_deleting_an_interaction_deletes_its_values(
    alice: Persona, purchase: InteractionSchema, contact: Any
) -> None:
    kept = alice.post("interactions", document(contact)).json()["id"]
    gone = alice.post("interactions", document(contact)).json()["id"]
    assert alice.delete(f"interactions/{gone}").status_code == 204
    assert typed_values(gone) == []
    assert typed_values(kept) == TYPED


def test_erasing_a_contact_deletes_the_values_of_its_interactions(
    alice: Persona, purchase: InteractionSchema
) -> None:
    ann, bo = ContactFactory(tenant=alice.tenant), ContactFactory(tenant=alice.tenant)
    alice.post("interactions", document(ann))
    bo_interaction = alice.post("interactions", document(bo)).json()["id"]
    assert alice.delete(f"contacts/{ann.pk}").status_code == 204
    assert set(SegmentableValue.objects.values_list("contact_id", flat=True)) == {bo.pk}
    assert typed_values(bo_interaction) == TYPED


@pytest.mark.parametrize("inline_limit", [100, 1], ids=["purged-inline", "purged-later"])
def test_deleting_a_schema_deletes_its_values_with_its_interactions(
    alice: Persona,
    purchase: InteractionSchema,
    contact: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    inline_limit: int,
) -> None:
    settings.SCHEMA_DELETE_INLINE_LIMIT = inline_limit
    other = make_schema(alice.tenant, schema_id="other", json_schema=SCHEMA)
    for _ in range(2):
        alice.post("interactions", document(contact))
    kept = alice.post("interactions", {**document(contact), "schemaId": "other"}).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert alice.delete("interactionschemas/purchase").status_code == 204
    assert not SegmentableValue.objects.filter(schema=purchase).exists()
    assert set(SegmentableValue.objects.values_list("schema_id", flat=True)) == {other.pk}
    assert typed_values(kept) == TYPED


def test_a_rebuild_follows_a_change_of_the_segmentable_properties(
    alice: Persona, purchase: InteractionSchema, contact: Any
) -> None:
    """Schemas are not edited through any route today; a change of which properties carry
    addToSegmentation must rebuild the schema's values, which this does."""
    interaction = alice.post("interactions", document(contact)).json()["id"]
    changed = json.loads(purchase.json_schema_text)
    changed["properties"]["amount"]["addToSegmentation"] = False
    changed["properties"]["note"]["addToSegmentation"] = True
    InteractionSchema.objects.filter(pk=purchase.pk).update(json_schema_text=json.dumps(changed))
    purchase.refresh_from_db()

    assert list(segment_values_rebuild(schema=purchase, batch=1)) == [1]
    assert typed_values(interaction) == [
        ("channel", None, "Web", None, None),
        ("day", None, None, None, datetime(2025, 2, 28, tzinfo=UTC)),
        ("gift", None, None, False, None),
        ("note", None, "not segmentable", None, None),
        ("shippedAt", None, None, None, datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
    ]


def test_the_backfill_stores_the_values_of_interactions_kept_without_them(
    alice: Persona, purchase: InteractionSchema, contact: Any, bob: Persona
) -> None:
    posted = alice.post("interactions", document(contact)).json()["id"]
    bob_schema = make_schema(bob.tenant, schema_id="purchase", json_schema=SCHEMA)
    bob_contact = ContactFactory(tenant=bob.tenant)
    older = [
        Interaction(
            tenant=tenant,
            contact=person,
            schema=schema,
            created_date=datetime(2024, 1, day, tzinfo=UTC),
            payload=PAYLOAD,
        )
        for day in (1, 2, 3)
        for tenant, person, schema in (
            (alice.tenant, contact, purchase),
            (bob.tenant, bob_contact, bob_schema),
        )
    ]
    Interaction.objects.bulk_create(older)  # as stored before the values were kept
    assert SegmentableValue.objects.count() == len(TYPED)

    out, progress = StringIO(), StringIO()
    call_command("segment_values_backfill", stdout=out, stderr=progress)
    for interaction in [*older, Interaction.objects.get(pk=posted)]:
        assert typed_values(interaction.pk) == TYPED
        assert_values_copied_from(interaction)
    assert "schema purchase: 4 of 4 interactions" in progress.getvalue()
    assert out.getvalue().endswith("Segmentable values stored for 7 interactions.\n")

    # Run again (after an interruption, say): the same rows, none twice.
    call_command(
        "segment_values_backfill", "--tenant", bob.tenant.slug, stdout=StringIO(), stderr=StringIO()
    )
    assert SegmentableValue.objects.count() == 7 * len(TYPED)


def test_the_backfill_names_an_unknown_tenant(alice: Persona) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no tenant has the slug 'nobody'"):
        call_command("segment_values_backfill", "--tenant", "nobody", stdout=StringIO())


REVIEW = {
    "type": "object",
    "properties": {
        "productSku": {"type": "string"},  # not marked addToSegmentation: its row is kept anyway
        "rating": {"type": "integer"},
    },
}


def review(contact: Any, sku: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"rating": 4}
    if sku is not None:
        payload["productSku"] = sku
    return {**document(contact, payload), "schemaId": "review"}


def test_the_product_sku_has_its_row_on_every_write_path(
    alice: Persona, contact: Any, tmp_path: Path
) -> None:
    """Product conditions of segment rules start from the productSku rows, so every write path
    keeps one whatever addToSegmentation says: a single POST, a batch, an import, the rebuild."""
    schema = make_schema(alice.tenant, schema_id="review", json_schema=REVIEW)
    single = alice.post("interactions", review(contact, "JKT-1")).json()["id"]
    batch = alice.post(
        "interactions/batch",
        {"interactions": [review(contact, "JKT-2"), review(contact, None)]},
    ).json()["results"]
    import_file(alice, review(contact, "JKT-3"), tmp_path)
    imported = Interaction.objects.get(payload__productSku="JKT-3").pk
    expected = {single: "JKT-1", batch[0]["id"]: "JKT-2", str(imported): "JKT-3"}

    def sku_rows() -> dict[str, str]:
        rows = SegmentableValue.objects.filter(property="productSku")
        return {str(row.interaction_id): row.text for row in rows}

    assert sku_rows() == expected
    assert typed_values(batch[1]["id"]) == []  # no productSku, no row
    SegmentableValue.objects.all().delete()
    assert list(segment_values_rebuild(schema=schema)) == [4]
    assert sku_rows() == expected


def test_a_product_sku_longer_than_any_product_s_keeps_no_text(
    alice: Persona, contact: Any
) -> None:
    make_schema(alice.tenant, schema_id="review", json_schema=REVIEW)
    long_sku = "X" * 129
    response = alice.post("interactions", review(contact, long_sku))
    assert response.status_code == 200, response.json()
    assert typed_values(response.json()["id"]) == [("productSku", None, None, None, None)]
