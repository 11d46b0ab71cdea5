"""The tenant-isolation harness every app's isolation tests are written with.

Two tenants: A owns the objects under attack, B attacks them, with its API key on the API or as
one of its staff users on the pages and the admin site (a case's ``actor`` and ``namespace``;
``routes()`` lists every named URL of the three). Each app describes its attacks as ``Case``s: a
route and a method, the request that names A's object, and either the same request naming an
object nobody has (B must get exactly the same answer, which is the not-found answer) or, for
collections that name no object, the answer B must get (only B's own data). ``case_run`` sends
them and checks that B learned nothing and changed nothing of A's; ``assert_routes_covered``
fails when an API route of an app has no case.

Application code is reached only through stable names: URL names through ``django.urls.reverse``
and HTTP through the test clients, so that moving views, services or selectors around leaves
this module alone.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.apps import apps
from django.db import connection
from django.db.models import Model, ProtectedError, RestrictedError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern

from interactions.public import ADMIN, MARKETER
from tests.conftest import Persona, staff_client

API_NAMESPACE = "v2"
ADMIN_NAMESPACE = "admin"
PAGES = ""  # staff pages live in no namespace
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# API route names say which app serves them: ``segment-…`` routes segments, ``automation-…``
# routes automations, every other name the core.
ROUTE_PREFIXES = {"segments": "segment", "automations": "automation"}
CORE = "interactions"
# Who sends a request: B's API key, or a staff user of B with this role.
KEY = "api key"
ROLES = (ADMIN, MARKETER)
# Pages carry a fresh CSRF token in every answer.
CSRF_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')

# --- The two tenants ----------------------------------------------------------------------------


@dataclass
class TwoTenants:
    """Tenant A (``alice``), whose objects are attacked, and tenant B (``bob``), who attacks them.

    Each app's world extends this with A's objects (and B's own, so that B's lists are not
    trivially empty)."""

    alice: Persona
    bob: Persona
    _staff: dict[str, Client] = field(default_factory=dict, init=False, repr=False)

    def bob_staff(self, role: str = MARKETER) -> Client:
        """A logged-in client of a staff user of B with ``role``, made on first use."""
        if role not in self._staff:
            username = f"bob-{role.lower()}"
            self._staff[role] = staff_client(self.bob.tenant, username=username, role=role)
        return self._staff[role]

    def bob_client(self, actor: str) -> Any:
        """B's client for ``actor``: the API client with B's key, or a staff user's."""
        return self.bob.client if actor == KEY else self.bob_staff(actor)


W = TypeVar("W", bound=TwoTenants)

# --- Calls and cases ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Args:
    """What one request names: the route's URL kwargs, a query string, a body, and the id."""

    kwargs: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    # The id the request names. It is replaced by a placeholder in the answer, so that answers
    # that echo the id they were given compare equal.
    target: str = ""


@dataclass(frozen=True)
class Call:
    """One request: who sends it, the method, the route (a URL name) and what it names."""

    actor: str
    method: str
    namespace: str
    route: str
    args: Args

    @property
    def url(self) -> str:
        name = f"{self.namespace}:{self.route}" if self.namespace else self.route
        url = reverse(name, kwargs=dict(self.args.kwargs))
        return f"{url}?{urlencode(dict(self.args.query))}" if self.args.query else url


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


@dataclass(frozen=True)
class Case(Generic[W]):
    """One attack of B on A's objects."""

    route: str  # the URL name, within ``namespace``
    method: str
    on_a: Callable[[W], Args]
    # What B does to an object nobody has; B's answer to ``on_a`` must be the same.
    on_nothing: Callable[[W], Args] | None = None
    # What B must get, for collections, which name no object (only B's own data). With
    # ``on_nothing`` as well, both must hold.
    expected: Callable[[W], tuple[int, Any]] | None = None
    variant: str = ""
    # Dotted paths (list indexes are numbers) whose values are generated per request (ids,
    # timestamps) and so not compared; they must be there.
    generated: tuple[str, ...] = ()
    # POSTs that create rows for B (a refused body, a schema, a contact) whichever id they name.
    creates: bool = False
    actor: str = KEY
    namespace: str = API_NAMESPACE

    def __post_init__(self) -> None:
        assert self.on_nothing is not None or self.expected is not None, self.id
        assert self.actor == KEY or self.actor in ROLES, self.actor
        assert (self.actor == KEY) == (self.namespace == API_NAMESPACE), self.id

    @property
    def id(self) -> str:
        who = "" if self.actor == KEY else f" as B's {self.actor}"
        variant = f" ({self.variant})" if self.variant else ""
        return f"{self.method} {self.route}{variant}{who}"

    def call(self, args: Args) -> Call:
        return Call(self.actor, self.method, self.namespace, self.route, args)


def case_ids(cases: Iterable[Case[Any]]) -> list[str]:
    return [case.id for case in cases]


# Builders of ``Args`` for the common shapes of request.


def by_id(
    kwarg: str, target: Callable[[W], str], body: Any = None, **kwargs: str
) -> Callable[[W], Args]:
    """A request on the object ``target`` picks out, passed as the URL kwarg ``kwarg``."""

    def args(world: W) -> Args:
        value = target(world)
        return Args(kwargs={**kwargs, kwarg: value}, body=body, target=value)

    return args


def plain(body: Any = None, **query: str) -> Callable[[Any], Args]:
    """A request that names no object: an optional body and query string."""
    return lambda _world: Args(query=query, body=body)


# --- Sending ------------------------------------------------------------------------------------


def send(world: TwoTenants, call: Call) -> Answer:
    """B's answer to ``call``: the status and the JSON body (the text, for pages, without its CSRF
    token), with the named id replaced by ``<target>``."""
    method = call.method.lower()
    client = world.bob_client(call.actor)
    extra = {"format": "json"} if call.actor == KEY else {}
    if call.args.body is not None:
        response = getattr(client, method)(call.url, call.args.body, **extra)
    else:
        response = getattr(client, method)(call.url)
    if not response.content:
        return Answer(response.status_code, None)
    text = response.content.decode()
    if call.args.target:
        text = text.replace(call.args.target, "<target>")
    if response.get("Content-Type", "").startswith("application/json"):
        return Answer(response.status_code, json.loads(text))
    return Answer(response.status_code, CSRF_TOKEN.sub(r'\1<csrf>"', text))


def without_generated(body: Any, paths: tuple[str, ...]) -> Any:
    """``body`` with the value at each dotted path replaced by a marker (which must be there)."""
    body = json.loads(json.dumps(body))
    for path in paths:
        *parents, last = path.split(".")
        node = body
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            assert int(last) < len(node), f"{path} is missing from {body}"
            node[int(last)] = "<generated>"
        else:
            assert last in node, f"{path} is missing from {body}"
            node[last] = "<generated>"
    return body


# --- Running a case -----------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """How many rows each model of the project has (in one query)."""
    models = apps.get_models()
    quote_name = connection.ops.quote_name
    counts = ", ".join(
        f"(SELECT COUNT(*) FROM {quote_name(model._meta.db_table)})" for model in models
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row = cursor.fetchone()
    return {model._meta.label: count for model, count in zip(models, row, strict=True)}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {label: after[label] - before[label] for label in after if after[label] != before[label]}


def case_run(world: W, case: Case[W], what_a_sees: Callable[[W], Any]) -> None:
    """B attacks A's object as ``case`` says; ``what_a_sees`` is everything A can read about
    its objects (as A reads it, or its rows), which must be the same before and after.

    B's answer for A's object must be the answer for nothing (or ``case.expected``); naming A's
    object must change exactly what naming nothing changes, which is nothing at all unless the
    case ``creates`` B's own rows."""
    on_a = case.call(case.on_a(world))
    match = resolve(on_a.url.split("?")[0])
    assert (match.url_name, match.namespace) == (case.route, case.namespace), on_a.url
    a_before = what_a_sees(world)
    world.bob_client(case.actor)  # a staff user is made and logged in before rows are counted

    counts_before = row_counts()
    on_nothing = send(world, case.call(case.on_nothing(world))) if case.on_nothing else None
    counts_after_nothing = row_counts()
    answer = send(world, on_a)
    counts_after_a = row_counts()

    masked = without_generated(answer.body, case.generated)
    if on_nothing is not None:
        assert answer.status == on_nothing.status
        assert masked == without_generated(on_nothing.body, case.generated)
    if case.expected is not None:
        expected_status, expected_body = case.expected(world)
        assert answer.status == expected_status
        assert masked == without_generated(expected_body, case.generated)
    # Naming A's object changes exactly what naming nothing changes...
    assert delta(counts_after_nothing, counts_after_a) == delta(counts_before, counts_after_nothing)
    if not case.creates:
        # ...which, for everything but a POST that creates B's own rows, is nothing at all.
        assert delta(counts_before, counts_after_a) == {}
    # And A still sees everything it had, exactly as before.
    assert what_a_sees(world) == a_before


# --- Routes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A named URL: its namespace, name, the app whose code serves it, and the methods its view
    answers (empty for function views, whose methods can't be read off)."""

    namespace: str
    name: str
    app: str
    methods: frozenset[str]


def routes() -> set[Route]:
    """Every named route of the project (the API's under one of its versions only)."""

    def walk(patterns: list[Any], namespace: str) -> set[Route]:
        found: set[Route] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if str(pattern.pattern).startswith("api/") and inner != API_NAMESPACE:
                    continue  # the API's other versions are served by the same code
                found |= walk(pattern.url_patterns, inner)
                continue
            assert isinstance(pattern, URLPattern)
            if namespace == API_NAMESPACE:
                assert pattern.name, f"the API route {pattern.pattern} has no name"
            if pattern.name:
                found.add(_route(pattern, namespace))
        return found

    return walk(get_resolver().url_patterns, "")


def _route(pattern: URLPattern, namespace: str) -> Route:
    callback: Any = pattern.callback
    actions = getattr(callback, "actions", None)  # a DRF viewset
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if actions:
        methods = {method.upper() for method in actions}
    elif view_class is not None:
        methods = {m.upper() for m in HTTP_METHODS if hasattr(view_class, m)}
    else:
        methods = set()
    module = (view_class or callback).__module__
    assert pattern.name
    return Route(namespace, pattern.name, module.split(".")[0], frozenset(methods))


def api_routes(app: str | None = None) -> set[tuple[str, str]]:
    """(route name, method) for every API route, or for those ``app``'s code serves."""
    found = set()
    for route in routes():
        if route.namespace != API_NAMESPACE or app not in (None, route.app):
            continue
        assert route.methods, f"the API route {route.name} is not a class-based view"
        found |= {(route.name, method) for method in route.methods}
    return found


def app_named(route_name: str) -> str:
    """The app a route's name says serves it."""
    return next(
        (app for app, prefix in ROUTE_PREFIXES.items() if route_name.startswith(prefix)), CORE
    )


def assert_routes_covered(cases: Iterable[Case[Any]], app: str) -> None:
    """Every route and method of ``app``'s API has a case, and every API case a route."""
    existing = api_routes(app)
    named = {(name, method) for name, method in api_routes() if app_named(name) == app}
    assert existing == named, "the names of these routes don't say which app serves them"
    covered = {(case.route, case.method) for case in cases if case.namespace == API_NAMESPACE}
    assert existing, f"{app} serves no API route"
    assert existing - covered == set(), "add a case to CASES for each of these"
    assert covered - existing == set(), "these cases name routes that no longer exist"


# --- Enumeration: every tenant-owned model and every URL pattern ----------------------------------
# For suites that find what to attack instead of listing it (``tests/test_isolation_enumerated``):
# a new model or route is covered the moment it exists.

TENANT_LABEL = "interactions.Tenant"
# Markers tenant A's objects carry in their texts: B must never see one.
A_MARKER = "alice"


def tenant_owned_models() -> Mapping[type[Model], str]:
    """Every model whose rows belong to one tenant, with the lookup from a row to that tenant's
    pk: ``pk`` for tenants, the foreign key for rows that name their tenant (``tenant``), and
    through required foreign keys for rows that belong to such a row (``run__tenant``)."""
    return _tenant_owned_models()


@cache
def _tenant_owned_models() -> Mapping[type[Model], str]:
    owned: dict[type[Model], str] = {}
    for model in apps.get_models():
        path = _tenant_lookup(model, frozenset())
        if path is not None:
            owned[model] = path
    return MappingProxyType(owned)


def _tenant_lookup(model: type[Model], seen: frozenset[type[Model]]) -> str | None:
    if model._meta.label == TENANT_LABEL:
        return "pk"
    required = [
        relation
        for relation in model._meta.fields
        if relation.is_relation and not relation.null and relation.related_model not in seen
    ]
    for relation in required:
        if relation.related_model._meta.label == TENANT_LABEL:
            return relation.name
    for relation in required:
        inner = _tenant_lookup(relation.related_model, seen | {model})
        if inner not in (None, "pk"):
            return f"{relation.name}__{inner}"
    return None


def tenant_snapshot(tenant_pk: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row the tenant owns, field by field, model by model."""
    return {
        model._meta.label: list(
            model._base_manager.filter(**{path: tenant_pk}).order_by("pk").values()
        )
        for model, path in tenant_owned_models().items()
    }


@dataclass(frozen=True)
class UrlPattern:
    """One URL pattern, wherever it is included: its namespace and name (if any), its whole
    route, its parameters, the model of the admin serving it (per-model admin URLs), and the
    methods its view answers (GET and POST for function views, whose methods can't be read)."""

    namespace: str
    name: str
    route: str
    parameters: tuple[str, ...]
    model: type[Model] | None
    methods: frozenset[str]
    # The patterns from the root down to this one, to build its URL.
    chain: tuple[Any, ...] = field(repr=False, compare=False, default=())

    @property
    def label(self) -> str:
        name = f"{self.namespace}:{self.name}" if self.namespace else self.name
        return name or f"/{self.route}"

    def url(self, values: Mapping[str, str]) -> str:
        """The path with ``values`` for its parameters (through each one's converter)."""
        missing = set(self.parameters) - set(values)
        assert not missing, f"{self.label}: no value for {missing}"
        parts = []
        for pattern in self.chain:
            if isinstance(pattern.pattern, RegexPattern):
                # Only the admin's app index is a regular expression: its one group is the
                # whole segment.
                text = re.sub(
                    r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m[1]], pattern.pattern._regex
                )
                parts.append(text.lstrip("^").rstrip("$").replace("\\", ""))
                continue
            converters = pattern.pattern.converters
            parts.append(
                re.sub(
                    r"<(?:\w+:)?(\w+)>",
                    lambda m, converters=converters: converters[m[1]].to_url(values[m[1]]),
                    str(pattern.pattern),
                )
            )
        return "/" + "".join(parts)


def url_patterns() -> list[UrlPattern]:
    """Every URL pattern of the project (the API's under one of its versions only)."""
    from django.contrib import admin

    admin_models = {
        f"{model._meta.app_label}/{model._meta.model_name}/": model
        for model in admin.site._registry
    }

    def walk(
        patterns: list[Any], namespace: str, chain: tuple[Any, ...], model: type[Model] | None
    ) -> list[UrlPattern]:
        found: list[UrlPattern] = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if str(pattern.pattern).startswith("api/") and inner != API_NAMESPACE:
                    continue  # the API's other versions are served by the same code
                if inner == ADMIN_NAMESPACE and model is None:
                    model_here = admin_models.get(str(pattern.pattern))
                else:
                    model_here = model
                found += walk(pattern.url_patterns, inner, (*chain, pattern), model_here)
                continue
            found.append(_url_pattern(pattern, namespace, (*chain, pattern), model))
        return found

    return walk(get_resolver().url_patterns, "", (), None)


def _url_pattern(
    pattern: URLPattern, namespace: str, chain: tuple[Any, ...], model: type[Model] | None
) -> UrlPattern:
    parameters: list[str] = []
    route = ""
    for part in chain:
        if isinstance(part.pattern, RegexPattern):
            parameters += list(part.pattern.regex.groupindex)
            route += part.pattern._regex.lstrip("^").rstrip("$")
        else:
            parameters += list(part.pattern.converters)
            route += str(part.pattern)
    callback: Any = pattern.callback
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None and namespace == API_NAMESPACE:
        methods = {m.upper() for m in HTTP_METHODS if hasattr(view_class, m)}
    else:
        methods = {"GET", "POST"}
    return UrlPattern(
        namespace=namespace,
        name=pattern.name or "",
        route=route,
        parameters=tuple(parameters),
        model=model,
        methods=frozenset(methods),
        chain=chain,
    )


@contextmanager
def committed_rows(django_db_blocker: Any) -> Iterator[None]:
    """Rows made inside are committed, for a whole module's tests to share (each test still runs
    in a transaction rolled back at its end), and deleted when the block ends, so that the tests
    after the module find the database as it was."""
    with django_db_blocker.unblock():
        models = apps.get_models()
        before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in models}
        try:
            yield
        finally:
            # Tenants first (their rows go with them), then what is left, over a few passes for
            # rows that protect others.
            ordered = sorted(models, key=lambda model: model._meta.label != TENANT_LABEL)
            for _ in range(3):
                for model in ordered:
                    with suppress(ProtectedError, RestrictedError):
                        model._base_manager.exclude(pk__in=before[model]).delete()
            left = {
                model._meta.label: count
                for model in models
                if (count := model._base_manager.exclude(pk__in=before[model]).count())
            }
            assert not left, f"rows left behind: {left}"
