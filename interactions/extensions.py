"""The one place where other apps plug into the core, so that ``interactions`` never imports them.

An app describes everything it adds in one :class:`Extension` and registers it from its
``AppConfig.ready()``::

    from interactions.public import ContactCardPanel, Extension, NavigationLink, extension_register

    extension_register(
        Extension(
            app_label="segments",
            event_subscribers=(segment_events_receive,),
            navigation=(NavigationLink("Segments", "segment-list", "segments.view_segment"),),
            card_panels=(ContactCardPanel("Segments", "segments/_contact_card_panel.html", ctx),),
            role_permissions={"Admin": {"segment": ("view", "add")}},
        )
    )

What each hook promises:

- ``event_subscribers``: called by the event dispatcher, inside its transaction, as
  ``subscriber(events)`` with a batch of InteractionEvent rows in commit order. A batch can be
  handed over again after a failure, so a subscriber must be idempotent (claim work with unique
  constraints or versions).
- ``schema_deletion_hooks``: called inside the deleting transaction as ``hook(tenant=, schema=)``.
- ``contact_erasure_hooks``: called inside the erasing transaction as ``hook(tenant=, contact=)``.
- ``navigation``: links in the top bar of staff pages, shown to users with the permission.
- ``card_panels``: boxes on the contact card's Overview tab. The card calls
  ``context(request, tenant, contact)`` and renders ``template_name`` with that dict plus
  ``tenant`` and ``contact`` inside a box headed ``title``. A panel reads only from the tenant it is
  given, costs a constant number of queries whatever the contact's history (the card has a
  query-count test), and leaves autoescaping on for tenant data.
- ``reference_finders``: called as ``finder(tenant=, target=)`` with a record of another app that
  is about to be deleted (a segment, on its delete confirmation); returns a list of
  :class:`Reference` to the app's own records that point at it, so staff see what the delete
  touches. No app refers to another's records yet; this is where one that does says so.
- ``demo_builders``: called by ``bootstrap_demo`` after the demo tenant's sample data is in, as
  ``builder(tenant=)``; each adds the app's examples (segments, automations) that the tenant lacks,
  so it may run again on every bootstrap, and returns a short account of them ("5 segments").
- ``role_permissions``: role name → model → actions, for the app's own models; ``roles_ensure``
  gives the staff roles these permissions after every ``migrate``.

A registry a reader can find, rather than Django signals.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from interactions.models import Contact, Tenant

PanelContext = Callable[[HttpRequest, Tenant, Contact], dict[str, Any]]
Hook = Callable[..., Any]


@dataclass(frozen=True)
class ContactCardPanel:
    """One box on the contact card: a heading, a template and the data the template needs."""

    title: str
    template_name: str
    context: PanelContext


@dataclass(frozen=True)
class NavigationLink:
    label: str
    url_name: str
    permission: str


@dataclass(frozen=True)
class Reference:
    """A record that points at another app's record: how staff call it, and its page if any."""

    label: str
    url: str = ""


@dataclass(frozen=True)
class Extension:
    """Everything one app adds to the core."""

    app_label: str
    event_subscribers: tuple[Hook, ...] = ()
    schema_deletion_hooks: tuple[Hook, ...] = ()
    contact_erasure_hooks: tuple[Hook, ...] = ()
    navigation: tuple[NavigationLink, ...] = ()
    card_panels: tuple[ContactCardPanel, ...] = ()
    reference_finders: tuple[Hook, ...] = ()
    demo_builders: tuple[Hook, ...] = ()
    role_permissions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)


_extensions: dict[str, Extension] = {}


def extension_register(extension: Extension) -> None:
    """Add (or replace) an app's extension; registering the same app twice keeps one copy."""
    _extensions[extension.app_label] = extension


def extension_unregister(app_label: str) -> None:
    _extensions.pop(app_label, None)


@contextmanager
def extension_registered(extension: Extension) -> Iterator[None]:
    """Register ``extension`` for the duration of a block (tests and one-off tools)."""
    previous = _extensions.get(extension.app_label)
    extension_register(extension)
    try:
        yield
    finally:
        if previous is None:
            extension_unregister(extension.app_label)
        else:
            extension_register(previous)


def registered_extensions() -> list[Extension]:
    return list(_extensions.values())


def event_subscribers() -> list[Hook]:
    return [hook for ext in _extensions.values() for hook in ext.event_subscribers]


def schema_deletion_hooks() -> list[Hook]:
    return [hook for ext in _extensions.values() for hook in ext.schema_deletion_hooks]


def contact_erasure_hooks() -> list[Hook]:
    return [hook for ext in _extensions.values() for hook in ext.contact_erasure_hooks]


def demo_builders() -> list[Hook]:
    return [hook for ext in _extensions.values() for hook in ext.demo_builders]


def navigation_links() -> list[NavigationLink]:
    return [link for ext in _extensions.values() for link in ext.navigation]


def contact_card_panels() -> list[ContactCardPanel]:
    return [panel for ext in _extensions.values() for panel in ext.card_panels]


def references_to(*, tenant: Tenant, target: Any) -> list[Reference]:
    """Every registered app's records that point at ``target`` (see ``reference_finders``)."""
    return [
        reference
        for ext in _extensions.values()
        for finder in ext.reference_finders
        for reference in finder(tenant=tenant, target=target)
    ]
