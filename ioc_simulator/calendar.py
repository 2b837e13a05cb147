"""Vietnam's public-sector working calendar for 2024-2026, written by hand from the announcements.

The simulated one-stop desks set their appointment dates with it, and the ground truth
(`truth.py`) counts working days with it. It is deliberately independent of the warehouse: nothing
here is read from `ioc_pipeline` or from the dbt seeds (`calendar_overrides.csv`,
`public_holidays.csv`), and nothing comes from the `holidays` package. The warehouse builds its
calendar from those; this table is the second, independent reading that the end-to-end tests hold
the warehouse to (tests/simulator/test_oracle_calendar.py lists the days where the two differ).

A working day (docs/contracts/marts.md "working day", docs/domain.md §3.4, §4) is Monday to Friday, except the days
off announced for officials (cán bộ, công chức, viên chức) around the public holidays of the Labour
Code 2019 Art. 112 (New Year, Tết, Hùng Kings, 30/4, 1/5, National Day 2/9 plus one adjacent day),
the substitute day when a holiday falls on a weekend (Art. 111(3)), and the swapped days off; plus
the make-up Saturdays announced with the swaps.

Every official break is listed day by day (weekend days included, so that `holiday_name` can name
them) with the document that announced it. Where the number of a notice could not be checked here
it says so: a claim without a checked source is marked, not hidden.

Outside 2024-2026 (`KNOWN_YEARS`) only the fixed-date statutory holidays (1/1, 30/4, 1/5, 2/9) are
known, so the answer there is approximate: `covers(day)` tells. The simulator needs an answer a
little past 2026 (appointments of the last dossiers); the ground truth does not count working days
outside the known years.

Note: this module is `ioc_simulator.calendar`; always import it by its package path (never run files
of this folder as scripts, or it shadows the standard library's `calendar`).
"""

from __future__ import annotations

from datetime import date, timedelta

KNOWN_YEARS = (2024, 2025, 2026)


def _span(first: date, last: date, name: str) -> dict[date, str]:
    return {first + timedelta(days=i): name for i in range((last - first).days + 1)}


# --- days off for officials, by break -------------------------------------------------------------------
DAYS_OFF: dict[date, str] = {
    # 2024 ------------------------------------------------------------------------------------------
    # New Year: Mon 1/1/2024 (Labour Code 2019 Art. 112(1)(a); no swap announced for 2024).
    date(2024, 1, 1): "Tết Dương lịch",
    # Tết Giáp Thìn: Thu 8/2 - Wed 14/2/2024, 7 days (29 Tết to mùng 5). MoLISA notice on the 2024
    # Tết holiday for officials (November 2023; notice number not checked here).
    **_span(date(2024, 2, 8), date(2024, 2, 14), "Tết Nguyên Đán"),
    # Hùng Kings (10/3 lunar): Thu 18/4/2024 (Labour Code Art. 112(1)(c)).
    date(2024, 4, 18): "Giỗ Tổ Hùng Vương",
    # 30/4-1/5: Sat 27/4 - Wed 1/5/2024; Mon 29/4 swapped for the make-up Saturday 4/5
    # (CV 2450/VPCP-KGVX, 12/4/2024).
    **_span(date(2024, 4, 27), date(2024, 4, 28), "Nghỉ dịp 30/4-1/5 (cuối tuần)"),
    date(2024, 4, 29): "Nghỉ hoán đổi (làm bù thứ Bảy 4/5/2024)",
    date(2024, 4, 30): "Ngày Chiến thắng",
    date(2024, 5, 1): "Ngày Quốc tế Lao động",
    # National Day: Sat 31/8 - Tue 3/9/2024, days off Mon 2/9 and Tue 3/9, no swap (MoLISA
    # announcement, reported by SGGP "National Day holiday to last four days", 2024; Fri 30/8 was a
    # working day).
    **_span(date(2024, 8, 31), date(2024, 9, 1), "Nghỉ Quốc khánh (cuối tuần)"),
    date(2024, 9, 2): "Quốc khánh",
    date(2024, 9, 3): "Quốc khánh (ngày liền kề)",
    # 2025 ------------------------------------------------------------------------------------------
    # New Year: Wed 1/1/2025 (Labour Code Art. 112(1)(a)).
    date(2025, 1, 1): "Tết Dương lịch",
    # Tết Ất Tỵ: Sat 25/1 - Sun 2/2/2025, 9 days, weekdays Mon 27/1 - Fri 31/1 (TB 6150/TB-BLĐTBXH,
    # 14/11/2024, per CV 8726/VPCP-KGVX; docs/domain.md §4.2 marks the Tết part as unverified).
    **_span(date(2025, 1, 25), date(2025, 2, 2), "Tết Nguyên Đán"),
    # Hùng Kings (10/3 lunar): Mon 7/4/2025.
    date(2025, 4, 7): "Giỗ Tổ Hùng Vương",
    # 30/4-1/5: Wed 30/4 - Sun 4/5/2025; Fri 2/5 swapped for the make-up Saturday 26/4
    # (TB 6150/TB-BLĐTBXH per CV 8726/VPCP-KGVX).
    date(2025, 4, 30): "Ngày Chiến thắng",
    date(2025, 5, 1): "Ngày Quốc tế Lao động",
    date(2025, 5, 2): "Nghỉ hoán đổi (làm bù thứ Bảy 26/4/2025)",
    **_span(date(2025, 5, 3), date(2025, 5, 4), "Nghỉ dịp 30/4-1/5 (cuối tuần)"),
    # National Day: Sat 30/8 - Tue 2/9/2025, days off Mon 1/9 (adjacent day) and Tue 2/9 (reported by
    # SGGP/VNA, 3/8/2025).
    **_span(date(2025, 8, 30), date(2025, 8, 31), "Nghỉ Quốc khánh (cuối tuần)"),
    date(2025, 9, 1): "Quốc khánh (ngày liền kề)",
    date(2025, 9, 2): "Quốc khánh",
    # 2026 ------------------------------------------------------------------------------------------
    # New Year: Thu 1/1 - Sun 4/1/2026; Fri 2/1 swapped for the make-up Saturday 10/1
    # (CV 12729/VPCP-KGVX, 25/12/2025).
    date(2026, 1, 1): "Tết Dương lịch",
    date(2026, 1, 2): "Nghỉ hoán đổi (làm bù thứ Bảy 10/1/2026)",
    **_span(date(2026, 1, 3), date(2026, 1, 4), "Tết Dương lịch (cuối tuần)"),
    # Tết Bính Ngọ: Sat 14/2 - Sun 22/2/2026, 9 days, weekdays Mon 16/2 - Fri 20/2 (Ministry of Home
    # Affairs announcement, reported by Việt Nam News 17/10/2025).
    **_span(date(2026, 2, 14), date(2026, 2, 22), "Tết Nguyên Đán"),
    # Hùng Kings (10/3 lunar) falls on Sun 26/4/2026: Mon 27/4 is the substitute day (Labour Code
    # Art. 111(3)).
    date(2026, 4, 26): "Giỗ Tổ Hùng Vương",
    date(2026, 4, 27): "Giỗ Tổ Hùng Vương (nghỉ bù)",
    # 30/4-1/5: Thu 30/4 - Sun 3/5/2026, no swap.
    date(2026, 4, 30): "Ngày Chiến thắng",
    date(2026, 5, 1): "Ngày Quốc tế Lao động",
    **_span(date(2026, 5, 2), date(2026, 5, 3), "Nghỉ dịp 30/4-1/5 (cuối tuần)"),
    # National Day: Sat 29/8 - Wed 2/9/2026: Mon 31/8 swapped for the make-up Saturday 22/8, Tue 1/9
    # adjacent day, Wed 2/9 (Ministry of Home Affairs announcement, reported by Việt Nam News
    # 17/10/2025; notice number not checked here).
    **_span(date(2026, 8, 29), date(2026, 8, 30), "Nghỉ Quốc khánh (cuối tuần)"),
    date(2026, 8, 31): "Nghỉ hoán đổi (làm bù thứ Bảy 22/8/2026)",
    date(2026, 9, 1): "Quốc khánh (ngày liền kề)",
    date(2026, 9, 2): "Quốc khánh",
    # Not listed: 24/11/2026 "Ngày Văn hóa Việt Nam". Resolution 30/NQ-CP (reported 26/02/2026) only
    # tasks an amendment of Labour Code Art. 112(1); no enacted text was found (docs/domain.md §4.1).
}

# --- make-up Saturdays (worked) ---------------------------------------------------------------------------
MAKEUP_SATURDAYS: dict[date, str] = {
    date(2024, 5, 4): "Làm bù cho thứ Hai 29/4/2024 (CV 2450/VPCP-KGVX)",
    date(2025, 4, 26): "Làm bù cho thứ Sáu 2/5/2025 (TB 6150/TB-BLĐTBXH)",
    date(2026, 1, 10): "Làm bù cho thứ Sáu 2/1/2026 (CV 12729/VPCP-KGVX)",
    date(2026, 8, 22): "Làm bù cho thứ Hai 31/8/2026 (Bộ Nội vụ, 10/2025)",
}

# Outside KNOWN_YEARS: the fixed-date statutory holidays (month, day) only.
_FIXED_DATE_HOLIDAYS = {(1, 1): "Tết Dương lịch", (4, 30): "Ngày Chiến thắng", (5, 1): "Ngày Quốc tế Lao động",
                        (9, 2): "Quốc khánh"}


def covers(day: date) -> bool:
    """True when `day` lies in a year whose announcements are written down here."""
    return day.year in KNOWN_YEARS


def holiday_name(day: date) -> str | None:
    """Why officials do not work on `day` (weekend days of a break included), else None."""
    if covers(day):
        return DAYS_OFF.get(day)
    return _FIXED_DATE_HOLIDAYS.get((day.month, day.day))


def is_working_day(day: date) -> bool:
    """True when public offices are open on `day`."""
    if day in MAKEUP_SATURDAYS:
        return True
    if day.weekday() >= 5:
        return False
    return holiday_name(day) is None


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (before it when n < 0); `start` itself when n == 0.
    `start` need not be a working day: add_working_days(saturday, 1) is the next working day."""
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


def working_days(start: date, end: date) -> list[date]:
    """Working days in [start, end)."""
    out, day = [], start
    while day < end:
        if is_working_day(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def working_days_remaining(as_of: date, due: date) -> int:
    """docs/contracts/marts.md "working days remaining" as of day A for due day D: the working days in (A, D] when
    D >= A, minus the working days in (D, A] when D < A."""
    if due >= as_of:
        return len(working_days(as_of + timedelta(days=1), due + timedelta(days=1)))
    return -len(working_days(due + timedelta(days=1), as_of + timedelta(days=1)))
