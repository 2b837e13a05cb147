"""The operator marts (bts_station, kpi_5g_monthly, kpi_2g_monthly) built by dbt on a scratch
database: first on empty raw tables, then on the simulator's workbooks loaded through the
task functions, with a corrected workbook and a missing one. Expected numbers come from the
simulator's ground truth (its model, not its workbooks) and the plan in the `targets` seed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.tasks.operator_reports import load_new_reports
from ioc_simulator.operators import OperatorFaults, fill_inbox, ground_truth, station_rows
from tests.conftest import make_database

DBT = Path(sys.executable).parent / "dbt"
MONTHS = [date(2024, m, 1) for m in range(7, 13)]
SELECT = ["+bts_station", "+kpi_5g_monthly", "+kpi_2g_monthly"]
PLAN = {"viettel": [23, 47, 70, 93, 117, 140], "vnpt": [10, 20, 30, 40, 50, 60], "all": [33, 67, 100, 133, 167, 200]}


def _dbt_build(warehouse, work: Path) -> None:
    env = {**os.environ, **config.QUIET_ENV, **warehouse.dbt_env()}
    command = [str(DBT), "build", "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir",
               str(config.DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
               "--select", *SELECT]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:]


def _rows(url, sql):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(url, marts on empty raw, then marts after loading) — two builds of one database."""
    warehouse, drop = make_database("ioc_op_marts")
    work = tmp_path_factory.mktemp("dbt")
    inbox = tmp_path_factory.mktemp("inbox")
    try:
        _dbt_build(warehouse, work)
        empty = {name: _rows(warehouse.url, f"select * from marts.{name}")
                 for name in ("bts_station", "kpi_5g_monthly", "kpi_2g_monthly")}
        faults = OperatorFaults.of(corrected=[("viettel", "2024-09")])
        # VNPT's December workbook never arrives; Viettel's September one is corrected 8 days later.
        kwargs = dict(faults=faults)
        fill_inbox(inbox, operators=["viettel"], months=MONTHS, as_of=datetime(2024, 10, 10, tzinfo=VN), **kwargs)
        fill_inbox(inbox, operators=["vnpt"], months=MONTHS[:5], as_of=datetime(2024, 10, 10, tzinfo=VN), **kwargs)
        load_new_reports(warehouse.url, inbox)
        fill_inbox(inbox, operators=["viettel"], months=MONTHS, **kwargs)
        fill_inbox(inbox, operators=["vnpt"], months=MONTHS[:5], **kwargs)
        load_new_reports(warehouse.url, inbox)
        _dbt_build(warehouse, work)
        yield warehouse.url, empty
    finally:
        drop()


def test_empty_warehouse_builds_and_shows_every_planned_month_as_not_received(built):
    _, empty = built
    assert empty["bts_station"] == [] and empty["kpi_2g_monthly"] == []
    assert len(empty["kpi_5g_monthly"]) == 18        # Jul-Dec 2024 targets x (viettel, vnpt, all)
    assert {(r[2], r[3]) for r in empty["kpi_5g_monthly"]} == {(None, False)}


def test_kpi_5g_monthly_follows_the_latest_workbook_and_the_plan(built):
    url, _ = built
    rows = {(r[0], r[1]): r[2:] for r in _rows(url, """
        select month, operator, stations_5g_on_air, report_received, target, meets_target, report_on_time,
               report_versions
          from marts.kpi_5g_monthly""")}
    assert len(rows) == 18
    for i, month in enumerate(MONTHS):
        viettel = ground_truth("viettel", month).stations_5g_on_air
        assert rows[(month, "viettel")][:4] == (viettel, True, Decimal(PLAN["viettel"][i]), True)
        if month < date(2024, 12, 1):
            vnpt = ground_truth("vnpt", month).stations_5g_on_air
            assert rows[(month, "vnpt")][:4] == (vnpt, True, Decimal(PLAN["vnpt"][i]), False)
            assert rows[(month, "all")][:3] == (viettel + vnpt, True, Decimal(PLAN["all"][i]))
    # The correction (2 versions) wins: 72 on air, not the first version's 65.
    assert rows[(date(2024, 9, 1), "viettel")] == (72, True, Decimal(70), True, True, 2)
    # No VNPT workbook for December: unknown, not zero, and so is the province total.
    assert rows[(date(2024, 12, 1), "vnpt")] == (None, False, Decimal(60), None, None, 0)
    assert rows[(date(2024, 12, 1), "all")] == (None, False, Decimal(200), None, None, 1)
    # Viettel's December workbook came on 10 January 08:15: late. VNPT October came on 12 November.
    assert rows[(date(2024, 12, 1), "viettel")][4] is False and rows[(date(2024, 10, 1), "vnpt")][4] is False
    assert rows[(date(2024, 10, 1), "all")][4] is False


def test_kpi_2g_monthly_sums_the_units_and_divides(built):
    url, _ = built
    rows = {(r[0], r[1]): r[2:] for r in _rows(url, """
        select month, operator, stations_2g_on_air, subscribers_2g_only, subscribers_total, share_2g_only,
               report_received
          from marts.kpi_2g_monthly""")}
    assert len(rows) == 18
    oct_v, oct_n = ground_truth("viettel", "2024-10"), ground_truth("vnpt", "2024-10")
    assert rows[(date(2024, 10, 1), "viettel")][:3] == (oct_v.stations_2g_on_air, oct_v.subscribers_2g_only,
                                                        oct_v.subscribers_total)
    only, total = oct_v.subscribers_2g_only + oct_n.subscribers_2g_only, oct_v.subscribers_total + oct_n.subscribers_total
    assert rows[(date(2024, 10, 1), "all")][:3] == (oct_v.stations_2g_on_air + oct_n.stations_2g_on_air, only, total)
    assert abs(rows[(date(2024, 10, 1), "all")][3] - Decimal(only) / Decimal(total)) < Decimal("1e-15")
    # 2G falls after the 15 October 2024 cut-off.
    assert rows[(date(2024, 9, 1), "all")][3] > 2 * rows[(date(2024, 10, 1), "all")][3]
    assert rows[(date(2024, 12, 1), "vnpt")] == (None, None, None, None, False)


def test_bts_station_is_each_operators_latest_report(built):
    url, _ = built
    got = _rows(url, """select operator, report_month, count(*), count(*) filter (where technology = '5G'
                          and status = 'Đang phát sóng') from marts.bts_station group by 1, 2 order by 1""")
    assert got == [
        ("viettel", date(2024, 12, 1), len(station_rows("viettel", date(2024, 12, 1))), 140),
        ("vnpt", date(2024, 11, 1), len(station_rows("vnpt", date(2024, 11, 1))), 36)]
