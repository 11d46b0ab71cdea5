"""Values stay inside what every layer can hold, decided once where they enter: the pure readers
and checks, driven with extreme and odd values (``tests.value_strategies``).

Each property says what the reader or check must decide, worked out independently of it, and that
nothing raises whatever arrives. The API, the database and the background paths are driven in
``tests/test_value_bounds_flow.py``.
"""

from datetime import UTC
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from automations.triggers import (
    SPECIFIC_INTERACTION,
    TriggerSpec,
    condition_problems,
    interaction_matches,
)
from interactions.formats import date_time_out_of_range, parse_rfc3339
from interactions.public import parse_instant
from interactions.schema_validation import CompiledSchema, SchemaLimits, check_schema_document
from interactions.schema_validation.vocabulary import is_number
from segments.rules.catalog import PropertyInfo, SchemaInfo
from segments.rules.checks import rule_problems
from tests.value_strategies import (
    BOUNDS_SETTINGS,
    OddDateTime,
    fits_a_double,
    numbers,
    odd_date_times,
    odd_dates,
)

scalars = st.one_of(
    numbers,
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    odd_date_times().map(lambda odd: odd.text),
    odd_dates,
)


@BOUNDS_SETTINGS
@given(odd=odd_date_times())
def test_parse_rfc3339_reads_the_instant_in_utc_only_within_every_layer_s_range(
    odd: OddDateTime,
) -> None:
    expected = odd.instant()
    parsed = parse_rfc3339(odd.text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC
        assert 1 <= parsed.year <= 9999


@BOUNDS_SETTINGS
@given(text=st.one_of(st.text(max_size=40), odd_date_times().map(lambda odd: odd.text)))
def test_the_date_time_readers_never_raise(text: str) -> None:
    parsed = parse_rfc3339(text)
    out_of_range = date_time_out_of_range(text)
    assert not (parsed is not None and out_of_range)
    instant = parse_instant(text)
    assert instant is None or (instant.tzinfo is UTC and 1 <= instant.year <= 9999)


@BOUNDS_SETTINGS
@given(value=st.one_of(numbers, st.booleans(), st.none(), st.text(max_size=5)))
def test_a_number_is_one_a_double_holds(value: Any) -> None:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    assert is_number(value) is (numeric and fits_a_double(value))


@BOUNDS_SETTINGS
@given(
    keyword=st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
    bound=numbers,
    enum=st.lists(numbers, min_size=1, max_size=3, unique_by=repr),
)
def test_schema_bounds_and_enums_beyond_a_double_are_refused_naming_the_keyword(
    keyword: str, bound: int | float, enum: list[int | float]
) -> None:
    document = {
        "type": "object",
        "properties": {"n": {"type": "number", keyword: bound, "enum": enum}},
    }
    problems = check_schema_document(document, limits=SchemaLimits())
    fields = {problem.field for problem in problems}
    prefix = "jsonSchema.properties.n"
    assert (f"{prefix}.{keyword}" in fields) is not fits_a_double(bound)
    for index, value in enumerate(enum):
        assert (f"{prefix}.enum.{index}" in fields) is not fits_a_double(value)
    if fits_a_double(bound) and all(map(fits_a_double, enum)):
        assert problems == [] or {p.field for p in problems} == {f"{prefix}.enum"}


@BOUNDS_SETTINGS
@given(keyword=st.sampled_from(["minLength", "maxLength"]), length=numbers)
def test_schema_lengths_are_whole_numbers_a_double_holds_exactly(
    keyword: str, length: int | float
) -> None:
    document = {"type": "object", "properties": {"s": {"type": "string", keyword: length}}}
    problems = check_schema_document(document, limits=SchemaLimits())
    fits = isinstance(length, int) and 0 <= length <= 2**53 - 1
    assert bool(problems) is not fits
    assert all(problem.field == f"jsonSchema.properties.s.{keyword}" for problem in problems)


PAYLOAD_SCHEMA = CompiledSchema(
    {
        "type": "object",
        "properties": {
            "n": {"type": "number"},
            "i": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "bounded": {"type": "number", "minimum": -1e308, "maximum": 1e308},
        },
    }
)


@BOUNDS_SETTINGS
@given(n=numbers, i=numbers, bounded=numbers, at=odd_date_times())
def test_payload_values_beyond_every_layer_are_dropped_with_a_reason(
    n: int | float, i: int | float, bounded: int | float, at: OddDateTime
) -> None:
    payload = {"n": n, "i": i, "at": at.text, "bounded": bounded}
    split = PAYLOAD_SCHEMA.split(payload)
    dropped = {problem.field: problem for problem in split.dropped}
    assert ("n" in split.kept) is fits_a_double(n)
    whole = isinstance(i, int) or i.is_integer()
    assert ("i" in split.kept) is (fits_a_double(i) and whole)
    assert ("bounded" in split.kept) is (-1e308 <= bounded <= 1e308)
    assert ("at" in split.kept) is (at.instant() is not None)
    assert split.kept == {name: payload[name] for name in split.kept}  # kept as posted
    for name in set(payload) - set(split.kept):
        assert dropped[f"payload.{name}"].message.startswith("must be")
    if "at" not in split.kept and date_time_out_of_range(at.text):
        assert "0001 to 9999" in dropped["payload.at"].message


CATALOG = {
    "odd": SchemaInfo(
        pk=1,
        schema_id="odd",
        properties={
            "n": PropertyInfo("n", "number", None, True),
            "at": PropertyInfo("at", "string", "date-time", True),
            "day": PropertyInfo("day", "string", "date", True),
        },
    )
}


def _compared(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return fits_a_double(value)


@BOUNDS_SETTINGS
@given(
    number=scalars,
    when=st.one_of(odd_date_times().map(lambda odd: odd.text), odd_dates, scalars),
    window=odd_date_times(),
    count=numbers,
)
def test_rule_values_are_refused_naming_their_path_unless_every_layer_compares_them(
    number: Any, when: Any, window: OddDateTime, count: int | float
) -> None:
    rule = {
        "type": "count",
        "schemaId": "odd",
        "count": {"op": ">=", "value": count},
        "window": {"type": "before", "date": window.text},
        "where": [
            {"property": "n", "op": "lt", "value": number},
            {"property": "at", "op": "gte", "value": when},
        ],
    }
    fields = {problem.field for problem in rule_problems(rule, catalog=CATALOG)}
    counts = isinstance(count, int) or count.is_integer()
    if not (counts and 0 <= count <= 2**31 - 1):
        assert "rule.count.value" in fields
        return  # the shape is checked first; the catalog only after it passes
    assert ("rule.window.date" in fields) is (window.instant() is None)
    if fields - {"rule.where.0.value", "rule.where.1.value"}:
        return
    assert ("rule.where.0.value" in fields) is not _compared(number)
    readable = isinstance(when, str) and parse_instant(when) is not None
    assert ("rule.where.1.value" in fields) is not readable


def specific(operator: str, value: Any, type_: str, format_: str | None) -> TriggerSpec:
    return TriggerSpec(
        kind=SPECIFIC_INTERACTION,
        schema_pk=1,
        property_name="p",
        property_type=type_,
        property_format=format_,
        operator=operator,
        value=value,
    )


KINDS = [("number", None), ("integer", None), ("string", "date-time"), ("string", "date")]


@BOUNDS_SETTINGS
@given(
    kind=st.sampled_from(KINDS),
    operator=st.sampled_from(["equals", "one_of", "gt", "gte", "lt", "lte"]),
    condition=scalars,
    stored=scalars,
)
def test_the_trigger_matcher_never_raises_even_on_values_that_were_never_checked(
    kind: tuple[str, str | None], operator: str, condition: Any, stored: Any
) -> None:
    """Stored payloads and conditions from before the bounds may hold anything JSON holds."""
    value = [condition, stored] if operator == "one_of" else condition
    spec = specific(operator, value, *kind)
    assert interaction_matches(spec, schema_pk=1, payload={"p": stored}) in (True, False)
    problems = condition_problems(
        operator=operator, value=value, property_type=kind[0], property_format=kind[1]
    )
    assert all(problem.field == "value" for problem in problems)


@BOUNDS_SETTINGS
@given(kind=st.sampled_from(KINDS), condition=scalars)
def test_a_condition_value_is_refused_unless_the_matcher_can_read_it(
    kind: tuple[str, str | None], condition: Any
) -> None:
    type_, format_ = kind
    problems = condition_problems(
        operator="gte", value=condition, property_type=type_, property_format=format_
    )
    if type_ in ("number", "integer"):
        readable = (
            isinstance(condition, int | float)
            and not isinstance(condition, bool)
            and fits_a_double(condition)
        )
    elif format_ == "date-time":
        readable = isinstance(condition, str) and parse_rfc3339(condition) is not None
    else:
        readable = isinstance(condition, str) and parse_instant(condition) is not None
        readable = readable and len(condition) == 10
    assert (problems == []) is readable
    if readable:
        spec = specific("gte", condition, type_, format_)
        assert interaction_matches(spec, schema_pk=1, payload={"p": condition})
