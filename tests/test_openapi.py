"""The OpenAPI document describes every route under both prefixes, and fuzzing it finds no 5xx."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.generation.modes import GenerationMode

from engage_site.wsgi import application
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
        f"/api/{version}/ping",
        f"/api/{version}/contacts/{{contact_id}}/tags",
        f"/api/{version}/contacts/{{contact_id}}/tags/{{name}}",
        f"/api/{version}/events/failed",
        f"/api/{version}/events/failed/{{delivery_id}}/replay",
    }
    app_prefixes = (f"/api/{version}/segments", f"/api/{version}/automations")
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
# Each operation of the document gets a bounded, derandomized Hypothesis run of Schemathesis cases
# (data that fits the document, and data that doesn't), sent through the real WSGI application.
# Schemathesis' pytest integration (``from_fixture``) does not run on pytest 9, so the strategies
# are used directly; a failure names every operation that answered 5xx, not just the first.

FUZZ_SETTINGS = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Known:
    """Ids of rows that exist, swapped into some cases so they get past the not-found checks."""

    key: str
    ids: dict[str, str]

    def aim(self, case: Any) -> None:
        """Point a GET's ids, and a POST body's references, at existing rows."""
        if case.method == "GET":
            for name in case.path_parameters or {}:
                if name in self.ids:
                    case.path_parameters[name] = self.ids[name]
            if isinstance(case.query, dict):
                for name in case.query:
                    if name in self.ids:
                        case.query[name] = self.ids[name]
        elif case.method == "POST" and isinstance(case.body, dict):
            for name in ("contactId", "schemaId"):
                if name in case.body:
                    case.body[name] = self.ids[name]
            if isinstance(case.body.get("payload"), dict):
                case.body["payload"]["rating"] = 3  # what the schema requires; the rest is fuzz


@pytest.fixture
def known(settings: Any, tmp_path: Path) -> Known:
    """Tenant A's key (no rate limit) and rows of every kind, so calls reach deep code paths."""
    settings.STORAGES = {
        **settings.STORAGES,
        "raw_copies": {
            "BACKEND": "engage_site.storage.DurableFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "blobs"), "allow_overwrite": True},
        },
    }
    tenant = TenantFactory(slug="fuzz")
    schema = make_schema(tenant)
    contact = ContactFactory(tenant=tenant)
    interaction = make_interaction(contact, schema)
    _, key = api_key_create(tenant=tenant, name="fuzz", rate_limit_per_second=0)
    client = APIClient()
    client.credentials(HTTP_APIKEY=key)
    refused = client.post(
        "/api/v2/interactions",
        {"contactId": str(contact.pk), "schemaId": "review", "payload": {}},
        format="json",
    )
    assert refused.status_code == 400
    ids = {
        "contact_id": str(contact.pk),
        "contactId": str(contact.pk),
        "schema_id": schema.schema_id,
        "schemaId": schema.schema_id,
        "interactionSchemaId": schema.schema_id,
        "interaction_id": str(interaction.pk),
        "interactionId": str(interaction.pk),
        "refused_id": refused.json()["refusedId"],
    }
    return Known(key=key, ids=ids)


def fuzz_operation(operation: Any, mode: GenerationMode, known: Known) -> list[str]:
    """The first 5xx answer a bounded run of ``operation`` in ``mode`` provokes, if any."""
    found: list[str] = []

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode), aimed=st.booleans())
    def run(case: Any, aimed: bool) -> None:
        if aimed:
            known.aim(case)
        response = case.call(headers={"apikey": known.key})
        if response.status_code >= 500 and not found:  # the first is enough to report
            found.append(
                f"{operation.label} [{mode.value}] -> {response.status_code} "
                f"{response.text[:300]}\n    {case.as_curl_command(headers={'apikey': '…'})}"
            )

    run()
    return found


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_fuzzing_every_operation_finds_no_server_error(known: Known) -> None:
    api = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
    operations = [result.ok() for result in api.get_all_operations()]
    documented = {
        (method.upper(), path)
        for path, methods in api.raw_schema["paths"].items()
        for method in methods
        if method in HTTP_METHODS
    }
    assert {(operation.method.upper(), operation.path) for operation in operations} == documented

    found: list[str] = []
    for operation in operations:
        for mode in GenerationMode:
            found += fuzz_operation(operation, mode, known)

    assert found == [], "\n".join(found)
