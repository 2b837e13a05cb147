"""The ground truth (ioc_simulator/truth.py) and the warehouse agree on issue 13's marts over a simulated
half year: the simulator (seed 2024, July-December 2024, as of 1 January 2025) is extracted through the
real HTTP clients and loader (dossiers, department list, agencies' reports, citizen accounts), dbt builds
kpi_agency_reports_monthly, kpi_citizen_accounts_monthly and the scorecard as of 31 December 2024, and
every row is compared with what the truth computes from the served records on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy
from ioc_pipeline.tasks.agency_work import extract_agency_reports, extract_citizen_accounts
from ioc_pipeline.tasks.dossiers import extract_dossiers
from ioc_pipeline.tasks.portal import extract_departments
from ioc_simulator.server import SimulatorServer
from ioc_simulator.truth import AGENCY_REPORTS_CODE, REPEAT_APPLICANTS_CODE, issue_13_scorecard_rows, world_truth
from tests.conftest import make_database

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
DBT = Path(sys.executable).parent / "dbt"
START, END = datetime(2024, 7, 1, tzinfo=VN), datetime(2025, 1, 1, tzinfo=VN)
AS_OF_DAY = "2024-12-31"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    url, drop = make_database("ioc_agency_work_truth")
    work = tmp_path_factory.mktemp("dbt")
    try:
        with SimulatorServer() as sim:
            dossier_api = HttpEndpoint.from_uri(sim.dossier_conn_uri)
            portal = HttpEndpoint.from_uri(sim.portal_conn_uri)
            assert extract_dossiers(url.url, dossier_api, START, END, policy=FAST).status == "success"
            assert extract_departments(url.url, portal, policy=FAST).status == "success"
            results = extract_agency_reports(url.url, dossier_api, START, END, now=END, policy=FAST)
            results += extract_citizen_accounts(url.url, portal, START, END, now=END, policy=FAST)
            assert [r.status for r in results] == ["success"] * 16  # May-December, two feeds
        env = {**os.environ, **config.QUIET_ENV, **url.dbt_env()}
        result = subprocess.run(
            [str(DBT), "build", "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir",
             str(config.DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
             "--select", "+kpi_agency_reports_monthly", "+kpi_citizen_accounts_monthly", "+breakthrough_scorecard",
             "+bts_station", "--vars", f"{{as_of_date: '{AS_OF_DAY}'}}", "--no-use-colors"],
            env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-8000:]
        with psycopg.connect(url.url, autocommit=True) as conn:
            marts = {name: _keyed(conn, f"select * from marts.{name}", 3)
                     for name in ("kpi_agency_reports_monthly", "kpi_citizen_accounts_monthly")}
            marts["breakthrough_scorecard"] = _keyed(
                conn, f"""select month, indicator_code, actual, target, status from marts.breakthrough_scorecard
                           where indicator_code in ('{AGENCY_REPORTS_CODE}', '{REPEAT_APPLICANTS_CODE}')""", 2)
        yield marts, world_truth(as_of=datetime(2025, 1, 1))
    finally:
        drop()


def _keyed(conn, sql: str, width: int) -> dict:
    cur = conn.execute(sql)
    names = [c.name for c in cur.description]
    return {tuple(row[:width]): dict(zip(names, row)) for row in cur.fetchall()}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str):
        return a == b
    return abs(float(a) - float(b)) < 1e-12


def _differences(mart: dict, truth: dict) -> list[str]:
    out = [f"only in the mart: {key}" for key in sorted(set(mart) - set(truth), key=str)]
    out += [f"only in the truth: {key}" for key in sorted(set(truth) - set(mart), key=str)]
    for key in sorted(set(mart) & set(truth), key=str):
        for column, expected in truth[key].items():
            if column in mart[key] and not _same(mart[key][column], expected):
                out.append(f"{key} {column}: mart {mart[key][column]!r}, truth {expected!r}")
    return out


def test_agency_reports_agree_with_the_truth(compared):
    marts, truth = compared
    expected = truth.agency_reports()
    assert {m for m, _, _ in expected} == {date(2024, m, 1) for m in range(5, 13)}
    assert _differences(marts["kpi_agency_reports_monthly"], expected) == []
    # the world is not trivial: late, missing and on-time reports all occur
    province = [r for (m, s, _), r in expected.items() if s == "province" and r["is_final"]]
    assert all(r["reports_late"] and r["reports_missing"] and r["reports_sent_on_time"] for r in province)


def test_citizen_accounts_and_repeat_applicants_agree_with_the_truth(compared):
    marts, truth = compared
    expected = truth.citizen_accounts()
    assert _differences(marts["kpi_citizen_accounts_monthly"], expected) == []
    assert sum(r["repeat_applicants"] or 0 for (_, s, _), r in expected.items() if s == "province") > 20


def test_scorecard_rows_agree_with_the_truth(compared):
    marts, truth = compared
    expected = issue_13_scorecard_rows(truth.dossiers, date(2024, 12, 31), truth.agency_reports())
    expected = {key: {"actual": row["actual"], "target": row["target"], "status": row["status"]}
                for key, row in expected.items()}
    assert _differences(marts["breakthrough_scorecard"], expected) == []
    statuses = {row["status"] for row in expected.values()}
    assert statuses >= {"chua_dat", "chua_co_so_lieu", "khong_co_chi_tieu"}
