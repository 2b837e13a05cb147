"""Month arithmetic in Vietnam time: the turn of the year, intervals, months of a span."""

from datetime import date, datetime

from ioc_pipeline.config import VN
from ioc_pipeline.months import add_months, first_of_month, month_interval, months_between, start_of_day


def test_add_months_crosses_the_year_both_ways():
    assert add_months(date(2024, 12, 1), 1) == date(2025, 1, 1)
    assert add_months(date(2024, 12, 31), 1) == date(2025, 1, 1)
    assert add_months(date(2025, 1, 15), -1) == date(2024, 12, 1)
    assert add_months(date(2024, 7, 1), 18) == date(2026, 1, 1)
    assert first_of_month(date(2024, 2, 29)) == date(2024, 2, 1)


def test_month_interval_is_half_open_in_vietnam_time():
    assert month_interval(date(2024, 12, 20)) == (datetime(2024, 12, 1, tzinfo=VN), datetime(2025, 1, 1, tzinfo=VN))
    assert start_of_day(date(2024, 9, 2)).utcoffset().total_seconds() == 7 * 3600


def test_months_between_are_the_months_intersecting_the_span():
    assert list(months_between(date(2024, 7, 1), date(2025, 1, 1))) == [date(2024, m, 1) for m in range(7, 13)]
    assert list(months_between(date(2024, 9, 15), date(2024, 10, 2))) == [date(2024, 9, 1), date(2024, 10, 1)]
    assert list(months_between(date(2024, 9, 1), date(2024, 9, 1))) == []
