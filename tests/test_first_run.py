"""The first command of the README: ``./bin/start`` sets up, fills a demo tenant and serves.

It prints the address it really serves on, keeps the logins' password across runs unless asked to
reset it, keeps the installer's output off the screen, and fills a believable demo tenant of the
size asked for, once however often it runs.
"""

import io
import os
import re
import subprocess
import sys
import threading
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from automations.models import Automation
from engage_site.addresses import bind_url
from interactions.demo_history import DemoHistory
from interactions.models import Contact, Interaction, InteractionSchema, Product, Tenant
from interactions.services.sample_data import SAMPLE_SCHEMAS
from segments.models import Segment
from tests.automations.processes import free_port
from tests.conftest import wait_until
from tests.served import ROOT, env_without_services, stop

SMALL = 20  # contacts in --size small
STAMP_HASH_CHARS = 16


def bootstrap(*args: str) -> str:
    out = io.StringIO()
    call_command("bootstrap_demo", "--no-progress", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def printed_password(output: str) -> str | None:
    match = re.search(r"Password for all three: (\S+)", output)
    assert match, output
    return None if match.group(1).startswith("unchanged") else match.group(1)


def ready_venv(directory: Path, groups: str = "app") -> Path:
    """A virtualenv that ``ensure_venv`` finds installed for this pyproject.toml: its python runs
    the test run's interpreter, and its stamp is there."""
    venv = directory / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    digest = subprocess.run(
        ["sha256sum", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout[:STAMP_HASH_CHARS]
    (venv / f".installed-{digest}-{groups}").touch()
    return venv


# --- The address -------------------------------------------------------------------------------


def start(directory: Path, port: int, *args: str) -> str:
    """Run ``./bin/start --bind 127.0.0.1:PORT ARGS`` in ``directory`` (a ready venv, its own
    data) until it serves and answers there, stop it, and return what it printed."""
    env = env_without_services(
        VENV_DIR=str(directory / "venv"),
        DATA_DIR=str(directory / "data"),
        INSTALL_LOG=str(directory / "install.log"),
        ALLOWED_HOSTS="127.0.0.1",
    )
    process = subprocess.Popen(
        ["bin/start", "--bind", f"127.0.0.1:{port}", "--workers", "1", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: any(line.startswith("Serving on") for line in lines), timeout=180)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            assert answer.status == 200
    finally:
        stop(process)
        reader.join(timeout=10)
    return "\n".join(lines)


def test_start_prints_the_address_given_to_bind_in_every_url_and_serves_there(
    tmp_path: Path,
) -> None:
    ready_venv(tmp_path)
    port = free_port()

    screen = start(tmp_path, port, "--size", "1")

    urls = re.findall(r"https?://[^\s/\"']+", screen)
    assert urls, screen
    assert set(urls) == {f"http://127.0.0.1:{port}"}, screen
    assert f"Serving on http://127.0.0.1:{port} " in screen
    assert printed_password(screen)
    # The set-up steps say what they do, not how: no installer or migration chatter.
    assert "Installing" not in screen
    assert "Applying" not in screen


@pytest.mark.slow
def test_start_again_keeps_the_password_and_gives_a_new_one_when_asked(tmp_path: Path) -> None:
    ready_venv(tmp_path)
    first = printed_password(start(tmp_path, free_port(), "--size", "1"))

    again = start(tmp_path, free_port(), "--size", "1")
    reset = printed_password(start(tmp_path, free_port(), "--size=1", "--reset-password"))

    assert first
    assert printed_password(again) is None and first not in again
    assert reset and reset != first
    assert (tmp_path / "data" / "demo-password.txt").read_text().strip() == reset


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:18150", "http://127.0.0.1:18150"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000"),
        ("[::]:9000", "http://[::1]:9000"),
        ("[::1]:9001", "http://[::1]:9001"),
        ("localhost", "http://localhost:8000"),
        ("unix:/run/engage.sock", "unix:/run/engage.sock"),
    ],
)
def test_the_printed_url_of_a_bind_address_reaches_it_from_this_machine(
    bind: str, url: str
) -> None:
    assert bind_url(bind) == url


@pytest.mark.django_db
def test_bootstrap_demo_prints_the_bind_address_in_every_url() -> None:
    output = bootstrap("--size", "1", "--bind", "0.0.0.0:18151")

    urls = set(re.findall(r"https?://[^\s/\"']+", output))
    assert urls == {"http://127.0.0.1:18151"}


# --- The password --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rerun_keeps_the_password_and_the_sessions_and_says_how_to_reset_it(
    settings: Any,
) -> None:
    first = printed_password(bootstrap("--size", "1"))
    assert first
    assert (Path(settings.DATA_DIR) / "demo-password.txt").read_text().strip() == first
    marketer = get_user_model().objects.get(username="demo-marketer")
    browser = Client()
    browser.force_login(marketer)

    again = bootstrap("--size", "1")

    assert printed_password(again) is None
    assert first not in again
    assert "unchanged (see " in again and "demo-password.txt" in again
    assert "--reset-password sets a new one" in again
    for username in ("admin", "demo-admin", "demo-marketer"):
        assert get_user_model().objects.get(username=username).check_password(first)
    assert browser.get("/contacts/").status_code == 200  # still signed in


@pytest.mark.django_db
def test_reset_password_gives_every_demo_login_a_new_password(settings: Any) -> None:
    first = printed_password(bootstrap("--size", "1"))

    second = printed_password(bootstrap("--size", "1", "--reset-password"))

    assert second and second != first
    for username in ("admin", "demo-admin", "demo-marketer"):
        user = get_user_model().objects.get(username=username)
        assert user.check_password(second)
        assert not user.check_password(first or "")
    assert (Path(settings.DATA_DIR) / "demo-password.txt").read_text().strip() == second


# --- The installer -------------------------------------------------------------------------------


def fake_installer(directory: Path, *, exit_code: int) -> Path:
    """A virtualenv whose python talks like pip and ends with ``exit_code``."""
    venv = directory / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(
        "#!/bin/sh\n"
        'echo "Collecting django>=5.2 (from engage-interactions==0.1.0) $*"\n'
        'echo "  Downloading Django-5.2.tar.gz (10.5 MB)" >&2\n'
        f'[ {exit_code} -eq 0 ] || echo "ERROR: No matching distribution found for django" >&2\n'
        f"exit {exit_code}\n"
    )
    python.chmod(0o755)
    return venv


def ensure_venv(venv: Path, log: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -euo pipefail; source bin/_venv.sh; ensure_venv"],
        cwd=ROOT,
        env={**os.environ, "VENV_DIR": str(venv), "INSTALL_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_installing_shows_one_line_and_writes_the_installer_output_to_the_log(
    tmp_path: Path,
) -> None:
    venv, log = fake_installer(tmp_path, exit_code=0), tmp_path / "logs" / "install.log"

    done = ensure_venv(venv, log)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"Installing the app into {venv} (a few minutes the first time; log: {log}) …"
    ]
    assert done.stderr == ""
    written = log.read_text()
    assert "Collecting django>=5.2" in written and "install --upgrade pip" in written
    assert "install -e ." in written and "Downloading Django-5.2.tar.gz" in written

    satisfied = ensure_venv(venv, log)

    assert (satisfied.returncode, satisfied.stdout, satisfied.stderr) == (0, "", "")


def test_a_failed_install_names_the_log_and_shows_its_end(tmp_path: Path) -> None:
    venv, log = fake_installer(tmp_path, exit_code=1), tmp_path / "install.log"

    done = ensure_venv(venv, log)

    assert done.returncode != 0
    assert len(done.stdout.splitlines()) == 1
    assert f"Installing failed. The installer's output is in {log}" in done.stderr
    assert "ERROR: No matching distribution found for django" in done.stderr
    assert not list(venv.glob(".installed-*"))


# --- The demo tenant -----------------------------------------------------------------------------


def demo_counts() -> tuple[int, int, int, int]:
    demo = Tenant.objects.get(slug="demo")
    return (
        Contact.objects.filter(tenant=demo).count(),
        Interaction.objects.filter(tenant=demo).count(),
        Segment.objects.filter(tenant=demo).count(),
        Automation.objects.filter(tenant=demo).count(),
    )


@pytest.mark.django_db
def test_the_small_demo_is_a_believable_tenant() -> None:
    output = bootstrap("--size", "small")

    demo = Tenant.objects.get(slug="demo")
    contacts, interactions, segments, automations = demo_counts()
    assert contacts == SMALL
    assert interactions > 40 * SMALL
    assert segments >= 5 and automations == 1
    assert f"{contacts} contacts, {interactions:,} interactions of {len(SAMPLE_SCHEMAS)} kinds" in (
        output
    )
    kinds = Counter(
        Interaction.objects.filter(tenant=demo).values_list("schema__schema_id", flat=True)
    )
    assert set(kinds) >= {"product-view", "store-visit", "purchase", "product-review", "repair"}
    # Browsing outnumbers visits, which outnumber reviews.
    assert kinds["product-view"] > kinds["store-visit"] > kinds["product-review"] > 0
    schemas = InteractionSchema.objects.filter(tenant=demo)
    assert set(schemas.values_list("schema_id", flat=True)) == {s["id"] for s in SAMPLE_SCHEMAS}
    reviews = Interaction.objects.filter(tenant=demo, schema__schema_id="product-review")
    ratings = Counter(review.payload["rating"] for review in reviews)
    assert set(ratings) <= {1, 2, 3, 4, 5} and ratings[5] > ratings[2]
    assert all(review.payload["productSku"] for review in reviews)
    assert all(review.dropped_properties == [] for review in reviews)
    active = Contact.objects.filter(tenant=demo, interactions__isnull=False).distinct()
    assert active.count() == SMALL
    # Customers of different standing, and nothing dated in the future.
    joined = list(Contact.objects.filter(tenant=demo).values_list("created_on", flat=True))
    assert max(joined) - min(joined) > timedelta(days=30)
    assert not Interaction.objects.filter(tenant=demo, created_date__gt=timezone.now()).exists()


@pytest.mark.django_db
def test_the_demo_has_a_catalog_naming_most_of_its_skus_with_icons_served_offline(
    client: Client,
) -> None:
    output = bootstrap("--size", "small", "--base-url", "http://demo.test:8713")

    demo = Tenant.objects.get(slug="demo")
    products = {product.sku: product for product in Product.objects.filter(tenant=demo)}
    assert f"{len(products)} products" in output
    named = Counter(
        sku
        for sku in Interaction.objects.filter(tenant=demo).values_list(
            "payload__productSku", flat=True
        )
        if sku
    )
    known = sum(count for sku, count in named.items() if sku in products)
    # Most interactions name a product of the catalog; a few name SKUs it lacks.
    assert known > 0.8 * named.total()
    assert set(named) - set(products)
    assert any(not product.active for product in products.values())
    for product in products.values():
        assert product.brand and product.price_currency == "SEK" and product.categories
        # The icons are the app's own static files, at the address the demo is served at.
        prefix = "http://demo.test:8713/static/"
        assert product.image_url.startswith(prefix), product.image_url
        served = client.get("/static/" + product.image_url.removeprefix(prefix))
        assert served.status_code == 200
        assert b"<svg" in b"".join(served.streaming_content)  # type: ignore[attr-defined]


def test_a_demo_contact_is_the_same_person_with_the_same_year_on_every_run() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    assert DemoHistory(now).contact(7) == DemoHistory(now).contact(7)
    assert DemoHistory(now).contact(7) != DemoHistory(now).contact(8)


@pytest.mark.django_db
def test_a_rerun_adds_nothing_and_a_larger_size_adds_only_the_contacts_beyond() -> None:
    bootstrap("--size", "small")
    before = demo_counts()
    interaction_ids = set(Interaction.objects.values_list("id", flat=True))

    output = bootstrap("--size", "small")

    assert demo_counts() == before
    assert set(Interaction.objects.values_list("id", flat=True)) == interaction_ids
    assert "nothing new" in output

    bootstrap("--size", str(SMALL + 3))

    contacts, interactions, segments, automations = demo_counts()
    assert contacts == SMALL + 3
    assert interactions > before[1]
    assert (segments, automations) == before[2:]
    assert interaction_ids <= set(Interaction.objects.values_list("id", flat=True))


@pytest.mark.django_db
def test_an_unknown_size_is_refused_with_the_choices() -> None:
    with pytest.raises(CommandError, match=r"--size must be one of small, default, large"):
        bootstrap("--size", "huge")
    assert not Tenant.objects.filter(slug="demo").exists()
