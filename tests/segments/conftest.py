"""Shared setup for segment tests: a purchase schema with a segmentable property of each type."""

from datetime import UTC, datetime
from typing import Any

import pytest

from interactions.models import InteractionSchema, Tenant
from tests.conftest import Persona
from tests.factories import make_schema

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

PURCHASE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "addToSegmentation": True},
        "channel": {"type": "string", "addToSegmentation": "true"},
        "gift": {"type": "boolean", "addToSegmentation": True},
        "shippedAt": {"type": "string", "format": "date-time", "addToSegmentation": True},
        "day": {"type": "string", "format": "date", "addToSegmentation": True},
        "note": {"type": "string"},
    },
}


def make_purchase_schema(tenant: Tenant, schema_id: str = "purchase") -> InteractionSchema:
    return make_schema(
        tenant, schema_id=schema_id, json_schema=PURCHASE_JSON_SCHEMA, display_name="Purchase"
    )


@pytest.fixture
def frozen(time_machine: Any) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def schemas(alice: Persona) -> dict[str, InteractionSchema]:
    return {
        "review": make_schema(alice.tenant),
        "purchase": make_purchase_schema(alice.tenant),
    }


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request: Any) -> Any:
    """Tasks enqueued by the code under test run in the test's process, as without REDIS_URL,
    except in the worker tests, which are about the real worker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from engage_site.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
