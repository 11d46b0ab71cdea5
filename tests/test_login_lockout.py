"""Staff logins resist guessing: after LOGIN_FAILURE_LIMIT failures a username, and separately an
address, is locked out of /login/ and /admin/login/ for LOGIN_LOCKOUT_MINUTES, and every attempt is
recorded for superusers to see in the admin."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from engage_site.login_lockout import client_ip
from interactions.services.roles import ADMIN, MARKETER
from interactions.services.staff import staff_user_create
from tests.factories import TenantFactory

PASSWORD = "a-long-password"
LIMIT = 5  # LOGIN_FAILURE_LIMIT's default
LOCKOUT = timedelta(minutes=15)  # LOGIN_LOCKOUT_MINUTES's default
LOGIN_PAGES = ["/login/", "/admin/login/"]
LOCKED = "Too many failed logins"


@pytest.fixture
def mia(db: None) -> Any:
    tenant = TenantFactory(slug="acme")
    return staff_user_create(tenant=tenant, username="mia", password=PASSWORD, role=MARKETER)


@pytest.fixture
def ann(db: None) -> Any:
    """A tenant admin."""
    tenant = TenantFactory(slug="globex")
    return staff_user_create(tenant=tenant, username="ann", password=PASSWORD, role=ADMIN)


@pytest.fixture
def root(db: None) -> Any:
    return get_user_model().objects.create_superuser(username="root", password=PASSWORD)


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def log_in(client: Client, page: str, username: str, password: str, **extra: Any) -> Any:
    return client.post(page, {"username": username, "password": password}, **extra)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, page: str, username: str, times: int = LIMIT) -> Any:
    response = None
    for _ in range(times):
        response = log_in(client, page, username, "wrong")
    return response


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_after_the_limit_the_right_password_is_refused_with_the_lockout_page(
    page: str, root: Any
) -> None:
    client = from_address("203.0.113.7")
    below = fail(client, page, "root", LIMIT - 1)
    assert below.status_code == 200
    assert LOCKED not in below.content.decode()

    last = log_in(client, page, "root", "wrong")
    assert last.status_code == 429

    response = log_in(client, page, "root", PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)
    html = response.content.decode()
    assert LOCKED in html
    assert f"after {LIMIT} failed attempts" in html
    assert "Try again in 15 minutes" in html
    assert f'href="{page}"' in html
    assert "css/app.css" in html  # the app's page, not a bare text response


def test_below_the_limit_the_right_password_logs_in(mia: Any) -> None:
    client = from_address("203.0.113.7")
    fail(client, "/login/", "mia", LIMIT - 1)
    response = log_in(client, "/login/", "mia", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_locked_username_is_locked_from_every_address_and_others_are_not(
    mia: Any, ann: Any
) -> None:
    fail(from_address("203.0.113.7"), "/login/", "mia")

    elsewhere = from_address("198.51.100.20")
    assert log_in(elsewhere, "/login/", "mia", PASSWORD).status_code == 429
    assert not is_logged_in(elsewhere)

    other_user = from_address("198.51.100.21")
    assert log_in(other_user, "/login/", "ann", PASSWORD).status_code == 302
    assert is_logged_in(other_user)


def test_an_address_trying_many_usernames_is_locked_for_every_username(mia: Any, ann: Any) -> None:
    guesser = from_address("203.0.113.7")
    for username in ["admin", "root", "mia", "bob", "eve"]:
        log_in(guesser, "/login/", username, "wrong")

    response = log_in(guesser, "/admin/login/", "ann", PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not is_logged_in(guesser)

    # Neither ann nor mia (one failure) is locked elsewhere.
    for username in ["ann", "mia"]:
        other = from_address("198.51.100.20")
        assert log_in(other, "/login/", username, PASSWORD).status_code == 302, username


def test_after_the_cool_off_the_right_password_logs_in_again(mia: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail(from_address("203.0.113.7"), "/login/", "mia")
        clock.shift(LOCKOUT - timedelta(minutes=1))
        client = from_address("203.0.113.7")
        # Refused, and this attempt starts the wait again.
        assert log_in(client, "/login/", "mia", PASSWORD).status_code == 429
        clock.shift(LOCKOUT - timedelta(minutes=1))
        assert log_in(client, "/login/", "mia", PASSWORD).status_code == 429
        clock.shift(LOCKOUT + timedelta(seconds=1))
        response = log_in(client, "/login/", "mia", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_an_admin_unlocks_a_username_with_a_command(mia: Any) -> None:
    client = from_address("203.0.113.7")
    fail(client, "/login/", "mia")
    assert log_in(from_address("198.51.100.20"), "/login/", "mia", PASSWORD).status_code == 429

    call_command("axes_reset_username", "mia")

    other = from_address("198.51.100.20")
    assert log_in(other, "/login/", "mia", PASSWORD).status_code == 302
    assert is_logged_in(other)


def test_attempts_are_recorded_and_shown_to_superusers_in_the_admin(
    mia: Any, ann: Any, root: Any
) -> None:
    fail(from_address("203.0.113.7"), "/login/", "mia", 2)
    fail(from_address("203.0.113.8"), "/admin/login/", "ghost", 1)
    log_in(from_address("198.51.100.20"), "/login/", "ann", PASSWORD)

    attempts = {
        (a.username, a.ip_address, a.path_info, a.failures_since_start)
        for a in AccessAttempt.objects.all()
    }
    assert attempts == {
        ("mia", "203.0.113.7", "/login/", 2),
        ("ghost", "203.0.113.8", "/admin/login/", 1),
    }
    failures = sorted((f.username, f.ip_address) for f in AccessFailureLog.objects.all())
    assert failures == [("ghost", "203.0.113.8"), ("mia", "203.0.113.7"), ("mia", "203.0.113.7")]
    assert [(s.username, s.ip_address) for s in AccessLog.objects.all()] == [
        ("ann", "198.51.100.20")
    ]

    superuser = Client()
    superuser.force_login(root)
    for url in ["/admin/axes/accessattempt/", "/admin/axes/accessfailurelog/"]:
        response = superuser.get(url)
        assert response.status_code == 200, url
        assert "203.0.113.7" in response.content.decode(), url
    response = superuser.get("/admin/axes/accesslog/")
    assert response.status_code == 200
    assert "198.51.100.20" in response.content.decode()

    # A tenant's admin sees staff of every tenant there, so only superusers may.
    tenant_admin = Client()
    tenant_admin.force_login(ann)
    assert tenant_admin.get("/admin/axes/accessattempt/").status_code == 403


def test_without_a_proxy_x_forwarded_for_is_ignored(mia: Any) -> None:
    client = from_address("203.0.113.7")
    for n in range(LIMIT):
        log_in(client, "/login/", f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    response = log_in(client, "/login/", "mia", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_behind_a_proxy_the_address_the_proxy_saw_is_counted(mia: Any, settings: Any) -> None:
    settings.BEHIND_TLS_PROXY = True
    proxy = from_address("10.0.0.2")
    # The client forges entries in front of the one the proxy appends; they change nothing.
    for n in range(LIMIT):
        forwarded = f"192.0.2.{n}, 203.0.113.7"
        log_in(proxy, "/login/", f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=forwarded)

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    locked = log_in(proxy, "/login/", "mia", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429

    # Another client behind the same proxy is not locked.
    other = from_address("10.0.0.2")
    response = log_in(other, "/login/", "mia", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("behind_proxy", "proxies", "forwarded", "expected"),
    [
        (False, 1, "203.0.113.7", "10.0.0.2"),
        (True, 1, "203.0.113.7", "203.0.113.7"),
        (True, 1, "192.0.2.1,203.0.113.7", "203.0.113.7"),
        (True, 2, "192.0.2.1, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (True, 2, "10.0.0.9", "10.0.0.2"),  # fewer entries than proxies: not through them all
        (True, 1, "", "10.0.0.2"),
        (True, 1, "not-an-address", "10.0.0.2"),
        (True, 1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(
    settings: Any, behind_proxy: bool, proxies: int, forwarded: str, expected: str
) -> None:
    settings.BEHIND_TLS_PROXY = behind_proxy
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
