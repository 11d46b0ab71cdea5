"""Existing secrets take the Standard Webhooks form (``whsec_`` + standard base64 of the key).

Secrets were ``whsec_`` + ``secrets.token_urlsafe(32)``: URL-safe base64 without padding, which
Standard Webhooks libraries can't read. Those keep their 32 key bytes, re-spelt in standard base64,
so nothing random is thrown away; a secret of any other shape gets a new one. Either way the old
text is kept in ``legacy_webhook_secret``, which keys only the deprecated X-Engage-Signature
header, so receivers checking that header notice nothing. Reversing puts the old texts back.
"""

import base64
import re
import secrets

from django.db import migrations

_LEGACY_SHAPE = re.compile(r"whsec_[A-Za-z0-9_-]{43}")
BATCH = 500


def standard_form(legacy: str) -> str:
    """The Standard Webhooks spelling of a ``whsec_`` + token_urlsafe(32) secret, or a new secret
    if ``legacy`` is not of that shape."""
    if _LEGACY_SHAPE.fullmatch(legacy):
        key = base64.urlsafe_b64decode(legacy.removeprefix("whsec_") + "=")
        return "whsec_" + base64.b64encode(key).decode()
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _rewrite(apps, queryset, change):  # type: ignore[no-untyped-def]
    """Apply ``change`` to the rows of ``queryset`` in batches (ids read first, so rows that
    change never move under a cursor)."""
    Automation = apps.get_model("automations", "Automation")
    pks = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        rows = list(Automation.objects.filter(pk__in=pks[start : start + BATCH]))
        for automation in rows:
            change(automation)
        Automation.objects.bulk_update(rows, ["webhook_secret", "legacy_webhook_secret"])


def _to_standard(automation):  # type: ignore[no-untyped-def]
    automation.legacy_webhook_secret = automation.webhook_secret
    automation.webhook_secret = standard_form(automation.webhook_secret)


def _to_legacy(automation):  # type: ignore[no-untyped-def]
    automation.webhook_secret = automation.legacy_webhook_secret
    automation.legacy_webhook_secret = ""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Automation = apps.get_model("automations", "Automation")
    _rewrite(apps, Automation.objects.filter(legacy_webhook_secret=""), _to_standard)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Automation = apps.get_model("automations", "Automation")
    _rewrite(apps, Automation.objects.exclude(legacy_webhook_secret=""), _to_legacy)


class Migration(migrations.Migration):
    dependencies = [("automations", "0003_webhook_secret_rotation_and_legacy")]

    operations = [migrations.RunPython(forward, backward)]
