"""The two staff roles, as Django groups with their permissions.

*Admin* manages everything of its tenant; *Marketer* works with contacts (and, in their apps,
segments and automations) and only reads schemas. ``roles_ensure`` keeps the groups' permissions
as declared here; it runs after every ``migrate``.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission

from interactions.extensions import registered_extensions

ADMIN = "Admin"
MARKETER = "Marketer"

# app label -> model -> actions, per role, for the core's models. Other apps declare theirs in their
# Extension (``interactions.extensions``).
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    ADMIN: {
        "interactions": {
            "tenant": ("view", "change"),
            "apikey": ("view", "add", "change"),
            "contact": ("view", "add", "change", "delete"),
            "interactionschema": ("view", "add", "delete"),
            "interaction": ("view", "delete"),
            "refusedinteraction": ("view", "change", "delete"),
            "eventdelivery": ("view", "change"),  # change: replay
            "tag": ("view", "add", "change", "delete"),
            "contacttag": ("view", "add", "change", "delete"),
            "product": ("view", "delete"),
        },
    },
    MARKETER: {
        "interactions": {
            "contact": ("view",),
            "interactionschema": ("view",),
            "interaction": ("view",),
            "tag": ("view", "add"),
            "contacttag": ("view", "add", "change", "delete"),
            "product": ("view",),
        },
    },
}


def role_permissions() -> dict[str, dict[str, dict[str, tuple[str, ...]]]]:
    """The core's permissions per role, with those every registered extension declares."""
    merged = {role: dict(apps) for role, apps in ROLE_PERMISSIONS.items()}
    for extension in registered_extensions():
        for role, models in extension.role_permissions.items():
            merged.setdefault(role, {})[extension.app_label] = dict(models)
    return merged


def roles_ensure(**kwargs: Any) -> None:
    for role, apps in role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in apps.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            permission
            for app_label, codename in codenames
            for permission in Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        ]
        group.permissions.set(permissions)
