"""kpi_agency_reports_monthly, kpi_citizen_accounts_monthly and their scorecard rows, built by dbt on a
throwaway database from small hand-made records loaded through the real raw loader.

Agencies (department list): T1 provincial department, H1 district, X1 commune ending 25 October 2024
(merged), X2 commune, X3 commune starting 31 October 2024. Agency 000.00.99.H03 is in no list.

Agencies' reports of October 2024 (deadline: 10 November 2024 00:00 Vietnam time); expected: T1, H1,
X1, X2, X3 (each in force on at least one day of October) = 5:

    T1  sent 09/11 23:59:59                      on time
    H1  sent 10/11 00:00:00                      late (the deadline itself is too late)
    X1  a draft                                  missing
    X2  sent 05/11 (dd/MM/yyyy format), returned 06/11, sent again 12/11: current = sent 12/11 -> late
    X3  sent 08/11 then returned, not re-sent    missing
    99  sent on time, but not an agency in force: not counted

    province: expected 5, sent 3, on time 1, late 2, missing 2, on_time_rate 1/5 = 0.2
    TINH 1/1/1/0/0 rate 1; HUYEN 1/1/0/1/0 rate 0; XA 3/1/0/1/2 rate 0

November 2024 was asked for (its batch succeeded) and nothing came back: expected T1, H1, X2, X3 = 4
(X1 ended in October), all missing, rate 0. As of 9 December 2024 November is not final (deadline 10
December), October is.

Citizen accounts of October (new, total, verified): T1 10/100/60; X1 first 4/40/30 then revised in a
later batch to 5/50/50 (the latest received counts); 99 1/10/0 (province and agency rows, no level).
    province 16/160/110, verified_share 110/160 = 0.6875; TINH 10/100/60 = 0.6; XA 5/50/50 = 1

Dossiers (accepted, by acceptance month): applicant A: September counter at T1, October online remote
at X2 -> repeat, moving online; applicant B: September online remote at T1, October counter at T1 ->
repeat, not moving online; applicant C: October only. Province October: repeat 2, online remote 1,
share 0.5. September: repeat 0 (no earlier month), share null, no account figures (null).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.loading.entities.agency_work import AGENCY_REPORT, CITIZEN_ACCOUNTS, account_record
from ioc_pipeline.loading.entities.dvc_portal import DEPARTMENT
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
from ioc_pipeline.loading.raw_loader import load_batch
from ioc_pipeline.months import month_interval
from tests.conftest import make_database

DBT = Path(sys.executable).parent / "dbt"
AS_OF = "2024-12-09"
T1, H1, X1, X2, X3, UNKNOWN = ("000.00.10.H03", "000.00.31.H03", "000.01.31.H03", "000.04.31.H03",
                               "000.05.31.H03", "000.00.99.H03")
OCT, NOV = datetime(2024, 10, 1).date(), datetime(2024, 11, 1).date()
KEY = b"test-key"


def departments() -> list[dict]:
    base = {"parentCode": None, "adminUnitCode": "77", "validFrom": "2020-01-01", "validTo": None}
    return [
        {**base, "code": T1, "name": "Sở Tư pháp", "level": "TINH"},
        {**base, "code": H1, "name": "UBND thành phố Vũng Tàu", "level": "HUYEN"},
        {**base, "code": X1, "name": "UBND Phường 1", "level": "XA", "validTo": "2024-10-25"},
        {**base, "code": X2, "name": "UBND Phường 2", "level": "XA"},
        {**base, "code": X3, "name": "UBND Phường mới", "level": "XA", "validFrom": "2024-10-31"},
    ]


def report(agency: str, status: int, sent: str | None, updated: str) -> dict:
    return {"MaDonVi": agency, "KyBaoCao": "202410", "NgayGui": sent, "TrangThai": status, "NgayCapNhat": updated}


def october_reports() -> list[dict]:
    return [
        report(T1, 2, "20241109235959", "20241109235959"),
        report(H1, 2, "20241110000000", "20241110000000"),
        report(X1, 1, None, "20241103090000"),
        report(X2, 2, "05/11/2024 08:00:00", "05/11/2024 08:00:00"),
        report(X2, 3, "05/11/2024 08:00:00", "20241106090000"),
        report(X2, 2, "20241112100000", "20241112100000"),
        report(X3, 2, "20241108100000", "20241108100000"),
        report(X3, 3, "20241108100000", "20241109100000"),
        report(UNKNOWN, 2, "20241101100000", "20241101100000"),
    ]


def dossier(code: str, agency: str, applicant: str, accepted: str, remote: bool) -> dict:
    return {
        "MaHoSo": code, "MaTTHC": "1.001612", "MaDonViTiepNhan": agency,
        "KenhThucHien": 2 if remote else 1, "NoiNopHoSo": 1 if remote else None, "LoaiDoiTuong": 1,
        "ChuHoSo": "Người nộp", "SoDinhDanh": applicant, "SoDienThoai": None,
        "NgayNopHoSo": accepted, "NgayTiepNhan": accepted, "NgayHenTra": None, "NgayKetThucXuLy": None,
        "NgayTra": None, "TrangThaiHoSo": 4, "DuocThanhToanTrucTuyen": 0, "DanhSachLePhi": [], "TaiLieuNop": [],
        "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [], "NgayCapNhat": accepted,
    }


def dossiers() -> list[dict]:
    return [
        dossier("D1", T1, "079201000001", "20240910080000", remote=False),
        dossier("D2", X2, "079201000001", "20241015080000", remote=True),
        dossier("D3", T1, "079201000002", "20240911080000", remote=True),
        dossier("D4", T1, " 0792 0100 0002 ", "20241016080000", remote=False),  # the same person, spaced
        dossier("D5", X2, "079201000003", "20241017080000", remote=True),
    ]


def load_raw(url: str) -> None:
    def ok(result):
        assert result.status == "success" and result.counts.quarantined == 0, result
    ok(load_batch(url, DEPARTMENT, departments(), KEY))
    ok(load_batch(url, DOSSIER, dossiers(), KEY, interval_start=datetime(2024, 9, 1, tzinfo=VN),
                  interval_end=datetime(2024, 11, 1, tzinfo=VN)))
    ok(load_batch(url, AGENCY_REPORT, october_reports(), KEY, interval_start=month_interval(OCT)[0],
                  interval_end=month_interval(OCT)[1]))
    ok(load_batch(url, AGENCY_REPORT, [], KEY, interval_start=month_interval(NOV)[0],
                  interval_end=month_interval(NOV)[1]))
    items = [{"departmentCode": T1, "accountsNew": 10, "accountsTotal": 100, "accountsVerified": 60},
             {"departmentCode": X1, "accountsNew": 4, "accountsTotal": 40, "accountsVerified": 30},
             {"departmentCode": UNKNOWN, "accountsNew": 1, "accountsTotal": 10, "accountsVerified": 0}]
    ok(load_batch(url, CITIZEN_ACCOUNTS, [account_record(2024, 10, i) for i in items], KEY,
                  interval_start=month_interval(OCT)[0], interval_end=month_interval(OCT)[1]))
    revised = {"departmentCode": X1, "accountsNew": 5, "accountsTotal": 50, "accountsVerified": 50}
    ok(load_batch(url, CITIZEN_ACCOUNTS, [account_record(2024, 10, revised)], KEY,
                  interval_start=month_interval(OCT)[0], interval_end=month_interval(OCT)[1]))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    url, drop = make_database("ioc_agency_work_marts")
    work = tmp_path_factory.mktemp("dbt")
    try:
        load_raw(url.url)
        env = {**os.environ, **config.QUIET_ENV, **url.dbt_env()}
        result = subprocess.run(
            [str(DBT), "build", "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir",
             str(config.DBT_PROJECT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
             "--select", "+kpi_agency_reports_monthly", "+kpi_citizen_accounts_monthly", "+breakthrough_scorecard", "+bts_station", "+dossier_watchlist",
             "+kpi_forecast_month_end", "+kpi_fee_reduced_online_monthly",  # the report reads them too
             "--vars", f"{{as_of_date: '{AS_OF}'}}", "--no-use-colors"],
            env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-8000:]
        URLS["warehouse"] = url.url
        with psycopg.connect(url.url, autocommit=True) as conn:
            yield conn
    finally:
        drop()


URLS: dict[str, str] = {}


def _rows(conn, sql: str) -> dict:
    cur = conn.execute(sql)
    names = [c.name for c in cur.description]
    return {tuple(row[:3]): dict(zip(names[3:], row[3:])) for row in cur.fetchall()}


def test_agency_reports_hand_worked(built):
    rows = _rows(built, """select month::text, scope, scope_code, agencies_expected, reports_sent, reports_sent_on_time,
                                  reports_late, reports_missing, on_time_rate, is_final
                             from marts.kpi_agency_reports_monthly where scope <> 'agency'""")
    def row(expected, sent, on_time, late, missing, rate, final):
        return {"agencies_expected": expected, "reports_sent": sent, "reports_sent_on_time": on_time,
                "reports_late": late, "reports_missing": missing, "on_time_rate": Decimal(rate), "is_final": final}
    assert rows == {
        ("2024-10-01", "province", "province"): row(5, 3, 1, 2, 2, "0.2", True),
        ("2024-10-01", "level", "TINH"): row(1, 1, 1, 0, 0, "1", True),
        ("2024-10-01", "level", "HUYEN"): row(1, 1, 0, 1, 0, "0", True),
        ("2024-10-01", "level", "XA"): row(3, 1, 0, 1, 2, "0", True),
        ("2024-11-01", "province", "province"): row(4, 0, 0, 0, 4, "0", False),
        ("2024-11-01", "level", "TINH"): row(1, 0, 0, 0, 1, "0", False),
        ("2024-11-01", "level", "HUYEN"): row(1, 0, 0, 0, 1, "0", False),
        ("2024-11-01", "level", "XA"): row(2, 0, 0, 0, 2, "0", False),
    }
    agencies = _rows(built, """select month::text, scope, scope_code, reports_sent_on_time, reports_late,
                                      reports_missing, agency_name, report_deadline
                                 from marts.kpi_agency_reports_monthly where scope = 'agency' and month = '2024-10-01'""")
    assert {k[2]: (v["reports_sent_on_time"], v["reports_late"], v["reports_missing"]) for k, v in agencies.items()} \
        == {T1: (1, 0, 0), H1: (0, 1, 0), X1: (0, 0, 1), X2: (0, 1, 0), X3: (0, 0, 1)}
    assert agencies[("2024-10-01", "agency", X1)]["agency_name"] == "UBND Phường 1"
    assert agencies[("2024-10-01", "agency", T1)]["report_deadline"] == datetime(2024, 11, 10, tzinfo=VN)


def test_citizen_accounts_and_repeat_applicants_hand_worked(built):
    rows = _rows(built, """select month::text, scope, scope_code, accounts_new, accounts_total, accounts_verified,
                                  verified_share, repeat_applicants, repeat_applicants_online_remote,
                                  repeat_online_remote_share
                             from marts.kpi_citizen_accounts_monthly""")
    def row(new, total, verified, share, repeat, online, repeat_share):
        return {"accounts_new": new, "accounts_total": total, "accounts_verified": verified,
                "verified_share": None if share is None else Decimal(share), "repeat_applicants": repeat,
                "repeat_applicants_online_remote": online,
                "repeat_online_remote_share": None if repeat_share is None else Decimal(repeat_share)}
    assert rows == {
        ("2024-09-01", "province", "province"): row(None, None, None, None, 0, 0, None),
        ("2024-09-01", "level", "TINH"): row(None, None, None, None, 0, 0, None),
        ("2024-09-01", "agency", T1): row(None, None, None, None, 0, 0, None),
        ("2024-10-01", "province", "province"): row(16, 160, 110, "0.6875", 2, 1, "0.5"),
        ("2024-10-01", "level", "TINH"): row(10, 100, 60, "0.6", 1, 0, "0"),
        ("2024-10-01", "level", "XA"): row(5, 50, 50, "1", 1, 1, "1"),
        ("2024-10-01", "agency", T1): row(10, 100, 60, "0.6", 1, 0, "0"),
        ("2024-10-01", "agency", X1): row(5, 50, 50, "1", None, None, None),
        ("2024-10-01", "agency", X2): row(None, None, None, None, 1, 1, "1"),
        ("2024-10-01", "agency", UNKNOWN): row(1, 10, 0, "0", None, None, None),
    }


def test_scorecard_rows_of_issue_13(built):
    rows = _rows(built, """select month::text, indicator_code, breakthrough, actual, target, status
                             from marts.breakthrough_scorecard
                            where indicator_code in ('b1_agency_reports_on_time', 'b3_repeat_applicants_online_remote')""")
    one = Decimal("1.0")
    assert {k[:2]: (v["actual"], v["target"], v["status"]) for k, v in rows.items()} == {
        # no report month asked for: nothing measured, the deadline passed -> not met
        **{(f"2024-{m:02d}-01", "b1_agency_reports_on_time"): (None, one, "chua_dat") for m in (7, 8, 9)},
        ("2024-10-01", "b1_agency_reports_on_time"): (Decimal("0.2"), one, "chua_dat"),
        # November's deadline (10 December) is after the as-of day: not yet due
        ("2024-11-01", "b1_agency_reports_on_time"): (None, one, "chua_co_so_lieu"),
        ("2024-12-01", "b1_agency_reports_on_time"): (None, one, "chua_co_so_lieu"),
        ("2024-09-01", "b3_repeat_applicants_online_remote"): (None, None, "khong_co_chi_tieu"),
        ("2024-10-01", "b3_repeat_applicants_online_remote"): (Decimal("0.5"), None, "khong_co_chi_tieu"),
    }
    # (month, indicator_code, breakthrough) keys: every b1 row is breakthrough 1, every b3 row 3
    assert {(k[1], k[2]) for k in rows} == {("b1_agency_reports_on_time", 1), ("b3_repeat_applicants_online_remote", 3)}


def _cells(html: str, table: str) -> dict[str, dict[str, str]]:
    """{row key (data-scope / data-agency): {data-field: text}} of one table of a report page."""
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S).group(1)
    rows = {}
    for key, row in re.findall(r'<tr data-(?:scope|agency)="([^"]+)"[^>]*>(.*?)</tr>', body, re.S):
        rows[key] = dict(re.findall(r'data-field="([^"]+)">([^<]*)<', row))
    return rows


def test_the_report_shows_both_sections(built, tmp_path):
    from ioc_pipeline.report.breakthroughs import write_reports

    write_reports(URLS["warehouse"], tmp_path)
    # pages: the months with dossiers (September, October); the reports on November make no page
    assert sorted(p.name for p in tmp_path.glob("2024-*.html")) == ["2024-09.html", "2024-10.html"]
    october = (tmp_path / "2024-10.html").read_text(encoding="utf-8")
    assert _cells(october, "agency-reports")["province"] == {
        "expected": "5", "on_time": "1", "late": "2", "missing": "2", "on_time_rate": "20,0%"}
    assert _cells(october, "agency-reports")["XA"]["missing"] == "2"
    assert 'data-field="reports_deadline">10/11/2024<' in october
    late = _cells(october, "agency-reports-late")
    assert set(late) == {H1, X1, X2, X3}
    assert {k: v["state"] for k, v in late.items()} == {H1: "Trễ hạn", X1: "Chưa gửi", X2: "Trễ hạn", X3: "Chưa gửi"}
    assert _cells(october, "citizen-accounts")["province"] == {
        "accounts_new": "16", "accounts_total": "160", "accounts_verified": "110", "verified_share": "68,8%",
        "repeat_applicants": "2", "repeat_online_remote": "1", "repeat_share": "50,0%"}
    september = (tmp_path / "2024-09.html").read_text(encoding="utf-8")
    assert "Chưa thu thập báo cáo của tháng này." in september  # no report month asked for
    assert _cells(september, "citizen-accounts")["province"]["accounts_total"] == "—"
