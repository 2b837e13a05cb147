"""Issue 13's two feeds end to end up to raw: the simulator honours the contract (sources.md §4, §5),
the extraction loads them over real HTTP into a real PostgreSQL raw layer, a re-run changes nothing,
a report that changed is a new version, and bad records go to the quarantine with their reason.

Hand-worked: the simulated province (seed 2024) has 108 agencies in force in September 2024 (19
departments, 8 district-level units, 81 communes), as in August. As of 2025-01-01, 100 of them
have a September report (106 an August one, 104 a July one) in the app (96 sent, 4 drafts; 8 never started one). Agency 000.00.13.H03's
September report was started on 1 October 11:39, sent 12:49, returned for revision on 2 October
12:56 and sent again on 6 October 15:18: as of 5 October the app shows it returned (TrangThai 3,
NgayGui still the first sending), as of 1 January sent (2, NgayGui = 6 October).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.loading.entities.agency_work import AGENCY_REPORT, CITIZEN_ACCOUNTS, account_record
from ioc_pipeline.loading.raw_loader import load_batch
from ioc_pipeline.sources.agency_work import AgencyReportClient, citizen_accounts
from ioc_pipeline.sources.dvc_portal import PortalClient
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy, SourceError
from ioc_pipeline.tasks.agency_work import extract_agency_reports, extract_citizen_accounts, report_months
from ioc_simulator.faults import Faults
from ioc_simulator.server import SimulatorServer
from tests.conftest import scalar
from tests.simulator.contract import check_accounts_api, check_agency_reports_api

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
SEP = (datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN))
JAN_1 = datetime(2025, 1, 1, tzinfo=VN)
SKHDT = "000.00.13.H03"


@pytest.fixture(scope="module")
def server():
    with SimulatorServer() as sim:  # as of 2025-01-01 00:00
        yield sim


def test_the_reports_endpoint_honours_the_contract(server):
    items = check_agency_reports_api(server.dossier_url, server.api_key, "202409", page_size=25)
    assert len(items) == 100
    assert sum(i["TrangThai"] == 2 for i in items) == 96 and sum(i["TrangThai"] == 1 for i in items) == 4
    skhdt = next(i for i in items if i["MaDonVi"] == SKHDT)
    assert skhdt == {"MaDonVi": SKHDT, "KyBaoCao": "202409", "NgayGui": "20241006151843", "TrangThai": 2,
                     "NgayCapNhat": "20241006151843"}


def test_the_accounts_endpoint_honours_the_contract(server):
    items = check_accounts_api(server.portal_url, server.client_id, server.client_secret, 2024, 9, page_size=25)
    assert len(items) == 108  # every agency in force in September
    # a month not ended at the simulator's now is refused in the envelope
    client = PortalClient(HttpEndpoint.from_uri(server.portal_conn_uri), policy=FAST)
    with pytest.raises(SourceError, match="PERIOD_NOT_ENDED"):
        list(citizen_accounts(client, 2025, 1))


def test_months_asked_for_are_the_ended_months_from_two_months_before_the_interval():
    assert report_months(*SEP, now=JAN_1) == [date(2024, 7, 1), date(2024, 8, 1), date(2024, 9, 1)]
    # a nightly run in early November asks for September (reports re-sent after a return) and October
    # (its reports are being filed), not November
    assert report_months(datetime(2024, 11, 4, 1, tzinfo=VN), datetime(2024, 11, 5, 1, tzinfo=VN), now=JAN_1) \
        == [date(2024, 9, 1), date(2024, 10, 1)]
    # across a year: a night in early February 2025 asks for December and January
    assert report_months(datetime(2025, 2, 3, 1, tzinfo=VN), datetime(2025, 2, 4, 1, tzinfo=VN),
                         now=datetime(2025, 3, 1, tzinfo=VN)) == [date(2024, 12, 1), date(2025, 1, 1)]
    # the catch-up run of the second half of 2024 as of 15 December: May..November
    assert report_months(datetime(2024, 7, 1, tzinfo=VN), datetime(2025, 1, 1, tzinfo=VN),
                         now=datetime(2024, 12, 15, tzinfo=VN)) == [date(2024, m, 1) for m in range(5, 12)]


def test_extraction_loads_every_month_once_and_a_rerun_changes_nothing(fresh, server):
    url, conn = fresh
    reports = extract_agency_reports(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), *SEP, now=JAN_1,
                                     policy=FAST)
    accounts = extract_citizen_accounts(url.url, HttpEndpoint.from_uri(server.portal_conn_uri), *SEP, now=JAN_1,
                                        policy=FAST)
    assert [r.status for r in reports + accounts] == ["success"] * 6
    august = len(server_reports(server, "202408"))
    assert august == 106
    assert [(r.counts.received, r.counts.loaded) for r in reports] == [(104, 104), (august, august), (100, 100)]
    assert [(r.counts.received, r.counts.loaded) for r in accounts] == [(108, 108)] * 3
    assert scalar(conn, "select count(*) from raw.one_stop_shop__agency_report") == 104 + august + 100
    assert scalar(conn, "select count(*) from raw.dvc_portal__citizen_accounts") == 3 * 108
    assert scalar(conn, """select count(*) from audit.load_batch where entity in ('agency_report', 'citizen_accounts')
                              and status = 'success'""") == 6
    # the month a batch covers is its interval
    starts = conn.execute("""select distinct interval_start, interval_end from audit.load_batch
                               where entity = 'agency_report' order by 1""").fetchall()
    assert starts == [(datetime(2024, 7, 1, tzinfo=VN), datetime(2024, 8, 1, tzinfo=VN)),
                      (datetime(2024, 8, 1, tzinfo=VN), datetime(2024, 9, 1, tzinfo=VN)), SEP]
    # the stored record keeps the item with its request
    payload = scalar(conn, """select payload from raw.dvc_portal__citizen_accounts
                               where agency_code = %s and period_month = 9""", SKHDT)
    assert payload["year"] == 2024 and payload["month"] == 9 and payload["item"]["departmentCode"] == SKHDT
    again = extract_agency_reports(url.url, HttpEndpoint.from_uri(server.dossier_conn_uri), *SEP, now=JAN_1,
                                   policy=FAST)
    again += extract_citizen_accounts(url.url, HttpEndpoint.from_uri(server.portal_conn_uri), *SEP, now=JAN_1,
                                      policy=FAST)
    assert [(r.counts.loaded, r.counts.duplicate) for r in again] == [(0, 104), (0, august), (0, 100)] + [(0, 108)] * 3
    assert scalar(conn, "select count(*) from raw.one_stop_shop__agency_report") == 104 + august + 100


def server_reports(server, month: str) -> list[dict]:
    client = AgencyReportClient(HttpEndpoint.from_uri(server.dossier_conn_uri), policy=FAST)
    return list(client.reports(datetime.strptime(month, "%Y%m").date()))


def test_a_report_that_changed_is_a_second_version(fresh):
    url, conn = fresh
    early = SimulatorServer(as_of=datetime(2024, 10, 5)).start()
    try:
        extract_agency_reports(url.url, HttpEndpoint.from_uri(early.dossier_conn_uri), *SEP, now=JAN_1, policy=FAST)
    finally:
        early.stop()
    with SimulatorServer() as late:
        extract_agency_reports(url.url, HttpEndpoint.from_uri(late.dossier_conn_uri), *SEP, now=JAN_1, policy=FAST)
    rows = conn.execute(
        """select payload->>'TrangThai', payload->>'NgayGui', source_updated_at
             from raw.one_stop_shop__agency_report where agency_code = %s and report_period = '202409'
            order by source_updated_at""", (SKHDT,)).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("3", "20241001124955"), ("2", "20241006151843")]
    assert rows[0][2] == datetime(2024, 10, 2, 12, 56, 8, tzinfo=VN)


def test_bad_records_are_quarantined_with_their_reason(fresh):
    url, conn = fresh
    good = {"MaDonVi": SKHDT, "KyBaoCao": "202409", "NgayGui": "20241007090000", "TrangThai": 2,
            "NgayCapNhat": "20241007090000"}
    bad_reports = [
        {**good, "MaDonVi": "000.00.14.H03", "KyBaoCao": "2024-09"},
        {**good, "MaDonVi": "000.00.15.H03", "TrangThai": 4},
        {**good, "MaDonVi": "000.00.16.H03", "NgayGui": None},
        {**good, "MaDonVi": "000.00.17.H03", "NgayCapNhat": "31/02/2024 10:00:00"},
        {**good, "MaDonVi": "000.00.18.H03", "TrangThai": "2"},
    ]
    result = load_batch(url.url, AGENCY_REPORT, [good, *bad_reports, {**good, "NgayGui": "07/10/2024 09:00:00",
                                                                      "TrangThai": 1}], b"k")
    assert (result.status, result.counts.loaded, result.counts.quarantined) == ("success", 2, 5)
    reasons = dict(conn.execute("""select record_key, reason from raw.quarantine
                                    where entity = 'agency_report'""").fetchall())
    assert reasons["000.00.14.H03"].startswith("KyBaoCao: not a period YYYYMM")
    assert reasons["000.00.15.H03"].startswith("TrangThai: not a report status 1-3")
    assert reasons["000.00.16.H03"] == "NgayGui: missing on a sent report (TrangThai 2)"
    assert reasons["000.00.17.H03"].startswith("NgayCapNhat:")
    assert reasons["000.00.18.H03"].startswith("TrangThai: not a report status 1-3")
    item = {"departmentCode": SKHDT, "accountsNew": 5, "accountsTotal": 100, "accountsVerified": 60}
    bad_items = [{**item, "departmentCode": "000.00.14.H03", "accountsVerified": 101},
                 {**item, "departmentCode": "000.00.15.H03", "accountsNew": -1},
                 {**item, "departmentCode": "000.00.16.H03", "accountsTotal": 1.5},
                 {**item, "departmentCode": None}]
    result = load_batch(url.url, CITIZEN_ACCOUNTS, [account_record(2024, 9, i) for i in [item, *bad_items]], b"k")
    assert (result.status, result.counts.loaded, result.counts.quarantined) == ("success", 1, 4)
    reasons = dict(conn.execute("""select coalesce(record_key, '-'), reason from raw.quarantine
                                    where entity = 'citizen_accounts'""").fetchall())
    assert reasons == {"000.00.14.H03": "accountsVerified 101 > accountsTotal 100",
                       "000.00.15.H03": "accountsNew: not a whole number >= 0: -1",
                       "000.00.16.H03": "accountsTotal: not a whole number >= 0: 1.5",
                       "-": "item: missing required field departmentCode"}


def test_bad_records_served_over_http_are_quarantined_and_a_rerun_adds_nothing(fresh):
    url, conn = fresh
    with SimulatorServer(faults=Faults(bad_work_records=3)) as sim:
        dossier_api, portal = (HttpEndpoint.from_uri(u) for u in (sim.dossier_conn_uri, sim.portal_conn_uri))
        runs = [extract_agency_reports(url.url, dossier_api, *SEP, now=JAN_1, policy=FAST)
                + extract_citizen_accounts(url.url, portal, *SEP, now=JAN_1, policy=FAST) for _ in range(2)]
    # July, August, September of each feed: 104 / 106 / 100 reports and 108 account items a month,
    # the first 3 of each month damaged
    assert [(r.counts.received, r.counts.loaded, r.counts.quarantined) for r in runs[0]] == [
        (104, 101, 3), (106, 103, 3), (100, 97, 3), (108, 105, 3), (108, 105, 3), (108, 105, 3)]
    assert [(r.counts.loaded, r.counts.quarantined) for r in runs[1]] == [(0, 3)] * 6
    # the field each reason names (the reason's first word), per entity
    reasons = conn.execute("""select entity, split_part(split_part(reason, ':', 1), ' ', 1), count(*)
                                from raw.quarantine group by 1, 2 order by 1, 2""").fetchall()
    # per month: one report of each damage; accounts: items 1 and 3 verified > total, item 2 a negative count
    assert reasons == [
        ("agency_report", "KyBaoCao", 3), ("agency_report", "NgayGui", 3), ("agency_report", "TrangThai", 3),
        ("citizen_accounts", "accountsNew", 3), ("citizen_accounts", "accountsVerified", 6)]
    # 3 damaged items x 3 months x 2 feeds, stored once although the run read them twice
    assert scalar(conn, "select count(*) from raw.quarantine") == 18
