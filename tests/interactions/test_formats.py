from datetime import UTC, datetime, timedelta, timezone

import pytest

from interactions.formats import date_time_out_of_range, parse_rfc3339


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-05-23T11:13:42.074Z", datetime(2023, 5, 23, 11, 13, 42, 74000, tzinfo=UTC)),
        ("2018-11-13T20:20:39+00:00", datetime(2018, 11, 13, 20, 20, 39, tzinfo=UTC)),
        (
            "2018-11-13t20:20:39.123456789-05:30",
            datetime(
                2018, 11, 13, 20, 20, 39, 123456, tzinfo=timezone(-timedelta(hours=5, minutes=30))
            ),
        ),
    ],
)
def test_it_parses_rfc3339_timestamps(text: str, expected: datetime) -> None:
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2011-11-03T20:00:11",  # no offset
        "2023-05-23711:13:42.074Z",  # the typo in the reference documentation
        "2023-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2023-01-01T24:00:00Z",
        "2023-01-01T00:00:00+24:00",
        "2023-01-01 00:00:00Z",
        "1700000000",
        "",
    ],
)
def test_it_refuses_anything_else(text: str) -> None:
    assert parse_rfc3339(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-14:00",  # the year 10000 in UTC
        "0001-01-01T00:00:00+00:01",  # the year 0 in UTC
        "2023-01-01T00:00:00+23:60",
        "2023-01-01T00:00:00-30:00",
    ],
)
def test_a_well_formed_date_time_out_of_every_layer_s_range_is_refused_and_said_so(
    text: str,
) -> None:
    assert parse_rfc3339(text) is None
    assert date_time_out_of_range(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00+20:00", datetime(2023, 12, 31, 4, 0, tzinfo=UTC)),
        ("9999-12-31T23:59:59+14:00", datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
        ("0001-01-01T00:00:00-23:59", datetime(1, 1, 1, 23, 59, tzinfo=UTC)),
    ],
)
def test_it_answers_in_utc_up_to_offsets_of_23_59(text: str, expected: datetime) -> None:
    parsed = parse_rfc3339(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC
    assert not date_time_out_of_range(text)


@pytest.mark.parametrize("text", ["2016-12-31T23:59:60Z", "2024-01-01T00:00:00.1234567890Z"])
def test_leap_seconds_and_more_than_nine_fraction_digits_are_not_date_times(text: str) -> None:
    assert parse_rfc3339(text) is None
    assert not date_time_out_of_range(text)
