"""The two staff roles, as Django groups with their permissions.

*Admin* manages everything of its tenant; *Marketer* works with contacts (and, in their apps,
segments and automations) and only reads schemas. ``roles_ensure`` keeps the groups' permissions
as declared here; it runs after every ``migrate``.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission

ADMIN = "Admin"
MARKETER = "Marketer"

# app label -> model -> actions, per role. Other apps add theirs to these maps from their ready().
ROLE_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    ADMIN: {
        "interactions": {
            "tenant": ("view", "change"),
            "apikey": ("view", "add", "change"),
            "contact": ("view", "add", "change", "delete"),
            "interactionschema": ("view", "add", "delete"),
            "interaction": ("view", "delete"),
            "refusedinteraction": ("view", "change", "delete"),
            "tag": ("view", "add", "change", "delete"),
            "contacttag": ("view", "add", "change", "delete"),
        },
    },
    MARKETER: {
        "interactions": {
            "contact": ("view",),
            "interactionschema": ("view",),
            "interaction": ("view",),
            "tag": ("view", "add"),
            "contacttag": ("view", "add", "change", "delete"),
        },
    },
}


def roles_ensure(**kwargs: Any) -> None:
    for role, apps in ROLE_PERMISSIONS.items():
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
