from datetime import UTC, datetime, timedelta, timezone

import pytest

from interactions.formats import parse_rfc3339


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
