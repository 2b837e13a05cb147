"""Calendar months and days as the pipeline counts them: in Vietnam time, a month named by its first day.

Why one module: the portal's 766 index is asked per ended month and operators' workbooks are due
before the 10th of the next month, and both are loaded as one batch per month interval. Month
arithmetic is easy to get wrong at the turn of the year; one tested copy serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

from ioc_pipeline.config import VN


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after (before, when n < 0) the month of `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> Iterator[date]:
    """The first day of every month that intersects `[start, end)`, in order."""
    month = first_of_month(start)
    while month < end:
        yield month
        month = add_months(month, 1)


def start_of_day(day: date) -> datetime:
    """00:00 Vietnam time on `day`."""
    return datetime.combine(day, time(0, 0), VN)


def month_interval(month: date) -> tuple[datetime, datetime]:
    """`[first day 00:00, first day of the next month 00:00)` of the month of `month`, Vietnam time."""
    return start_of_day(first_of_month(month)), start_of_day(add_months(month, 1))
