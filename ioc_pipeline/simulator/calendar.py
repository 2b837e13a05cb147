"""The public-sector working-day calendar the simulated one-stop desks set appointments with.

A dossier's appointment date (`NgayHenTra`) is its acceptance day plus the procedure's time limit in
*working days* of the officials' calendar (domain.md §3.4, §4): Monday to Friday, minus public
holidays and announced swap days, plus announced make-up Saturdays. The `holidays` package knows
the statutory holidays and, in the version we use, the 2024 and 2025 swaps; `OVERRIDES` restates
the swaps we rely on so the simulator does not change if a different library version disagrees,
and is where a correction goes (see domain.md §4.3 for what older versions got wrong).

Note: this module is `ioc_pipeline.simulator.calendar`; always import it by its package path (never
run files of this folder as scripts, or it shadows the standard library's `calendar`).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

# date -> (is_working_day, reason). Wins over the library.
OVERRIDES: dict[date, tuple[bool, str]] = {
    date(2024, 4, 29): (False, "Nghỉ hoán đổi dịp 30/4–1/5 (CV 2450/VPCP-KGVX)"),
    date(2024, 5, 4): (True, "Làm bù cho thứ Hai 29/4/2024 (CV 2450/VPCP-KGVX)"),
    date(2025, 5, 2): (False, "Nghỉ hoán đổi dịp 30/4–1/5 (TB 6150/TB-BLĐTBXH)"),
    date(2025, 4, 26): (True, "Làm bù cho thứ Sáu 2/5/2025 (TB 6150/TB-BLĐTBXH)"),
    date(2026, 1, 2): (False, "Nghỉ hoán đổi dịp Tết Dương lịch 2026 (CV 12729/VPCP-KGVX)"),
    date(2026, 1, 10): (True, "Làm bù cho thứ Sáu 2/1/2026 (CV 12729/VPCP-KGVX)"),
}


@lru_cache(maxsize=None)
def _year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(weekday days off, weekend working days) of one year, library first, then overrides."""
    vn = holidays.country_holidays("VN", years=year)
    days_off = {d for d in vn if d.year == year and d.weekday() < 5}
    workdays = {d for d in getattr(vn, "weekend_workdays", set()) if d.year == year}
    for d, (working, _reason) in OVERRIDES.items():
        if d.year != year:
            continue
        days_off.discard(d)
        workdays.discard(d)
        if working and d.weekday() >= 5:
            workdays.add(d)
        elif not working and d.weekday() < 5:
            days_off.add(d)
    return frozenset(days_off), frozenset(workdays)


def is_working_day(d: date) -> bool:
    """True when public offices are open on `d`."""
    days_off, weekend_workdays = _year(d.year)
    if d.weekday() >= 5:
        return d in weekend_workdays
    return d not in days_off


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (before it when n < 0); `start` itself when n == 0.

    `start` need not be a working day: add_working_days(saturday, 1) is the next working day.
    """
    step = 1 if n >= 0 else -1
    d, left = start, abs(n)
    while left:
        d += timedelta(days=step)
        if is_working_day(d):
            left -= 1
    return d


def working_days(start: date, end: date) -> list[date]:
    """Working days in [start, end)."""
    out, d = [], start
    while d < end:
        if is_working_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out
