"""The product catalog in the admin: the tenant's products only, found by SKU, name or brand,
filtered by brand, active and currency, and the whole catalog deleted after a count is shown."""

import re
from typing import Any

import pytest
from django.test import Client

from interactions.models import Product
from interactions.services.products import products_upsert_many
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from tests.factories import TenantFactory

LIST = "/admin/interactions/product/"


def client_for(tenant: Any, username: str, role: str = ADMIN) -> Client:
    client = Client()
    client.force_login(
        staff_user_create(tenant=tenant, username=username, password="a-long-password", role=role)
    )
    return client


@pytest.fixture
def acme(db: None) -> Any:
    tenant = TenantFactory(slug="acme", name="Acme")
    results = products_upsert_many(
        tenant=tenant,
        documents=[
            {
                "sku": "JKT-1",
                "name": "Storm jacket",
                "brand": "Northwind",
                "categories": ["Outerwear", "Jackets"],
                "price": {"amount": 1299, "currency": "SEK"},
            },
            {
                "sku": "SCK-2",
                "name": "Wool socks",
                "brand": "Fjell",
                "price": {"amount": 9.5, "currency": "EUR"},
                "active": False,
            },
            {"sku": "CAP-3", "name": "Rain cap", "brand": "Northwind"},
        ],
    )
    assert all(result.upserted for result in results)
    return tenant


@pytest.fixture
def globex(db: None) -> Any:
    tenant = TenantFactory(slug="globex", name="Globex")
    products_upsert_many(
        tenant=tenant,
        documents=[
            {
                "sku": "GLX-1",
                "name": "Globex jacket",
                "brand": "Globex brand",
                "price": {"amount": 5, "currency": "USD"},
            }
        ],
    )
    return tenant


def listed(client: Client, **query: str) -> list[str]:
    response = client.get(LIST, query)
    assert response.status_code == 200
    return sorted(product.sku for product in response.context["cl"].result_list)


def test_the_list_shows_the_tenants_products_only(acme: Any, globex: Any) -> None:
    admin = client_for(acme, "ada")

    assert listed(admin) == ["CAP-3", "JKT-1", "SCK-2"]
    page = admin.get(LIST).content.decode()
    assert "SEK1,299.00" in page  # in the tenant's locale (en-GB)
    assert "GLX-1" not in page


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("jkt", ["JKT-1"]),
        ("socks", ["SCK-2"]),
        ("northwind", ["CAP-3", "JKT-1"]),
        ("outerwear", ["JKT-1"]),
        ("jackets", ["JKT-1"]),
        ("globex", []),
    ],
)
def test_products_are_searched_by_sku_name_brand_and_category(
    acme: Any, globex: Any, search: str, expected: list[str]
) -> None:
    assert listed(client_for(acme, "ada"), q=search) == expected


def test_filters_offer_only_the_tenants_brands_and_currencies_and_narrow_the_list(
    acme: Any, globex: Any
) -> None:
    admin = client_for(acme, "ada")
    page = admin.get(LIST).content.decode()

    assert "?brand=Fjell" in page and "?brand=Northwind" in page
    assert "?currency=EUR" in page and "?currency=SEK" in page
    assert "Globex brand" not in page and "USD" not in page
    assert listed(admin, brand="Northwind") == ["CAP-3", "JKT-1"]
    assert listed(admin, currency="EUR") == ["SCK-2"]
    assert listed(admin, active__exact="0") == ["SCK-2"]


def test_another_tenants_product_is_a_404(acme: Any, globex: Any) -> None:
    theirs = Product.objects.get(tenant=globex)

    response = client_for(acme, "ada").get(f"{LIST}{theirs.pk}/change/")

    assert response.status_code == 404


def test_the_catalog_is_deleted_after_a_confirmation_that_counts_it(acme: Any, globex: Any) -> None:
    admin = client_for(acme, "ada")
    one = Product.objects.get(tenant=acme, sku="JKT-1")
    chosen = {"action": "delete_catalog", "_selected_action": [str(one.pk)]}

    asked = admin.post(LIST, chosen)

    assert asked.status_code == 200
    page = asked.content.decode()
    assert "all 3 products" in page
    assert Product.objects.filter(tenant=acme).count() == 3

    # What the confirmation's form sends.
    confirmed = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    done = admin.post(LIST, confirmed, follow=True)

    assert "Deleted the catalog: 3 products." in done.content.decode()
    assert not Product.objects.filter(tenant=acme).exists()
    assert Product.objects.filter(tenant=globex).count() == 1


def test_a_marketer_reads_the_catalog_but_can_t_delete_it(acme: Any) -> None:
    marketer = client_for(acme, "mia", role=MARKETER)
    one = Product.objects.get(tenant=acme, sku="JKT-1")

    assert listed(marketer) == ["CAP-3", "JKT-1", "SCK-2"]
    marketer.post(
        LIST,
        {
            "action": "delete_catalog",
            "_selected_action": [str(one.pk)],
            "confirm_catalog_delete": "yes",
        },
    )
    assert Product.objects.filter(tenant=acme).count() == 3


def test_deleting_one_product_goes_through_the_service(acme: Any) -> None:
    admin = client_for(acme, "ada")
    one = Product.objects.get(tenant=acme, sku="CAP-3")

    admin.post(f"{LIST}{one.pk}/delete/", {"post": "yes"})

    assert sorted(Product.objects.filter(tenant=acme).values_list("sku", flat=True)) == [
        "JKT-1",
        "SCK-2",
    ]


def test_the_catalog_delete_counts_in_the_tenants_locale(acme: Any) -> None:
    products_upsert_many(
        tenant=acme,
        documents=[{"sku": f"BULK-{number}", "name": "Item"} for number in range(998)],
    )
    admin = client_for(acme, "ada")
    one = Product.objects.filter(tenant=acme).first()
    assert one is not None

    asked = admin.post(LIST, {"action": "delete_catalog", "_selected_action": [str(one.pk)]})

    page = asked.content.decode()
    assert "all 1,001 products" in page
    confirmed = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    done = admin.post(LIST, confirmed, follow=True)
    assert "Deleted the catalog: 1,001 products." in done.content.decode()
    assert not Product.objects.filter(tenant=acme).exists()
