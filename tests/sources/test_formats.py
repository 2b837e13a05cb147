"""Reading the sources' values: both date formats, impossible dates, keyed hashes."""

from datetime import datetime

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.sources.formats import (
    UnreadableValue,
    parse_source_datetime,
    pseudonymise,
    record_hash,
)

KEY = b"test-key"


def test_both_date_formats_mean_the_same_vietnam_time():
    compact = parse_source_datetime("20240715081500")
    slashed = parse_source_datetime("15/07/2024 08:15:00")
    assert compact == slashed == datetime(2024, 7, 15, 8, 15, tzinfo=VN)
    assert compact.utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize("value, reason", [
    ("20240231081500", "impossible date"),
    ("31/02/2024 08:00:00", "impossible date"),
    ("2024-07-15T08:15:00", "unknown date format"),
    ("20240715", "unknown date format"),
])
def test_unreadable_dates_are_refused_with_a_reason(value, reason):
    with pytest.raises(UnreadableValue, match=reason):
        parse_source_datetime(value)


def test_pseudonymise_is_keyed_normalised_and_never_the_number():
    a = pseudonymise("079 201 012 345", KEY)
    assert a == pseudonymise("079201012345", KEY)
    assert a != pseudonymise("079201012345", b"other-key")
    assert len(a) == 64 and "079201012345" not in a
    assert pseudonymise(None, KEY) is None and pseudonymise("  ", KEY) is None


def test_record_hash_ignores_key_order():
    assert record_hash({"a": 1, "b": [1, 2]}) == record_hash({"b": [1, 2], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})
