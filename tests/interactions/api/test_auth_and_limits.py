"""The API key: where it is read, when it stops working, how fast it may go, and that it never
reaches a log line. Body rules: JSON only, and no bigger than the configured limit."""

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from engage_site.logging import REDACTED, RedactApiKeys, redact
from interactions.api import throttling
from interactions.models import ApiKey, Contact
from interactions.services.tenants import api_key_create, api_key_revoke, api_key_rotate
from tests.conftest import Persona

FROZEN = datetime(2025, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
UNAUTHORIZED = {
    "statusCode": 401,
    "errorCode": "Unauthorized",
    "message": "A valid API key is required.",
}
UNKNOWN_KEY = {
    "statusCode": 401,
    "errorCode": "Unauthorized",
    "message": "The API key is unknown or revoked.",
}
TOO_MANY_REQUESTS = {
    "statusCode": 429,
    "errorCode": "TooManyRequests",
    "message": "Too many requests for this API key; retry after the time in Retry-After.",
}
UNSUPPORTED_MEDIA_TYPE = {
    "statusCode": 415,
    "errorCode": "UnsupportedMediaType",
    "message": "The request body must be JSON (Content-Type: application/json).",
}


def ping(key: str | None = None, **headers: Any) -> Any:
    """GET ping from a fresh client, with the key in the ``apikey`` header when given."""
    if key is not None:
        headers["HTTP_APIKEY"] = key
    return APIClient().get("/api/v2/ping", **headers)


def key_row(persona: Persona) -> ApiKey:
    return ApiKey.objects.get(tenant=persona.tenant)


def set_rate(persona: Persona, per_second: int | None) -> None:
    ApiKey.objects.filter(tenant=persona.tenant).update(rate_limit_per_second=per_second)


def statuses(persona: Persona, count: int) -> list[int]:
    return [persona.get("ping").status_code for _ in range(count)]


# --- Where the key is read -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["HTTP_APIKEY", "HTTP_X_API_KEY", "HTTP_AUTHORIZATION"],
    ids=["apikey", "x-api-key", "authorization-bearer"],
)
def test_the_key_is_accepted_in_each_documented_header(alice: Persona, header: str) -> None:
    value = f"Bearer {alice.key}" if header == "HTTP_AUTHORIZATION" else alice.key
    response = APIClient().get("/api/v2/ping", **{header: value})
    assert response.status_code == 200
    assert response.json() == {"tenant": "alice"}


def test_the_bearer_scheme_is_case_insensitive(alice: Persona) -> None:
    response = ping(HTTP_AUTHORIZATION=f"bearer {alice.key}")
    assert response.status_code == 200
    assert response.json() == {"tenant": "alice"}


@pytest.mark.parametrize("parameter", ["apikey", "api_key", "x-api-key"])
def test_the_key_is_never_read_from_the_query_string(alice: Persona, parameter: str) -> None:
    response = APIClient().get(f"/api/v2/ping?{parameter}={alice.key}")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_request_without_a_key_is_unauthorized(db: None) -> None:
    response = ping()
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("value", ["", "   ", "Bearer", "Bearer   "])
def test_an_empty_authorization_is_no_key(db: None, value: str) -> None:
    response = ping(HTTP_AUTHORIZATION=value)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_key_in_another_authorization_scheme_is_no_key(alice: Persona) -> None:
    response = ping(HTTP_AUTHORIZATION=f"Basic {alice.key}")
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_401_says_how_to_authenticate(db: None) -> None:
    """RFC 9110 section 15.5.2: a 401 response MUST carry WWW-Authenticate."""
    response = ping()
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "key",
    [
        "not-a-key",
        "ek_",
        "ek_short",
        "ek_AbCdEfGh." + "x" * 43,
        "ek_AbCdEfGh" + "x" * 44,
        "ek_" + "x" * 200,
        "\u00e9k_AbCdEfGh." + "x" * 43,
    ],
    ids=["garbage", "bare-prefix", "short", "unknown", "no-dot", "very-long", "non-ascii"],
)
def test_a_malformed_or_unknown_key_is_unauthorized(db: None, key: str) -> None:
    response = ping(key)
    assert response.status_code == 401
    assert response.json() == UNKNOWN_KEY


def test_a_key_with_a_known_prefix_and_a_wrong_secret_is_unauthorized(alice: Persona) -> None:
    wrong = alice.key[:-1] + ("A" if alice.key[-1] != "A" else "B")
    response = ping(wrong)
    assert response.status_code == 401
    assert response.json() == UNKNOWN_KEY


def test_a_revoked_key_is_unauthorized(alice: Persona) -> None:
    api_key_revoke(api_key=key_row(alice))
    for response in (ping(alice.key), ping(HTTP_AUTHORIZATION=f"Bearer {alice.key}")):
        assert response.status_code == 401
        assert response.json() == UNKNOWN_KEY


def test_a_rotated_key_works_beside_the_old_one_until_the_old_one_is_revoked(
    alice: Persona,
) -> None:
    old = key_row(alice)
    new, new_key = api_key_rotate(api_key=old)
    assert new_key != alice.key
    assert new.tenant == alice.tenant
    assert ping(alice.key).json() == {"tenant": "alice"}
    assert ping(new_key).json() == {"tenant": "alice"}
    api_key_revoke(api_key=old)
    assert ping(alice.key).json() == UNKNOWN_KEY
    assert ping(new_key).json() == {"tenant": "alice"}


def test_a_key_is_stored_as_a_prefix_and_a_hash_only(alice: Persona) -> None:
    stored = key_row(alice)
    assert alice.key not in {stored.prefix, stored.secret_hash, stored.name}
    assert alice.key.startswith(f"ek_{stored.prefix}.")


# --- Body size ---------------------------------------------------------------------------------


def contact_body(size: int) -> bytes:
    """A valid contact document of exactly ``size`` bytes."""
    empty = json.dumps({"email": "big@example.com", "note": ""}).encode()
    body = json.dumps({"email": "big@example.com", "note": "x" * (size - len(empty))}).encode()
    assert len(body) == size
    return body


def post_raw(
    persona: Persona, path: str, body: bytes, content_type: str = "application/json"
) -> Any:
    return persona.client.post(persona.url(path), data=body, content_type=content_type)


@pytest.mark.parametrize("size", [1023, 1024])
def test_a_body_up_to_the_limit_is_accepted(alice: Persona, settings: Any, size: int) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    response = post_raw(alice, "contacts", contact_body(size))
    assert response.status_code == 201
    assert Contact.objects.filter(tenant=alice.tenant).count() == 1


@pytest.mark.parametrize("endpoint", ["contacts", "interactions", "interactionschemas"])
def test_a_body_one_byte_over_the_limit_is_too_large(
    alice: Persona, settings: Any, endpoint: str
) -> None:
    settings.API_MAX_BODY_BYTES = 1024
    response = post_raw(alice, endpoint, contact_body(1025))
    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "errorCode": "PayloadTooLarge",
        "message": "The request body must be at most 1024 bytes.",
    }
    assert not Contact.objects.exists()


def test_the_default_limit_is_64_kilobytes(alice: Persona) -> None:
    assert post_raw(alice, "contacts", contact_body(64 * 1024)).status_code == 201
    response = post_raw(alice, "contacts", contact_body(64 * 1024 + 1))
    assert response.status_code == 413
    assert response.json() == {
        "statusCode": 413,
        "errorCode": "PayloadTooLarge",
        "message": "The request body must be at most 65536 bytes.",
    }


# --- Media type --------------------------------------------------------------------------------

BODY = json.dumps({"email": "media@example.com"}).encode()


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=BoUnDaRy",
        "application/xml",
        "application/octet-stream",
        "",
    ],
    ids=["text", "form", "multipart", "xml", "octet-stream", "missing"],
)
def test_a_body_that_is_not_declared_json_is_unsupported(alice: Persona, content_type: str) -> None:
    response = alice.client.generic("POST", "/api/v2/contacts", BODY, content_type=content_type)
    assert response.status_code == 415
    assert response.json() == UNSUPPORTED_MEDIA_TYPE
    assert not Contact.objects.exists()


def test_real_form_data_is_unsupported(alice: Persona) -> None:
    response = alice.client.post(
        "/api/v2/contacts", {"email": "form@example.com"}, format="multipart"
    )
    assert response.status_code == 415
    assert response.json() == UNSUPPORTED_MEDIA_TYPE


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"],
)
def test_json_with_or_without_a_charset_is_accepted(alice: Persona, content_type: str) -> None:
    response = alice.client.generic("POST", "/api/v2/contacts", BODY, content_type=content_type)
    assert response.status_code == 201
    assert response.json()["attributes"] == {"email": "media@example.com"}


def test_a_get_needs_no_content_type(alice: Persona) -> None:
    assert alice.client.get("/api/v2/contacts/count").json() == 0


# --- Rate limit ----------------------------------------------------------------------------------


def test_a_key_over_its_per_second_limit_gets_429_with_retry_after(alice: Persona) -> None:
    set_rate(alice, 3)
    with time_machine.travel(FROZEN, tick=False):
        assert statuses(alice, 3) == [200, 200, 200]
        response = alice.get("ping")
        assert response.status_code == 429
        assert response["Retry-After"] == "1"
        assert response.json() == TOO_MANY_REQUESTS
        assert alice.get("interactionschemas").status_code == 429


def test_the_limit_applies_to_every_method_and_route(alice: Persona) -> None:
    set_rate(alice, 2)
    with time_machine.travel(FROZEN, tick=False):
        assert alice.get("contacts/count").status_code == 200
        assert alice.post("contacts", {"email": "a@example.com"}).status_code == 201
        response = alice.post("contacts", {"email": "b@example.com"})
    assert response.status_code == 429
    assert response.json() == TOO_MANY_REQUESTS
    assert Contact.objects.count() == 1


def test_the_next_second_starts_a_new_window(alice: Persona) -> None:
    set_rate(alice, 2)
    with time_machine.travel(FROZEN, tick=False) as traveller:
        assert statuses(alice, 3) == [200, 200, 429]
        traveller.shift(1)
        assert statuses(alice, 3) == [200, 200, 429]


def test_a_key_without_its_own_limit_uses_the_configured_default(
    alice: Persona, settings: Any
) -> None:
    settings.API_RATE_LIMIT_PER_SECOND = 2
    with time_machine.travel(FROZEN, tick=False):
        assert statuses(alice, 3) == [200, 200, 429]


def test_a_key_with_a_limit_of_zero_is_never_limited(alice: Persona, settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_SECOND = 2
    set_rate(alice, 0)
    with time_machine.travel(FROZEN, tick=False):
        assert statuses(alice, 30) == [200] * 30


def test_other_keys_and_tenants_are_not_limited_by_one_busy_key(
    alice: Persona, bob: Persona
) -> None:
    set_rate(alice, 2)
    _, second_key = api_key_create(tenant=alice.tenant, name="second", rate_limit_per_second=2)
    with time_machine.travel(FROZEN, tick=False):
        assert statuses(alice, 3) == [200, 200, 429]
        assert ping(second_key).status_code == 200
        assert statuses(bob, 5) == [200] * 5
        assert alice.get("ping").status_code == 429


def test_a_request_without_a_valid_key_is_401_not_429(alice: Persona) -> None:
    set_rate(alice, 1)
    with time_machine.travel(FROZEN, tick=False):
        assert statuses(alice, 2) == [200, 429]
        assert ping().json() == UNAUTHORIZED


def test_the_limiter_fails_open_when_the_cache_is_down(
    alice: Persona, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(throttling, "_cache_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    set_rate(alice, 1)
    with time_machine.travel(FROZEN, tick=False):
        assert statuses(alice, 4) == [200] * 4
    warnings = [r for r in caplog.records if r.name == "interactions.api.throttling"]
    assert [r.getMessage() for r in warnings] == [
        "Rate limiting is off for 5s: the cache is unreachable"
    ]  # once: the limiter stops asking the cache for a while


# --- Logs never contain the key -------------------------------------------------------------------


def test_logs_never_contain_the_key(alice: Persona, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactApiKeys())
    caplog.set_level(logging.INFO)
    unknown = "ek_AbCdEfGh.ThisIsNotARealKeyButItIsShapedLikeOne_-xyz0123456"
    secrets = [unknown, alice.key]

    assert ping(unknown).status_code == 401
    assert ping(HTTP_AUTHORIZATION=f"Bearer {unknown}").status_code == 401
    assert APIClient().get(f"/api/v2/ping?apikey={alice.key}").status_code == 401
    assert alice.get(f"interactions/{alice.key}").status_code == 400
    assert alice.get(f"contacts/{unknown}").status_code == 400
    assert APIClient().get(f"/api/v2/{alice.key}").status_code == 404
    try:
        raise ValueError(f"could not use {alice.key}")
    except ValueError:
        logging.getLogger("engage_site.test").exception("Failed with apikey=%s", unknown)

    lines = [caplog.handler.format(record) for record in caplog.records]
    assert len(lines) == 7
    assert "Unauthorized: /api/v2/ping" in lines[0]
    assert f"Bad Request: /api/v2/interactions/{REDACTED}" in lines[3]
    for line in [*lines, caplog.text]:
        for secret in secrets:
            assert secret not in line
            assert secret.partition(".")[2] not in line  # not even the secret half


def test_redact_removes_keys_wherever_they_appear(alice: Persona) -> None:
    key = alice.key
    assert redact(f"apikey: {key}") == f"apikey: {REDACTED}"
    assert redact(f"x-api-key={key}") == f"x-api-key={REDACTED}"
    assert redact(f"Authorization: Bearer {key}") == f"Authorization: {REDACTED}"
    assert redact(f"GET /api/v2/ping?apikey={key}") == f"GET /api/v2/ping?apikey={REDACTED}"
    assert redact(f"Not Found: /api/v2/{key}/raw") == f"Not Found: /api/v2/{REDACTED}/raw"
    assert (
        redact(f"{{'HTTP_APIKEY': '{key}', 'x': 1}}") == f"{{'HTTP_APIKEY': '{REDACTED}', 'x': 1}}"
    )
    assert redact('{"HTTP_AUTHORIZATION": "Bearer s3cr3t"}') == (
        f'{{"HTTP_AUTHORIZATION": "{REDACTED}"}}'
    )
    assert redact("apikey: not-our-format") == f"apikey: {REDACTED}"
    assert redact(f"a key {key} in a sentence.") == f"a key {REDACTED} in a sentence."


def test_redact_leaves_text_without_keys_alone() -> None:
    for text in [
        "Bad Request: /api/v2/interactions",
        "Purged deleted schema review of tenant 3",
        "ek_ is the prefix of our keys",
        "",
    ]:
        assert redact(text) == text


def test_the_filter_redacts_arguments_and_tracebacks(alice: Persona) -> None:
    record = logging.LogRecord(
        "engage_site.test", logging.ERROR, __file__, 1, "Key %s for %s", (alice.key, "alice"), None
    )
    try:
        raise RuntimeError(f"boom {alice.key}")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactApiKeys().filter(record) is True
    formatted = logging.Formatter().format(record)
    assert alice.key not in formatted
    assert record.getMessage() == f"Key {REDACTED} for alice"
    assert f"RuntimeError: boom {REDACTED}" in formatted
