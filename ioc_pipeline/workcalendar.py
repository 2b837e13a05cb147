"""The public-sector working calendar of Vietnam, the one Python source of it.

Deadlines of dossiers run in working days of the officials' calendar (docs/domain.md §3.4, §4):
Monday to Friday, minus the days off announced for the public holidays, plus announced make-up
Saturdays. Two layers, both data:

1. the `holidays` package (`VN`, Vietnamese names): statutory holidays, substitute days and the
   swaps it happens to know (`weekend_workdays`);
2. the hand-maintained override table `dbt_project/seeds/calendar_overrides.csv` (date,
   is_working_day, reason, legal_doc), which wins over the library. It is the same file dbt loads
   as a seed, so Python (the simulator, tests) and the marts (`dim_date`) share one correction
   point; the library misses swaps announced after its release (2/5/2025 ↔ 26/4/2025,
   2/1/2026 ↔ 10/1/2026, docs/domain.md §4.3).

dbt must not need Python, so the library's part is also written to the seed
`dbt_project/seeds/public_holidays.csv` by `python -m ioc_pipeline.workcalendar --write-seed`
(deterministic; `--check` tells whether the committed file is still what the installed library
says). dim_date = weekdays − public_holidays, then overrides. That equals this module's answer only
if every weekend workday the library knows is also an override row: `--write-seed` and `--check`
refuse otherwise.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import holidays

from ioc_pipeline.config import DBT_PROJECT_DIR

SEED_DIR = DBT_PROJECT_DIR / "seeds"
OVERRIDES_CSV = SEED_DIR / "calendar_overrides.csv"
PUBLIC_HOLIDAYS_CSV = SEED_DIR / "public_holidays.csv"
# The years dim_date covers; the Python functions work for any year the library knows.
SEED_YEARS = range(2023, 2028)
LANGUAGE = "vi"


class Override(NamedTuple):
    is_working_day: bool
    reason: str
    legal_doc: str


def load_overrides(path: Path = OVERRIDES_CSV) -> dict[date, Override]:
    """The override table as dbt seeds it; a malformed row fails loudly rather than being skipped,
    because a silently dropped swap shifts every deadline around it."""
    out: dict[date, Override] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        expected = ["date", "is_working_day", "reason", "legal_doc"]
        if reader.fieldnames != expected:
            raise ValueError(f"{path}: header must be {expected}, not {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            day = date.fromisoformat(row["date"])
            flag = row["is_working_day"].strip().lower()
            if flag not in ("true", "false"):
                raise ValueError(f"{path}:{line}: is_working_day must be true or false, not {flag!r}")
            if day in out:
                raise ValueError(f"{path}:{line}: {day} appears twice")
            out[day] = Override(flag == "true", row["reason"].strip(), (row["legal_doc"] or "").strip())
    return out


_OVERRIDE_ROWS = load_overrides()

# date -> (is_working_day, reason): the simulator's historic shape of the table.
OVERRIDES: dict[date, tuple[bool, str]] = {
    day: (o.is_working_day, f"{o.reason} ({o.legal_doc})" if o.legal_doc else o.reason)
    for day, o in _OVERRIDE_ROWS.items()
}


@lru_cache(maxsize=None)
def _library(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language=LANGUAGE)


@lru_cache(maxsize=None)
def _year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(weekday days off, weekend working days) of one year: the library, then the overrides."""
    vn = _library(year)
    days_off = {d for d in vn if d.year == year and d.weekday() < 5}
    workdays = {d for d in getattr(vn, "weekend_workdays", set()) if d.year == year}
    for d, override in _OVERRIDE_ROWS.items():
        if d.year != year:
            continue
        days_off.discard(d)
        workdays.discard(d)
        if override.is_working_day and d.weekday() >= 5:
            workdays.add(d)
        elif not override.is_working_day and d.weekday() < 5:
            days_off.add(d)
    return frozenset(days_off), frozenset(workdays)


def is_working_day(d: date) -> bool:
    """True when public offices are open on `d`."""
    days_off, weekend_workdays = _year(d.year)
    if d.weekday() >= 5:
        return d in weekend_workdays
    return d not in days_off


def holiday_name(d: date) -> str | None:
    """The library's name of the holiday on `d` (weekend holidays too), else None."""
    return _library(d.year).get(d)


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


def working_days_between(a: date, b: date) -> int:
    """Working days in (a, b] when a <= b; minus the working days in (b, a] when b < a.

    With a = as-of day and b = due day this is docs/contracts/marts.md's signed "working days remaining", the
    same number dbt's `working_days_between` macro computes from dim_date.
    """
    if b >= a:
        return len(working_days(a + timedelta(days=1), b + timedelta(days=1)))
    return -len(working_days(b + timedelta(days=1), a + timedelta(days=1)))


# --- the seed ------------------------------------------------------------------------------------


def public_holidays(years: range = SEED_YEARS) -> list[tuple[date, str]]:
    """Every holiday day the library lists in `years` (weekend ones too), in date order."""
    rows: list[tuple[date, str]] = []
    for year in years:
        rows.extend((d, name) for d, name in _library(year).items() if d.year == year)
    return sorted(rows)


def render_public_holidays_seed(years: range = SEED_YEARS) -> str:
    """The seed's exact text: sorted, LF line ends, minimal quoting, so regenerating is a no-op."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "holiday_name"])
    for d, name in public_holidays(years):
        writer.writerow([d.isoformat(), name])
    return buffer.getvalue()


def uncovered_library_workdays(years: range = SEED_YEARS) -> list[date]:
    """Weekend workdays the library knows but the override table lacks: dbt would miss them."""
    missing = []
    for year in years:
        for d in sorted(getattr(_library(year), "weekend_workdays", set())):
            if d.year == year and d not in _OVERRIDE_ROWS:
                missing.append(d)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ioc_pipeline.workcalendar",
        description="Write or check dbt_project/seeds/public_holidays.csv from the holidays package.",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write-seed", action="store_true", help="(re)write the seed file")
    group.add_argument("--check", action="store_true", help="exit 1 when the seed file is stale")
    parser.add_argument("--path", type=Path, default=PUBLIC_HOLIDAYS_CSV)
    args = parser.parse_args(argv)

    missing = uncovered_library_workdays()
    if missing:
        print(
            "the holidays package knows make-up days that calendar_overrides.csv lacks "
            f"(add them, with their legal document): {', '.join(map(str, missing))}",
            file=sys.stderr,
        )
        return 1
    text = render_public_holidays_seed()
    if args.write_seed:
        args.path.write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.path} ({text.count(chr(10)) - 1} holiday days, "
              f"{SEED_YEARS.start}-{SEED_YEARS.stop - 1}, holidays {holidays.__version__})")
        return 0
    current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
    if current != text:
        print(f"{args.path} differs from holidays {holidays.__version__}: run --write-seed", file=sys.stderr)
        return 1
    print(f"{args.path} is up to date (holidays {holidays.__version__})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
