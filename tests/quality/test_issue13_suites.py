"""The data-quality suites of issue 13's sources and marts, on a real warehouse (issue 11's rule: every
layer is checked, raw per new batch and every mart).

One small simulated world (August and September 2024) goes through the real HTTP clients and loaders
into a throwaway database: dossiers, the portal's catalogs, both operators' workbooks, the agencies'
monthly reports, the citizen accounts, and one sector feed declared here with a personal column (a CSV
file drop). The raw suites of the two new raw tables run over the batches just loaded, and the marts
those suites guard (kpi_fee_reduced_online_monthly, kpi_forecast_month_end, sector_feed_record, with
what they are built from) are built by dbt. The clean world passes every suite; then each suite is
broken on purpose and must fail on the expected expectations, worked out from the planted fault (raw
faults in a new batch, mart faults in a scratch copy of the marts).
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
from ioc_pipeline.feeds.spec import SectorFeed
from ioc_pipeline.loading.raw_loader import BatchCounts, finish_batch, start_batch
from ioc_pipeline.quality import layers
from ioc_pipeline.quality.checkpoint import run_suites
from ioc_pipeline.quality.suites import SUITES_DIR, load_suite_file
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy
from ioc_pipeline.tasks.agency_work import extract_agency_reports, extract_citizen_accounts
from ioc_pipeline.tasks.dossiers import extract_dossiers
from ioc_pipeline.tasks.operator_reports import load_new_reports
from ioc_pipeline.tasks.portal import extract_departments, extract_formalities
from ioc_pipeline.tasks.sector_feeds import load_feed, sync_declarations
from ioc_simulator.operators import fill_inbox
from ioc_simulator.server import SimulatorServer
from tests.conftest import make_database

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
AS_OF = datetime(2024, 10, 15, tzinfo=VN)
NEW_MARTS = ("kpi_fee_reduced_online_monthly", "kpi_forecast_month_end", "sector_feed_record")
SCRATCH_TABLES = NEW_MARTS + ("kpi_online_rate_monthly",)
VISITS_CSV = """facility_code,visit_date,visits,reporter_phone
TYT-01,2024-09-01,40,0901234567
TYT-02,2024-09-01,25,0907654321
TYT-01,2024-09-02,38,0901234567
"""


def _rows(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params or None).fetchall()


def execute(url: str, *statements: str):
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def visits_feed(folder: Path) -> SectorFeed:
    return SectorFeed.model_validate({
        "name": "health_clinic_visits", "owner_agency": "000.00.23.H03", "sector": "health",
        "description": "lượt khám tại trạm y tế", "source": {"file_drop": f"{folder}/visits_*.csv"}, "format": "csv",
        "key_columns": ["facility_code", "visit_date"], "timestamp_column": "visit_date", "cadence": "daily",
        "freshness_sla_hours": 48,
        "columns": {"facility_code": {"type": "string"}, "visit_date": {"type": "date"},
                    "visits": {"type": "integer", "required": True},
                    "reporter_phone": {"type": "string", "personal": True}}})


class World:
    def __init__(self, url: str, raw_results: dict, raw_batches: dict, feed_run):
        self.url = url
        self.raw_results = raw_results  # entity -> [QualityResult]
        self.raw_batches = raw_batches  # entity -> [batch ids]
        self.feed_run = feed_run


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url, drop = make_database("ioc_dq_issue13")
    work = tmp_path_factory.mktemp("dq_issue13")
    mp = pytest.MonkeyPatch()
    mp.setenv(config.GX_ROOT_ENV, str(work / "gx"))
    mp.setenv(config.DATA_DOCS_DIR_ENV, str(work / "data_docs"))
    results, batches = {}, {}
    try:
        with SimulatorServer(start=date(2024, 8, 1), end=date(2024, 10, 1), as_of=AS_OF) as sim:
            dossiers = HttpEndpoint.from_uri(sim.dossier_conn_uri)
            portal = HttpEndpoint.from_uri(sim.portal_conn_uri)
            assert extract_dossiers(url.url, dossiers, datetime(2024, 7, 31, tzinfo=VN),
                                    datetime(2024, 10, 16, tzinfo=VN), policy=FAST).status == "success"
            for extract in (extract_departments, extract_formalities):
                assert extract(url.url, portal, policy=FAST).status == "success"
            # What the nightly run of 15 October asks for: every ended month from two months before
            # the interval (July: nothing yet), then the raw suites over those batches, as the check
            # task after each load does.
            interval = (datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 15, tzinfo=VN))
            for source, entity, extract, endpoint in (
                    ("one_stop_shop", "agency_report", extract_agency_reports, dossiers),
                    ("dvc_portal", "citizen_accounts", extract_citizen_accounts, portal)):
                loaded = extract(url.url, endpoint, *interval, now=AS_OF, policy=FAST)
                assert [b.status for b in loaded] == ["success"] * 3
                batches[entity] = [b.batch_id for b in loaded]
                results[entity] = layers.run_raw_checks(url.url, source, entity, batches[entity],
                                                        run_label="test-clean")
        inbox = work / "inbox"
        inbox.mkdir()
        fill_inbox(inbox, operators=["viettel", "vnpt"], months=[date(2024, 8, 1), date(2024, 9, 1)], as_of=AS_OF)
        assert {f.outcome for f in load_new_reports(url.url, inbox).results} == {"loaded"}
        drop_dir = work / "drop"
        drop_dir.mkdir()
        (drop_dir / "visits_20240902.csv").write_text(VISITS_CSV, encoding="utf-8")
        feed = visits_feed(drop_dir)
        sync_declarations(url.url, [feed])
        feed_run = load_feed(url.url, feed, datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 9, 3, tzinfo=VN),
                             run_label="test-feed")
        assert feed_run.batch.status == "success" and feed_run.check.status == "pass"
        env = {**os.environ, **config.QUIET_ENV, **url.dbt_env()}
        command = [str(Path(sys.executable).parent / "dbt"), "build", "--select",
                   *(f"+{m}" for m in SCRATCH_TABLES), "--indirect-selection", "cautious", "--project-dir", str(config.DBT_PROJECT_DIR),
                   "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path", str(work / "target"),
                   "--log-path", str(work / "logs"), "--vars", json.dumps({"as_of_date": "2024-10-15"})]
        build = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900,
                               cwd=config.DBT_PROJECT_DIR)
        assert build.returncode == 0, build.stdout[-6000:]
        yield World(url.url, results, batches, feed_run)
    finally:
        mp.undo()
        drop()


def failing(url: str, results) -> set[tuple[str, str, str]]:
    """(severity, expectation type, column) of every failed expectation of these runs."""
    ids = [r.validation_run_id for r in results]
    return {tuple(row) for row in _rows(
        url, "select severity, expectation_type, coalesce(column_name, '') from dq.validation_result "
             "where validation_run_id = any(%s) and not success", ids)}


def new_batch(url: str, source: str, entity: str, month: date) -> int:
    start = datetime(month.year, month.month, 1, tzinfo=VN)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=VN)
    batch = start_batch(url, source, entity, start, end, "test-planted")
    finish_batch(url, batch, "success", BatchCounts())
    return batch


# --- raw: the two new tables, per batch -------------------------------------------------------


def test_the_clean_batches_pass_and_are_recorded_per_batch_with_their_months(world):
    assert {e: [(r.suite_name, r.status) for r in rs] for e, rs in world.raw_results.items()} == {
        "agency_report": [("raw_one_stop_shop__agency_report", "pass")],
        "citizen_accounts": [("raw_dvc_portal__citizen_accounts", "pass")]}
    # The checks read real rows: the simulator's September reports and accounts of every agency.
    [(reports, accounts)] = _rows(world.url, """
        select (select count(*) from raw.one_stop_shop__agency_report where report_period = '202409'),
               (select count(*) from raw.dvc_portal__citizen_accounts where period_month = 9)""")
    assert reports > 10 and accounts > 10
    runs = _rows(world.url, "select suite_name, layer, source, batch_ids, period_start, period_end "
                            "from dq.validation_run where run_label = 'test-clean' order by suite_name")
    # One run per suite over the three monthly batches (July, August, September), its period the
    # months they asked for: 1 July to 1 October 2024, Vietnam time.
    assert runs == [
        ("raw_dvc_portal__citizen_accounts", "raw", "dvc_portal", world.raw_batches["citizen_accounts"],
         datetime(2024, 7, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN)),
        ("raw_one_stop_shop__agency_report", "raw", "one_stop_shop", world.raw_batches["agency_report"],
         datetime(2024, 7, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN))]


def _plant_report(world, batch: int, set_sql: str, suffix: str) -> None:
    execute(world.url, f"""
        insert into raw.one_stop_shop__agency_report
        select agency_code, report_period, source_updated_at, 'planted-{suffix}', payload, {batch}, received_at
        from raw.one_stop_shop__agency_report where report_period = '202409'
          and batch_id = any(array{world.raw_batches['agency_report']}) order by agency_code, record_hash limit 1""",
            f"update raw.one_stop_shop__agency_report set {set_sql} where batch_id = {batch}")


AGENCY_REPORT_FAULTS = {
    # A sent report without its sending time.
    "sent_without_ngaygui": (
        "payload = payload || '{\"TrangThai\": 2, \"NgayGui\": null}'",
        {("critical", "unexpected_rows_expectation", "status,sent_text")}),
    # Period 13: not a month, and not the month the batch asked for.
    "period_13": (
        "report_period = '202413', payload = payload || '{\"KyBaoCao\": \"202413\", \"TrangThai\": 1, \"NgayGui\": null}'",
        {("critical", "expect_column_values_to_match_regex", "report_period"),
         ("critical", "unexpected_rows_expectation", "report_period,batch_period")}),
    "status_4": (
        "payload = payload || '{\"TrangThai\": 4}'",
        {("critical", "expect_column_values_to_be_in_set", "status")}),
    "no_agency": (
        "payload = payload || '{\"MaDonVi\": \" \"}'",
        {("critical", "expect_column_values_to_not_be_null", "agency_code_sent")}),
}


@pytest.mark.parametrize("fault", sorted(AGENCY_REPORT_FAULTS))
def test_a_broken_agency_report_batch_fails_on_the_right_expectation(world, fault):
    set_sql, expected = AGENCY_REPORT_FAULTS[fault]
    batch = new_batch(world.url, "one_stop_shop", "agency_report", date(2024, 9, 1))
    _plant_report(world, batch, set_sql, fault)
    results = layers.run_raw_checks(world.url, "one_stop_shop", "agency_report", [batch], run_label="test-planted")
    assert [r.status for r in results] == ["fail"]
    assert failing(world.url, results) == expected
    [(count,)] = _rows(world.url, "select max(unexpected_count) from dq.validation_result "
                                  "where validation_run_id = %s and not success", results[0].validation_run_id)
    assert count == 1  # the planted row only
    with pytest.raises(layers.CriticalQualityFailure, match="raw_one_stop_shop__agency_report: critical"):
        layers.raise_on_critical(results, "one_stop_shop agency_report")


def test_two_states_of_one_report_in_a_batch_fail_and_an_early_sending_only_warns(world):
    batch = new_batch(world.url, "one_stop_shop", "agency_report", date(2024, 9, 1))
    _plant_report(world, batch, "payload = payload || '{\"TrangThai\": 2, \"NgayGui\": \"20240920080000\"}'", "a")
    _plant_report(world, batch, "payload = payload || '{\"TrangThai\": 2, \"NgayGui\": \"20240920080000\"}'", "b")
    results = layers.run_raw_checks(world.url, "one_stop_shop", "agency_report", [batch])
    # Sent on 20 September about September: before the month ended (a warning, on both rows), and
    # the same (agency, period) twice in the batch (critical).
    assert failing(world.url, results) == {
        ("critical", "unexpected_rows_expectation", "agency_code,report_period,batch_id"),
        ("warning", "unexpected_rows_expectation", "sent_text,report_period")}
    counts = dict(_rows(world.url, "select column_name, unexpected_count from dq.validation_result "
                                   "where validation_run_id = %s and not success", results[0].validation_run_id))
    assert counts == {"agency_code,report_period,batch_id": 1, "sent_text,report_period": 2}


CITIZEN_ACCOUNT_FAULTS = {
    "verified_over_total": (
        "jsonb_set(payload, '{item,accountsVerified}', to_jsonb((payload -> 'item' ->> 'accountsTotal')::int + 1))",
        {("critical", "unexpected_rows_expectation", "accounts_verified,accounts_total")}),
    "new_over_total": (
        "jsonb_set(payload, '{item,accountsNew}', to_jsonb((payload -> 'item' ->> 'accountsTotal')::int + 1))",
        {("critical", "unexpected_rows_expectation", "accounts_new,accounts_total")}),
    "negative_new": (
        "jsonb_set(payload, '{item,accountsNew}', '-3')",
        {("critical", "expect_column_values_to_be_between", "accounts_new")}),
    "total_as_text": (
        "jsonb_set(payload, '{item,accountsTotal}', '\"many\"')",
        {("critical", "expect_column_values_to_be_in_set", "accounts_total_type")}),
    "no_department": (
        "payload #- '{item,departmentCode}'",
        {("critical", "expect_column_values_to_not_be_null", "department_code")}),
}


@pytest.mark.parametrize("fault", sorted(CITIZEN_ACCOUNT_FAULTS))
def test_a_broken_citizen_accounts_batch_fails_on_the_right_expectation(world, fault):
    payload_sql, expected = CITIZEN_ACCOUNT_FAULTS[fault]
    batch = new_batch(world.url, "dvc_portal", "citizen_accounts", date(2024, 9, 1))
    execute(world.url, f"""
        insert into raw.dvc_portal__citizen_accounts
        select agency_code, period_year, period_month, 'planted-{fault}', {payload_sql}, {batch}, received_at
        from raw.dvc_portal__citizen_accounts where period_month = 9 and batch_id = any(array{world.raw_batches['citizen_accounts']})
          and payload -> 'item' -> 'accountsTotal' > '0'::jsonb
        order by agency_code, record_hash limit 1""")
    results = layers.run_raw_checks(world.url, "dvc_portal", "citizen_accounts", [batch])
    assert [r.status for r in results] == ["fail"]
    assert failing(world.url, results) == expected


def test_a_citizen_accounts_item_of_another_month_fails(world):
    batch = new_batch(world.url, "dvc_portal", "citizen_accounts", date(2024, 9, 1))
    execute(world.url, f"""
        insert into raw.dvc_portal__citizen_accounts
        select agency_code, period_year, 8, 'planted-month', payload, {batch}, received_at
        from raw.dvc_portal__citizen_accounts where period_month = 9
          and batch_id = any(array{world.raw_batches['citizen_accounts']}) order by agency_code, record_hash limit 1""")
    results = layers.run_raw_checks(world.url, "dvc_portal", "citizen_accounts", [batch])
    assert failing(world.url, results) == {("critical", "unexpected_rows_expectation", "period_year,period_month")}


# --- sector feeds: their generated checks are raw checks like the others ----------------------


def test_a_sector_feed_check_records_layer_source_batch_and_period(world):
    run = world.feed_run
    [row] = _rows(world.url, "select suite_name, table_checked, layer, source, batch_ids, period_start, period_end, "
                             "status, evaluated from dq.validation_run where validation_run_id = %s",
                  run.check.validation_run_id)
    # Generated: visits required, visit_date and facility_code (the key) required, the key unique,
    # the integer and date columns typed: 3 not-null + 1 unique + 2 types = 6 expectations.
    assert row == ("sector_feed.health_clinic_visits", "raw.sector_feed_record", "raw", "sector_feeds",
                   [run.batch.batch_id], datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 9, 3, tzinfo=VN), "pass", 6)


# --- marts: the three marts without a suite before --------------------------------------------


def run_mart_suite(world, name: str, schema: str = "marts"):
    return run_suites([load_suite_file(SUITES_DIR / f"{name}.json")], world.url, checkpoint_name=f"test_{name}",
                      run_label="test-issue13", marts_schema=schema, publish_docs=False)


@pytest.fixture()
def scratch(world):
    schema = f"dq_scratch_{uuid.uuid4().hex[:8]}"
    execute(world.url, f"create schema {schema}",
            *(f"create table {schema}.{t} as table marts.{t}" for t in SCRATCH_TABLES))
    yield schema
    execute(world.url, f"drop schema {schema} cascade")


def test_the_clean_marts_pass_their_suites_on_real_rows(world):
    for name in NEW_MARTS:
        [result] = run_mart_suite(world, name)
        assert result.status == "pass", (name, failing(world.url, [result]))
        assert result.evaluated == len(load_suite_file(SUITES_DIR / f"{name}.json").data["expectations"])
    counts = dict(_rows(world.url, """
        select 'fee', count(*) filter (where procedure_group = 'fee_reduced' and dossiers_accepted > 0)
        from marts.kpi_fee_reduced_online_monthly
        union all select 'forecast_interval', count(*) filter (where projected_low is not null)
        from marts.kpi_forecast_month_end
        union all select 'feed', count(*) from marts.sector_feed_record"""))
    # Real rows behind each check: fee-reduced dossiers, forecasts with an interval, and the feed's
    # three records (TYT-01 on two days, TYT-02 on one), personal column replaced by its hash.
    assert counts["fee"] > 0 and counts["forecast_interval"] > 0 and counts["feed"] == 3
    assert _rows(world.url, "select count(*) from marts.sector_feed_record where record ? 'reporter_phone_key' "
                            "and not record ? 'reporter_phone'") == [(3,)]


FIRST = "(select ctid from {s}.{t} where {where} order by 1 limit 1)"


def first(table: str, where: str) -> str:
    return FIRST.format(s="{s}", t=table, where=where)


MART_FAULTS = {
    # case: (suite, statements on the scratch copy ({s}), expected failures)
    "fee_all_differs_from_online_rate": (
        "kpi_fee_reduced_online_monthly",
        ["update {s}.kpi_online_rate_monthly set dossiers_accepted = dossiers_accepted + 1 where ctid = "
         + first("kpi_online_rate_monthly", "scope = 'agency' and dossiers_accepted > 0")],
        {("critical", "unexpected_rows_expectation", "dossiers_accepted,dossiers_online,dossiers_online_remote")}),
    "fee_rate_over_1": (
        "kpi_fee_reduced_online_monthly",
        ["update {s}.kpi_fee_reduced_online_monthly set online_rate = online_rate + 2 where ctid = "
         + first("kpi_fee_reduced_online_monthly", "procedure_group = 'fee_reduced' and online_rate is not null")],
        {("critical", "expect_column_values_to_be_between", "online_rate"),
         ("critical", "unexpected_rows_expectation", "online_rate,online_remote_rate,dossiers_accepted")}),
    "fee_group_exceeds_all": (
        "kpi_fee_reduced_online_monthly",
        # Accepted raised with the online counts unchanged: still remote <= online <= accepted, but
        # more than all procedures, and the rates no longer their counts' quotients.
        ["update {s}.kpi_fee_reduced_online_monthly f set dossiers_accepted = a.dossiers_accepted + 1, "
         "share_of_accepted = 1 from {s}.kpi_fee_reduced_online_monthly a where a.month = f.month and "
         "a.scope = f.scope and a.scope_code = f.scope_code and a.procedure_group = 'all' and f.ctid = "
         + first("kpi_fee_reduced_online_monthly", "procedure_group = 'fee_reduced' and dossiers_online > 0")],
        {("critical", "unexpected_rows_expectation", "procedure_group,dossiers_accepted,dossiers_online,dossiers_online_remote"),
         ("critical", "unexpected_rows_expectation", "online_rate,online_remote_rate,dossiers_accepted")}),
    "forecast_interval_misses_its_point": (
        "kpi_forecast_month_end",
        # An operator's interval moved above its point; the verdict moved with it (so only the
        # interval check can fail; the 'all' sum reads the point forecasts).
        ["update {s}.kpi_forecast_month_end set projected_low = projected + 1, projected_high = projected + 2, "
         "verdict = case when target is null then 'no_target' when projected + 1 >= target then 'will_meet' "
         "when projected + 2 < target then 'will_miss' else 'at_risk' end "
         "where ctid = " + first("kpi_forecast_month_end", "indicator_code = 'b2_5g_on_air_vnpt' "
                                                           "and projected is not null")],
        {("critical", "unexpected_rows_expectation", "projected_low,projected,projected_high")}),
    "forecast_verdict_contradicts_numbers": (
        "kpi_forecast_month_end",
        ["update {s}.kpi_forecast_month_end set verdict = 'will_meet' where ctid = "
         + first("kpi_forecast_month_end", "verdict in ('will_miss', 'at_risk', 'no_basis')")],
        {("critical", "unexpected_rows_expectation", "verdict,projected_low,projected_high,target")}),
    "forecast_stale_day_marked_current": (
        "kpi_forecast_month_end",
        ["update {s}.kpi_forecast_month_end set is_run_as_of = true where as_of_date = date '2024-10-01'"],
        {("critical", "unexpected_rows_expectation", "is_run_as_of,as_of_date")}),
    "feed_personal_value_above_raw": (
        "sector_feed_record",
        ["update {s}.sector_feed_record set record = record || '{{\"reporter_phone\": \"0901234567\"}}' where ctid = "
         + first("sector_feed_record", "true")],
        {("critical", "unexpected_rows_expectation", "record")}),
    "feed_key_twice": (
        "sector_feed_record",
        ["insert into {s}.sector_feed_record select * from {s}.sector_feed_record where ctid = "
         + first("sector_feed_record", "true")],
        {("critical", "expect_compound_columns_to_be_unique", "feed_name,record_key")}),
}


def test_every_new_mart_suite_has_planted_faults():
    assert {suite for suite, _, _ in MART_FAULTS.values()} == set(NEW_MARTS)


@pytest.mark.parametrize("case", sorted(MART_FAULTS))
def test_a_broken_mart_fails_on_the_right_expectation(world, scratch, case):
    suite, statements, expected = MART_FAULTS[case]
    [clean] = run_mart_suite(world, suite, scratch)
    assert clean.status == "pass", failing(world.url, [clean])
    execute(world.url, *(s.format(s=scratch) for s in statements))
    [result] = run_mart_suite(world, suite, scratch)
    assert failing(world.url, [result]) == expected
    assert result.status == "fail" and result.table_checked == f"marts.{suite}"
