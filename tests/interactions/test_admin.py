"""The admin, scoped to the acting tenant: lists, 404s across tenants, keys, replays, roles."""

import json
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from interactions.models import Interaction, RefusedInteraction
from interactions.selectors import api_key_authenticate
from interactions.services.interactions import Refusal, interaction_check, interaction_refuse
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from interactions.services.tenants import api_key_create
from tests.factories import ContactFactory, TenantFactory, make_interaction, make_schema

PASSWORD = "a-long-password"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def acme(db: None) -> Any:
    return TenantFactory(slug="acme", name="Acme")


@pytest.fixture
def globex(db: None) -> Any:
    return TenantFactory(slug="globex", name="Globex")


@pytest.fixture
def acme_admin(acme: Any) -> Client:
    return client_for(staff_user_create(tenant=acme, username="ada", password=PASSWORD, role=ADMIN))


@pytest.fixture
def acme_marketer(acme: Any) -> Client:
    user = staff_user_create(tenant=acme, username="mia", password=PASSWORD, role=MARKETER)
    return client_for(user)


@pytest.fixture
def globex_admin(globex: Any) -> Client:
    user = staff_user_create(tenant=globex, username="gus", password=PASSWORD, role=ADMIN)
    return client_for(user)


@pytest.fixture
def acme_objects(acme: Any) -> dict[str, Any]:
    """One of each of Acme's objects that has an admin page."""
    schema = make_schema(acme)
    contact = ContactFactory(tenant=acme)
    interaction = make_interaction(contact, schema)
    document = {"contactId": str(contact.pk), "schemaId": "nope", "payload": {}}
    refusal = interaction_check(tenant=acme, document=document)
    assert isinstance(refusal, Refusal)
    refused = interaction_refuse(
        tenant=acme,
        refusal=refusal,
        body=json.dumps(document).encode(),
        received_at=interaction.received_at,
    )
    api_key, _ = api_key_create(tenant=acme, name="shop")
    return {
        "interactionschema": schema,
        "contact": contact,
        "interaction": interaction,
        "refusedinteraction": refused,
        "apikey": api_key,
        "tenant": acme,
    }


@pytest.mark.parametrize(
    "model",
    ["interactionschema", "contact", "interaction", "refusedinteraction", "apikey", "tenant"],
)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_another_tenants_object_is_a_404_in_the_admin(
    globex_admin: Client, acme_objects: dict[str, Any], model: str, view: str
) -> None:
    obj = acme_objects[model]
    response = globex_admin.get(f"/admin/interactions/{model}/{obj.pk}/{view}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "model", ["interactionschema", "contact", "interaction", "refusedinteraction", "apikey"]
)
def test_another_tenants_objects_are_not_listed(
    globex_admin: Client, acme_objects: dict[str, Any], model: str
) -> None:
    response = globex_admin.get(f"/admin/interactions/{model}/")
    assert response.status_code == 200
    assert f"/admin/interactions/{model}/{acme_objects[model].pk}/change/" not in (
        response.content.decode()
    )


def test_the_interaction_filter_offers_only_the_tenants_schemas(
    globex_admin: Client, globex: Any, acme_objects: dict[str, Any]
) -> None:
    make_schema(globex, schema_id="globex-one")
    make_schema(globex, schema_id="globex-two")
    page = globex_admin.get("/admin/interactions/interaction/").content.decode()
    assert "globex-one" in page and "globex-two" in page
    assert f"schema__id__exact={acme_objects['interactionschema'].pk}" not in page


def test_a_new_api_key_is_shown_once_and_works(acme_admin: Client, acme: Any) -> None:
    response = acme_admin.post(
        "/admin/interactions/apikey/add/", {"name": "erp", "rate_limit_per_second": ""}, follow=True
    )
    assert response.status_code == 200
    shown = re.findall(r"ek_[A-Za-z0-9]{8}\.[A-Za-z0-9_-]+", response.content.decode())
    assert len(shown) == 1
    api_key = api_key_authenticate(key=shown[0])
    assert api_key is not None and api_key.tenant == acme and api_key.name == "erp"
    listing = acme_admin.get("/admin/interactions/apikey/").content.decode()
    assert shown[0] not in listing


def test_revoke_and_rotate_are_admin_actions(acme_admin: Client, acme: Any) -> None:
    api_key, key = api_key_create(tenant=acme, name="shop")
    rotated = acme_admin.post(
        "/admin/interactions/apikey/",
        {"action": "rotate", "_selected_action": [api_key.pk]},
        follow=True,
    )
    new_keys = re.findall(r"ek_[A-Za-z0-9]{8}\.[A-Za-z0-9_-]+", rotated.content.decode())
    assert len(new_keys) == 1
    assert api_key_authenticate(key=key) is not None  # the old key works until revoked
    acme_admin.post(
        "/admin/interactions/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]}
    )
    assert api_key_authenticate(key=key) is None
    assert api_key_authenticate(key=new_keys[0]) is not None


def test_a_refused_interaction_is_replayed_once_its_cause_is_fixed(
    acme_admin: Client, acme: Any
) -> None:
    contact = ContactFactory(tenant=acme)
    document = {"contactId": str(contact.pk), "schemaId": "review", "payload": {"rating": 5}}
    refusal = interaction_check(tenant=acme, document=document)
    assert isinstance(refusal, Refusal)
    refused = interaction_refuse(
        tenant=acme,
        refusal=refusal,
        body=json.dumps(document).encode(),
        received_at=contact.created_on,
    )

    still = acme_admin.post(
        "/admin/interactions/refusedinteraction/",
        {"action": "replay", "_selected_action": [refused.pk]},
        follow=True,
    )
    assert "is still refused: schemaId: no interaction schema has this id" in still.content.decode()
    assert Interaction.objects.count() == 0

    make_schema(acme)  # the cause, fixed
    acme_admin.post(
        "/admin/interactions/refusedinteraction/",
        {"action": "replay", "_selected_action": [refused.pk]},
    )
    interaction = Interaction.objects.get()
    assert interaction.payload == {"rating": 5}
    assert RefusedInteraction.objects.get(pk=refused.pk).replayed_as == interaction.pk

    again = acme_admin.post(
        "/admin/interactions/refusedinteraction/",
        {"action": "replay", "_selected_action": [refused.pk]},
        follow=True,
    )
    assert "already replayed" in again.content.decode()
    assert Interaction.objects.count() == 1


def test_the_interaction_page_shows_the_raw_copy(
    acme_admin: Client, acme_objects: dict[str, Any]
) -> None:
    interaction = acme_objects["interaction"]
    page = acme_admin.get(
        f"/admin/interactions/interaction/{interaction.pk}/change/"
    ).content.decode()
    assert "Raw copy (as received)" in page
    assert "&quot;rating&quot;: 4" in page


def test_contacts_are_searchable_by_id_email_and_name(acme_admin: Client, acme: Any) -> None:
    ada = ContactFactory(tenant=acme, first_name="Ada", last_name="Lovelace", email="ada@x.org")
    ContactFactory(tenant=acme, first_name="Bo", last_name="Ek", email="bo@x.org")
    for term in (str(ada.pk), "ada@x.org", "Lovelace"):
        page = acme_admin.get("/admin/interactions/contact/", {"q": term}).content.decode()
        assert "Ada Lovelace" in page and "Bo Ek" not in page


def test_a_marketer_reads_contacts_but_manages_no_keys_or_schemas(
    acme_marketer: Client, acme_objects: dict[str, Any]
) -> None:
    assert acme_marketer.get("/admin/interactions/contact/").status_code == 200
    assert acme_marketer.get("/admin/interactions/interactionschema/").status_code == 200
    assert acme_marketer.get("/admin/interactions/interactionschema/add/").status_code == 403
    assert acme_marketer.get("/admin/interactions/apikey/").status_code == 403
    assert acme_marketer.get("/admin/interactions/contact/add/").status_code == 403


def test_a_tenant_admin_sees_only_its_own_tenant(acme_admin: Client, globex: Any) -> None:
    page = acme_admin.get("/admin/interactions/tenant/").content.decode()
    assert "Acme" in page and "globex" not in page


def test_a_superuser_acts_for_the_tenant_chosen_in_the_switcher(
    acme_objects: dict[str, Any], globex: Any
) -> None:
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = client_for(root)
    contact = acme_objects["contact"]
    client.post("/tenant/", {"tenant": globex.pk, "next": "/admin/"})
    assert client.get(f"/admin/interactions/contact/{contact.pk}/change/").status_code == 404
    client.post("/tenant/", {"tenant": acme_objects["tenant"].pk, "next": "/admin/"})
    assert client.get(f"/admin/interactions/contact/{contact.pk}/change/").status_code == 200


def test_only_superusers_switch_tenants(acme_admin: Client, globex: Any) -> None:
    assert acme_admin.post("/tenant/", {"tenant": globex.pk}).status_code == 404


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("model", ["contact", "interaction", "refusedinteraction", "apikey"])
def test_each_admin_list_costs_the_same_queries_for_10_and_1000_rows(
    acme_admin: Client, acme: Any, model: str, settings: Any
) -> None:
    url = f"/admin/interactions/{model}/?all="  # no pagination: the whole list on one page

    def grow(to: int) -> None:
        schema = make_schema(acme, schema_id=f"s{to}")
        contacts = ContactFactory.create_batch(to, tenant=acme)
        if model == "interaction":
            Interaction.objects.bulk_create(
                Interaction(tenant=acme, contact=c, schema=schema, created_date=c.created_on)
                for c in contacts
            )
        if model == "refusedinteraction":
            RefusedInteraction.objects.bulk_create(
                RefusedInteraction(tenant=acme, status_code=400, error_code="InvalidInteraction")
                for _ in range(to)
            )
        if model == "apikey":
            for index in range(to):
                api_key_create(tenant=acme, name=f"k{index}")

    grow(10)
    small = count_queries(acme_admin, url)
    grow(990)
    assert count_queries(acme_admin, url) == small


def test_admin_times_are_shown_in_the_tenants_time_zone(
    acme_admin: Client, acme: Any, acme_objects: dict[str, Any]
) -> None:
    from datetime import UTC, datetime

    from interactions.models import Interaction as InteractionModel

    interaction = acme_objects["interaction"]
    InteractionModel.objects.filter(pk=interaction.pk).update(
        created_date=datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
    )
    acme.timezone = "Asia/Tokyo"
    acme.save(update_fields=["timezone"])
    page = acme_admin.get(f"/admin/interactions/interaction/{interaction.pk}/change/").content
    assert "16 Jan 2026, 08:30" in page.decode()  # the next day in Tokyo, as on the staff pages
