"""The pure trigger: which interactions match, for every operator and property type."""

from typing import Any

import pytest

from automations.triggers import (
    NEW_INTERACTION,
    SPECIFIC_INTERACTION,
    TriggerSpec,
    condition_problems,
    interaction_matches,
)


def specific(
    operator: str, value: Any, type_: str = "string", format_: str | None = None
) -> TriggerSpec:
    return TriggerSpec(
        kind=SPECIFIC_INTERACTION,
        schema_pk=1,
        property_name="p",
        property_type=type_,
        property_format=format_,
        operator=operator,
        value=value,
    )


def test_it_matches_any_schema_when_none_is_chosen() -> None:
    assert interaction_matches(TriggerSpec(kind=NEW_INTERACTION), schema_pk=7, payload={})


def test_it_matches_only_the_chosen_schemas() -> None:
    spec = TriggerSpec(kind=NEW_INTERACTION, schema_pks=frozenset({1, 2}))
    assert interaction_matches(spec, schema_pk=2, payload={})
    assert not interaction_matches(spec, schema_pk=3, payload={})


@pytest.mark.parametrize(
    ("spec", "payload", "expected"),
    [
        (specific("equals", "Stockholm"), {"p": "Stockholm"}, True),
        (specific("equals", "Stockholm"), {"p": "stockholm"}, False),
        (specific("equals", "Stockholm"), {}, False),
        (specific("one_of", ["a", "b"]), {"p": "b"}, True),
        (specific("one_of", ["a", "b"]), {"p": "c"}, False),
        (specific("equals", 10, "number"), {"p": 10.0}, True),
        (specific("gt", 10, "number"), {"p": 10}, False),
        (specific("gte", 10, "number"), {"p": 10}, True),
        (specific("lt", 10, "integer"), {"p": 9}, True),
        (specific("lte", 10, "integer"), {"p": 11}, False),
        (specific("gt", 10, "number"), {"p": "11"}, False),
        (specific("equals", True, "boolean"), {"p": True}, True),
        (specific("equals", True, "boolean"), {"p": 1}, False),
        (specific("gt", "2024-01-01", "string", "date"), {"p": "2024-01-02"}, True),
        (specific("lt", "2024-01-01", "string", "date"), {"p": "2024-01-02"}, False),
        (
            specific("gte", "2024-01-01T00:00:00+00:00", "string", "date-time"),
            {"p": "2024-01-01T01:00:00+01:00"},
            True,
        ),
        (
            specific("gt", "2024-01-01T00:00:00+00:00", "string", "date-time"),
            {"p": "2024-01-01T01:00:00+01:00"},
            False,
        ),
        (specific("gt", "b", "string"), {"p": "c"}, False),
    ],
)
def test_it_compares_the_property_as_its_type_says(
    spec: TriggerSpec, payload: dict[str, Any], expected: bool
) -> None:
    assert interaction_matches(spec, schema_pk=1, payload=payload) is expected


def test_a_specific_trigger_never_fires_for_another_schema() -> None:
    assert not interaction_matches(specific("equals", "x"), schema_pk=2, payload={"p": "x"})


def problems(operator: str, value: Any, property_type: str) -> Any:
    return condition_problems(
        operator=operator, value=value, property_type=property_type, property_format=None
    )


def test_it_refuses_comparisons_on_strings_and_values_of_the_wrong_type() -> None:
    assert condition_problems(
        operator="gt", value="a", property_type="string", property_format=None
    )
    assert condition_problems(
        operator="equals", value="a", property_type="number", property_format=None
    )
    assert condition_problems(
        operator="one_of", value=[], property_type="string", property_format=None
    )
    assert condition_problems(
        operator="gt", value="yesterday", property_type="string", property_format="date"
    )
    assert not condition_problems(
        operator="lte", value="2024-05-01", property_type="string", property_format="date"
    )
