"""The loader and dbt read the source's date strings with one grammar.

The loader parses dates with `ioc_pipeline.sources.formats.parse_source_datetime` (and quarantines
what it cannot read); staging reads the same strings again with the dbt macro `parse_source_ts`.
Both get the same edge cases here — valid and invalid, ASCII and not — and must give the same
verdict: the same instant, or "unreadable" (an exception in Python, null in SQL, never an error).

The macro is compiled by `dbt compile --inline` and run on a throwaway database, under a session
time zone and DateStyle that differ from Vietnam's, to show that neither matters.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import unicodedata

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.sources.formats import UnreadableValue, parse_source_datetime
from tests.conftest import make_database

DBT_EXECUTABLE = config.Path(sys.executable).parent / "dbt"

# (value, what it shows); the verdict of each comes from the Python parser, not from this list
EDGE_CASES = [
    ("20240715081500", "compact"),
    ("15/07/2024 08:15:00", "slashed"),
    ("  20240715081500  ", "surrounding spaces are stripped"),
    ("\t15/07/2024 08:15:00\r\n", "surrounding tab, CR, LF are stripped"),
    ("\u00a020240715081500\u3000", "no-break and ideographic spaces are whitespace too"),
    ("\u200b20240715081500", "a zero-width space is not whitespace"),
    ("", "empty"),
    ("   ", "blank"),
    ("20240229000000", "29 February of a leap year"),
    ("29/02/2000 12:00:00", "2000 is a leap year (divisible by 400)"),
    ("20230229000000", "29 February of a common year"),
    ("29/02/1900 00:00:00", "1900 is not a leap year (divisible by 100)"),
    ("19000229000000", "1900 again, compact"),
    ("20240231081500", "31 February"),
    ("31/02/2024 08:00:00", "31 February, slashed"),
    ("30/04/2024 23:59:59", "30 April"),
    ("31/04/2024 00:00:00", "31 April"),
    ("20241231235959", "last second of a year"),
    ("20241301000000", "month 13"),
    ("20240001000000", "month 00"),
    ("00/01/2024 00:00:00", "day 00"),
    ("20240715240000", "hour 24"),
    ("20240715236000", "minute 60"),
    ("20240715235960", "second 60 (leap second)"),
    ("00010101000000", "year 1"),
    ("01/01/0001 00:00:00", "year 1, slashed"),
    ("00000101000000", "year 0"),
    ("99991231235959", "year 9999"),
    ("31/12/9999 23:59:59", "year 9999, slashed"),
    ("1/8/2024 07:05:09", "one-digit day and month"),
    ("01/08/2024 7:05:09", "one-digit hour"),
    ("01/08/2024  07:05:09", "two spaces"),
    ("01/08/2024\t07:05:09", "a tab between date and time"),
    ("01/08/202407:05:09", "no space"),
    ("01-08-2024 07:05:09", "dashes"),
    ("2024-07-15T08:15:00", "ISO 8601 extended"),
    ("2024-07-15 08:15:00", "ISO date and time"),
    ("20240715", "date only"),
    ("2024071508150", "13 digits"),
    ("202407150815000", "15 digits"),
    ("+20240715081500", "a sign"),
    ("20240715081500Z", "a zone letter"),
    ("15/07/2024 08:15:00.5", "fractional seconds"),
    ("15/07/2024 08:15", "no seconds"),
    ("２０２４０７１５０８１５００", "full-width digits are digits (Python's \\d)"),
    ("١٥/٠٧/٢٠٢٤ ٠٨:١٥:٠٠", "Arabic-Indic digits, slashed"),
    ("2024٠٧15081500", "digits of two scripts"),
    ("²⁰²⁴⁰⁷¹⁵⁰⁸¹⁵⁰⁰", "superscripts are not decimal digits"),
    ("１５／０７／２０２４ ０８:１５:００", "a full-width slash is not a slash"),
    ("20240715081500\n", "trailing newline (Python's $ would allow it before the strip)"),
]


def _in_script(text: str, zero: int) -> str:
    """The ASCII digits of `text` written with the digits of the script whose zero is `zero`."""
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


def _generated_cases() -> list[tuple[str, str]]:
    """One date per script of Unicode decimal digits, and one per whitespace character."""
    zeros = [c for c in range(0x80, 0x110000)
             if unicodedata.category(chr(c)) == "Nd" and unicodedata.decimal(chr(c)) == 0]
    cases = [(_in_script("29/02/2024 23:59:59", z), f"digits from U+{z:04X}") for z in zeros]
    cases += [(_in_script("20240231000000", z), f"31 February, digits from U+{z:04X}") for z in zeros[::7]]
    spaces = [c for c in range(0x110000) if chr(c).isspace()]
    cases += [(chr(c) + "20240715081500" + chr(c), f"surrounded by U+{c:04X}") for c in spaces]
    cases += [(f"15/07/2024{chr(c)}08:15:00", f"U+{c:04X} between date and time") for c in spaces if c != 0x20]
    # characters that look like whitespace or digits but are neither for Python
    for c in (0x180E, 0x200B, 0x2060, 0xFEFF, 0x00B2, 0x2460, 0x0F2A):
        cases.append((chr(c) + "20240715081500", f"U+{c:04X} in front"))
    return cases


CASES = EDGE_CASES + _generated_cases()


def python_verdict(value: str) -> float | None:
    """Seconds since the epoch of the instant the loader reads, None when it refuses the value."""
    try:
        moment = parse_source_datetime(value)
    except UnreadableValue:
        return None
    # by hand: .timestamp() overflows for year 1 (its UTC time is in year 0)
    naive = moment.replace(tzinfo=None) - dt.datetime(1970, 1, 1)
    return naive.total_seconds() - moment.utcoffset().total_seconds()


@pytest.fixture(scope="module")
def warehouse():
    url, drop = make_database("ioc_dates_test")
    yield url
    drop()


@pytest.fixture(scope="module")
def parse_source_ts_sql(warehouse, tmp_path_factory) -> str:
    """The macro compiled for a column named `value`."""
    work = tmp_path_factory.mktemp("dbt")
    env = {**os.environ, **config.QUIET_ENV, **warehouse.dbt_env()}
    result = subprocess.run(
        [str(DBT_EXECUTABLE), "compile", "--quiet", "--inline", "{{ parse_source_ts('value') }}",
         "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout.strip()


def dbt_verdicts(url, expression: str, values: list[str]) -> list[float | None]:
    with psycopg.connect(url.url, autocommit=True) as conn:
        conn.execute("set time zone 'America/Los_Angeles'")
        conn.execute("set datestyle = 'SQL, MDY'")
        rows = conn.execute(
            f"select extract(epoch from {expression})::float8"
            " from unnest(%s::text[]) with ordinality as cases (value, position) order by position",
            (values,),
        ).fetchall()
    return [row[0] for row in rows]


def test_the_cases_cover_both_verdicts():
    verdicts = [python_verdict(value) for value, _ in EDGE_CASES]
    assert sum(v is not None for v in verdicts) >= 15 and sum(v is None for v in verdicts) >= 25


def test_dbt_reads_every_source_date_string_as_the_loader_does(warehouse, parse_source_ts_sql):
    values = [value for value, _ in CASES]
    got = dbt_verdicts(warehouse, parse_source_ts_sql, values)
    mismatches = [
        (why, repr(value), python, sql)
        for (value, why), python, sql in zip(CASES, (python_verdict(v) for v in values), got)
        if python != sql
    ]
    assert mismatches == []


def test_the_same_instant_whatever_the_format(warehouse, parse_source_ts_sql):
    compact, slashed, arabic = dbt_verdicts(
        warehouse, parse_source_ts_sql, ["20240715081500", "15/07/2024 08:15:00", "١٥/٠٧/٢٠٢٤ ٠٨:١٥:٠٠"])
    expected = dt.datetime(2024, 7, 15, 1, 15, tzinfo=dt.timezone.utc).timestamp()
    assert compact == slashed == arabic == expected
