"""Date-time text: .NET-style rendering in the requested zone, and lenient ISO 8601 reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batchtask.serialisation.dates import (
    UNSET,
    UNSET_DATETIME,
    parse_datetime,
    render_local,
    render_utc,
)

ZONE_NAMES = ("Europe/Oslo", "America/New_York", "Australia/Sydney", "Asia/Dhaka", "UTC")
ZONES = [ZoneInfo(name) for name in ZONE_NAMES]
NEW_YORK = ZoneInfo("America/New_York")
OSLO = ZoneInfo("Europe/Oslo")


def transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[datetime]:
    """The UTC instants at which ``zone``'s offset changes, found by a daily scan and bisection."""
    found = []
    step = timedelta(days=1)
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    while moment < end:
        following = moment + step
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        moment = following
    return found


TRANSITIONS = sorted({edge for zone in ZONES for edge in transitions(zone, 2019, 2027)})
MODERN = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
DST_EDGES = st.builds(
    lambda edge, shift: edge + shift,
    st.sampled_from(TRANSITIONS),
    st.timedeltas(min_value=timedelta(hours=-3), max_value=timedelta(hours=3)),
)
INSTANTS = MODERN | DST_EDGES
ANY_INSTANT = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
)


def offset_text(delta: timedelta) -> str:
    """``±HHMM`` of a whole-minute offset, written independently of the module."""
    minutes = int(delta.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def is_ambiguous(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether ``wall`` happens twice in ``zone`` (or not at all)."""
    first = wall.replace(tzinfo=zone).utcoffset()
    return first != wall.replace(tzinfo=zone, fold=1).utcoffset()


class TestRenderLocal:
    def test_spec_worked_example(self) -> None:
        """SO-TimeZone's documented example: 12:34:45Z in New York is 07:34:45-0500."""
        stored = parse_datetime("2018-12-24T12:34:45Z", OSLO)
        assert render_local(stored, NEW_YORK, offset=True) == "2018-12-24T07:34:45-0500"
        assert render_local(stored, NEW_YORK, offset=False) == "2018-12-24T07:34:45"

    def test_local_text_read_in_zone_renders_back(self) -> None:
        """A local time sent in a zone comes back unchanged in that zone."""
        stored = parse_datetime("2018-12-24T12:34:45", NEW_YORK)
        assert stored == datetime(2018, 12, 24, 17, 34, 45, tzinfo=UTC)
        assert render_local(stored, NEW_YORK, offset=False) == "2018-12-24T12:34:45"

    @pytest.mark.parametrize(
        ("microsecond", "fraction"),
        [(0, ""), (123456, ".123456"), (500000, ".5"), (120000, ".12"), (1, ".000001")],
    )
    def test_fraction(self, microsecond: int, fraction: str) -> None:
        """The fraction is .NET's FFFFFFF: absent when zero, trailing zeros dropped."""
        value = datetime(2026, 11, 28, 14, 5, 9, microsecond, tzinfo=UTC)
        assert render_local(value, OSLO, offset=False) == f"2026-11-28T15:05:09{fraction}"
        assert render_utc(value, offset=False) == f"2026-11-28T14:05:09{fraction}"

    @pytest.mark.parametrize(
        ("zone", "text"),
        [
            ("UTC", "2026-07-01T12:00:00Z"),
            ("Etc/UTC", "2026-07-01T12:00:00Z"),
            ("Europe/London", "2026-07-01T13:00:00+0100"),
            ("Europe/Oslo", "2026-07-01T14:00:00+0200"),
            ("Asia/Kolkata", "2026-07-01T17:30:00+0530"),
            ("America/St_Johns", "2026-07-01T09:30:00-0230"),
            ("Pacific/Kiritimati", "2026-07-02T02:00:00+1400"),
        ],
    )
    def test_offset_suffix(self, zone: str, text: str) -> None:
        """Offsets have no colon; UTC zones are tagged Z."""
        value = datetime(2026, 7, 1, 12, tzinfo=UTC)
        assert render_local(value, ZoneInfo(zone), offset=True) == text

    def test_london_winter_is_not_z(self) -> None:
        """Only UTC zones are tagged Z, not zones that happen to be at +0000."""
        value = datetime(2026, 1, 1, 12, tzinfo=UTC)
        assert render_local(value, ZoneInfo("Europe/London"), offset=True).endswith("+0000")

    def test_none_is_unset(self) -> None:
        """An unset date renders as DateTime.MinValue, with or without offset."""
        assert render_local(None, NEW_YORK, offset=True) == UNSET
        assert render_local(None, NEW_YORK, offset=False) == UNSET
        assert render_utc(None, offset=True) == UNSET

    def test_min_value_is_unset_in_every_zone(self) -> None:
        """DateTime.MinValue is not shifted into 0001-01-01T00:43 in Oslo."""
        assert render_local(UNSET_DATETIME, OSLO, offset=True) == UNSET
        assert render_utc(UNSET_DATETIME, offset=True) == UNSET

    def test_seconds_offset_rounds_to_minutes_and_keeps_the_instant(self) -> None:
        """Dhaka's 1900 mean time (+05:53:20) goes out as +0553 with the wall time to match."""
        value = datetime(1900, 1, 1, tzinfo=UTC)
        text = render_local(value, ZoneInfo("Asia/Dhaka"), offset=True)
        assert text == "1900-01-01T05:53:00+0553"
        assert parse_datetime(text, OSLO) == value

    def test_naive_value_is_refused(self) -> None:
        """A naive datetime would be silently read as the machine's zone; refuse it."""
        with pytest.raises(ValueError, match="no time zone"):
            render_local(datetime(2026, 1, 1), OSLO, offset=False)
        with pytest.raises(ValueError, match="no time zone"):
            render_utc(datetime(2026, 1, 1), offset=False)

    def test_out_of_range_conversion_is_value_error(self) -> None:
        """A date that would leave year 1 in the target zone fails as ValueError."""
        with pytest.raises(ValueError, match="cannot be shown"):
            render_local(datetime(1, 1, 1, 1, tzinfo=UTC), NEW_YORK, offset=False)


class TestRenderUtc:
    def test_never_converted(self) -> None:
        """Created stays UTC, whatever the request's zone."""
        value = datetime(2026, 11, 28, 14, 5, 9, tzinfo=UTC)
        assert render_utc(value, offset=False) == "2026-11-28T14:05:09"
        assert render_utc(value, offset=True) == "2026-11-28T14:05:09Z"

    def test_aware_non_utc_value_is_normalised(self) -> None:
        """A value in another zone is the same instant, shown in UTC."""
        value = datetime(2026, 11, 28, 15, 5, 9, tzinfo=OSLO)
        assert render_utc(value, offset=True) == "2026-11-28T14:05:09Z"


class TestParse:
    @pytest.mark.parametrize(
        ("text", "utc"),
        [
            ("2026-11-28", datetime(2026, 11, 27, 23, 0, tzinfo=UTC)),
            ("2026-11-28T14:05", datetime(2026, 11, 28, 13, 5, tzinfo=UTC)),
            ("2026-11-28T14:05:09", datetime(2026, 11, 28, 13, 5, 9, tzinfo=UTC)),
            ("2026-11-28t14:05:09z", datetime(2026, 11, 28, 14, 5, 9, tzinfo=UTC)),
            ("2026-11-28T14:05:09Z", datetime(2026, 11, 28, 14, 5, 9, tzinfo=UTC)),
            ("2026-11-28T14:05:09+05:30", datetime(2026, 11, 28, 8, 35, 9, tzinfo=UTC)),
            ("2026-11-28T14:05:09-0500", datetime(2026, 11, 28, 19, 5, 9, tzinfo=UTC)),
            ("2026-11-28T14:05:09.5", datetime(2026, 11, 28, 13, 5, 9, 500000, tzinfo=UTC)),
            (
                "2019-08-19T14:28:27.3520534+02:00",
                datetime(2019, 8, 19, 12, 28, 27, 352053, tzinfo=UTC),
            ),
            ("2026-11-28T14:05:09.1234569Z", datetime(2026, 11, 28, 14, 5, 9, 123456, tzinfo=UTC)),
            ("0001-01-01T00:00:00", UNSET_DATETIME),
            ("0001-01-01", UNSET_DATETIME),
        ],
    )
    def test_accepted_forms(self, text: str, utc: datetime) -> None:
        """Every documented form reads to the right UTC instant (local text in Oslo)."""
        parsed = parse_datetime(text, OSLO)
        assert parsed == utc
        assert parsed.tzinfo is UTC

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "yesterday",
            "2026-11-28 14:05:09",
            "2026-11-28T14",
            "2026-11-28T14:05:09.",
            "2026-11-28T14:05:09.12345678",
            "2026-11-28T14:05:09+5",
            "2026-11-28T14:05:09+05:3",
            "2026-11-28Z",
            "2026-13-01",
            "2026-02-29",
            "2026-11-28T24:00",
            "2026-11-28T14:60",
            "2026-11-28T14:05:61",
            "2026-11-28T14:05:09+24:00",
            "2026-11-28T14:05:09+01:60",
            "0000-01-01",
            "0001-01-01T00:30:00",
            "9999-12-31T23:00:00-0500",
            "２０２６-11-28",
            "2026-11-28T14:05:09\n",
        ],
    )
    def test_rejected_forms(self, text: str) -> None:
        """Anything else is a ValueError quoting the text."""
        with pytest.raises(ValueError, match=r"date-time|offset|range"):
            parse_datetime(text, OSLO)

    def test_skipped_local_time_moves_forward(self) -> None:
        """02:30 on New York's spring-forward day is 03:30 EDT."""
        parsed = parse_datetime("2026-03-08T02:30:00", NEW_YORK)
        assert render_local(parsed, NEW_YORK, offset=True) == "2026-03-08T03:30:00-0400"

    def test_repeated_local_time_is_standard_time(self) -> None:
        """01:30 on New York's fall-back day is read as EST, as .NET does."""
        parsed = parse_datetime("2026-11-01T01:30:00", NEW_YORK)
        assert render_local(parsed, NEW_YORK, offset=True) == "2026-11-01T01:30:00-0500"

    @given(text=st.text(max_size=40) | st.from_regex(r"\d{4}-\d\d-\d\d(T[\d:.+Zz-]{0,22})?"))
    def test_only_value_error(self, text: str) -> None:
        """No text makes parse_datetime raise anything but ValueError."""
        try:
            parsed = parse_datetime(text, NEW_YORK)
        except ValueError:
            return
        assert parsed.tzinfo is UTC


class TestProperties:
    @settings(max_examples=300)
    @given(value=ANY_INSTANT | DST_EDGES, zone=st.sampled_from(ZONES))
    def test_round_trip_with_offset(self, value: datetime, zone: ZoneInfo) -> None:
        """With its offset, the text names the exact instant, in any zone and any year."""
        text = render_local(value, zone, offset=True)
        assert parse_datetime(text, ZoneInfo("Australia/Sydney")) == value

    @settings(max_examples=300)
    @given(value=INSTANTS, zone=st.sampled_from(ZONES))
    def test_round_trip_without_offset(self, value: datetime, zone: ZoneInfo) -> None:
        """Local text read back in its zone is the same instant, unless the wall time repeats."""
        text = render_local(value, zone, offset=False)
        parsed = parse_datetime(text, zone)
        wall = value.astimezone(zone).replace(tzinfo=None)
        if is_ambiguous(wall, zone):
            later = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
            assert parsed == later
        else:
            assert parsed == value

    @given(value=INSTANTS, zone=st.sampled_from(ZONES))
    def test_offset_matches_zone(self, value: datetime, zone: ZoneInfo) -> None:
        """The suffix is the zone's offset at that instant (Z for UTC)."""
        text = render_local(value, zone, offset=True)
        if zone.key == "UTC":
            assert text.endswith("Z")
        else:
            assert text[-5:] == offset_text(value.astimezone(zone).utcoffset() or timedelta())
        suffix = 1 if zone.key == "UTC" else 5
        assert text[:-suffix] == render_local(value, zone, offset=False)

    @given(value=ANY_INSTANT)
    def test_fraction_rule(self, value: datetime) -> None:
        """Seconds always; a fraction only when non-zero, without trailing zeros."""
        text = render_utc(value, offset=False)
        head, _, fraction = text.partition(".")
        assert len(head) == 19
        if value.microsecond:
            assert fraction == f"{value.microsecond:06d}".rstrip("0")
        else:
            assert fraction == ""
        assert parse_datetime(text + "Z", OSLO) == value

    @given(zone=st.sampled_from(ZONES), offset=st.booleans())
    def test_none_renders_unset(self, zone: ZoneInfo, offset: bool) -> None:
        """None is UNSET in every zone."""
        assert render_local(None, zone, offset=offset) == UNSET
