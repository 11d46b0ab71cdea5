"""The OpenAPI document describes every route under both prefixes, and fuzzing every operation
with every Schemathesis check finds nothing."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from interactions.services.tenants import api_key_create
from tests.factories import ContactFactory, TenantFactory, make_interaction, make_schema

SCHEMA_URL = "/api/schema/?format=json"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    return dict(response.json())


def api_routes(namespace: str) -> dict[str, set[str]]:
    """Every named route of ``namespace`` as an OpenAPI path, with the methods its view answers."""
    prefix, resolver = get_resolver().namespace_dict[namespace]
    routes: dict[str, set[str]] = {}

    def walk(patterns: list[Any], base: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, base + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                path = "/" + _CONVERTER.sub(r"{\1}", base + str(pattern.pattern))
                view = pattern.callback.view_class  # type: ignore[attr-defined]
                routes[path] = {method for method in HTTP_METHODS if hasattr(view, method)}

    walk(resolver.url_patterns, prefix)
    return routes


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.")
    validate_schema(document)


def test_the_document_is_generated_without_guesses() -> None:
    """A generator warning means a guess, such as a field typed string for want of a type, or
    an operation id shared by two routes (the v3 copy of a route has its own, prefixed v3_)."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    warnings = sorted(GENERATOR_STATS._warn_cache)
    GENERATOR_STATS.reset()
    assert warnings == [], "\n".join(warnings)


def test_the_contact_shape_is_documented_as_returned(document: dict[str, Any]) -> None:
    contact = document["components"]["schemas"]["ContactOutput"]["properties"]
    assert contact["attributes"]["type"] == "object"
    assert contact["preferences"]["type"] == "object"
    assert contact["consents"]["type"] == "array"


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_ids_are_documented_as_uuids_and_schema_ids_with_their_pattern(
    document: dict[str, Any], version: str
) -> None:
    uuid_ids = {
        "contact_id",
        "interaction_id",
        "refused_id",
        "segment_id",
        "automation_id",
        "run_id",
    }
    seen = set()
    for path, operations in document["paths"].items():
        if not path.startswith(f"/api/{version}/"):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name, schema = parameter["name"], parameter["schema"]
                if name in uuid_ids or name in ("contactId", "interactionId"):
                    assert schema == {"type": "string", "format": "uuid"}, (path, name)
                    seen.add(name)
                if name in ("schema_id", "schemaId", "interactionSchemaId"):
                    assert schema["pattern"] == "^[A-Za-z0-9_-]{1,64}$", (path, name)
                    seen.add(name)
    assert seen >= uuid_ids | {"schema_id", "interactionSchemaId"}


def test_tag_routes_are_documented_as_arrays_of_names(document: dict[str, Any]) -> None:
    for method in ("get", "post"):
        operation = document["paths"]["/api/v2/contacts/{contact_id}/tags"][method]
        body = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert body == {"type": "array", "items": {"type": "string"}}


def test_named_contact_attributes_are_documented_as_not_nullable(document: dict[str, Any]) -> None:
    contact = document["components"]["schemas"]["ContactCreateInputRequest"]["properties"]
    assert all(not field.get("nullable") for field in contact.values())
    segment = document["components"]["schemas"]["SegmentWriteInputRequest"]["properties"]
    assert segment["description"]["type"] == "string"
    assert not segment["description"].get("nullable")


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_every_route_is_documented_with_its_methods_under_both_prefixes(
    document: dict[str, Any], version: str
) -> None:
    v2_routes = api_routes("v2")
    assert "/api/v2/interactions" in v2_routes
    for v2_path, methods in v2_routes.items():
        path = v2_path.replace("/api/v2/", f"/api/{version}/", 1)
        assert path in document["paths"], path
        assert set(document["paths"][path]) >= methods, path


def test_the_three_ways_to_send_a_key_are_documented(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"].values()
    described = {(scheme["type"], scheme.get("in"), scheme.get("name")) for scheme in schemes}
    assert ("apiKey", "header", "apikey") in described
    assert ("apiKey", "header", "x-api-key") in described
    assert any(
        scheme["type"] == "http" and scheme["scheme"].lower() == "bearer" for scheme in schemes
    )


def test_each_way_to_send_a_key_is_an_alternative_not_a_requirement_of_all_three(
    document: dict[str, Any],
) -> None:
    """In OpenAPI, schemes in one requirement object are all required; alternatives are items."""
    alternatives = sorted(
        [{name: []} for name in document["components"]["securitySchemes"]], key=str
    )
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert sorted(operation["security"], key=str) == alternatives, (method, path)


def test_the_error_body_is_a_documented_component(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["Error"]
    assert {"statusCode", "errorCode", "message"} <= set(error["required"])
    assert {"statusCode", "errorCode", "message", "errors", "refusedId"} <= set(error["properties"])
    ping = document["paths"]["/api/v2/ping"]["get"]
    assert ping["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_routes_beyond_the_original_are_tagged_extension(
    document: dict[str, Any], version: str
) -> None:
    extensions = {
        f"/api/{version}/refusedinteractions/{{refused_id}}",
        f"/api/{version}/interactions/{{interaction_id}}/raw",
        f"/api/{version}/interactions/batch",
        f"/api/{version}/ping",
        f"/api/{version}/contacts/{{contact_id}}/tags",
        f"/api/{version}/contacts/{{contact_id}}/tags/{{name}}",
        f"/api/{version}/events/failed",
        f"/api/{version}/events/failed/{{delivery_id}}/replay",
    }
    app_prefixes = (
        f"/api/{version}/segments",
        f"/api/{version}/automations",
        f"/api/{version}/products",
    )
    for path, operations in document["paths"].items():
        if not path.startswith(f"/api/{version}/"):
            continue
        is_extension = path in extensions or path.startswith(app_prefixes)
        for operation in operations.values():
            assert ("extension" in operation.get("tags", [])) == is_extension, path


def test_the_docs_page_serves_swagger_ui_from_the_sidecar_without_a_cdn(client: Client) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SwaggerUIBundle" in html
    assert "cdn.jsdelivr.net" not in html
    assert "unpkg.com" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    assert any(asset.endswith("swagger-ui.css") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()


# --- Fuzzing ---------------------------------------------------------------------------------
#
# Schemathesis' own runner (the CLI, as a developer would run it) fuzzes every operation of the
# document with every check (`--checks all`: no 5xx, status codes, content types, headers and
# bodies as documented, valid data accepted, invalid data refused, stateful sequences) against the
# app served by a live server on the test database, as a tenant of its own, so it may create and
# delete anything. A bounded number of examples per operation keeps the run to a few minutes on two
# cores; the fixed seed makes a failure reproducible. What the document can't say is configured,
# with the reason, in tests/schemathesis.toml. Zero failures, zero errors.

FUZZ_CONFIG = Path(__file__).with_name("schemathesis.toml")
FUZZ_EXAMPLES = 12
FUZZ_SEED = 20240601


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fuzzing_every_operation_with_every_check_finds_nothing(
    live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "raw_copies": {
            "BACKEND": "engage_site.storage.DurableFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "blobs"), "allow_overwrite": True},
        },
    }
    tenant = TenantFactory(slug="fuzz")
    schema = make_schema(tenant)
    make_interaction(ContactFactory(tenant=tenant), schema)
    _, key = api_key_create(tenant=tenant, name="fuzz", rate_limit_per_second=0)
    junit = tmp_path / "junit.xml"

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(FUZZ_CONFIG),
            "run",
            f"{live_server.url}{SCHEMA_URL}",
            "--checks",
            "all",
            "--max-examples",
            str(FUZZ_EXAMPLES),
            "--seed",
            str(FUZZ_SEED),
            "--workers",
            "1",
            "--generation-database",
            "none",
            "--header",
            f"apikey: {key}",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
            "--no-color",
        ],
        cwd=tmp_path,  # where Schemathesis keeps its cache
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]

    # Every documented operation was run, under both prefixes.
    report = ElementTree.parse(junit)  # noqa: S314 - the report this test just wrote
    tested = {case.get("name") for case in report.iter("testcase")}
    document = Client().get(SCHEMA_URL).json()
    documented = {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method in methods
        if method in HTTP_METHODS
    }
    assert documented <= tested, sorted(documented - tested)
