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
from ioc_pipeline.tasks.agency_work import extract_agency_reports, extract_citizen_accounts
from ioc_pipeline.tasks.portal import extract_departments, extract_evaluation_metrics, extract_formalities
from ioc_simulator.operators import fill_inbox
from ioc_simulator.server import SimulatorServer
from tests.conftest import make_database

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
AS_OF = datetime(2024, 10, 15, tzinfo=VN)
MART_TABLES = ("fct_dossier", "kpi_online_rate_monthly", "kpi_timeliness_monthly", "dossier_watchlist",
               "kpi_5g_monthly", "kpi_2g_monthly", "bts_station", "source_status", "index_766_monthly",
               "breakthrough_scorecard", "dim_agency", "dim_procedure", "dim_date",
               "kpi_agency_reports_monthly", "kpi_citizen_accounts_monthly",
               "kpi_fee_reduced_online_monthly", "kpi_forecast_month_end", "sector_feed_record")


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
        self.warehouse = url
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
            # Issue 13's sources, checked like the others (their faults: test_issue13_suites.py).
            sep = (datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN))
            for source, entity, extract, endpoint in (
                    ("one_stop_shop", "agency_report", extract_agency_reports, dossiers),
                    ("dvc_portal", "citizen_accounts", extract_citizen_accounts, portal)):
                months = extract(url.url, endpoint, *sep, now=AS_OF, policy=FAST)
                assert all(b.status == "success" for b in months)
                checked(source, entity, [b.batch_id for b in months])
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
                                      ("operator_viettel", "report_file"), ("operator_vnpt", "report_file"),
                                      ("one_stop_shop", "agency_report"), ("dvc_portal", "citizen_accounts")}
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


def test_source_status_reads_the_raw_checks_of_this_run(world):
    # The marts were built after the loads' raw checks: every source has the current run's verdict
    # (before issue 11 only one_stop_shop had one, from the previous run's mart checkpoint).
    assert dict(_rows(world.url, "select source, dq_status from marts.source_status where source_kind = 'system'")) == {
        "one_stop_shop": "pass", "dvc_portal": "pass", "operator_viettel": "pass", "operator_vnpt": "pass"}


# --- each mart suite, broken on purpose, fails on the right expectation ------------------------

FIRST = "(select ctid from {s}.{t} {where} order by 1 limit 1)"


def first(schema: str, table: str, where: str = "") -> str:
    return FIRST.format(s=schema, t=table, where=where)


MART_FAULTS = {
    # suite: (statements planted in the scratch copy ({s} = its schema), expected failures)
    "fct_dossier": (
        ["update {s}.fct_dossier set status_code = 11 where ctid = " + first("{s}", "fct_dossier")],
        {("critical", "expect_column_values_to_be_in_set", "status_code")}),
    "kpi_online_rate_monthly": (
        ["update {s}.kpi_online_rate_monthly set dossiers_online_remote = dossiers_online + 1 where ctid = "
         + first("{s}", "kpi_online_rate_monthly", "where scope = 'agency'")],
        {("critical", "unexpected_rows_expectation", "dossiers_online_remote,dossiers_online,dossiers_accepted")}),
    "kpi_timeliness_monthly": (
        ["update {s}.kpi_timeliness_monthly set on_time_rate = 1.5 where ctid = "
         + first("{s}", "kpi_timeliness_monthly", "where on_time_rate is not null")],
        {("critical", "expect_column_values_to_be_between", "on_time_rate")}),
    "dossier_watchlist": (
        ["insert into {s}.dossier_watchlist (as_of_date, dossier_code, risk, due_day) "
         "select date '2024-10-15', dossier_code, 'at_risk', date '2024-10-20' from {s}.fct_dossier "
         "where status_code in (9, 10) order by dossier_code limit 1"],
        {("warning", "unexpected_rows_expectation", "finished_at,as_of_date")}),
    "kpi_5g_monthly": (
        ["update {s}.kpi_5g_monthly set stations_5g_on_air = stations_5g_on_air + 100000 where month = date '2024-09-01' "
         "and operator in ('viettel', 'all')"],
        {("critical", "unexpected_rows_expectation", "stations_5g_on_air")}),
    "kpi_2g_monthly": (
        ["insert into {s}.kpi_2g_monthly select * from {s}.kpi_2g_monthly where ctid = "
         + first("{s}", "kpi_2g_monthly")],
        {("critical", "expect_compound_columns_to_be_unique", "month,operator")}),
    "bts_station": (
        ["update {s}.bts_station set latitude = 21.0 where ctid = " + first("{s}", "bts_station")],
        {("warning", "expect_column_values_to_be_between", "latitude")}),
    "source_status": (
        ["update {s}.source_status set dq_status = 'unknown' where source = 'dvc_portal'"],
        {("critical", "expect_column_values_to_be_in_set", "dq_status")}),
    "index_766_monthly": (
        ["insert into {s}.index_766_monthly select * from {s}.index_766_monthly where ctid = "
         + first("{s}", "index_766_monthly")],
        {("critical", "expect_compound_columns_to_be_unique", "month,agency_code,indicator_group,metric_code")}),
    "breakthrough_scorecard": (
        ["update {s}.breakthrough_scorecard set status = case status when 'dat' then 'chua_dat' else 'dat' end "
         "where ctid = " + first("{s}", "breakthrough_scorecard", "where status in ('dat', 'chua_dat')")],
        {("critical", "unexpected_rows_expectation", "status,actual,target")}),
    "dim_agency": (
        ["update {s}.dim_agency set level = 'QUAN' where ctid = " + first("{s}", "dim_agency")],
        {("critical", "expect_column_values_to_be_in_set", "level")}),
    "dim_procedure": (
        ["insert into {s}.dim_procedure select * from {s}.dim_procedure where ctid = " + first("{s}", "dim_procedure")],
        {("critical", "expect_column_values_to_be_unique", "procedure_code")}),
    "dim_date": (
        ["update {s}.dim_date set is_working_day = null where ctid = " + first("{s}", "dim_date")],
        {("critical", "expect_column_values_to_not_be_null", "is_working_day")}),
    "kpi_agency_reports_monthly": (
        ["update {s}.kpi_agency_reports_monthly set reports_sent_on_time = reports_sent + 1, "
         "reports_late = -1 where ctid = " + first("{s}", "kpi_agency_reports_monthly", "where scope = 'province'")],
        {("critical", "unexpected_rows_expectation", "reports_sent_on_time,reports_sent,agencies_expected")}),
    "kpi_citizen_accounts_monthly": (
        ["update {s}.kpi_citizen_accounts_monthly set accounts_verified = accounts_total + 1 where ctid = "
         + first("{s}", "kpi_citizen_accounts_monthly", "where accounts_total is not null")],
        {("critical", "unexpected_rows_expectation",
          "accounts_verified,accounts_total,repeat_applicants_online_remote,repeat_applicants")}),
    # The reconciliation: a planted difference between the one-stop-shop and the portal. The portal
    # reports 5 more accepted (and online) dossiers for one agency and month than the dossiers show.
    "reconcile_one_stop_shop_vs_portal": (
        ["update {s}.index_766_monthly set numerator = numerator + 5, denominator = denominator + 5 "
         "where metric_code = 'ONLINE_DOSSIERS' and ctid = "
         + first("{s}", "index_766_monthly", "where metric_code = 'ONLINE_DOSSIERS' and denominator between 1 and 400")],
        {("warning", "unexpected_rows_expectation", "pipeline_accepted,portal_received"),
         ("warning", "unexpected_rows_expectation", "pipeline_online,portal_online")}),
    "reconcile_operator_totals": (
        ["update {s}.kpi_2g_monthly set subscribers_total = subscribers_total - 1000 "
         "where operator = 'vnpt' and month = date '2024-09-01'"],
        {("warning", "unexpected_rows_expectation", "subscribers_total,stated_total")}),
}


def test_every_mart_suite_has_a_planted_fault():
    from tests.quality.test_issue13_suites import MART_FAULTS as ISSUE13_FAULTS  # issue 13's marts

    planted = set(MART_FAULTS) | {suite for suite, _, _ in ISSUE13_FAULTS.values()}
    assert planted == {p.stem for p in SUITES_DIR.glob("*.json") if not p.stem.startswith("raw_")}


@pytest.mark.parametrize("suite", sorted(MART_FAULTS))
def test_broken_mart_fails_on_the_right_expectation(world, scratch, suite):
    statements, expected = MART_FAULTS[suite]
    clean = run_mart_suite(world, suite, scratch)  # the copy itself is clean
    assert [r.status for r in clean] == ["pass"], failing(clean)
    execute(world.url, *(s.format(s=scratch) for s in statements))
    [result] = run_mart_suite(world, suite, scratch)
    assert {(sev, typ, col) for _, sev, typ, col in failing([result])} == expected
    assert result.status == ("fail" if any(sev == "critical" for sev, _, _ in expected) else "warn")
    # Recorded under the mart's own name, whatever schema was read.
    [(table, layer)] = _rows(world.url, "select table_checked, layer from dq.validation_run where validation_run_id = %s",
                             result.validation_run_id)
    assert table == load_suite_file(SUITES_DIR / f"{suite}.json").table_checked
    assert table.startswith("marts.")


def test_reconciliation_counts_the_planted_agency_month_once(world, scratch):
    statements, _ = MART_FAULTS["reconcile_one_stop_shop_vs_portal"]
    execute(world.url, *(s.format(s=scratch) for s in statements))
    [result] = run_mart_suite(world, "reconcile_one_stop_shop_vs_portal", scratch)
    counts = dict(_rows(world.url, "select column_name, unexpected_count from dq.validation_result "
                                   "where validation_run_id = %s", result.validation_run_id))
    assert counts == {"pipeline_accepted,portal_received": 1, "pipeline_online,portal_online": 1,
                      "pipeline_on_time,portal_on_time": 0}
    # Warnings are published: the caller only stops on critical failures.
    assert layers.raise_on_critical([result], "marts")["status"] == "warn"


def test_a_critical_mart_failure_raises(world, scratch):
    statements, _ = MART_FAULTS["kpi_online_rate_monthly"]
    execute(world.url, *(s.format(s=scratch) for s in statements))
    results = layers.run_mart_checks(world.url, run_label="test-critical", schema=scratch)
    assert {r.suite_name: r.status for r in results}["kpi_online_rate_monthly"] == "fail"
    with pytest.raises(layers.CriticalQualityFailure, match="kpi_online_rate_monthly: critical: unexpected_rows"):
        layers.raise_on_critical(results, "marts")


# --- raw suites: a fault planted in a new batch is found there, and only there -----------------


def new_batch(url: str, source: str, entity: str, start=None, end=None) -> int:
    batch = start_batch(url, source, entity, start, end, "test-planted")
    finish_batch(url, batch, "success", BatchCounts())
    return batch


def test_raw_dossier_fault_in_a_new_batch_fails_and_history_is_not_rescanned(world):
    batch = new_batch(world.url, "one_stop_shop", "dossier", datetime(2024, 10, 16, tzinfo=VN),
                      datetime(2024, 10, 17, tzinfo=VN))
    execute(world.url, f"""
        insert into raw.one_stop_shop__dossier
        select dossier_code, 'planted', source_updated_at, applicant_key,
               jsonb_set(payload, '{{TrangThaiHoSo}}', '42'), {batch}, received_at
        from raw.one_stop_shop__dossier order by dossier_code limit 1""")
    results = layers.run_raw_checks(world.url, "one_stop_shop", "dossier", [batch], run_label="test-planted")
    assert [r.status for r in results] == ["fail"]
    assert {(sev, typ, col) for _, sev, typ, col in failing(results)} == \
        {("critical", "expect_column_values_to_be_in_set", "status_code")}
    [(count,)] = _rows(world.url, "select unexpected_count from dq.validation_result where validation_run_id = %s "
                                  "and not success", results[0].validation_run_id)
    assert count == 1
    # The clean batch, checked again, still passes: the planted row is in another batch.
    again = layers.run_raw_checks(world.url, "one_stop_shop", "dossier",
                                  world.raw_batches[("one_stop_shop", "dossier")])
    assert [r.status for r in again] == ["pass"]


def test_raw_portal_faults_fail_on_the_right_expectation(world):
    metric_batch = new_batch(world.url, "dvc_portal", "evaluation_metric", datetime(2024, 9, 1, tzinfo=VN),
                             datetime(2024, 10, 1, tzinfo=VN))
    execute(world.url, f"""
        insert into raw.dvc_portal__evaluation_metric
        select agency_code, 'bogus', period_year, period_month, metric_code, metric, 'planted', payload,
               {metric_batch}, received_at
        from raw.dvc_portal__evaluation_metric order by agency_code, metric_code limit 1""")
    results = layers.run_raw_checks(world.url, "dvc_portal", "evaluation_metric", [metric_batch])
    assert {(sev, typ, col) for _, sev, typ, col in failing(results)} == \
        {("critical", "expect_column_values_to_be_in_set", "indicator_group")}
    department_batch = new_batch(world.url, "dvc_portal", "department")
    execute(world.url, f"""
        insert into raw.dvc_portal__department
        select agency_code, 'planted', jsonb_set(payload, '{{level}}', '"QUAN"'), {department_batch}, received_at
        from raw.dvc_portal__department order by agency_code limit 1""")
    results = layers.run_raw_checks(world.url, "dvc_portal", "department", [department_batch])
    assert {(sev, typ, col) for _, sev, typ, col in failing(results)} == \
        {("critical", "expect_column_values_to_be_in_set", "level")}
    formality_batch = new_batch(world.url, "dvc_portal", "formality")
    execute(world.url, f"""
        insert into raw.dvc_portal__formality
        select procedure_code, 'planted', payload - 'name', {formality_batch}, received_at
        from raw.dvc_portal__formality order by procedure_code limit 1""")
    [result] = layers.run_raw_checks(world.url, "dvc_portal", "formality", [formality_batch])
    assert result.status == "warn"
    assert {(sev, typ, col) for _, sev, typ, col in failing([result])} == \
        {("warning", "expect_column_values_to_not_be_null", "procedure_name")}


def test_raw_operator_faults_and_the_total_row_reconciliation(world):
    batch = new_batch(world.url, "operator_viettel", "report_file", datetime(2024, 10, 1, tzinfo=VN),
                      datetime(2024, 11, 1, tzinfo=VN))
    sha = "f" * 64
    execute(
        world.url,
        f"""insert into raw.operator__report_file (sha256, operator, report_month, file_name, size_bytes, arrived_at,
                on_time, content, batch_id, received_at)
            values ('{sha}', 'viettel', date '2024-10-01', 'viettel_202410.xlsx', 1, now(), true, '\\x00', {batch}, now())""",
        # The same station and technology twice (and nothing marked as a problem).
        *[f"""insert into raw.operator__station (file_sha256, row_number, station_code, technology, admin_unit, latitude,
                 longitude, status, cells, batch_id, received_at)
              values ('{sha}', {n}, 'VT-0001', '5G', 'Vũng Tàu', 10.35, 107.08, 'Đang phát sóng', '{{}}', {batch}, now())"""
          for n in (7, 8)],
        f"""insert into raw.operator__subscriber (file_sha256, row_number, admin_unit, subscribers_2g_only,
                subscribers_total, cells, batch_id, received_at)
            values ('{sha}', 7, 'Vũng Tàu', 500, 400, '{{}}', {batch}, now())""",
        # The operator's own total says 5 station rows; ThueBao has no total row.
        f"""insert into raw.operator__sheet_total (file_sha256, sheet, row_number, cells, stated_rows, batch_id, received_at)
            values ('{sha}', 'Tram', 9, '{{}}', 5, {batch}, now())""",
    )
    results = layers.run_raw_checks(world.url, "operator_viettel", "report_file", [batch])
    assert {r.suite_name: r.status for r in results} == {
        "raw_operator__station": "fail", "raw_operator__subscriber": "fail", "raw_operator__sheet_total": "warn"}
    assert {(suite, sev, col) for suite, sev, _, col in failing(results)} == {
        ("raw_operator__station", "critical", "operator,report_month,station_code,technology"),
        ("raw_operator__subscriber", "critical", ""),
        ("raw_operator__sheet_total", "warning", "station_rows,stated_rows"),
        ("raw_operator__sheet_total", "warning", ""),
    }
    with pytest.raises(layers.CriticalQualityFailure, match="raw_operator__station"):
        layers.raise_on_critical(results, "operator_viettel")


def test_source_status_follows_the_latest_raw_checks_of_each_source(world, tmp_path):
    """After the planted raw faults above, the next build's source_status says which sources failed.
    one_stop_shop's planted batch failed, but its clean batch was checked again after it: the latest
    check of each suite counts, so it passes. The portal's planted department failed (critical) and
    Viettel's planted workbook too; VNPT had nothing new."""
    env = {**os.environ, **config.QUIET_ENV, **_url_env(world)}
    command = [str(Path(sys.executable).parent / "dbt"), "run", "--select", "source_status",
               "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
               "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
               "--vars", json.dumps({"as_of_date": "2024-10-15"})]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=config.DBT_PROJECT_DIR)
    assert result.returncode == 0, result.stdout[-4000:]
    assert dict(_rows(world.url, "select source, dq_status from marts.source_status where source_kind = 'system'")) == {
        "one_stop_shop": "pass", "dvc_portal": "fail", "operator_viettel": "fail", "operator_vnpt": "pass"}


def _url_env(world) -> dict:
    return world.warehouse.dbt_env()
