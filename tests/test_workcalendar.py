"""The public-sector working calendar in Python (ioc_pipeline.workcalendar) and its seed files.

The dbt side (dim_date built from the same seeds, compared day by day with this module) is
tested in tests/dbt/test_timeliness_marts.py.
"""

from __future__ import annotations

from datetime import date

import pytest

from ioc_pipeline import workcalendar as wc


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Tết Ất Tỵ 2025: 29 Tết (Mon 27/1) .. mùng 4 (Sat 1/2)
        (date(2025, 1, 24), True), (date(2025, 1, 27), False), (date(2025, 1, 29), False),
        (date(2025, 1, 31), False), (date(2025, 2, 3), True),
        # 30/4-1/5/2024: Mon 29/4 swapped for Sat 4/5 (CV 2450/VPCP-KGVX)
        (date(2024, 4, 26), True), (date(2024, 4, 29), False), (date(2024, 4, 30), False),
        (date(2024, 5, 1), False), (date(2024, 5, 2), True), (date(2024, 5, 4), True), (date(2024, 5, 5), False),
        # 30/4-1/5/2025: Fri 2/5 swapped for Sat 26/4
        (date(2025, 4, 26), True), (date(2025, 5, 2), False),
        # National Day 2024 (Mon 2/9 + Tue 3/9) and 2025 (Mon 1/9 + Tue 2/9)
        (date(2024, 8, 30), True), (date(2024, 9, 2), False), (date(2024, 9, 3), False), (date(2024, 9, 4), True),
        (date(2025, 9, 1), False), (date(2025, 9, 2), False), (date(2025, 9, 3), True),
        # New Year 2026: Fri 2/1 swapped for Sat 10/1 (CV 12729/VPCP-KGVX), unknown to the library
        (date(2026, 1, 1), False), (date(2026, 1, 2), False), (date(2026, 1, 10), True),
        # ordinary weekend and weekday
        (date(2024, 7, 6), False), (date(2024, 7, 7), False), (date(2024, 7, 8), True),
    ],
)
def test_is_working_day(day, working):
    assert wc.is_working_day(day) is working


def test_working_days_between_is_signed_and_half_open():
    # (30/8, 4/9] 2024: Sat, Sun, two National Day days, then Wed 4/9
    assert wc.working_days_between(date(2024, 8, 30), date(2024, 9, 4)) == 1
    assert wc.working_days_between(date(2024, 8, 30), date(2024, 9, 5)) == 2
    assert wc.working_days_between(date(2024, 8, 30), date(2024, 8, 30)) == 0
    # due before the as-of day: minus the working days in (D, A]
    assert wc.working_days_between(date(2024, 9, 4), date(2024, 8, 30)) == -1
    assert wc.working_days_between(date(2024, 9, 2), date(2024, 8, 28)) == -2
    assert wc.working_days_between(date(2024, 8, 31), date(2024, 8, 30)) == 0  # A a Saturday
    # Tết 2025: Fri 24/1 -> Mon 3/2 is one working day
    assert wc.working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    # the 2024 swap: Fri 26/4 -> Mon 6/5 = Thu 2, Fri 3, Sat 4, Mon 6
    assert wc.working_days_between(date(2024, 4, 26), date(2024, 5, 6)) == 4


def test_add_working_days_and_working_days():
    assert wc.add_working_days(date(2024, 8, 30), 1) == date(2024, 9, 4)
    assert wc.add_working_days(date(2024, 9, 4), -1) == date(2024, 8, 30)
    assert wc.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert wc.add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)
    assert len(wc.working_days(date(2024, 9, 1), date(2024, 10, 1))) == 19  # 21 weekdays - 2 holidays


def test_overrides_are_the_dbt_seed_and_cover_the_library_swaps():
    assert wc.OVERRIDES_CSV == wc.DBT_PROJECT_DIR / "seeds" / "calendar_overrides.csv"
    rows = wc.load_overrides()
    assert {d for d, o in rows.items() if o.is_working_day} == {
        date(2024, 5, 4), date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)}
    assert rows[date(2026, 1, 2)].legal_doc == "CV 12729/VPCP-KGVX"
    assert wc.uncovered_library_workdays() == []


def test_public_holidays_seed_is_generated_and_current(capsys):
    text = wc.PUBLIC_HOLIDAYS_CSV.read_text(encoding="utf-8")
    assert text == wc.render_public_holidays_seed()
    assert wc.render_public_holidays_seed() == wc.render_public_holidays_seed()  # deterministic
    lines = text.splitlines()
    assert lines[0] == "date,holiday_name"
    assert "2024-09-02,Quốc khánh" in lines and "2025-01-27,29 Tết" in lines
    assert {line[:4] for line in lines[1:]} == {"2023", "2024", "2025", "2026", "2027"}
    assert wc.main(["--check"]) == 0


def test_write_seed_and_check_on_a_copy(tmp_path):
    target = tmp_path / "public_holidays.csv"
    assert wc.main(["--check", "--path", str(target)]) == 1  # missing = stale
    assert wc.main(["--write-seed", "--path", str(target)]) == 0
    assert target.read_bytes() == wc.PUBLIC_HOLIDAYS_CSV.read_bytes()
    assert wc.main(["--check", "--path", str(target)]) == 0


def test_malformed_override_rows_fail_loudly(tmp_path):
    bad = tmp_path / "calendar_overrides.csv"
    bad.write_text("date,is_working_day,reason,legal_doc\n2024-05-04,yes,Làm bù,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="true or false"):
        wc.load_overrides(bad)
    bad.write_text("date,is_working_day,reason,legal_doc\n2024-05-04,true,a,\n2024-05-04,true,b,\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        wc.load_overrides(bad)
