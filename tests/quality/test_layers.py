"""Data quality on every layer, end to end on a real warehouse (issue 11).

One small simulated world (September 2024, the simulator's defaults) goes through the real HTTP
clients and loaders into a throwaway database: dossiers, the department list, the procedure catalog,
September's 766 index and both operators' September workbooks. After each load the raw suites run
over the new batch only; then the whole dbt project is built and every mart suite and both
reconciliation suites run. That clean world must pass everything.

Then each suite is broken on purpose, one planted fault per test, and must fail on the right
expectation (and only there, among the critical ones): the marts are copied into a scratch schema
before the fault is planted (the mart checks take the schema to read, as they will read the build
schema before publishing), and raw faults are planted in a new batch, so the per-batch checks must
find them there and only there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.loading.raw_loader import BatchCounts, finish_batch, start_batch
from ioc_pipeline.quality import layers
from ioc_pipeline.quality.checkpoint import run_suites
from ioc_pipeline.quality.suites import SUITES_DIR, load_suite_file
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy
from ioc_pipeline.tasks.dossiers import extract_dossiers
from ioc_pipeline.tasks.operator_reports import load_new_reports
from ioc_pipeline.tasks.portal import extract_departments, extract_evaluation_metrics, extract_formalities
from ioc_simulator.operators import fill_inbox
from ioc_simulator.server import SimulatorServer
from tests.conftest import make_database

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
AS_OF = datetime(2024, 10, 15, tzinfo=VN)
MART_TABLES = ("fct_dossier", "kpi_online_rate_monthly", "kpi_timeliness_monthly", "dossier_watchlist",
               "kpi_5g_monthly", "kpi_2g_monthly", "bts_station", "source_status", "index_766_monthly",
               "breakthrough_scorecard", "dim_agency", "dim_procedure", "dim_date")


def _dbt_build(url, work: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **config.QUIET_ENV, **url.dbt_env()}
    command = [str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(config.DBT_PROJECT_DIR),
               "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path", str(work / "target"),
               "--log-path", str(work / "logs"), "--vars", json.dumps({"as_of_date": "2024-10-15"})]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, cwd=config.DBT_PROJECT_DIR)


def _rows(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params or None).fetchall()


class World:
    def __init__(self, url, raw_results: dict, raw_batches: dict):
        self.url = url.url
        self.raw_results = raw_results  # (source, entity) -> [QualityResult]
        self.raw_batches = raw_batches  # (source, entity) -> [batch ids]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url, drop = make_database("ioc_dq_layers")
    work = tmp_path_factory.mktemp("dq_layers")
    mp = pytest.MonkeyPatch()
    mp.setenv(config.GX_ROOT_ENV, str(work / "gx"))
    mp.setenv(config.DATA_DOCS_DIR_ENV, str(work / "data_docs"))
    results, batches = {}, {}

    def checked(source, entity, batch_ids):
        batches.setdefault((source, entity), []).extend(batch_ids)
        results.setdefault((source, entity), []).extend(
            layers.run_raw_checks(url.url, source, entity, batch_ids, run_label="test-clean"))

    try:
        with SimulatorServer(start=date(2024, 9, 1), end=date(2024, 10, 1), as_of=AS_OF) as sim:
            dossiers = HttpEndpoint.from_uri(sim.dossier_conn_uri)
            portal = HttpEndpoint.from_uri(sim.portal_conn_uri)
            loaded = extract_dossiers(url.url, dossiers, datetime(2024, 8, 31, tzinfo=VN),
                                      datetime(2024, 10, 16, tzinfo=VN), policy=FAST)
            assert loaded.status == "success"
            checked("one_stop_shop", "dossier", [loaded.batch_id])
            for extract, entity in ((extract_departments, "department"), (extract_formalities, "formality")):
                result = extract(url.url, portal, policy=FAST)
                assert result.status == "success"
                checked("dvc_portal", entity, [result.batch_id])
            [month] = extract_evaluation_metrics(url.url, portal, datetime(2024, 9, 1, tzinfo=VN),
                                                 datetime(2024, 10, 1, tzinfo=VN), policy=FAST)
            assert month.ok
            checked("dvc_portal", "evaluation_metric", [month.batch.batch_id])
        inbox = work / "inbox"
        inbox.mkdir()
        fill_inbox(inbox, operators=["viettel", "vnpt"], months=[date(2024, 9, 1)], as_of=AS_OF)
        files = load_new_reports(url.url, inbox).results
        assert {f.outcome for f in files} == {"loaded"}
        for source in ("operator_viettel", "operator_vnpt"):
            checked(source, "report_file", [f.batch_id for f in files if f.source == source])
        build = _dbt_build(url, work)
        assert build.returncode == 0, build.stdout[-6000:]
        yield World(url, results, batches)
    finally:
        mp.undo()
        drop()


def failing(results) -> set[tuple[str, str, str, str]]:
    """(suite, severity, expectation type, column) of every failed expectation of these runs."""
    ids = [r.validation_run_id for r in results]
    return {tuple(row) for row in _rows(
        _URL[0],
        "select r.suite_name, r.severity, r.expectation_type, coalesce(r.column_name, '') "
        "from dq.validation_result r where r.validation_run_id = any(%s) and not r.success", ids)}


_URL: list[str] = []


@pytest.fixture(autouse=True)
def _remember_url(world):
    _URL[:] = [world.url]


@pytest.fixture()
def scratch(world):
    """A copy of every mart in a scratch schema; yields its name, dropped afterwards."""
    schema = f"dq_scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute(f"create schema {schema}")
        for table in MART_TABLES:
            conn.execute(f"create table {schema}.{table} as table marts.{table}")
    yield schema
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute(f"drop schema {schema} cascade")


def run_mart_suite(world, name: str, schema: str):
    return run_suites([load_suite_file(SUITES_DIR / f"{name}.json")], world.url, checkpoint_name=f"test_{name}",
                      run_label="test-broken", marts_schema=schema, publish_docs=False)


def execute(url: str, *statements: str):
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


# --- the clean world passes everything ---------------------------------------------------------


def test_raw_checks_pass_on_every_clean_batch_and_record_batch_and_period(world):
    assert set(world.raw_results) == {("one_stop_shop", "dossier"), ("dvc_portal", "department"),
                                      ("dvc_portal", "formality"), ("dvc_portal", "evaluation_metric"),
                                      ("operator_viettel", "report_file"), ("operator_vnpt", "report_file")}
    suites = {r.suite_name for rs in world.raw_results.values() for r in rs}
    assert suites == {p.stem for p in SUITES_DIR.glob("raw_*.json")}
    for key, results in world.raw_results.items():
        assert [(r.suite_name, r.status) for r in results if r.status != "pass"] == [], failing(results)
    runs = _rows(world.url, "select source, layer, batch_ids, period_start, period_end, table_checked, "
                            "report_path from dq.validation_run where suite_name = 'raw_one_stop_shop__dossier'")
    [(source, layer, batch_ids, start, end, table, report)] = runs
    assert (source, layer, table, report) == ("one_stop_shop", "raw", "raw.one_stop_shop__dossier", None)
    assert batch_ids == world.raw_batches[("one_stop_shop", "dossier")]
    # The period is the batch's extraction interval: 31 Aug to 16 Oct 2024, Vietnam time.
    assert (start, end) == (datetime(2024, 8, 31, tzinfo=VN), datetime(2024, 10, 16, tzinfo=VN))
    [(start, end)] = _rows(world.url, "select period_start, period_end from dq.validation_run "
                                      "where suite_name = 'raw_dvc_portal__evaluation_metric'")
    assert (start, end) == (datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN))
    [(start,)] = _rows(world.url, "select period_start from dq.validation_run "
                                  "where suite_name = 'raw_dvc_portal__department'")
    assert start is None  # a catalog snapshot has no interval
    # Operators: one run per source per suite, over that operator's file batch only.
    ops = _rows(world.url, "select source, batch_ids from dq.validation_run "
                           "where suite_name = 'raw_operator__station' order by source")
    assert ops == [("operator_viettel", world.raw_batches[("operator_viettel", "report_file")]),
                   ("operator_vnpt", world.raw_batches[("operator_vnpt", "report_file")])]


def test_operator_total_rows_are_stored_apart_and_never_counted(world):
    # The simulator writes each sheet's Tổng cộng row from the rows it wrote: Tram holds the row
    # count, ThueBao the two sums. Stored in raw.operator__sheet_total, and equal to what was loaded.
    totals = _rows(world.url, """
        select f.operator, t.sheet, t.stated_rows, t.subscribers_total,
               (select count(*) from raw.operator__station s where s.file_sha256 = f.sha256),
               (select sum(subscribers_total) from raw.operator__subscriber s where s.file_sha256 = f.sha256)
        from raw.operator__sheet_total t join raw.operator__report_file f on f.sha256 = t.file_sha256
        order by 1, 2""")
    assert [(op, sheet) for op, sheet, *_ in totals] == [("viettel", "ThueBao"), ("viettel", "Tram"),
                                                        ("vnpt", "ThueBao"), ("vnpt", "Tram")]
    for op, sheet, stated_rows, stated_total, station_rows, subscribers in totals:
        if sheet == "Tram":
            assert stated_rows == station_rows > 0
        else:
            assert stated_total == subscribers > 0
    assert _rows(world.url, "select count(*) from raw.operator__station where station_code ilike 'tổng%' "
                            "or cells::text ilike '%tổng cộng%'") == [(0,)]


def test_mart_and_reconciliation_checks_pass_on_the_clean_build(world):
    results = layers.run_mart_checks(world.url, run_label="test-clean-marts")
    expected = {p.stem for p in SUITES_DIR.glob("*.json") if not p.stem.startswith("raw_")}
    assert {r.suite_name for r in results} == expected
    assert [(r.suite_name, r.status) for r in results if r.status != "pass"] == [], failing(results)
    # The reconciliation compared real rows: every agency of September with dossiers.
    compared = _rows(world.url, "select count(*) from marts.index_766_monthly where metric_code = 'ONLINE_DOSSIERS' "
                                "and denominator > 0")[0][0]
    assert compared > 10
    layer = dict(_rows(world.url, "select suite_name, layer from dq.validation_run where run_label = 'test-clean-marts'"))
    assert layer["reconcile_one_stop_shop_vs_portal"] == "reconciliation" and layer["kpi_5g_monthly"] == "marts"
    assert layers.raise_on_critical(results, "marts")["status"] == "pass"
