"""The product catalog on the API: a product is made, read, listed (filtered, paged by SKU),
replaced whole or made by PUT, deleted, and upserted by the thousand with a result per item."""

import json
from typing import Any
from urllib.parse import quote

import pytest

from interactions.models import Product
from tests.conftest import Persona

JACKET = {
    "sku": "SKU-1007",
    "name": "Storm jacket",
    "brand": "Brand X",
    "categories": ["Outerwear", "Jackets"],
    "price": {"amount": 1299.0, "currency": "SEK"},
    "imageUrl": "https://cdn.example.com/sku-1007.jpg",
    "url": "https://shop.example.com/p/sku-1007",
    "attributes": {"color": "red", "size": 42, "waterproof": True},
    "active": True,
}


def product(sku: str, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "name": f"Product {sku}", **fields}


def put(persona: Persona, sku: str, body: Any, version: str = "v2", **kwargs: Any) -> Any:
    return persona.client.put(
        f"/api/{version}/products/{quote(sku, safe='')}", body, format="json", **kwargs
    )


def bulk(persona: Persona, items: list[Any]) -> Any:
    return persona.post("products/bulk", {"products": items})


def skus(response: Any) -> list[str]:
    return [item["sku"] for item in response.json()["items"]]


def test_a_product_is_created_and_read_back_whole(alice: Persona) -> None:
    created = alice.post("products", JACKET)

    assert created.status_code == 201, created.content
    body = created.json()
    assert {key: body[key] for key in JACKET} == JACKET
    assert body["created"] == body["updated"]
    read = alice.get("products/SKU-1007")
    assert read.status_code == 200
    assert read.json() == body
    assert alice.client.get("/api/v3/products/SKU-1007").json() == body


def test_only_sku_and_name_are_needed_and_the_rest_reads_empty(alice: Persona) -> None:
    body = alice.post("products", {"sku": "A1", "name": "Plain"}).json()

    assert {key: value for key, value in body.items() if key not in ("created", "updated")} == {
        "sku": "A1",
        "name": "Plain",
        "brand": None,
        "categories": [],
        "price": None,
        "imageUrl": None,
        "url": None,
        "attributes": {},
        "active": True,
    }


def test_a_second_create_of_a_sku_is_a_conflict(alice: Persona) -> None:
    alice.post("products", JACKET)

    again = alice.post("products", {**JACKET, "name": "Other"})

    assert again.status_code == 409
    assert again.json()["errorCode"] == "ProductAlreadyExists"
    assert Product.objects.get(tenant=alice.tenant).name == "Storm jacket"


def test_a_sku_with_slashes_and_spaces_is_url_encoded_in_the_path(alice: Persona) -> None:
    sku = "AB/12 3?x#y%"
    assert alice.post("products", product(sku)).status_code == 201

    read = alice.get(f"products/{quote(sku, safe='')}")

    assert read.status_code == 200
    assert read.json()["sku"] == sku


def test_an_unknown_sku_is_not_found(alice: Persona) -> None:
    response = alice.get("products/nothing")

    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "errorCode": "ProductNotFound",
        "message": "No product with this SKU.",
    }


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"sku": ""}, "sku", "minLength"),
        ({"sku": "x" * 129}, "sku", "maxLength"),
        ({"sku": 12}, "sku", "type"),
        ({"name": ""}, "name", "minLength"),
        ({"name": None}, "name", "type"),
        ({"categories": "Outerwear"}, "categories", "type"),
        ({"categories": ["Outerwear", ""]}, "categories.1", "minLength"),
        ({"categories": ["Out\nwear"]}, "categories.0", "invalid"),
        ({"price": {"amount": -1, "currency": "SEK"}}, "price.amount", "minimum"),
        ({"price": {"amount": "12", "currency": "SEK"}}, "price.amount", "type"),
        ({"price": {"amount": 1.23456, "currency": "SEK"}}, "price.amount", "invalid"),
        ({"price": {"amount": 12, "currency": "sek"}}, "price.currency", "pattern"),
        ({"price": {"amount": 12}}, "price.currency", "required"),
        ({"price": {"amount": 12, "currency": "SEK", "vat": 1}}, "price.vat", "unknown"),
        ({"imageUrl": "ftp://example.com/a.jpg"}, "imageUrl", "format"),
        ({"url": "not a url"}, "url", "format"),
        ({"attributes": {"tags": ["a"]}}, "attributes.tags", "type"),
        ({"attributes": {"tags": None}}, "attributes.tags", "type"),
        ({"attributes": []}, "attributes", "type"),
        ({"active": "yes"}, "active", "type"),
        ({"colour": "red"}, "colour", "unknown"),
    ],
)
def test_a_bad_field_is_refused_naming_the_field_and_the_reason(
    alice: Persona, fields: dict[str, Any], field: str, code: str
) -> None:
    response = alice.post("products", {**product("P1"), **fields})

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errorCode"] == "InvalidProduct"
    assert [(error["field"], error["code"]) for error in body["errors"]] == [(field, code)]
    assert not Product.objects.exists()


def test_a_product_without_sku_or_name_names_both(alice: Persona) -> None:
    response = alice.post("products", {"brand": "Brand X"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "sku", "code": "required", "message": "is required"},
        {"field": "name", "code": "required", "message": "is required"},
    ]


def test_a_body_that_is_not_an_object_is_refused(alice: Persona) -> None:
    response = alice.post("products", ["SKU-1"])

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


# --- Listing ---------------------------------------------------------------------------------


@pytest.fixture
def catalog(alice: Persona) -> None:
    for item in [
        product("C-3", name="Rain coat", brand="Brand X", categories=["Outerwear", "Coats"]),
        product("A-1", name="Storm jacket", brand="Brand X", categories=["Outerwear", "Jackets"]),
        product("B-2", name="Wool socks", brand="Brand Y", categories=["Socks"]),
        product("D-4", name="Jacket liner", brand="Brand Y", categories=["Outerwear", "Liners"]),
    ]:
        assert alice.post("products", item).status_code == 201


@pytest.mark.usefixtures("catalog")
def test_the_list_is_in_sku_order(alice: Persona) -> None:
    response = alice.get("products")

    assert response.status_code == 200
    assert skus(response) == ["A-1", "B-2", "C-3", "D-4"]
    assert response.json()["links"] == [
        {"rel": "self", "method": "GET", "href": "http://testserver/api/v2/products"}
    ]


@pytest.mark.usefixtures("catalog")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "jacket"}, ["A-1", "D-4"]),  # in the name, any case
        ({"q": "c-3"}, ["C-3"]),  # in the SKU
        ({"q": "brand y"}, ["B-2", "D-4"]),  # in the brand
        ({"brand": "Brand X"}, ["A-1", "C-3"]),
        ({"brand": "brand x"}, []),  # the brand is matched exactly
        ({"category": "Outerwear"}, ["A-1", "C-3", "D-4"]),  # any level of the path
        ({"category": "Jackets"}, ["A-1"]),
        ({"category": "Outer"}, []),  # a whole level, not a part of one
        ({"category": "Outerwear", "brand": "Brand Y"}, ["D-4"]),
        ({"q": "jacket", "category": "Liners"}, ["D-4"]),
    ],
)
def test_the_list_is_filtered(alice: Persona, query: dict[str, str], expected: list[str]) -> None:
    assert skus(alice.get("products", data=query)) == expected


def test_the_list_pages_by_sku_50_at_a_time_and_new_products_shift_nothing(
    alice: Persona,
) -> None:
    result = bulk(alice, [product(f"S-{number:03}") for number in range(0, 120, 2)])
    assert result.json()["upserted"] == 60

    first = alice.get("products")
    assert skus(first) == [f"S-{number:03}" for number in range(0, 100, 2)]
    next_link = first.json()["links"][1]
    assert next_link["rel"] == "next"
    # Products made meanwhile before the page's end don't shift the next page; after it, they show.
    bulk(alice, [product("S-001"), product("S-111")])
    second = alice.client.get(next_link["href"])

    assert skus(second) == ["S-100", "S-102", "S-104", "S-106", "S-108", "S-110", "S-111"] + [
        f"S-{number:03}" for number in range(112, 120, 2)
    ]
    assert len(second.json()["links"]) == 1


def test_the_next_link_keeps_the_filters(alice: Persona) -> None:
    bulk(alice, [product(f"S-{number:03}", brand="B") for number in range(55)])
    bulk(alice, [product(f"T-{number:03}", brand="C") for number in range(5)])

    first = alice.get("products", data={"brand": "B"})
    second = alice.client.get(first.json()["links"][1]["href"])

    assert skus(second) == [f"S-{number:03}" for number in range(50, 55)]


def test_a_tampered_or_foreign_continuation_is_refused(alice: Persona) -> None:
    bulk(alice, [product(f"S-{number:03}", brand="B") for number in range(51)])
    token = alice.get("products").json()["links"][1]["href"].split("continuation=")[1]

    tampered = alice.get("products", data={"continuation": token[:-2] + "xx"})
    other_listing = alice.get("products", data={"continuation": token, "brand": "B"})

    for response in (tampered, other_listing):
        assert response.status_code == 400
        assert response.json()["errorCode"] == "InvalidContinuation"
        assert response.json()["errors"][0]["field"] == "continuation"


# --- PUT and DELETE --------------------------------------------------------------------------


def test_put_makes_a_missing_product(alice: Persona) -> None:
    response = put(alice, "SKU-1007", {key: JACKET[key] for key in JACKET if key != "sku"})

    assert response.status_code == 200, response.content
    assert response.json()["sku"] == "SKU-1007"
    assert alice.get("products/SKU-1007").json()["name"] == "Storm jacket"


def test_put_replaces_the_product_whole_and_keeps_when_it_was_made(alice: Persona) -> None:
    created = alice.post("products", JACKET).json()

    replaced = put(alice, "SKU-1007", {"name": "Storm jacket II", "brand": "Brand Z"})

    assert replaced.status_code == 200
    body = replaced.json()
    assert body["name"] == "Storm jacket II"
    assert body["brand"] == "Brand Z"
    # Left out, so cleared: a PUT is a whole replacement.
    assert (body["categories"], body["price"], body["attributes"]) == ([], None, {})
    assert body["created"] == created["created"]
    assert body["updated"] >= created["updated"]
    assert alice.get("products/SKU-1007").json() == body


def test_put_takes_back_what_get_gave(alice: Persona) -> None:
    read = alice.post("products", JACKET).json()

    again = put(alice, "SKU-1007", {**read, "name": "Renamed"})

    assert again.status_code == 200
    assert again.json()["name"] == "Renamed"


def test_put_with_another_sku_in_the_body_is_refused(alice: Persona) -> None:
    response = put(alice, "SKU-1", product("SKU-2"))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "sku", "code": "invalid", "message": "must be the SKU of the path"}
    ]
    assert not Product.objects.exists()


def test_put_with_a_bad_field_changes_nothing(alice: Persona) -> None:
    alice.post("products", JACKET)

    response = put(alice, "SKU-1007", {"name": "X", "price": {"amount": 1, "currency": "kr"}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "price.currency"
    assert alice.get("products/SKU-1007").json()["name"] == "Storm jacket"


def test_a_product_is_deleted(alice: Persona) -> None:
    alice.post("products", JACKET)

    deleted = alice.delete("products/SKU-1007")

    assert deleted.status_code == 204
    assert alice.get("products/SKU-1007").status_code == 404
    assert alice.delete("products/SKU-1007").status_code == 404


def test_an_idempotent_create_replays_its_first_answer(alice: Persona) -> None:
    first = alice.post("products", JACKET, HTTP_IDEMPOTENCY_KEY="k-1")
    again = alice.post("products", JACKET, HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()


# --- Bulk ------------------------------------------------------------------------------------


def test_bulk_upserts_the_valid_products_and_refuses_the_others_one_by_one(
    alice: Persona,
) -> None:
    alice.post("products", JACKET)

    response = bulk(
        alice,
        [
            {**JACKET, "name": "Storm jacket II"},  # replaces
            product("NEW-1", price={"amount": 10, "currency": "EUR"}),  # makes
            product("BAD-1", price={"amount": 10}),  # refused
            "not a product",  # refused
        ],
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "upserted": 2,
        "refused": 2,
        "results": [
            {"index": 0, "status": "upserted", "sku": "SKU-1007"},
            {"index": 1, "status": "upserted", "sku": "NEW-1"},
            {
                "index": 2,
                "status": "refused",
                "errorCode": "InvalidProduct",
                "errors": [
                    {"field": "price.currency", "code": "required", "message": "is required"}
                ],
            },
            {
                "index": 3,
                "status": "refused",
                "errorCode": "InvalidProduct",
                "errors": [
                    {
                        "field": "body",
                        "code": "type",
                        "message": "must be a JSON object (a product)",
                    }
                ],
            },
        ],
    }
    assert sorted(Product.objects.values_list("sku", "name")) == [
        ("NEW-1", "Product NEW-1"),
        ("SKU-1007", "Storm jacket II"),
    ]


def test_a_product_named_bulk_is_read_replaced_and_deleted_like_any_other(
    alice: Persona,
) -> None:
    assert alice.post("products", product("bulk")).status_code == 201

    assert alice.get("products/bulk").json()["name"] == "Product bulk"
    replaced = put(alice, "bulk", product("bulk", brand="Brand X"))
    assert replaced.status_code == 200, replaced.content
    assert alice.get("products/bulk").json()["brand"] == "Brand X"
    assert alice.client.delete("/api/v2/products/bulk").status_code == 204
    assert alice.get("products/bulk").status_code == 404
    upserted = bulk(alice, [product("bulk")])
    assert upserted.json()["upserted"] == 1


def test_bulk_with_a_sku_twice_keeps_the_last(alice: Persona) -> None:
    response = bulk(alice, [product("A", name="first"), product("A", name="second")])

    assert [result["status"] for result in response.json()["results"]] == ["upserted"] * 2
    assert Product.objects.get(tenant=alice.tenant, sku="A").name == "second"


def test_bulk_takes_1000_products(alice: Persona) -> None:
    response = bulk(alice, [product(f"S-{number:04}") for number in range(1000)])

    assert response.json()["upserted"] == 1000
    assert Product.objects.filter(tenant=alice.tenant).count() == 1000


def test_bulk_of_1001_products_is_refused_whole(alice: Persona) -> None:
    response = bulk(alice, [product(f"S-{number:04}") for number in range(1001)])

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "products", "code": "limit", "message": "must hold at most 1000 products"}
    ]
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "products", "required"),
        ({"products": {}}, "products", "type"),
        ({"products": [], "dryRun": True}, "dryRun", "unknown"),
        ([], "body", "type"),
    ],
)
def test_a_body_that_is_not_a_bulk_is_refused(
    alice: Persona, body: Any, field: str, code: str
) -> None:
    response = alice.post("products/bulk", body)

    assert response.status_code == 400
    assert [(error["field"], error["code"]) for error in response.json()["errors"]] == [
        (field, code)
    ]


def test_bulk_has_its_own_body_limit_of_5_mb(alice: Persona, settings: Any) -> None:
    # 1,000 products of about 4.5 KB: over the 64 KB of other routes, under the route's 5 MB.
    big = [
        product(
            f"S-{number:04}",
            name="n" * 450,
            attributes={"a": "x" * 900, "b": "y" * 900, "c": "z" * 900, "d": "w" * 900},
        )
        for number in range(1000)
    ]
    body = json.dumps({"products": big}).encode()
    assert 4_000_000 < len(body) < 5 * 1024 * 1024

    response = alice.client.post("/api/v2/products/bulk", body, content_type="application/json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["upserted"] == 1000

    settings.API_PRODUCTS_BULK_MAX_BODY_BYTES = 1024 * 1024
    too_large = alice.client.post("/api/v2/products/bulk", body, content_type="application/json")
    assert too_large.status_code == 413
    assert too_large.json()["errorCode"] == "PayloadTooLarge"


def test_a_single_product_route_keeps_the_general_body_limit(alice: Persona) -> None:
    response = alice.post("products", product("BIG", attributes={"a": "x" * 70_000}))

    assert response.status_code == 413


@pytest.mark.parametrize("amount", [9999999999.9999, 9999999999, 0.0001, 0])
def test_prices_up_to_the_largest_are_read_back_as_sent(alice: Persona, amount: float) -> None:
    sent = product("P1", price={"amount": amount, "currency": "SEK"})
    assert alice.post("products", sent).status_code == 201

    assert alice.get("products/P1").json()["price"] == {"amount": amount, "currency": "SEK"}


def test_a_price_over_the_largest_is_refused(alice: Persona) -> None:
    response = alice.post("products", product("P1", price={"amount": 1e10, "currency": "SEK"}))

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "maximum"
