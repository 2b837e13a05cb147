"""Extraction against the simulator over real HTTP, into a real PostgreSQL raw layer.

Faults are injected by the simulator's knobs; the expected counts follow from the simulator's own
record list (what it serves) and the fault settings, worked out in each test.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

import pytest

from ioc_pipeline.sources.http import HttpEndpoint
from ioc_pipeline.tasks.dossiers import extract_dossiers
from ioc_pipeline.tasks.portal import extract_departments
from ioc_simulator.faults import Faults
from ioc_simulator.server import SimulatorServer
from ioc_simulator.world import AGENCIES
from ioc_pipeline.sources.dvc_portal import PortalClient
from ioc_pipeline.sources.http import SourceError
from ioc_pipeline.config import VN
from ioc_pipeline.sources.http import RetryPolicy
from tests.conftest import batch_row, scalar

START = datetime(2024, 7, 1, tzinfo=VN)
END = datetime(2025, 1, 1, tzinfo=VN)
FAST = RetryPolicy(max_attempts=4, backoff_initial=0.05, backoff_max=0.2)


def test_faults_are_survived_and_every_record_is_counted_exactly(fresh):
    url, conn = fresh
    faults = Faults(status_on_request={2: 503}, retry_after_on_request={4: 1}, duplicate_across_pages=True,
                    unreadable_dates=3)
    with SimulatorServer(faults=faults) as server:
        served = len(server.records)
        page_size = 100
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                  page_size=page_size, policy=FAST)
        log = list(server.request_log)
    pages = math.ceil(served / page_size)
    assert served == 440 and pages == 5
    # Each page after the first repeats the previous page's last record.
    received = served + (pages - 1)
    assert result.status == "success"
    assert (result.counts.received, result.counts.quarantined, result.counts.loaded) == (received, 3, served - 3)
    statuses = [status for path, status in log if path == "/api/v1/hoso"]
    # page 1 (for `total`), then pages 5..1 (read backwards: one_stop_shop.py), one 503 and one 429 retry
    assert statuses == [200, 503, 200, 429, 200, 200, 200, 200]
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == served - 3
    assert scalar(conn, "select count(distinct dossier_code) from raw.one_stop_shop__dossier") == served - 3
    reasons = conn.execute("select reason from raw.quarantine order by reason").fetchall()
    assert len(reasons) == 3 and all("NgayTiepNhan: impossible date" in r for (r,) in reasons)
    batch = batch_row(conn, result.batch_id)
    assert (batch["status"], batch["rows_received"], batch["rows_loaded"], batch["rows_quarantined"],
            batch["rows_duplicate"]) == ("success", received, served - 3, 3, pages - 1)
    assert batch["interval_start"] == START and batch["interval_end"] == END and batch["finished_at"]


def test_missing_keys_are_quarantined_and_extra_fields_kept(fresh):
    url, conn = fresh
    with SimulatorServer(faults=Faults(missing_key=2, extra_field=True)) as server:
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END, policy=FAST)
        served = len(server.records)
    assert (result.counts.received, result.counts.loaded, result.counts.quarantined) == (served, served - 2, 2)
    rows = conn.execute("select reason, record_key, content from raw.quarantine").fetchall()
    assert [r[0] for r in rows] == ["missing required field MaHoSo"] * 2
    assert all(key is None and '"MaTTHC"' in content for _, key, content in rows)
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier where payload->>'TruongMoi' = 'x'") \
        == served - 2


def test_rerunning_an_interval_changes_nothing(fresh):
    url, conn = fresh

    def digest():
        return conn.execute(
            """select count(*), md5(string_agg(dossier_code || record_hash || batch_id, ',' order by dossier_code,
                      record_hash)) from raw.one_stop_shop__dossier""").fetchone(), \
            scalar(conn, "select count(*) from raw.quarantine")

    with SimulatorServer(faults=Faults(unreadable_dates=1, duplicate_across_pages=True)) as server:
        endpoint = HttpEndpoint.from_uri(server.dossier_conn_uri)
        first = extract_dossiers(url.url, endpoint, START, END, policy=FAST)
        before = digest()
        second = extract_dossiers(url.url, endpoint, START, END, policy=FAST)
    assert digest() == before
    assert first.counts.loaded == before[0][0] and second.counts.loaded == 0
    assert second.counts.duplicate == second.counts.received - 1
    assert batch_row(conn, second.batch_id)["rows_loaded"] == 0


def test_a_source_failing_half_way_leaves_no_half_batch(fresh):
    url, conn = fresh
    # Request 3 and every retry of it fail: the last page was already streamed into the COPY.
    failing = {n: 503 for n in range(3, 3 + FAST.max_attempts)}
    with SimulatorServer(faults=Faults(status_on_request=failing, unreadable_dates=1)) as server:
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END,
                                  page_size=100, policy=FAST)
    assert result.status == "failed" and "503" in result.error
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0
    batch = batch_row(conn, result.batch_id)
    assert batch["status"] == "failed" and "503" in batch["error"] and batch["finished_at"]


def test_a_wrong_api_key_fails_the_batch_with_a_clear_message(fresh):
    url, conn = fresh
    with SimulatorServer() as server:
        endpoint = HttpEndpoint.from_uri(server.dossier_conn_uri.replace("sim-key", "wrong"))
        result = extract_dossiers(url.url, endpoint, START, END, policy=FAST)
    assert result.status == "failed" and "refused the API key" in result.error
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0


def test_a_half_open_interval_takes_only_its_changes(fresh):
    url, conn = fresh
    with SimulatorServer() as server:
        endpoint = HttpEndpoint.from_uri(server.dossier_conn_uri)
        september = datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN)
        expected = sum(1 for r in server.records
                       if "20240901000000" <= _compact(r["NgayCapNhat"]) < "20241001000000")
        result = extract_dossiers(url.url, endpoint, *september, policy=FAST)
    assert expected > 0 and result.counts.loaded == expected
    assert scalar(conn, """select count(*) from raw.one_stop_shop__dossier
                            where source_updated_at < '2024-09-01T00:00:00+07:00'
                               or source_updated_at >= '2024-10-01T00:00:00+07:00'""") == 0


def _compact(value: str) -> str:
    if "/" in value:
        day, month, rest = value[:2], value[3:5], value[6:]
        year, clock = rest.split(" ")
        return year + month + day + clock.replace(":", "")
    return value


def test_portal_token_expiry_is_handled_by_fetching_a_new_token():
    with SimulatorServer(faults=Faults(token_expires_after=0.5)) as server:
        client = PortalClient(HttpEndpoint.from_uri(server.portal_conn_uri), page_size=3, policy=FAST)
        first = list(client.departments())
        time.sleep(0.7)
        second = list(client.departments())
        log = list(server.request_log)
    assert first == second and len(first) == len(AGENCIES)
    tokens = [status for path, status in log if path == "/api/v1/auth/token"]
    departments = [status for path, status in log if path == "/api/v1/reporting/departments"]
    assert tokens == [200, 200] and departments.count(401) == 1


def test_portal_error_envelope_under_http_200_is_an_error():
    with SimulatorServer() as server:
        client = PortalClient(HttpEndpoint.from_uri(server.portal_conn_uri), page_size=5000, policy=FAST)
        with pytest.raises(SourceError, match="INVALID_PARAMETER"):
            list(client.departments())


def test_portal_departments_keep_every_version(fresh):
    url, conn = fresh
    with SimulatorServer() as server:
        endpoint = HttpEndpoint.from_uri(server.portal_conn_uri)
        result = extract_departments(url.url, endpoint, policy=FAST)
        again = extract_departments(url.url, endpoint, policy=FAST)
    assert result.status == "success", result.error
    assert result.counts.loaded == len(AGENCIES) and again.counts.loaded == 0
    assert scalar(conn, "select count(*) from raw.dvc_portal__department where agency_code = '000.03.31.H03'") == 2


def test_scheduled_windows_start_at_the_watermark_and_overlap(fresh):
    url, conn = fresh
    from datetime import timedelta

    from ioc_pipeline.tasks.dossiers import DEFAULT_OVERLAP, extraction_window, watermark

    nightly = (datetime(2024, 9, 10, 1, tzinfo=VN), datetime(2024, 9, 11, 1, tzinfo=VN))
    # Never loaded: the data interval, reaching back by the overlap margin.
    assert watermark(url.url, "one_stop_shop", "dossier") is None
    assert extraction_window(*nightly, None, None) == (nightly[0] - DEFAULT_OVERLAP, nightly[1])
    # Last success ended on 7 September (two nights failed since): catch up from there.
    with SimulatorServer() as server:
        endpoint = HttpEndpoint.from_uri(server.dossier_conn_uri)
        extract_dossiers(url.url, endpoint, datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 9, 7, 1, tzinfo=VN),
                         policy=FAST)
    mark = watermark(url.url, "one_stop_shop", "dossier")
    assert mark == datetime(2024, 9, 7, 1, tzinfo=VN)
    assert extraction_window(*nightly, {}, mark) == (mark - DEFAULT_OVERLAP, nightly[1])
    # An explicit catch-up interval (the run command) is taken as given.
    conf = {"interval_start": "2024-07-01T00:00:00+07:00", "interval_end": "2025-01-01T00:00:00+07:00"}
    assert extraction_window(*nightly, conf, mark) == (datetime(2024, 7, 1, tzinfo=VN), datetime(2025, 1, 1, tzinfo=VN))
    assert DEFAULT_OVERLAP == timedelta(hours=2)


def test_schema_drift_fails_the_batch_loudly_instead_of_quarantining_everything(fresh):
    url, conn = fresh
    renamed = []
    with SimulatorServer() as server:
        for record in server.records[:30]:
            record = dict(record)
            record["maHoSo"] = record.pop("MaHoSo")  # the source renamed a required field
            renamed.append(record)
    with SimulatorServer(records=renamed) as server:
        result = extract_dossiers(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), START, END, policy=FAST)
    assert result.status == "failed"
    assert "schema drift: required field(s) MaHoSo missing from all 30 records" in result.error
    assert scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == 0
    assert scalar(conn, "select count(*) from raw.quarantine") == 0
    assert "schema drift" in batch_row(conn, result.batch_id)["error"]
