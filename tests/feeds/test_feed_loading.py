"""A declared feed through the project's real raw loader and the generated Great Expectations checks, on a
real PostgreSQL: a CSV file drop worked out row by row, the example air-quality feed over real HTTP from
the simulator, failures, and re-runs that change nothing.

The CSV drop (feed `test_beds`, keys facility_code + report_date, beds_* integer and required):

    row  facility_code,report_date,beds_total,beds_occupied,note
    1    BV-1,2024-09-01,100,80,            first version of BV-1            -> loaded
    2    BV-2,2024-09-01,50,40,ok           first version of BV-2            -> loaded
    3    BV-3,2024-09-01,60,abc,            beds_occupied not an integer     -> loaded, type check fails (1)
    4    ,2024-09-01,10,5,                  no key                           -> quarantined
    5    BV-1,2024-09-01,100,80,            row 1 again                      -> duplicate
    6    BV-2,2024-09-01,50,41,changed      a 2nd version of BV-2, same batch -> loaded, unique fails (2 rows)
    7    BV-4,2024-09-01,,,                 beds_total, beds_occupied empty   -> loaded, not-null fails (1 + 1)

received 7 = loaded 5 + quarantined 1 + duplicate 1. Expectations: not null x4 (facility_code,
report_date, beds_total, beds_occupied), unique (facility_code, report_date), type x3 (report_date
date, beds_total and beds_occupied integer; `note` is a string: no check) = 8, of which 4 fail.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.feeds.spec import SectorFeed, load_feed_file
from ioc_pipeline.sources.http import RetryPolicy
from ioc_pipeline.tasks.sector_feeds import load_feed, sync_declarations
from ioc_simulator.server import SimulatorServer
from tests.conftest import batch_row, scalar

FAST = RetryPolicy(max_attempts=2, backoff_initial=0.05, backoff_max=0.1)
CSV_A = """facility_code,report_date,beds_total,beds_occupied,note
BV-1,2024-09-01,100,80,
BV-2,2024-09-01,50,40,ok
BV-3,2024-09-01,60,abc,
,2024-09-01,10,5,
BV-1,2024-09-01,100,80,
BV-2,2024-09-01,50,41,changed
BV-4,2024-09-01,,,
"""


def _beds_feed(folder) -> SectorFeed:
    return SectorFeed.model_validate({
        "name": "test_beds", "owner_agency": "000.00.23.H03", "sector": "health", "description": "giường bệnh",
        "source": {"file_drop": f"{folder}/beds_*.csv"}, "format": "csv",
        "key_columns": ["facility_code", "report_date"], "timestamp_column": "report_date", "cadence": "daily",
        "freshness_sla_hours": 48,
        "columns": {"facility_code": {"type": "string"}, "report_date": {"type": "date"},
                    "beds_total": {"type": "integer", "required": True},
                    "beds_occupied": {"type": "integer", "required": True}, "note": {"type": "string"}}})


def _counts(result):
    c = result.batch.counts
    return c.received, c.loaded, c.quarantined, c.duplicate


def _dq_runs(conn, feed):
    return conn.execute("""select status, evaluated, passed, failed from dq.validation_run
                            where suite_name = %s order by validation_run_id""", (f"sector_feed.{feed}",)).fetchall()


def test_a_csv_drop_loaded_quarantined_deduplicated_and_checked(fresh, tmp_path):
    url, conn = fresh
    (tmp_path / "beds_20240901.csv").write_text(CSV_A, encoding="utf-8")
    feed = _beds_feed(tmp_path)

    first = load_feed(url.url, feed, run_label="t1")
    assert first.batch.status == "success"
    assert _counts(first) == (7, 5, 1, 1)
    row = batch_row(conn, first.batch.batch_id)
    assert (row["source"], row["entity"], row["rows_received"], row["rows_loaded"], row["rows_quarantined"],
            row["rows_duplicate"]) == ("sector_feeds", "test_beds", 7, 5, 1, 1)
    assert conn.execute("""select record_key, count(*) from raw.sector_feed_record group by 1 order by 1""").fetchall() \
        == [("BV-1|2024-09-01", 1), ("BV-2|2024-09-01", 2), ("BV-3|2024-09-01", 1), ("BV-4|2024-09-01", 1)]
    # Kept as received: CSV text, an empty cell as null.
    assert scalar(conn, """select payload from raw.sector_feed_record
                            where record_key = 'BV-4|2024-09-01'""") == {
        "facility_code": "BV-4", "report_date": "2024-09-01", "beds_total": None, "beds_occupied": None, "note": None}
    assert conn.execute("select source, entity, record_key, reason from raw.quarantine").fetchall() == [
        ("sector_feeds", "test_beds", None, "missing key column facility_code")]

    # The generated expectations: 8 evaluated, 4 failed, the feed's status is fail.
    assert first.check.status == "fail"
    assert _dq_runs(conn, "test_beds") == [("fail", 8, 4, 4)]
    failed = conn.execute("""select expectation_type, column_name, unexpected_count from dq.validation_result
                              where not success order by 1, 2""").fetchall()
    assert failed == [
        ("expect_column_values_to_match_regex", "beds_occupied", 1),      # abc
        ("expect_column_values_to_not_be_null", "beds_occupied", 1),      # BV-4
        ("expect_column_values_to_not_be_null", "beds_total", 1),         # BV-4
        ("expect_compound_columns_to_be_unique", "facility_code,report_date", 2),  # BV-2 twice
    ]
    assert scalar(conn, "select table_checked from dq.validation_run") == "raw.sector_feed_record"

    # The same drop again: nothing new anywhere, and no new check (nothing was added to validate).
    again = load_feed(url.url, feed, run_label="t2")
    assert _counts(again) == (7, 0, 1, 6) and again.check is None
    assert scalar(conn, "select count(*) from raw.sector_feed_record") == 5
    assert scalar(conn, "select count(*) from raw.quarantine") == 1
    assert len(_dq_runs(conn, "test_beds")) == 1

    # A new day's file: one new record (and one already known), a clean batch.
    (tmp_path / "beds_20240902.csv").write_text(
        "facility_code,report_date,beds_total,beds_occupied,note\nBV-1,2024-09-02,100,75,\nBV-1,2024-09-01,100,80,\n",
        encoding="utf-8")
    third = load_feed(url.url, feed, run_label="t3")
    assert _counts(third) == (9, 1, 1, 7)
    assert _dq_runs(conn, "test_beds")[-1] == ("pass", 8, 8, 0)


def test_the_air_quality_example_over_http_from_the_simulator(fresh, monkeypatch):
    """4 stations x 3 hours in [00:00, 03:00) = 12 readings; again over [01:00, 04:00): 4 new, 8 known."""
    url, conn = fresh
    feed = load_feed_file(config.PROJECT_ROOT / "feeds" / "environment_air_quality.yml")
    with SimulatorServer() as sim:
        monkeypatch.setenv("SECTOR_FEED_SIMULATOR_URL", sim.dossier_url)
        first = load_feed(url.url, feed, datetime(2024, 9, 1, 0, tzinfo=VN), datetime(2024, 9, 1, 3, tzinfo=VN),
                          policy=FAST)
        second = load_feed(url.url, feed, datetime(2024, 9, 1, 1, tzinfo=VN), datetime(2024, 9, 1, 4, tzinfo=VN),
                           policy=FAST)
        asked = [path for path, _ in sim.request_log]
    assert asked == ["/api/v1/feeds/air-quality"] * 2
    assert _counts(first) == (12, 12, 0, 0) and _counts(second) == (12, 4, 0, 8)
    keys = [k for (k,) in conn.execute("select record_key from raw.sector_feed_record order by 1")]
    assert len(keys) == 16 and keys[0] == "KK-BR-01|2024-09-01T00:00:00+07:00"
    assert keys[-1] == "KK-VT-01|2024-09-01T03:00:00+07:00"
    reading = scalar(conn, """select payload from raw.sector_feed_record
                               where record_key = 'KK-VT-01|2024-09-01T02:00:00+07:00'""")
    assert reading["station_name"] == "Trạm quan trắc tự động Vũng Tàu"
    assert reading["pm10"] == round(reading["pm25"] * 1.6, 1) and reading["aqi"] == int(reading["pm25"] * 2 + 10)
    # 3 required + 1 unique + 5 typed (measured_at, pm25, pm10, no2, aqi): all pass, each batch.
    assert _dq_runs(conn, "environment_air_quality") == [("pass", 9, 9, 0), ("pass", 9, 9, 0)]
    assert batch_row(conn, second.batch.batch_id)["interval_start"] == datetime(2024, 9, 1, 1, tzinfo=VN)


def test_a_failing_source_fails_its_batch_with_the_reason(fresh, monkeypatch, tmp_path):
    url, conn = fresh
    feed = load_feed_file(config.PROJECT_ROOT / "feeds" / "environment_air_quality.yml")
    monkeypatch.delenv("SECTOR_FEED_SIMULATOR_URL", raising=False)
    unset = load_feed(url.url, feed, datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 9, 2, tzinfo=VN))
    assert unset.batch.status == "failed"
    assert "environment variable SECTOR_FEED_SIMULATOR_URL is not set" in unset.batch.error
    with SimulatorServer() as sim:
        monkeypatch.setenv("SECTOR_FEED_SIMULATOR_URL", sim.dossier_url)
        no_window = load_feed(url.url, feed, policy=FAST)  # the API needs from/to: HTTP 400
    assert no_window.batch.status == "failed" and "HTTP 400" in no_window.batch.error
    # Every record without a key column: the source changed shape; nothing is loaded.
    (tmp_path / "beds_1.csv").write_text("code,report_date,beds_total,beds_occupied\nBV-1,2024-09-01,1,1\n",
                                         encoding="utf-8")
    drift = load_feed(url.url, _beds_feed(tmp_path))
    assert drift.batch.status == "failed"
    assert "schema drift: required field(s) facility_code missing from all 1 records" in drift.batch.error
    assert scalar(conn, "select count(*) from raw.sector_feed_record") == 0
    assert [r[0] for r in conn.execute("select status from audit.load_batch order by batch_id")] == ["failed"] * 3


def test_declarations_mirror_the_folder(fresh, tmp_path):
    url, conn = fresh
    air = load_feed_file(config.PROJECT_ROOT / "feeds" / "environment_air_quality.yml")
    beds = _beds_feed(tmp_path)
    assert sync_declarations(url.url, [air, beds]) == 2
    assert sync_declarations(url.url, [air, beds]) == 0  # unchanged: nothing rewritten
    assert conn.execute("""select feed_name, source_kind, cadence, freshness_sla_hours, key_columns, required_columns
                             from raw.sector_feed_declaration order by 1""").fetchall() == [
        ("environment_air_quality", "http", "hourly", 3, ["station_code", "measured_at"],
         ["station_code", "measured_at", "pm25"]),
        ("test_beds", "file_drop", "daily", 48, ["facility_code", "report_date"],
         ["facility_code", "report_date", "beds_total", "beds_occupied"])]
    stricter = beds.model_copy(update={"freshness_sla_hours": 24})
    assert sync_declarations(url.url, [stricter]) == 2  # air removed, beds changed
    assert conn.execute("select feed_name, freshness_sla_hours from raw.sector_feed_declaration").fetchall() == [
        ("test_beds", 24)]
