"""manage.py import_products: NDJSON and CSV files upserted by SKU through the bulk route's
service, a batch a transaction, refused lines in an errors file with their line numbers, and a
progress line."""

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from interactions.models import Product
from tests.conftest import Persona


def run_import(path: Path, *args: str, tenant: str = "alice") -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_products", str(path), "--tenant", tenant, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def errors_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(f"{path}.errors.ndjson").read_text().splitlines()]


def test_an_ndjson_file_is_upserted_and_its_refused_lines_are_written_with_line_numbers(
    alice: Persona, tmp_path: Path
) -> None:
    alice.post("products", {"sku": "OLD-1", "name": "Old name", "brand": "Gone"})
    path = tmp_path / "catalog.ndjson"
    path.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "sku": "JKT-1",
                        "name": "Storm jacket",
                        "categories": ["Outerwear", "Jackets"],
                        "price": {"amount": 1299.5, "currency": "SEK"},
                        "attributes": {"size": 42},
                    }
                ),
                json.dumps({"sku": "OLD-1", "name": "New name"}),
                "",
                json.dumps(
                    {"sku": "BAD-1", "name": "x", "price": {"amount": -1, "currency": "SEK"}}
                ),
                "{not json",
                json.dumps({"sku": "SCK-2", "name": "Socks"}),
            ]
        )
        + "\n"
    )

    out, _ = run_import(path, "--batch-size", "2", "--no-progress")

    assert f"Imported {path}: 3 upserted, 2 refused" in out
    jacket = Product.objects.get(tenant=alice.tenant, sku="JKT-1")
    assert (jacket.categories, jacket.price_amount, jacket.attributes) == (
        ["Outerwear", "Jackets"],
        Decimal("1299.5"),
        {"size": 42},
    )
    replaced = Product.objects.get(tenant=alice.tenant, sku="OLD-1")
    assert (replaced.name, replaced.brand) == ("New name", "")  # replaced whole
    errors = errors_of(path)
    assert [entry["line"] for entry in errors] == [4, 5]
    assert errors[0] == {
        "line": 4,
        "errorCode": "InvalidProduct",
        "errors": [{"field": "price.amount", "code": "minimum", "message": "must be at least 0"}],
    }
    assert errors[1]["errorCode"] == "InvalidJson"


def test_a_csv_file_maps_its_columns_to_a_product(alice: Persona, tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "sku,name,brand,categories,price,currency,imageUrl,url,active,attributes.color\n"
        "JKT-1,Storm jacket,Northwind,Outerwear > Jackets,1299.00,SEK,"
        "https://cdn.example.com/j.jpg,https://shop.example.com/j,yes,red\n"
        "SCK-2,Wool socks,,,,,,,no,\n"
        "BAD-1,Cap,,,12,sek,,,,\n"
        ",No SKU,,,,,,,,\n"
    )

    out, _ = run_import(path, "--no-progress")

    assert "2 upserted, 2 refused" in out
    jacket = alice.get("products/JKT-1").json()
    assert {key: value for key, value in jacket.items() if key not in ("created", "updated")} == {
        "sku": "JKT-1",
        "name": "Storm jacket",
        "brand": "Northwind",
        "categories": ["Outerwear", "Jackets"],
        "price": {"amount": 1299.0, "currency": "SEK"},
        "imageUrl": "https://cdn.example.com/j.jpg",
        "url": "https://shop.example.com/j",
        "attributes": {"color": "red"},
        "active": True,
    }
    assert alice.get("products/SCK-2").json()["active"] is False
    assert [(entry["line"], entry["errors"][0]["field"]) for entry in errors_of(path)] == [
        (4, "price.currency"),
        (5, "sku"),
    ]


def test_an_unknown_csv_column_is_refused_on_every_line(alice: Persona, tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("sku,name,colour\nA,Alpha,red\n")

    out, _ = run_import(path, "--no-progress")

    assert "0 upserted, 1 refused" in out
    assert errors_of(path)[0]["errors"] == [
        {"field": "colour", "code": "unknown", "message": "is not a field of a product"}
    ]


def test_running_the_import_again_changes_nothing(alice: Persona, tmp_path: Path) -> None:
    path = tmp_path / "catalog.ndjson"
    path.write_text(
        "".join(json.dumps({"sku": f"S-{n}", "name": f"P{n}"}) + "\n" for n in range(5))
    )

    run_import(path, "--no-progress")
    out, _ = run_import(path, "--no-progress")

    assert "5 upserted, 0 refused" in out
    assert Product.objects.filter(tenant=alice.tenant).count() == 5


def test_the_progress_line_counts_products(alice: Persona, tmp_path: Path) -> None:
    path = tmp_path / "catalog.ndjson"
    path.write_text(
        "".join(json.dumps({"sku": f"S-{n}", "name": f"P{n}"}) + "\n" for n in range(3))
    )

    _, err = run_import(path)

    assert "3 products" in err
    assert "100.0%" in err


def test_the_products_go_to_the_named_tenant_only(
    alice: Persona, bob: Persona, tmp_path: Path
) -> None:
    path = tmp_path / "catalog.ndjson"
    path.write_text(json.dumps({"sku": "S-1", "name": "Bob's"}) + "\n")

    run_import(path, "--no-progress", tenant="bob")

    assert alice.get("products/S-1").status_code == 404
    assert bob.get("products/S-1").json()["name"] == "Bob's"


def test_a_missing_file_or_tenant_stops_the_command(alice: Persona, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No file"):
        run_import(tmp_path / "nothing.csv")
    path = tmp_path / "catalog.ndjson"
    path.write_text("")
    with pytest.raises(CommandError, match="No tenant"):
        run_import(path, tenant="nobody")
