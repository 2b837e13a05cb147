"""The simulator over the whole period the warehouse covers: January 2024 to the present (2026-11-30),
through the 2025 reforms. Small scales, so it stays fast; seeded, so the numbers are stable."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from ioc_simulator import operators_cli
from ioc_simulator.dossiers import day_stories, iter_dossiers
from ioc_simulator.operators import (COMMUNE_NAMES, COMMUNES_BY_DISTRICT, DISTRICT_NAMES, ground_truth,
                                              months_between, station_rows, subscriber_rows)
from ioc_simulator.world import AGENCIES, REFORM_DATE, agency_version
from ioc_pipeline.sources.operator_workbooks import COMMUNES, read_workbook_file
from tests.simulator.contract import read_date

START, END = date(2024, 1, 1), date(2026, 12, 1)   # `--from 2024-01-01 --to 2026-12-01`
REFORM = date.fromisoformat(REFORM_DATE)
AUG_2025 = date(2025, 8, 1)


def _week(monday: date, scale: float) -> int:
    return sum(len(day_stories(2024, monday + timedelta(days=i), scale)) for i in range(7))


def test_tet_2025_week_has_far_fewer_submissions_than_the_weeks_around_it():
    # Tết 2025 is 29 January: the week of 27 January - 2 February is all holiday (online trickle only).
    # At 20,000 dossiers a year an ordinary week holds about 400, the Tết week about 20.
    scale = 20_000
    tet_week = _week(date(2025, 1, 27), scale)
    before, after = _week(date(2025, 1, 13), scale), _week(date(2025, 2, 17), scale)
    assert before > 300 and after > 250
    assert tet_week < 0.15 * min(before, after)
    # The working weeks right next to Tết are quiet too, but not as quiet as Tết itself.
    assert tet_week < _week(date(2025, 1, 20), scale) < before
    assert tet_week < _week(date(2025, 2, 3), scale) < after


@pytest.fixture(scope="module")
def whole_period():
    return list(iter_dossiers(start=START, end=END, scale=1500))


def test_every_dossier_is_handled_by_an_agency_in_force(whole_period):
    assert len(whole_period) > 3000
    months = Counter(read_date(r["NgayNopHoSo"]).strftime("%Y-%m") for r in whole_period)
    assert len(months) == 35 and min(months.values()) > 20   # every month, January 2024 to November 2026
    versions = defaultdict(list)
    for a in AGENCIES:
        versions[a["code"]].append(a)
    after = Counter()
    for r in whole_period:
        code = r["MaDonViTiepNhan"]
        submitted = read_date(r["NgayNopHoSo"]).date()
        assert agency_version(code, submitted) is not None, r["MaHoSo"]
        if r["NgayTiepNhan"]:
            accepted = read_date(r["NgayTiepNhan"]).date().isoformat()
            # Accepted within one of the agency's versions: never before validFrom nor after validTo.
            assert any(v["validFrom"] <= accepted and (v["validTo"] is None or accepted <= v["validTo"])
                       for v in versions[code]), r["MaHoSo"]
        if submitted >= REFORM:
            assert code.endswith(".H29"), r["MaHoSo"]
            after["commune" if ".70.H29" in code else "department"] += 1
        else:
            assert code.endswith(".H03"), r["MaHoSo"]
    # After 1 July 2025: both the HCMC departments and the new communes receive dossiers.
    assert after["commune"] > 100 and after["department"] > 100


def test_operator_workbooks_for_every_month_and_commune_names_after_the_reform(tmp_path):
    inbox = tmp_path / "inbox"
    assert operators_cli.main(["--inbox", str(inbox), "--from", START.isoformat(), "--to", END.isoformat(),
                               "--stations", "40"]) == 0
    months = months_between(START, END)
    assert len(months) == 35 and months[-1] == date(2026, 11, 1)
    assert sorted(p.name for p in inbox.glob("*.xlsx")) == sorted(
        f"{op}_{m:%Y%m}.xlsx" for op in ("viettel", "vnpt") for m in months)

    communes = {f"{kind} {name}" for kind, name in COMMUNES}
    assert communes == set(COMMUNE_NAMES) and len(communes) == 30
    for operator in ("viettel", "vnpt"):
        book = read_workbook_file(inbox / f"{operator}_202508.xlsx")
        assert book.problems == []
        assert {r.admin_unit for r in book.stations} <= communes
        assert [r.admin_unit for r in book.subscribers] == list(COMMUNE_NAMES)   # one row per commune
        truth = ground_truth(operator, AUG_2025, stations=40)
        assert sum(r.subscribers_total for r in book.subscribers) == truth.subscribers_total
        assert sum(r.subscribers_2g_only for r in book.subscribers) == truth.subscribers_2g_only
        on_air_5g = {r.station_code for r in book.stations if r.technology == "5G" and r.status == "Đang phát sóng"}
        assert len(on_air_5g) == truth.stations_5g_on_air
        # June 2025 still names the districts.
        june = read_workbook_file(inbox / f"{operator}_202506.xlsx")
        assert june.problems == [] and {r.admin_unit for r in june.stations} <= set(DISTRICT_NAMES)
        assert [r.admin_unit for r in june.subscribers] == list(DISTRICT_NAMES)


@pytest.mark.parametrize("operator", ["viettel", "vnpt"])
def test_communes_follow_the_former_districts(operator):
    june, august = date(2025, 6, 1), AUG_2025
    district_of = {r.station_code: r.admin_unit for r in station_rows(operator, june)}
    for row in station_rows(operator, august):
        assert row.admin_unit in dict(COMMUNES_BY_DISTRICT[district_of[row.station_code]]), row
    # A station keeps its commune from month to month.
    later = {r.station_code: r.admin_unit for r in station_rows(operator, date(2026, 11, 1))}
    assert all(later[r.station_code] == r.admin_unit for r in station_rows(operator, august))
    # Subscribers: each former district's figures are split across its communes, nothing lost.
    split = {r.admin_unit: r for r in subscriber_rows(operator, august)}
    for district, parts in COMMUNES_BY_DISTRICT.items():
        assert all(split[label].subscribers_2g_only <= split[label].subscribers_total for label, _ in parts)
    assert set(split) == set(COMMUNE_NAMES)
    before = {r.admin_unit: r.subscribers_total for r in subscriber_rows(operator, june)}
    for district, parts in COMMUNES_BY_DISTRICT.items():
        merged = sum(split[label].subscribers_total for label, _ in parts)
        assert 0.97 * before[district] < merged < 1.03 * before[district], district   # same size as in June
    assert sum(r.subscribers_total for r in split.values()) == ground_truth(operator, august).subscribers_total
