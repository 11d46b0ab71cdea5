"""Production settings: Django's deploy check passes behind a TLS proxy, HTTP is redirected to HTTPS
except for the probes, and the OpenAPI document has one operation id per route and version."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

ROOT = Path(__file__).resolve().parent.parent


# Set by test set-up (the browser tests allow sync ORM calls from async code), never in production.
_NOT_IN_PRODUCTION = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _NOT_IN_PRODUCTION}
    env.update(
        DATA_DIR=str(tmp_path),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="engage.example.com,testserver",
        BEHIND_TLS_PROXY="true",
    )
    env.update(overrides)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_deploy_check_passes_behind_a_tls_proxy(tmp_path: Path) -> None:
    result = run(
        production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr


_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
answers = {path: client.get(path) for path in ["/healthz", "/readyz", "/login/"]}
secure = client.get("/login/", headers={"x-forwarded-proto": "https"})
print(json.dumps({
    "status": {path: response.status_code for path, response in answers.items()},
    "login_redirect": answers["/login/"].get("Location"),
    "secure_status": secure.status_code,
    "hsts": secure.get("Strict-Transport-Security"),
    "cookies_secure": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
}))
"""


def probe(env: dict[str, str]) -> dict[str, Any]:
    env = {**env, "DJANGO_SETTINGS_MODULE": "engage_site.settings"}
    result = run(env, "-c", _PROBE)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_behind_a_tls_proxy_http_is_redirected_except_for_the_probes(tmp_path: Path) -> None:
    answers = probe(production_env(tmp_path))
    assert answers["status"]["/healthz"] == 200
    assert answers["status"]["/readyz"] in (200, 503)  # answered, not redirected
    assert answers["status"]["/login/"] == 301
    assert answers["login_redirect"] == "https://testserver/login/"
    assert answers["secure_status"] == 200
    assert answers["hsts"] == "max-age=31536000; includeSubDomains"
    assert answers["cookies_secure"] == [True, True]


def test_without_a_proxy_nothing_is_redirected_and_debug_cookies_are_plain(
    tmp_path: Path,
) -> None:
    answers = probe(production_env(tmp_path, BEHIND_TLS_PROXY="false", DEBUG="true"))
    assert answers["status"]["/login/"] == 200
    assert answers["hsts"] is None
    assert answers["cookies_secure"] == [False, False]


def test_every_operation_has_its_own_id_and_v3_ids_are_the_v2_ones_prefixed() -> None:
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        document = SchemaGenerator().get_schema(request=None, public=True)
    warnings = sorted(GENERATOR_STATS._warn_cache)
    GENERATOR_STATS.reset()
    assert [warning for warning in warnings if "collisions" in warning] == []

    ids = {
        (path, method): operation["operationId"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert len(set(ids.values())) == len(ids)
    v3 = {key: value for key, value in ids.items() if key[0].startswith("/api/v3/")}
    assert v3
    for (path, method), operation_id in v3.items():
        v2_path = path.replace("/api/v3/", "/api/v2/", 1)
        assert operation_id == f"v3_{ids[(v2_path, method)]}", (path, method)
    assert ids[("/api/v2/ping", "get")] == "ping"
    assert ids[("/api/v3/ping", "get")] == "v3_ping"
