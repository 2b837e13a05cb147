"""The report's own rules, without a database: formats, the gap to target, which months and
which page carries the watchlist, agency names over versions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from ioc_pipeline.report import fmt
from ioc_pipeline.report.auditors import check_status
from ioc_pipeline.report.breakthroughs import AgencyNames, remote_gap, report_months, watchlist_month


@pytest.mark.parametrize("rate, text", [
    (Decimal("0.70454545454545454545"), "70,5%"),
    (Decimal("0.6744186046511627907"), "67,4%"),
    (Decimal("0.0005"), "0,1%"),  # half up, not half even
    (Decimal("0.00044"), "0,0%"),
    (1, "100,0%"),
    (0.65, "65,0%"),
    (None, "—"),
])
def test_rates_are_percentages_with_one_decimal_comma(rate, text):
    assert fmt.pct(rate) == text


def test_counts_group_thousands_with_a_dot():
    assert [fmt.number(v) for v in (0, 999, 1000, 1558089, -1234, None)] == [
        "0", "999", "1.000", "1.558.089", "-1.234", "—"]
    assert fmt.number(Decimal("3.25"), 1) == "3,3"


def test_times_are_shown_in_vietnam():
    assert fmt.vn_time(datetime(2024, 9, 30, 17, 30, tzinfo=timezone.utc)) == "01/10/2024 00:30"
    assert fmt.vn_time(None) == "—"


@pytest.mark.parametrize("target, accepted, remote, gap", [
    (Decimal("0.70"), 44, 30, 1),     # ceil(30.8) = 31
    (Decimal("0.70"), 10, 7, 0),      # exactly met
    (Decimal("0.70"), 10, 9, 0),      # above: no gap
    (Decimal("0.65"), 3, 0, 2),       # ceil(1.95) = 2
    (Decimal("0.70"), 100, 69, 1),    # no float rounding: 0.70 x 100 is 70, not 70.00000001
    (None, 10, 1, None),              # no target that month
    (Decimal("0.70"), 0, 0, None),    # nothing accepted
])
def test_gap_is_the_remote_dossiers_missing_for_the_target(target, accepted, remote, gap):
    assert remote_gap(target, accepted, remote) == gap


def test_a_month_needs_a_measured_indicator():
    rows = [
        {"month": date(2024, 9, 1), "indicator_code": "b3_online_remote_rate", "actual": Decimal("0.7")},
        {"month": date(2024, 11, 1), "indicator_code": "b2_5g_on_air_all", "actual": None},  # plan only
        {"month": date(2024, 11, 1), "indicator_code": "b1_sources_integrated", "actual": 1},  # as-of month
        {"month": date(2024, 10, 1), "indicator_code": "b1_overdue_dossiers", "actual": 0},
    ]
    assert report_months(rows) == [date(2024, 9, 1), date(2024, 10, 1)]


def test_the_watchlist_goes_on_the_latest_month_begun_by_the_as_of_day():
    months = [date(2024, 9, 1), date(2024, 10, 1), date(2024, 12, 1)]
    assert watchlist_month(months, date(2024, 11, 1)) == date(2024, 10, 1)
    assert watchlist_month(months, date(2024, 12, 20)) == date(2024, 12, 1)
    assert watchlist_month(months, date(2025, 1, 1)) == date(2024, 12, 1)
    assert watchlist_month(months, None) == date(2024, 12, 1)
    assert watchlist_month([], date(2025, 1, 1)) is None


def test_agency_name_is_the_version_in_force_at_month_end():
    names = AgencyNames([
        {"agency_code": "A", "agency_name": "UBND huyện Cũ", "level": "HUYEN",
         "valid_from": date(2020, 1, 1), "valid_to": date(2025, 6, 30)},
        {"agency_code": "A", "agency_name": "UBND xã Mới", "level": "XA",
         "valid_from": date(2025, 7, 1), "valid_to": None},
    ])
    assert names.name("A", date(2024, 10, 1)) == "UBND huyện Cũ"
    assert (names.name("A", date(2025, 7, 1)), names.level("A", date(2025, 7, 1))) == ("UBND xã Mới", "XA")
    assert names.name("UNKNOWN", date(2024, 10, 1)) == "UNKNOWN"


def test_a_failed_check_is_a_warning_or_a_failure_by_its_severity():
    assert [check_status(True, "critical"), check_status(False, "warning"), check_status(False, "critical")] == [
        "pass", "warn", "fail"]
