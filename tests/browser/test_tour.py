"""A tour of every staff page, wide and on a phone: each page fits a 390 px screen without
scrolling sideways and has no serious or critical accessibility problem (axe-core).

The pages are found, not listed: every URL pattern outside the API that answers a GET with an
HTML page (the staff pages, the admin index, every registered admin's list, add, change, delete
and history pages), with its path parameters filled from a tenant that has one object of every
kind (the world of the isolation suite). A page added tomorrow is on the tour. A screenshot of
each stop at each width is kept in the test's tmp dir (``<tmp>/tour``) for reviewers and CI.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.test import Client

from tests.browser.conftest import BrowserProblems, log_in
from tests.isolation import ADMIN_NAMESPACE, API_NAMESPACE, UrlPattern, url_patterns
from tests.test_isolation_enumerated import OBJECT_PARAMETERS, Side, build_side

WIDTHS = {"wide": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
# What axe reports at these levels keeps someone from using the page at all.
BLOCKING_IMPACTS = ("serious", "critical")
# Pages a tour must not open: they end the session.
SESSION_ENDING = ("logout",)
# The admin's generic pages for one object besides its form (Django's own templates, the same
# for every model): left out to keep the tour short.
ADMIN_GENERIC = ("_history", "_delete")
# Views of a page that only a query string reaches, on top of the enumerated paths.
QUERY_VIEWS = {"contact-card": ("?tab=interactions",)}
PASSWORD = "a-long-password"
LOGIN = "/login/"


@dataclass(frozen=True)
class Stop:
    label: str
    path: str


def _path_values(pattern: UrlPattern, side: Side) -> list[dict[str, str]]:
    """The parameter values that name ``side``'s objects in ``pattern`` (one set per admin app
    for the admin's app index; none when a parameter names no object of a page)."""
    values: dict[str, str] = {}
    for name in pattern.parameters:
        if name in OBJECT_PARAMETERS and pattern.namespace != ADMIN_NAMESPACE:
            values[name] = OBJECT_PARAMETERS[name](side)
        elif name == "object_id" and pattern.model is not None:
            row = side.row(pattern.model)
            if row is None:
                return []
            values[name] = quote(str(row.pk))
        elif name == "app_label":
            from django.contrib import admin

            labels = sorted({model._meta.app_label for model in admin.site._registry})
            return [{**values, "app_label": label} for label in labels]
        else:  # "view on site" redirects, the admin's catch-all, a user's password form
            return []
    return [values]


def candidate_stops(side: Side) -> list[Stop]:
    stops: list[Stop] = []
    for pattern in url_patterns():
        if (
            pattern.namespace == API_NAMESPACE
            or pattern.route.startswith("api/")
            or "GET" not in pattern.methods
            or any(word in pattern.name for word in SESSION_ENDING)
            or (pattern.namespace == ADMIN_NAMESPACE and pattern.name.endswith(ADMIN_GENERIC))
        ):
            continue
        for values in _path_values(pattern, side):
            path = "/" + pattern.url(values).lstrip("/")
            stops.append(Stop(pattern.label, path))
            queries = QUERY_VIEWS.get(pattern.name, ())
            stops += [Stop(pattern.label, path + query) for query in queries]
    return stops


def html_pages(stops: list[Stop], client: Client) -> list[Stop]:
    """The stops that answer with a page of their own (not a redirect, a download or JSON)."""
    kept = []
    for stop in stops:
        response = client.get(stop.path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            kept.append(stop)
    return kept


def file_name(index: int, stop: Stop, width: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", stop.path.lower()).strip("-") or "root"
    return f"{index:03d}-{slug[:80]}-{width}.png"


def overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") or 0)


def log_out_within_reach(page: Any) -> bool:
    """Whether the page's "Log out" button shows inside the window's width."""
    button = page.get_by_role("button", name=re.compile(r"^log out$", re.IGNORECASE)).first
    box = button.bounding_box() if button.count() else None
    width = page.viewport_size["width"]
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


def blocking_violations(page: Any) -> list[str]:
    """What axe-core (loaded into every page of the context) finds at a blocking
    level."""
    # No preload: axe would fetch the stylesheets again and resolve their @imports against the
    # page's address (404s that are axe's, not the page's).
    results = page.evaluate("axe.run(document, {resultTypes: ['violations'], preload: false})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def test_every_staff_page_fits_a_phone_and_passes_axe(
    live_server: Any, page: Any, problems: BrowserProblems, tmp_path: Path
) -> None:
    side = build_side("alice")
    tourist = get_user_model().objects.create_superuser("tourist", "t@example.com", PASSWORD)
    client = Client()
    client.force_login(tourist)
    stops = html_pages(candidate_stops(side), client)
    labels = {stop.label for stop in stops}
    # The tour reaches what a marketer and an admin use, whatever else joins it.
    assert {
        "contact-list",
        "contact-card",
        "segment-list",
        "segment-new",
        "segment-edit",
        "segment-members",
        "automation-list",
        "automation-create",
        "automation-edit",
        "automation-runs",
        "admin:index",
        "admin:interactions_contact_changelist",
        "admin:interactions_contact_change",
    } <= labels, sorted(labels)

    shots = tmp_path / "tour"
    shots.mkdir()
    page.context.add_init_script(script=Axe().axe_script)
    problems_at: dict[str, list[str]] = {}

    def visit(path: str, name: str, width: str) -> None:
        response = page.goto(live_server.url + path)
        assert response is not None and response.ok, f"{path}: {response}"
        page.screenshot(path=str(shots / name), full_page=True)
        found = blocking_violations(page)
        if width == "phone" and overflow(page) > 0:
            found.append(f"{overflow(page)} px wider than the phone")
        if width == "phone" and path != LOGIN and not log_out_within_reach(page):
            found.append("no Log out button within the phone's width")
        if found:
            problems_at[f"{path} ({width})"] = found

    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        visit(LOGIN, f"000-login-{width}.png", width)
    log_in(page, live_server, "tourist", PASSWORD)
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        for index, stop in enumerate(stops, start=1):
            visit(stop.path, file_name(index, stop, width), width)

    print(f"{len(stops) + 1} pages, screenshots in {shots}")  # for whoever looks at them
    assert problems_at == {}, "\n".join(
        f"{where}:\n  " + "\n  ".join(found) for where, found in problems_at.items()
    )
