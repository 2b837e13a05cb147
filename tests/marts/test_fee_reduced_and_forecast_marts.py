"""kpi_fee_reduced_online_monthly, kpi_forecast_month_end and the scorecard's fee-reduced row on a
small seeded warehouse, against numbers worked out by hand.

Raw dossiers are loaded the way the loader does (tests/dbt/test_timeliness_marts.py's helpers), two
catalog procedures (FR: fee reduced online; NF: not), two agencies (T: TINH, H: HUYEN), then
`dbt build` runs as of Tue 8/10/2024. Every dossier is accepted on a Monday at 09:00 (Vietnam):

| month | Monday: dossier agency procedure channel                                   | remote |
| Jul   | 1: J1 T NF counter; 8: J2 T FR remote; 15: J3 H FR staff-keyed online;      | 2 / 5  |
|       | 22: J4 H NF remote; 29: J5 T NF counter                                    |        |
| Aug   | 5: A1 T FR remote; 12: A2 H NF counter; 19: A3 T NF remote; 26: A4 H FR counter | 2 / 4 |
| Sep   | (2: National Day, off) 9: S1 T FR remote; 16: S2 H FR remote (+ SX, status 1,  | 3 / 4 |
|       | never accepted); 23: S3 T NF remote; 30: S4 H NF counter                    |        |
| Oct   | 7: O1 T FR remote, O2 H NF remote; Tue 8: O3 T NF counter (the as-of day)   | -      |

Fee-reduced, province: Jul 2 accepted (J2, J3), 2 online, 1 remote -> online 1, remote 0.5, share
2/5 = 0.4; Aug 2 (A1, A4), 1, 1 -> 0.5, 0.5, share 0.5; Sep 2 (S1, S2), 2, 2 -> 1, 1, share 0.5.

Forecast of the online-remote rate as of 8/10 (the month so far is 1-7/10: O1, O2, both remote).
Reference months Jul, Aug, Sep (3, 2, 1 months before October): the only dossiers were on working
Mondays, one per working Monday (Jul 5, Aug 4, Sep 4 of them), so the mean per working Monday is 1
accepted, and 2/5 = 0.4, 2/4 = 0.5, 3/4 = 0.75 remote (the months' rates too); every other day
class has mean 0. Trend: (0.75 - 0.4) / 2 = 0.175 a month, so the remote share per working Monday
becomes 0.4 + 3 x 0.175 = 0.925 (Jul), 0.5 + 2 x 0.175 = 0.85 (Aug), 0.75 + 0.175 = 0.925 (Sep).
Remaining days 8-31/10 (24 days, 18 working) hold 3 working Mondays (14, 21, 28): V = 3 for each
month, R = 2.775, 2.55, 2.775.
  rate_Jul = (2 + 2.775) / (2 + 3) = 0.955, rate_Aug = 4.55 / 5 = 0.91, rate_Sep = 0.955
  projected = (2 + 8.1 / 3) / 5 = 4.7 / 5 = 0.94
  sampling margin: p = 2.7 / 3 = 0.9, 1.645 x sqrt(0.9 x 0.1 x 3) / 5 = 0.17095... -> 0.1710
  interval [0.91 - 0.171, min(0.955 + 0.171, 1)] = [0.739, 1]
The whole interval is above October's target 0.70: will_meet.
As of Tue 10/9 (so far: S1 on 9/9; remaining Mondays 16, 23, 30; references Aug and Jul; trend
(0.5 - 0.4) / 1 = 0.1): Jul 0.4 + 2 x 0.1 = 0.6, Aug 0.5 + 0.1 = 0.6 remote per Monday, R = 1.8,
V = 3 for both: (1 + 1.8) / (1 + 3) = 0.7; margin p = 0.6, 1.645 x sqrt(0.6 x 0.4 x 3) / 4 =
0.34896... -> 0.3490, interval [0.351, 1] holds September's 0.65: at_risk; the point meets it
(September ended at 3/4 = 0.75).
As of Tue 9/7 (the first month: no reference month): the rate so far, J1 and J2: 1/2 = 0.5, no
interval, July has no target: no_target.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests.conftest import make_database

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.timezone.utc
AS_OF = "2024-10-08"
T, H = "000.00.01.H03", "000.00.13.H03"
FR, NF = "2.002160", "1.001612"
CHANNELS = {"counter": (1, None), "remote": (2, 1), "staff": (2, 2)}

DOSSIERS = [  # code, day, agency, procedure, channel[, status]
    ("J1", "20240701", T, NF, "counter"), ("J2", "20240708", T, FR, "remote"), ("J3", "20240715", H, FR, "staff"),
    ("J4", "20240722", H, NF, "remote"), ("J5", "20240729", T, NF, "counter"),
    ("A1", "20240805", T, FR, "remote"), ("A2", "20240812", H, NF, "counter"), ("A3", "20240819", T, NF, "remote"),
    ("A4", "20240826", H, FR, "counter"),
    ("S1", "20240909", T, FR, "remote"), ("S2", "20240916", H, FR, "remote"), ("S3", "20240923", T, NF, "remote"),
    ("S4", "20240930", H, NF, "counter"), ("SX", "20240916", H, FR, "remote", 1),
    ("O1", "20241007", T, FR, "remote"), ("O2", "20241007", H, NF, "remote"), ("O3", "20241008", T, NF, "counter"),
]


def _record(code, day, agency, procedure, channel, status=4) -> dict:
    kenh, noi = CHANNELS[channel]
    accepted = day + "090000" if status != 1 else None
    return {
        "MaHoSo": code, "MaTTHC": procedure, "MaDonViTiepNhan": agency, "KenhThucHien": kenh, "NoiNopHoSo": noi,
        "LoaiDoiTuong": 1, "ChuHoSo": "Người nộp " + code, "SoDinhDanh": "07909000" + str(abs(hash(code)) % 10000).zfill(4),
        "SoDienThoai": None, "NgayNopHoSo": day + "080000", "NgayTiepNhan": accepted,
        "NgayHenTra": day[:6] + "28170000", "NgayKetThucXuLy": None, "NgayTra": None, "TrangThaiHoSo": status,
        "DuocThanhToanTrucTuyen": 0, "DanhSachLePhi": [], "TaiLieuNop": [], "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [], "NgayCapNhat": day + "100000",
    }


def _hash(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def load_raw(conn) -> None:
    batch_id = conn.execute(
        "insert into audit.load_batch (source, entity, status) values ('test', 'all', 'success') returning batch_id"
    ).fetchone()[0]
    for row in DOSSIERS:
        record = _record(*row)
        updated = dt.datetime.strptime(record["NgayCapNhat"], "%Y%m%d%H%M%S").replace(tzinfo=VN)
        conn.execute(
            "insert into raw.one_stop_shop__dossier (dossier_code, record_hash, source_updated_at,"
            " applicant_key, payload, batch_id, received_at) values (%s, %s, %s, %s, %s::jsonb, %s, %s)",
            (record["MaHoSo"], _hash(record), updated, hashlib.sha256(record["SoDinhDanh"].encode()).hexdigest(),
             json.dumps(record, ensure_ascii=False), batch_id, updated + dt.timedelta(hours=1)))
    for code, name, reduced in ((FR, "Cấp bản sao trích lục hộ tịch", True), (NF, "Chứng thực chữ ký", False)):
        formality = {"code": code, "name": name, "sectorCode": "HT", "sectorName": "Hộ tịch", "state": "CONG_KHAI",
                     "hasFee": True, "feeReducedOnline": reduced}
        conn.execute(
            "insert into raw.dvc_portal__formality (procedure_code, record_hash, payload, batch_id, received_at)"
            " values (%s, %s, %s::jsonb, %s, %s)",
            (code, _hash(formality), json.dumps(formality, ensure_ascii=False), batch_id, dt.datetime(2024, 6, 1, tzinfo=UTC)))
    base = {"parentCode": None, "adminUnitCode": "77", "validFrom": "2020-01-01", "validTo": None}
    for record in ({**base, "code": T, "name": "Sở Tư pháp", "level": "TINH"},
                   {**base, "code": H, "name": "UBND huyện Châu Đức", "level": "HUYEN"}):
        conn.execute(
            "insert into raw.dvc_portal__department (agency_code, record_hash, payload, batch_id, received_at)"
            " values (%s, %s, %s::jsonb, %s, %s)",
            (record["code"], _hash(record), json.dumps(record, ensure_ascii=False), batch_id,
             dt.datetime(2024, 6, 1, tzinfo=UTC)))


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    url, drop = make_database("ioc_fee_forecast")
    try:
        with psycopg.connect(url.url) as conn:
            load_raw(conn)
        work = tmp_path_factory.mktemp("dbt")
        env = {**os.environ, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
        result = subprocess.run(
            [str(DBT_EXECUTABLE), "build",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
             "--select", "+kpi_fee_reduced_online_monthly", "+kpi_forecast_month_end", "+breakthrough_scorecard", "+bts_station",
             # only the tests whose every parent is built (another mart's relationship tests to
             # source_status would otherwise be picked up without their own mart)
             "--indirect-selection", "cautious",
             "--vars", f"{{as_of_date: '{AS_OF}'}}", "--no-use-colors"],
            env=env, capture_output=True, text=True, timeout=600,
        )
        assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
        with psycopg.connect(url.url, autocommit=True) as conn:
            yield conn
    finally:
        drop()


def _rows(conn, sql: str) -> list[dict]:
    cur = conn.execute(sql)
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def test_fee_reduced_uptake_against_all_procedures(db):
    rows = {(r["month"].isoformat()[:7], r["scope"], r["scope_code"], r["procedure_group"]):
            (r["dossiers_accepted"], r["dossiers_online"], r["dossiers_online_remote"], r["online_rate"],
             r["online_remote_rate"], r["share_of_accepted"])
            for r in _rows(db, "select * from marts.kpi_fee_reduced_online_monthly")}
    D = Decimal
    # (accepted, online, remote, online_rate, remote_rate, share_of_accepted)
    assert rows[("2024-07", "province", "province", "fee_reduced")] == (2, 2, 1, 1, D("0.5"), D("0.4"))
    assert rows[("2024-07", "province", "province", "all")] == (5, 3, 2, D("0.6"), D("0.4"), 1)
    assert rows[("2024-08", "province", "province", "fee_reduced")] == (2, 1, 1, D("0.5"), D("0.5"), D("0.5"))
    assert rows[("2024-09", "province", "province", "fee_reduced")] == (2, 2, 2, 1, 1, D("0.5"))
    assert rows[("2024-09", "province", "province", "all")] == (4, 3, 3, D("0.75"), D("0.75"), 1)
    # the status-1 dossier SX never counts; S2 is HUYEN's only fee-reduced dossier of September
    assert rows[("2024-09", "level", "HUYEN", "fee_reduced")] == (1, 1, 1, 1, 1, D("0.5"))
    assert rows[("2024-08", "agency", H, "fee_reduced")] == (1, 0, 0, 0, 0, D("0.5"))
    # a scope with no fee-reduced dossier that month: a row with 0 and null rates
    assert rows[("2024-10", "agency", H, "fee_reduced")] == (0, 0, 0, None, None, 0)
    # dense grid: 4 months x (province, 2 levels, 2 agencies) x 2 groups
    assert len(rows) == 4 * 5 * 2


def test_the_all_group_equals_kpi_online_rate_monthly(db):
    diff = db.execute("""
        (select month, scope, scope_code, dossiers_accepted, dossiers_online, dossiers_online_remote,
                online_rate, online_remote_rate
           from marts.kpi_fee_reduced_online_monthly where procedure_group = 'all'
         except
         select month, scope, scope_code, dossiers_accepted, dossiers_online, dossiers_online_remote,
                online_rate, online_remote_rate
           from marts.kpi_online_rate_monthly)
        union all
        (select month, scope, scope_code, dossiers_accepted, dossiers_online, dossiers_online_remote,
                online_rate, online_remote_rate
           from marts.kpi_online_rate_monthly
         except
         select month, scope, scope_code, dossiers_accepted, dossiers_online, dossiers_online_remote,
                online_rate, online_remote_rate
           from marts.kpi_fee_reduced_online_monthly where procedure_group = 'all')""").fetchall()
    assert diff == []


def test_labels_name_the_group_and_scope(db):
    row = _rows(db, "select procedure_group_label, scope_label, level_label, agency_name "
                    "from marts.kpi_fee_reduced_online_monthly where month = '2024-09-01' and scope = 'agency' "
                    f"and scope_code = '{H}' and procedure_group = 'fee_reduced'")[0]
    assert row == {"procedure_group_label": "Thủ tục giảm phí/lệ phí khi nộp trực tuyến",
                   "scope_label": "UBND huyện Châu Đức", "level_label": "Cấp huyện", "agency_name": "UBND huyện Châu Đức"}


def test_scorecard_tracks_the_fee_reduced_rate_without_target(db):
    rows = {r["month"].isoformat()[:7]: (r["actual"], r["target"], r["status"])
            for r in _rows(db, "select * from marts.breakthrough_scorecard "
                               "where indicator_code = 'b3_fee_reduced_online_remote_rate'")}
    assert rows == {"2024-07": (Decimal("0.5"), None, "khong_co_chi_tieu"),
                    "2024-08": (Decimal("0.5"), None, "khong_co_chi_tieu"),
                    "2024-09": (1, None, "khong_co_chi_tieu"),
                    "2024-10": (1, None, "khong_co_chi_tieu")}


def _forecast(db, day: str) -> dict:
    [row] = _rows(db, "select * from marts.kpi_forecast_month_end "
                      f"where as_of_date = '{day}' and indicator_code = 'b3_online_remote_rate'")
    return row


def test_forecast_of_the_run_as_of_day_hand_worked(db):
    row = _forecast(db, AS_OF)
    D = Decimal
    assert {k: row[k] for k in ("month", "is_run_as_of", "days_remaining", "working_days_remaining",
                                "dossiers_accepted_to_date", "dossiers_online_remote_to_date", "value_to_date",
                                "expected_accepted_remaining", "expected_online_remote_remaining",
                                "reference_months", "projected", "projected_low", "projected_high", "target",
                                "verdict", "verdict_label", "will_meet_target", "actual_month_end")} == {
        "month": dt.date(2024, 10, 1), "is_run_as_of": True, "days_remaining": 24, "working_days_remaining": 18,
        "dossiers_accepted_to_date": 2, "dossiers_online_remote_to_date": 2, "value_to_date": 1,
        "expected_accepted_remaining": 3, "expected_online_remote_remaining": D("2.7"), "reference_months": 3,
        "projected": D("0.94"), "projected_low": D("0.739"), "projected_high": 1, "target": D("0.70"),
        "verdict": "will_meet", "verdict_label": "Dự kiến đạt", "will_meet_target": True,
        "actual_month_end": None}
    assert (row["breakthrough"], row["unit"], row["operator"]) == (3, "ty_le", None)


def test_forecast_history_is_kept_and_judged_against_the_actual(db):
    sep = _forecast(db, "2024-09-10")
    assert (sep["reference_months"], sep["projected"], sep["projected_low"], sep["projected_high"], sep["verdict"],
            sep["will_meet_target"], sep["actual_month_end"], sep["is_run_as_of"]) == (
        2, Decimal("0.7"), Decimal("0.351"), 1, "at_risk", True, Decimal("0.75"), False)
    jul = _forecast(db, "2024-07-09")
    assert (jul["reference_months"], jul["projected"], jul["projected_low"], jul["verdict"], jul["actual_month_end"]) == (
        0, Decimal("0.5"), None, "no_target", Decimal("0.4"))
    # one row per day from the first month with an accepted dossier to the as-of day; no 5G rows
    # without an operator report
    assert db.execute("select count(*), min(as_of_date), max(as_of_date), count(distinct indicator_code) "
                      "from marts.kpi_forecast_month_end").fetchone() == (
        (dt.date(2024, 10, 8) - dt.date(2024, 7, 1)).days + 1, dt.date(2024, 7, 1), dt.date(2024, 10, 8), 1)
