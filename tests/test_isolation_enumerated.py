"""Tenant B learns nothing of tenant A's objects and changes none of them, anywhere: on every admin
page, staff page and API route there is, found by enumeration rather than listed by hand.

The world holds an object of every model a tenant owns, for A and for B (a model without one fails
``test_the_world_has_an_object_of_every_tenant_owned_model``). Then:

- every URL pattern with an object in its path is requested with A's object in each parameter, by
  B's staff in each role (pages, admin) or B's API key (API): B must get exactly the answer it gets
  for an object nobody has, which is a not-found, a refusal or a redirect, and A's rows must be as
  they were (a parameter this module can't fill fails ``test_every_url_parameter_is_known``);
- every page and route without parameters (lists, counts, admin changelists and add forms, with
  search and filters naming A's objects) must show nothing of A's;
- every action of every registered ModelAdmin, posted with A's object selected, changes nothing,
  and the admin's autocomplete offers nothing of A's through any relation.

A new model, admin or route is attacked the moment it exists.
"""

import io
import json
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db.models import Model
from django.test import Client, override_settings
from rest_framework.test import APIClient

from automations.models import Automation, AutomationRun
from automations.services.automations import automation_create
from interactions.extensions import Extension, extension_registered
from interactions.models import (
    Contact,
    EventDelivery,
    Interaction,
    InteractionSchema,
    Product,
    RefusedInteraction,
    Tag,
)
from interactions.services.events import interaction_events_dispatch
from interactions.services.staff import staff_user_create
from interactions.services.tags import contact_tag_add
from segments.models import Segment
from segments.services.membership import segment_refresh
from tests.conftest import Persona, make_persona
from tests.factories import REVIEW_JSON_SCHEMA, ContactFactory, make_schema
from tests.isolation import (
    A_MARKER,
    ADMIN,
    ADMIN_NAMESPACE,
    API_NAMESPACE,
    CSRF_TOKEN,
    KEY,
    ROLES,
    TwoTenants,
    UrlPattern,
    committed_rows,
    delta,
    row_counts,
    tenant_owned_models,
    tenant_snapshot,
    url_patterns,
)

PASSWORD = "a-long-password"
# Texts shorter than this are too likely to match by chance to be told apart.
MIN_SECRET = 6

# --- The world: one object of every kind, for each tenant -------------------------------------


@dataclass
class Side:
    """One tenant's objects, one of each kind, made the way the app makes them."""

    persona: Persona
    staff_user: Any
    schema: InteractionSchema
    contact: Contact
    tag: Tag
    interaction: Interaction
    refused: RefusedInteraction
    segment: Segment
    automation: Automation
    run: AutomationRun
    delivery: EventDelivery
    product: Product

    @property
    def tenant(self) -> Any:
        return self.persona.tenant

    def row(self, model: type[Model]) -> Model | None:
        """This tenant's first row of ``model``, or for a model no tenant owns, the row of this
        side's that ``NON_TENANT_ROWS`` picks."""
        owned = tenant_owned_models()
        if model in owned:
            rows = model._base_manager.filter(**{owned[model]: self.tenant.pk})
            return rows.order_by("pk").first()
        pick = NON_TENANT_ROWS.get(model._meta.label)
        return pick(self, model) if pick else None


def by_username(side: Side, model: type[Model]) -> Model | None:
    return model._base_manager.filter(username=side.staff_user.username).first()


# Rows no tenant owns that have an admin: which of them belongs to a side. Superuser-only admins
# show them; B's staff must not reach A's.
NON_TENANT_ROWS: dict[str, Callable[[Side, type[Model]], Model | None]] = {
    "auth.User": lambda side, model: side.staff_user,
    "auth.Group": lambda side, model: Group.objects.filter(name=ADMIN).first(),
    "axes.AccessAttempt": by_username,
    "axes.AccessLog": by_username,
    "axes.AccessFailureLog": by_username,
}


def _subscriber_that_fails(events: Any) -> None:
    raise RuntimeError("this subscriber fails on every event")


def build_side(slug: str) -> Side:
    """One of everything a tenant owns. A model added with a ``tenant`` (or belonging to a row
    that has one) needs a row here: ``test_the_world_has_an_object_of_every_tenant_owned_model``
    says which."""
    persona = make_persona(slug)
    tenant, name = persona.tenant, slug.title()
    staff_user = staff_user_create(
        tenant=tenant, username=f"{slug}-staff", password=PASSWORD, role=ADMIN
    )
    schema = make_schema(
        tenant,
        schema_id=f"{slug}-schema",
        display_name=f"{name}'s reviews",
        json_schema=REVIEW_JSON_SCHEMA,
    )
    contact = ContactFactory(
        tenant=tenant,
        first_name=name,
        last_name=f"{name}son",
        email=f"ann@{slug}.example",
        external_id=f"{slug}-1",
    )
    contact_tag_add(tenant=tenant, contact=contact, name=f"{slug}-tag")
    automation = automation_create(
        tenant=tenant,
        name=f"{name}'s automation",
        trigger="new_interaction",
        actions=[{"type": "tag", "name": f"{slug}-welcomed"}],
    )
    segment = Segment.objects.create(
        tenant=tenant,
        name=f"{name}'s segment",
        description=f"{name}'s reviewers",
        rule={"type": "count", "schemaId": schema.schema_id},
    )
    # Through the API, as clients send them: the interaction (with its event, raw copy and
    # idempotency record), and a refused one.
    document = {
        "contactId": str(contact.pk),
        "schemaId": schema.schema_id,
        "payload": {"rating": 4, "title": f"{slug} wrote"},
    }
    # Its event reaches, besides the automation (a run and its attempt) and the segments, a
    # subscriber that raises on it: a failed delivery (the contact's own events, of its tag, are
    # handed over before).
    interaction_events_dispatch()
    failing = Extension(app_label="failing", event_subscribers=(_subscriber_that_fails,))
    with extension_registered(failing):
        accepted = persona.client.post(
            persona.url("interactions"), document, format="json", HTTP_IDEMPOTENCY_KEY=f"{slug}-1"
        )
        interaction_events_dispatch()
    assert accepted.status_code < 300, accepted.content
    refused = persona.post("interactions", {**document, "schemaId": f"{slug}-nothing"})
    assert refused.status_code >= 400, refused.content
    interaction_events_dispatch()
    segment_refresh(segment=segment)  # the segment's membership
    interaction = Interaction.objects.get(tenant=tenant)
    refused_row = RefusedInteraction.objects.get(tenant=tenant)
    made = persona.post("products", {"sku": f"{slug}-sku-1", "name": f"{name}'s jacket"})
    assert made.status_code == 201, made.content
    # An import's progress, from a one-line file of the tenant's history.
    with tempfile.TemporaryDirectory() as directory:
        history = Path(directory) / f"{slug}-history.ndjson"
        history.write_text(json.dumps({**document, "payload": {"rating": 3}}) + "\n")
        call_command(
            "import_interactions",
            str(history),
            "--tenant",
            slug,
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    # A failed and a successful login of the staff user (django-axes keeps both).
    login = "/login/"
    assert (
        Client().post(login, {"username": staff_user.username, "password": "-"}).status_code == 200
    )
    assert (
        Client().post(login, {"username": staff_user.username, "password": PASSWORD}).status_code
        == 302
    )
    return Side(
        persona=persona,
        staff_user=staff_user,
        schema=schema,
        contact=contact,
        tag=Tag.objects.get(tenant=tenant, name=f"{slug}-tag"),
        interaction=interaction,
        refused=refused_row,
        segment=segment,
        automation=automation,
        run=AutomationRun.objects.get(automation=automation),
        # The failed one (the automation's tag on the contact waits behind it).
        delivery=EventDelivery.objects.get(tenant=tenant, status=EventDelivery.Status.RETRYING),
        product=Product.objects.get(tenant=tenant),
    )


@dataclass
class World(TwoTenants):
    a: Side
    b: Side
    # What of A's B must never see: A's marker and every id and text only A's rows hold.
    a_secrets: frozenset[str]
    # A's rows, and how many rows each model has, as made.
    a_rows: dict[str, list[dict[str, Any]]]
    counts: dict[str, int]


def a_secrets(a: Side, b: Side) -> frozenset[str]:
    a_rows, b_rows = tenant_snapshot(a.tenant.pk), tenant_snapshot(b.tenant.pk)

    def texts(snapshot: dict[str, list[dict[str, Any]]]) -> set[str]:
        return {
            str(value)
            for rows in snapshot.values()
            for row in rows
            for value in row.values()
            if isinstance(value, uuid.UUID) or (isinstance(value, str) and len(value) >= MIN_SECRET)
        }

    return frozenset({A_MARKER, *(texts(a_rows) - texts(b_rows))})


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    from engage_site.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # tasks the world's writes start run here, now
    try:
        with (
            committed_rows(django_db_blocker),
            override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        ):
            a, b = build_side("alice"), build_side("bob")
            world = World(
                alice=a.persona,
                bob=b.persona,
                a=a,
                b=b,
                a_secrets=a_secrets(a, b),
                a_rows=tenant_snapshot(a.tenant.pk),
                counts={},
            )
            for role in ROLES:
                world.bob_staff(role)  # logged in once, for every test
            world.counts = row_counts()
            yield world
    finally:
        app.conf.task_always_eager = eager


def test_the_world_has_an_object_of_every_tenant_owned_model(world: World) -> None:
    missing = [
        f"{model._meta.label} ({side})"
        for model in tenant_owned_models()
        for side, objects in (("A", world.a), ("B", world.b))
        if objects.row(model) is None
    ]
    assert not missing, f"add an object of each of these to build_side(): {missing}"


def test_the_world_has_a_row_of_every_model_with_an_admin(world: World) -> None:
    missing = [model._meta.label for model in admin.site._registry if world.a.row(model) is None]
    assert not missing, (
        f"these models have an admin but no row of A's to attack: {missing}; make one in "
        "build_side() and, for a model no tenant owns, say which in NON_TENANT_ROWS"
    )


# --- Sending and judging --------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: Any


def client_of(world: World, actor: str) -> Any:
    client = world.bob_client(actor)
    if isinstance(client, Client) and not isinstance(client, APIClient):
        client.cookies.pop("messages", None)  # a message left by the last request would show
    return client


def send(
    world: World, actor: str, method: str, url: str, data: Any = None, *, names: dict[str, str]
) -> Answer:
    """B's answer, with each value of ``names`` (what the request named) replaced by its key."""
    client = client_of(world, actor)
    if actor == KEY:
        response = getattr(client, method.lower())(url, data, format="json")
    else:
        response = getattr(client, method.lower())(url, data or {})
    text = response.content.decode(errors="replace") if not response.streaming else ""
    if response.streaming:
        text = b"".join(response.streaming_content).decode(errors="replace")
    location = response.get("Location", "")
    for name, value in sorted(names.items(), key=lambda item: -len(item[1])):
        whole = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])")  # not inside another id
        location = whole.sub(f"<{name}>", location)
        if len(value) >= MIN_SECRET:  # shorter ones (small pks) would match by chance
            text = whole.sub(f"<{name}>", text)
    text = CSRF_TOKEN.sub(r'\1<csrf>"', text)
    return Answer(response.status_code, location, text)


def assert_shows_nothing_of_a(world: World, text: str, what: str) -> None:
    lowered = text.lower()
    shown = {
        secret: text[max(0, at - 80) : at + len(secret) + 40]
        for secret in sorted(world.a_secrets)
        if (at := lowered.find(secret.lower())) >= 0
    }
    assert not shown, f"{what} shows A's {list(shown)}, in: {list(shown.values())}"


def assert_a_untouched(world: World) -> None:
    """No row was added or removed, and A's rows are as they were. (Every test starts from the
    world as it was made: its writes are rolled back at its end.)"""
    assert delta(world.counts, row_counts()) == {}, "B's requests changed rows"
    assert tenant_snapshot(world.a.tenant.pk) == world.a_rows, "B's requests changed A's rows"


# --- Every URL pattern with an object in its path -----------------------------------------------

# How to name a side's object in a path parameter, by the parameter's name.
OBJECT_PARAMETERS: dict[str, Callable[[Side], str]] = {
    "contact_id": lambda side: str(side.contact.pk),
    "segment_id": lambda side: str(side.segment.pk),
    "automation_id": lambda side: str(side.automation.public_id),
    "run_id": lambda side: str(side.run.pk),
    "schema_id": lambda side: side.schema.schema_id,
    "interaction_id": lambda side: str(side.interaction.pk),
    "refused_id": lambda side: str(side.refused.pk),
    "delivery_id": lambda side: str(side.delivery.pk),
    "name": lambda side: side.tag.name,  # a contact's tag, by name
    "sku": lambda side: side.product.sku,
    # The admin's catch-all: a path that is almost A's contact's page.
    "url": lambda side: f"interactions/contact/{side.contact.pk}",
}
# Parameters naming an object of the model of the admin serving the pattern.
ADMIN_OBJECT_PARAMETERS = ("object_id", "id")
# Parameters naming a kind of object, not one object: the same in B's two requests.
KIND_PARAMETERS = ("content_type_id", "app_label")


def nothing_like(value: str) -> str:
    """An id of the same shape as ``value`` that names nothing."""
    try:
        uuid.UUID(value)
    except ValueError:
        return "987654321" if value.isdigit() else "no-such-thing"
    return str(uuid.uuid4())


@dataclass(frozen=True)
class PathAttack:
    """B requests ``pattern`` with A's object in the parameters ``a_names`` (B's own in the
    others), and the same with nothing in them."""

    pattern: UrlPattern
    method: str
    actor: str
    model: type[Model] | None
    a_names: tuple[str, ...]

    @property
    def id(self) -> str:
        who = "B's key" if self.actor == KEY else f"B's {self.actor}"
        model = f" on {self.model._meta.label}" if self.model else ""
        others = set(self.pattern.parameters) - set(self.a_names) - set(KIND_PARAMETERS)
        mix = f" (A's {', '.join(self.a_names)}, B's {', '.join(sorted(others))})" if others else ""
        return f"{self.method} {self.pattern.label}{model}{mix} as {who}"


def _object_parameters(pattern: UrlPattern) -> tuple[str, ...]:
    return tuple(name for name in pattern.parameters if name not in KIND_PARAMETERS)


def unknown_parameters(pattern: UrlPattern) -> set[str]:
    known = set(OBJECT_PARAMETERS) | set(KIND_PARAMETERS)
    if pattern.model is not None or "content_type_id" in pattern.parameters:
        known |= set(ADMIN_OBJECT_PARAMETERS)
    return set(pattern.parameters) - known


def _attacked_models(pattern: UrlPattern) -> list[type[Model] | None]:
    if pattern.model is not None:
        return [pattern.model]
    if "content_type_id" in pattern.parameters:  # the admin's "view on site"
        return [*tenant_owned_models(), *admin.site._registry]
    return [None]


def _actors(pattern: UrlPattern, method: str) -> tuple[str, ...]:
    """B's key on the API; B's staff in each role on pages and the admin, and B's key there too
    (not staff: sent to log in), for reads."""
    if pattern.namespace == API_NAMESPACE:
        return (KEY,)
    return (*ROLES, KEY) if method == "GET" else ROLES


def path_attacks() -> list[PathAttack]:
    attacks = []
    for pattern in url_patterns():
        names = _object_parameters(pattern)
        if not names or unknown_parameters(pattern):
            continue
        variants = [names]
        if len(names) > 1:  # also A's object in one parameter, B's own in the others
            variants += [(name,) for name in names]
        attacks += [
            PathAttack(pattern, method, actor, model, a_names)
            for model in dict.fromkeys(_attacked_models(pattern))
            for a_names in variants
            for method in sorted(pattern.methods)
            for actor in _actors(pattern, method)
        ]
    return attacks


def test_every_url_parameter_is_known() -> None:
    unknown = {
        pattern.label: sorted(unknown_parameters(pattern))
        for pattern in url_patterns()
        if unknown_parameters(pattern)
    }
    assert not unknown, (
        f"these routes have path parameters this test can't fill: {unknown}. Say in "
        "OBJECT_PARAMETERS how to name a tenant's object in each (and add that object to "
        "build_side())"
    )


def test_every_route_with_an_object_in_its_path_is_attacked() -> None:
    attacked = {(attack.pattern.label, attack.method) for attack in PATH_ATTACKS}
    expected = {
        (pattern.label, method)
        for pattern in url_patterns()
        if _object_parameters(pattern)
        for method in pattern.methods
    }
    assert expected - attacked == set()
    assert {name for name, _ in attacked} >= {
        "v2:automation-run-detail",
        "automation-run-retry",
        "segment-export",
        "v2:interaction-raw",
        "admin:automations_automation_delete",
        "admin:view_on_site",
    }


def _values(world: World, attack: PathAttack) -> tuple[dict[str, str], dict[str, str]]:
    """The parameters naming A's object (B's own in the others), and the same naming nothing."""
    on_a: dict[str, str] = {}
    on_nothing: dict[str, str] = {}
    for name in attack.pattern.parameters:
        if name == "content_type_id":
            assert attack.model is not None
            value = str(ContentType.objects.get_for_model(attack.model).pk)
            on_a[name] = on_nothing[name] = value
            continue
        side = world.a if name in attack.a_names else world.b
        if name in ADMIN_OBJECT_PARAMETERS:
            assert attack.model is not None
            row = side.row(attack.model)
            assert row is not None, f"no row of {attack.model._meta.label}"
            value = quote(str(row.pk))
        else:
            value = OBJECT_PARAMETERS[name](side)
        on_a[name] = value
        on_nothing[name] = nothing_like(value) if name in attack.a_names else value
    return on_a, on_nothing


def _body(attack: PathAttack) -> Any:
    if attack.method not in ("POST", "PUT", "PATCH"):
        return None
    if attack.pattern.namespace == ADMIN_NAMESPACE:
        return {"post": "yes"}  # confirms a delete
    return {}


# Where B may end up, other than a not-found or a refusal: Django's login, or the same redirect
# whatever the id (the admin's ``<id>/`` to ``<id>/change/``).
ALLOWED = {302, 403, 404, 405}
# A PUT that makes what is missing names no object B could fail to find: its empty body is refused
# alike whatever the path names (that B's valid PUT makes B's own product is in
# tests/interactions/api/test_tenant_isolation.py).
UPSERT_ROUTES = {"product-detail"}


def _allowed(attack: PathAttack) -> set[int]:
    if attack.method == "PUT" and attack.pattern.name in UPSERT_ROUTES:
        return ALLOWED | {400}
    return ALLOWED


PATH_ATTACKS = path_attacks()


@pytest.mark.parametrize("attack", PATH_ATTACKS, ids=[attack.id for attack in PATH_ATTACKS])
def test_b_gets_the_answer_for_nothing_for_a_s_object_in_any_path(
    world: World, attack: PathAttack
) -> None:
    on_a, on_nothing = _values(world, attack)
    a_url, nothing_url = attack.pattern.url(on_a), attack.pattern.url(on_nothing)

    nothing = send(world, attack.actor, attack.method, nothing_url, _body(attack), names=on_nothing)
    answer = send(world, attack.actor, attack.method, a_url, _body(attack), names=on_a)

    assert answer == nothing, f"{a_url} answers unlike {nothing_url}"
    assert answer.status in _allowed(attack), f"{a_url}: {answer.status}"
    assert_shows_nothing_of_a(world, answer.body + answer.location, a_url)
    assert_a_untouched(world)


# --- Every page and route that names no object: lists, counts, forms ------------------------------


@dataclass(frozen=True)
class ListAttack:
    pattern: UrlPattern
    actor: str
    app_label: str = ""

    @property
    def id(self) -> str:
        who = "B's key" if self.actor == KEY else f"B's {self.actor}"
        label = f" {self.app_label}" if self.app_label else ""
        return f"GET {self.pattern.label}{label} as {who}"

    def url(self) -> str:
        return self.pattern.url({"app_label": self.app_label} if self.app_label else {})


def list_attacks() -> list[ListAttack]:
    attacks = []
    app_labels = sorted({model._meta.app_label for model in admin.site._registry})
    for pattern in url_patterns():
        if _object_parameters(pattern) or "GET" not in pattern.methods:
            continue
        actors = (KEY,) if pattern.namespace == API_NAMESPACE else ROLES
        labels = app_labels if "app_label" in pattern.parameters else [""]
        attacks += [ListAttack(pattern, actor, label) for actor in actors for label in labels]
    return attacks


LIST_ATTACKS = list_attacks()


@pytest.mark.parametrize("attack", LIST_ATTACKS, ids=[attack.id for attack in LIST_ATTACKS])
def test_pages_and_routes_without_an_object_show_nothing_of_a(
    world: World, attack: ListAttack
) -> None:
    response = client_of(world, attack.actor).get(attack.url())
    text = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode(errors="replace")
    assert_shows_nothing_of_a(world, text + response.get("Location", ""), attack.url())
    if attack.pattern.name.endswith("_changelist") and response.status_code == 200:
        assert_lists_no_row_of_a(world, response, attack.url())
    assert_a_untouched(world)


def assert_lists_no_row_of_a(world: World, response: Any, url: str) -> None:
    changelist = response.context["cl"]
    model = changelist.model
    path = tenant_owned_models().get(model)
    assert path is not None, f"{url} lists {model._meta.label}, which no tenant owns"
    shown = [row.pk for row in changelist.result_list]
    of_a = model._base_manager.filter(pk__in=shown, **{path: world.a.tenant.pk})
    assert not of_a.exists(), f"{url} lists A's {list(of_a)}"


# --- Admin changelists: search and filters naming A's objects -----------------------------------

ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


def changelist_url(model: type[Model], **query: Any) -> str:
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[m._meta.label for m in ADMIN_MODELS])
def test_admin_search_and_filters_find_nothing_of_a(
    world: World, model: type[Model], role: str
) -> None:
    client = client_of(world, role)
    first = client.get(changelist_url(model))
    if first.status_code != 200:
        assert first.status_code == 403, f"{model._meta.label}: {first.status_code}"
        assert_shows_nothing_of_a(world, first.content.decode(), changelist_url(model))
        return
    row = world.a.row(model)
    assert row is not None
    queries: list[dict[str, Any]] = [{"q": term} for term in (A_MARKER, str(row.pk))]
    # Each filter on a tenant's rows, set to A's object.
    for spec in first.context["cl"].filter_specs:
        related = getattr(getattr(spec, "field", None), "related_model", None)
        if related is None or related not in tenant_owned_models():
            continue
        a_related = world.a.row(related)
        assert a_related is not None
        queries.append({spec.lookup_kwarg: a_related.pk})
    for query in queries:
        client.cookies.pop("messages", None)
        response = client.get(changelist_url(model, **query))
        url = changelist_url(model, **query)
        # A filter value Django can't apply is a redirect with ?e=1: nothing shown either way.
        assert response.status_code in (200, 302), f"{url}: {response.status_code}"
        text = response.content.decode()
        for value in query.values():  # the search box and the links repeat what B asked for
            for echo in (f'value="{value}"', f"={value}", f"%3D{value}"):
                text = text.replace(echo, "")
        assert_shows_nothing_of_a(world, text, url)
        if response.status_code == 200:
            assert_lists_no_row_of_a(world, response, url)
    assert_a_untouched(world)


# --- Admin bulk actions, with A's object selected ------------------------------------------------


def admin_actions() -> list[tuple[type[Model], str]]:
    return [
        (model, name)
        for model in ADMIN_MODELS
        for _, name, _ in admin.site._registry[model]._get_base_actions()
    ]


ACTIONS = admin_actions()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "model, action", ACTIONS, ids=[f"{m._meta.label} {action}" for m, action in ACTIONS]
)
def test_admin_actions_on_a_s_objects_do_nothing(
    world: World, model: type[Model], action: str, role: str
) -> None:
    row = world.a.row(model)
    assert row is not None
    a_pk = str(row.pk)
    nothing_pk = nothing_like(a_pk)

    def post(pk: str) -> Answer:
        data = {"action": action, "_selected_action": [pk], "index": "0", "post": "yes"}
        return send(world, role, "POST", changelist_url(model), data, names={"pk": pk})

    nothing, answer = post(nothing_pk), post(a_pk)

    assert answer == nothing
    assert answer.status in ALLOWED | {200}, answer.status
    assert_shows_nothing_of_a(world, answer.body, f"the action {action}")
    assert_a_untouched(world)


# --- Admin autocomplete, through every relation to a model with an admin ----------------------


def autocomplete_fields() -> list[tuple[type[Model], str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model in admin.site._registry
    ]


AUTOCOMPLETE = autocomplete_fields()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "model, field_name",
    AUTOCOMPLETE,
    ids=[f"{m._meta.label}.{name}" for m, name in AUTOCOMPLETE],
)
def test_admin_autocomplete_offers_nothing_of_a(
    world: World, model: type[Model], field_name: str, role: str
) -> None:
    client = client_of(world, role)
    related = model._meta.get_field(field_name).related_model
    a_row = world.a.row(related)
    assert a_row is not None
    for term in ("", A_MARKER):
        query = {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
            "term": term,
        }
        response = client.get(f"/admin/autocomplete/?{urlencode(query)}")
        assert response.status_code in (200, 403, 404)
        text = response.content.decode()
        assert_shows_nothing_of_a(world, text, f"autocomplete {query}")
        if response.status_code == 200:
            offered = {result["id"] for result in response.json()["results"]}
            assert str(a_row.pk) not in offered


# --- The admin site itself ---------------------------------------------------------------------


def test_the_admin_site_refuses_a_tenant_owned_model_under_an_unscoped_admin() -> None:
    from engage_site.admin_site import EngageAdminSite
    from interactions.admin.scoping import admin_scoping_check

    site = EngageAdminSite(name="test-site")
    site.seal()
    with pytest.raises(ImproperlyConfigured, match=r"interactions\.Contact"):
        site.register(Contact, admin.ModelAdmin)
    assert Contact not in site._registry
    # Models no tenant owns get superuser-only admins, whatever was registered.
    site.register(Group, admin.ModelAdmin)
    assert type(site._registry[Group]).__name__ == "SuperuserOnlyModelAdmin"
    # The system check says the same of a site that doesn't hold itself to the rules.
    plain = admin.AdminSite(name="plain-site")
    plain.register(Contact, admin.ModelAdmin)
    problems = [error.msg for error in admin_scoping_check(None) if error.obj.admin_site is plain]
    assert problems == [
        "interactions.Contact is registered with ModelAdmin, which is neither a "
        "TenantScopedAdmin nor a SuperuserOnlyAdmin (a tenant owns its rows)"
    ]
    plain.unregister(Contact)


def test_the_project_s_admin_passes_the_system_check() -> None:
    errors = checks.run_checks(tags=[checks.Tags.admin])
    assert [error for error in errors if error.id == "interactions.E101"] == []
