from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from interactions.models import StaffAccount, Tenant
from interactions.services.roles import ADMIN, MARKETER, roles_ensure


@transaction.atomic
def staff_user_create(*, tenant: Tenant, username: str, password: str, role: str) -> Any:
    """A staff user of ``tenant`` with the role ADMIN or MARKETER."""
    if role not in (ADMIN, MARKETER):
        raise ValueError(f"role must be {ADMIN!r} or {MARKETER!r}, not {role!r}")
    if not Group.objects.filter(name=role).exists():
        roles_ensure()
    user = get_user_model().objects.create_user(username=username, password=password, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    StaffAccount.objects.create(user=user, tenant=tenant)
    return user


def staff_password_set(*, user: Any, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
