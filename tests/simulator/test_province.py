"""The whole province: agencies and their 2025 reforms, procedures, volume, scale, streaming, the
new fault knobs, the ground truth, the contract check and the one command."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from ioc_simulator import AGENCIES, PROCEDURES, Faults, SimulatorServer, generate_dossiers
from ioc_simulator.dossiers import (
    MAX_LIFETIME_DAYS,
    day_stories,
    iter_dossiers,
    scale_for_total,
    window_dossiers,
)
from ioc_simulator.faults import UNKNOWN_AGENCY_CODE, UNKNOWN_PROCEDURE_CODE
from ioc_simulator.truth import DossierTruth, world_truth
from ioc_simulator.world import SUCCESSOR, agency_codes, agency_version, procedures_for
from tests.simulator.contract import check_dossier_api, check_portal, read_date

HOSO = "/api/v1/hoso"
KEY = {"Authorization": "Bearer sim-key"}
WHOLE = {"updated_from": "2024-01-01T00:00:00+07:00", "updated_to": "2026-01-01T00:00:00+07:00"}
ROOT = Path(__file__).resolve().parents[2]
DISTRICTS = ["Vũng Tàu", "Bà Rịa", "Phú Mỹ", "Long Điền", "Đất Đỏ", "Xuyên Mộc", "Châu Đức", "Côn Đảo"]


# --- the world ---------------------------------------------------------------------------------------


def test_province_agencies_and_the_2025_reforms():
    before, between, after = date(2024, 9, 1), date(2025, 4, 1), date(2025, 8, 1)
    levels = {d: Counter(agency_version(c, d)["level"] for c in agency_codes(d)) for d in (before, between, after)}
    assert levels[before]["TINH"] == 19 and levels[before]["HUYEN"] == 8 and levels[before]["XA"] >= 80
    assert levels[between]["TINH"] == 13 and levels[between]["HUYEN"] == 8  # 1 March 2025: 6 departments absorbed
    assert levels[after]["HUYEN"] == 0 and levels[after]["XA"] == 30 and levels[after]["TINH"] == 14
    huyen = [a for a in AGENCIES if a["level"] == "HUYEN"]
    assert sorted(any(d in a["name"] for a in huyen) for d in DISTRICTS) == [True] * 8
    assert all(a["validTo"] and a["validTo"] <= "2025-06-30" for a in AGENCIES if a["code"].endswith(".H03"))
    assert all(agency_version(c, date(2025, 6, 30))["validTo"] == "2025-06-30" for c in agency_codes(date(2025, 6, 30)))
    assert all(a["validFrom"] == "2025-07-01" and a["validTo"] is None for a in AGENCIES if a["code"].endswith(".H29"))
    assert all("Hồ Chí Minh" in a["name"] for a in AGENCIES if a["code"].endswith(".H29"))
    assert agency_version("000.00.13.H03", date(2025, 3, 1)) is None  # KH&ĐT absorbed by Tài chính
    finance = [a for a in AGENCIES if a["code"] == "000.00.14.H03"]
    assert [(a["validFrom"], a["validTo"]) for a in finance] == [("2015-01-01", "2025-02-28"),
                                                                 ("2025-03-01", "2025-06-30")]
    assert "1.001612" not in {p["code"] for p in procedures_for("000.00.14.H03", date(2024, 9, 1))}
    assert "2.001610" in {p["code"] for p in procedures_for("000.00.14.H03", date(2025, 4, 1))}
    # After the reform former district procedures are handled by the new communes.
    assert "1.001612" in {p["code"] for p in procedures_for("000.01.70.H29")}
    # Every agency that ends has a successor in force the next day.
    for a in AGENCIES:
        if a["validTo"] and a["code"] not in {b["code"] for b in AGENCIES if b["validFrom"] > a["validTo"]}:
            nxt = date.fromisoformat(a["validTo"]) + timedelta(days=1)
            assert agency_version(SUCCESSOR[a["code"]], nxt) is not None, a
    for a in AGENCIES:  # unique (code, validFrom), versions don't overlap
        versions = [b for b in AGENCIES if b["code"] == a["code"]]
        for x, y in zip(versions, versions[1:]):
            assert x["validTo"] is not None and x["validTo"] < y["validFrom"]


def test_about_a_hundred_procedures_in_real_sectors():
    assert 90 <= len(PROCEDURES) <= 130 and len({p["code"] for p in PROCEDURES}) == len(PROCEDURES)
    sectors = {p["sectorCode"] for p in PROCEDURES}
    assert {"HO_TICH", "CHUNG_THUC", "DAT_DAI", "XAY_DUNG", "THANH_LAP_DOANH_NGHIEP", "GIAO_THONG",
            "LY_LICH_TU_PHAP"} <= sectors and len(sectors) >= 25
    for level in ("TINH", "HUYEN", "XA"):
        assert sum(level in p["levels"] for p in PROCEDURES) >= 10
    assert {p["onlineLevel"] for p in PROCEDURES} == {"TOAN_TRINH", "MOT_PHAN", None}
    assert any(p["hasFee"] for p in PROCEDURES) and any(not p["paperResult"] for p in PROCEDURES)
    for d in (date(2024, 9, 1), date(2025, 4, 1), date(2025, 8, 1)):
        assert all(procedures_for(c, d) for c in agency_codes(d)), d


# --- volume, behaviour, reforms in the records ---------------------------------------------------------------


@pytest.fixture(scope="module")
def year_2024():
    return generate_dossiers(start=date(2024, 1, 1), end=date(2025, 1, 1), scale=20000)


def test_weekday_season_tet_and_rising_online_share(year_2024):
    submitted = Counter(read_date(r["NgayNopHoSo"]).date() for r in year_2024)
    assert 17000 < len(year_2024) < 23000
    by_month = Counter(d.month for d in submitted.elements())
    assert by_month[2] < 0.6 * by_month[3]  # the Tết dip
    weekdays = Counter()
    for d, n in submitted.items():
        weekdays[d.weekday()] += n
    assert weekdays[0] > weekdays[4] > 5 * weekdays[6]
    truth = DossierTruth(year_2024, datetime(2025, 1, 1))  # current states only: no month-end questions
    online = truth.online_rate_monthly()
    province = {m.month: r["online_remote_rate"] for (m, scope, _), r in online.items() if scope == "province"}
    assert province[7] < 0.65 < province[12] < 0.75
    assert province[1] < province[7]
    levels = {code: r["online_remote_rate"] for (m, scope, code), r in online.items()
              if scope == "level" and m == date(2024, 12, 1)}
    assert levels["TINH"] > levels["HUYEN"] > levels["XA"]
    late = {}
    for (_, scope, code), r in truth.timeliness_monthly().items():
        if scope == "agency" and r["finished"] >= 20:
            late.setdefault(code, []).append(r["finished_late"] / r["finished"])
    shares = sorted(sum(v) / len(v) for v in late.values())
    assert shares[0] < 0.08 and shares[-1] > 0.15  # the late share differs by agency
    staff = sum(r["KenhThucHien"] == 2 and r["NoiNopHoSo"] == 2 for r in year_2024)
    assert 0.03 * len(year_2024) < staff < 0.15 * len(year_2024)


def test_records_after_the_reform_go_to_agencies_in_force():
    records = generate_dossiers(start=date(2025, 6, 20), end=date(2025, 7, 10), scale=20000)
    for r in records:
        submitted = read_date(r["NgayNopHoSo"]).date()
        version = agency_version(r["MaDonViTiepNhan"], submitted)
        assert version is not None, r["MaHoSo"]
        if r["NgayTiepNhan"]:
            assert agency_version(r["MaDonViTiepNhan"], read_date(r["NgayTiepNhan"]).date()) is not None
        assert r["MaTTHC"] in {p["code"] for p in procedures_for(r["MaDonViTiepNhan"], submitted)}
    after = [r for r in records if read_date(r["NgayNopHoSo"]).date() >= date(2025, 7, 1)]
    assert after and all(r["MaDonViTiepNhan"].endswith(".H29") for r in after)
    assert {agency_version(r["MaDonViTiepNhan"], date(2025, 7, 5))["level"] for r in after} == {"TINH", "XA"}


def test_lifetime_is_bounded_and_days_are_independent():
    longest = 0
    for i in range(0, 560, 7):
        for story in day_stories(2024, date(2024, 1, 1) + timedelta(days=i), 30000):
            longest = max(longest, (story.last_event - story.submitted).days)
            assert story.events == sorted(story.events, key=lambda e: e[0])
    assert 60 < longest <= MAX_LIFETIME_DAYS
    # A day generated alone is the same as that day inside a longer run.
    as_of = datetime(2024, 10, 1)
    alone = generate_dossiers(start=date(2024, 9, 10), end=date(2024, 9, 11), as_of=as_of, scale=5000)
    within = [r for r in generate_dossiers(start=date(2024, 9, 1), end=date(2024, 10, 1), as_of=as_of, scale=5000)
              if r["MaHoSo"][-11:-5] == "240910"]
    assert alone == within and alone


def test_scale_and_streaming_window_match_the_materialised_records():
    scale = scale_for_total(3000, date(2024, 7, 1), date(2024, 10, 1))
    everything = generate_dossiers(start=date(2024, 7, 1), end=date(2024, 10, 1), scale=scale)
    assert 2700 < len(everything) < 3300
    lo, hi = datetime(2024, 8, 20), datetime(2024, 8, 27)
    expected = sorted(((read_date(r["NgayCapNhat"]), r["MaHoSo"]) for r in everything
                       if lo <= read_date(r["NgayCapNhat"]) < hi))
    window = window_dossiers(lo, hi, start=date(2024, 7, 1), end=date(2024, 10, 1), scale=scale)
    assert [(t, c) for t, c, _ in window] == expected
    by_code = {r["MaHoSo"]: r for r in everything}
    assert all(record == by_code[code] for _, code, record in window)
    # The server in streaming mode serves the same window, and the same portal index.
    with SimulatorServer(start=date(2024, 7, 1), end=date(2024, 10, 1), scale=scale) as small, \
            SimulatorServer(start=date(2024, 7, 1), end=date(2024, 10, 1), scale=scale, streaming=True) as big:
        assert big.records is None and small.records == everything
        params = {"updated_from": "2024-08-20T00:00:00+07:00", "updated_to": "2024-08-27T00:00:00+07:00",
                  "page_size": 1000}
        a = requests.get(small.dossier_url + HOSO, params=params, headers=KEY, timeout=60).json()
        b = requests.get(big.dossier_url + HOSO, params=params, headers=KEY, timeout=60).json()
        assert a == b and a["total"] == len(expected)
        for agency in ("000.00.17.H03", "000.00.31.H03"):
            assert small.portal_index.answer("progress", {"timeType": "month", "year": 2024, "month": 8,
                                                          "departmentCode": agency}) == \
                big.portal_index.answer("progress", {"timeType": "month", "year": 2024, "month": 8,
                                                     "departmentCode": agency})


def test_streaming_memory_does_not_grow_with_the_scale():
    code = ("import resource, sys; from datetime import date; "
            "from ioc_simulator.dossiers import iter_dossiers; "
            "n = sum(1 for _ in iter_dossiers(start=date(2024, 9, 1), end=date(2024, 9, 8), scale=float(sys.argv[1]))); "
            "print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    runs = []
    for scale in (20_000, 1_000_000):
        out = subprocess.run([sys.executable, "-c", code, str(scale)], capture_output=True, text=True, cwd=ROOT,
                             check=True).stdout.split()
        runs.append((int(out[0]), int(out[1])))
    (n_small, rss_small), (n_big, rss_big) = runs
    assert n_big > 30 * n_small
    assert rss_big < rss_small * 1.5 + 20_000  # KiB: flat, not 50 times more


# --- new fault knobs ------------------------------------------------------------------------------------


def _pages(sim, page_size, params=WHOLE):
    pages, page = [], 1
    while True:
        body = requests.get(sim.dossier_url + HOSO, params={**params, "page": page, "page_size": page_size},
                            headers=KEY, timeout=10).json()
        pages.append(body["items"])
        if page * page_size >= body["total"]:
            return pages, body["total"]
        page += 1


def test_slow_replies():
    with SimulatorServer(faults=Faults(slow_reply_seconds=0.3, slow_on_request={2: 1.5})) as sim:
        url = sim.dossier_url + HOSO
        started = time.monotonic()
        assert requests.get(url, params=WHOLE, headers=KEY, timeout=5).status_code == 200
        first = time.monotonic() - started
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(url, params=WHOLE, headers=KEY, timeout=0.8)
        started = time.monotonic()
        token = requests.post(sim.portal_url + "/api/v1/auth/token",
                              json={"client_id": "sim-client", "client_secret": "sim-secret"}, timeout=5)
        portal = time.monotonic() - started
    assert 0.3 <= first < 1.2 and 0.3 <= portal < 1.2 and token.status_code == 200


def test_records_changing_during_a_paged_read():
    with SimulatorServer(faults=Faults(change_during_paging=1),
                         as_of=datetime(2024, 12, 20, 12, 0)) as sim:
        pages, total = _pages(sim, 50)
        codes = [r["MaHoSo"] for page in pages for r in page]
        changed = sim.damaged["changed_during_paging"]
        assert len(changed) == len(pages) - 1 > 0
        assert total == len(sim.records)  # the as_of lies in the window: changed records stay in it
        # Each change moved a record from an earlier page to the end: it is seen twice, and the
        # record that slid over the page boundary is not seen at all in this pass.
        assert all(codes.count(c) == 2 for c in changed)
        missed = {r["MaHoSo"] for r in sim.records} - set(codes)
        assert len(missed) >= 1
        again = [r for page in _pages(sim, 1000)[0] for r in page]
        assert {r["MaHoSo"] for r in again} == {r["MaHoSo"] for r in sim.records}
        moved = [r for r in again if r["MaHoSo"] in changed]
        assert all(read_date(r["NgayCapNhat"]) == datetime(2024, 12, 20, 12, 0) for r in moved)


def test_unknown_agency_and_procedure_codes():
    with SimulatorServer(faults=Faults(unknown_agency_codes=3, unknown_procedure_codes=2)) as sim:
        served = [r for page in _pages(sim, 1000)[0] for r in page]
    agencies = {a["code"] for a in AGENCIES}
    procedures = {p["code"] for p in PROCEDURES}
    bad_agency = [r["MaHoSo"] for r in served if r["MaDonViTiepNhan"] not in agencies]
    bad_procedure = [r["MaHoSo"] for r in served if r["MaTTHC"] not in procedures]
    assert sorted(bad_agency) == sorted(sim.damaged["unknown_agency_codes"]) and len(bad_agency) == 3
    assert sorted(bad_procedure) == sorted(sim.damaged["unknown_procedure_codes"]) and len(bad_procedure) == 2
    assert all(r["MaDonViTiepNhan"] == UNKNOWN_AGENCY_CODE for r in served if r["MaHoSo"] in bad_agency)
    assert all(r["MaTTHC"] == UNKNOWN_PROCEDURE_CODE for r in served if r["MaHoSo"] in bad_procedure)
    assert not set(bad_agency) & set(bad_procedure)


def test_streaming_refuses_counted_record_faults():
    with pytest.raises(ValueError, match="materialised"):
        SimulatorServer(streaming=True, faults=Faults(missing_key=1))


# --- contract, truth, the one command -------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [False, True])
def test_any_server_of_the_contract_passes_the_contract_check(streaming):
    with SimulatorServer(streaming=streaming, faults=Faults(extra_field=True)) as sim:
        records = check_dossier_api(sim.dossier_url, "sim-key", "2024-09-01T00:00:00+07:00",
                                    "2024-10-15T00:00:00+07:00", page_size=40)
        catalogs = check_portal(sim.portal_url, "sim-client", "sim-secret")
    assert records and all(r["TruongMoi"] == "x" for r in records)
    assert len(catalogs["departments"]) == len(AGENCIES) and len(catalogs["formalities"]) == len(PROCEDURES)


def test_ground_truth_matches_the_records_and_is_written(tmp_path):
    records = generate_dossiers()
    truth = world_truth()
    online = truth.dossiers.online_rate_monthly()
    september = online[(date(2024, 9, 1), "province", "province")]
    accepted = [r for r in records if r["NgayTiepNhan"] and r["TrangThaiHoSo"] not in (1, 3)
                and read_date(r["NgayTiepNhan"]).strftime("%Y-%m") == "2024-09"]
    assert september["dossiers_accepted"] == len(accepted)
    assert september["dossiers_online"] == sum(r["KenhThucHien"] == 2 for r in accepted)
    assert september["dossiers_online_remote"] == sum(r["KenhThucHien"] == 2 and r["NoiNopHoSo"] in (1, None)
                                                      for r in accepted)
    for month in {m for m, _, _ in online}:
        rows = {(scope, code): r["dossiers_accepted"] for (m, scope, code), r in online.items() if m == month}
        province = rows[("province", "province")]
        # The level rows miss the dossiers whose agency had no version in force on the acceptance day.
        unversioned = sum(1 for c in truth.dossiers.unversioned
                          if truth.dossiers.current[c].accepted_at.date().replace(day=1) == month)
        assert sum(n for (scope, _), n in rows.items() if scope == "level") == province - unversioned
        assert sum(n for (scope, _), n in rows.items() if scope == "agency") == province
    for r in truth.dossiers.timeliness_monthly(truth.month_ends()).values():
        assert r["finished_early"] + r["finished_on_time"] + r["finished_late"] == r["finished"]
    summary = truth.write(tmp_path)
    saved = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert saved == summary and saved["dossiers"] == len(records) and saved["as_of_day"] == "2024-12-31"
    with open(tmp_path / "kpi_online_rate_monthly.csv", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(online)
    world_truth().write(tmp_path / "again")  # deterministic
    for name in ("truth.json", "kpi_online_rate_monthly.csv", "kpi_timeliness_monthly.csv", "dossier_watchlist.csv"):
        assert (tmp_path / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_one_command_serves_fills_the_inbox_and_writes_the_truth(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ioc_pipeline", "simulate", "--dossier-port", "0", "--portal-port", "0",
         "--from", "2024-09-01", "--to", "2024-11-01", "--dossiers", "500", "--seed", "11",
         "--inbox", str(tmp_path / "inbox"), "--truth", str(tmp_path / "truth"), "--unknown-agency", "2",
         "--renamed-sheet", "viettel:202409"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("AIRFLOW_CONN_ONE_STOP_SHOP=http://:sim-key@127.0.0.1:")
        assert lines[2] == f"OPERATOR_REPORTS_INBOX={(tmp_path / 'inbox').resolve()}"
        port = lines[0].rsplit(":", 1)[1]
        body = requests.get(f"http://127.0.0.1:{port}{HOSO}", params={**WHOLE, "page_size": 1000}, headers=KEY,
                            timeout=10).json()
        assert 400 < body["total"] < 600
        assert sum(r["MaDonViTiepNhan"] == UNKNOWN_AGENCY_CODE for r in body["items"]) == 2
        assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == [
            "viettel_202409.xlsx", "viettel_202410.xlsx", "vnpt_202409.xlsx", "vnpt_202410.xlsx"]
        deadline = time.monotonic() + 10
        while not (tmp_path / "truth" / "truth.json").exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
    truth = json.loads((tmp_path / "truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth["as_of_day"] == "2024-10-31" and truth["dossiers"] == body["total"]
    assert (tmp_path / "truth" / "kpi_5g_monthly.csv").read_text(encoding="utf-8").count("\n") > 1


def test_same_seed_same_bytes_at_scale():
    a = [json.dumps(r, ensure_ascii=False, sort_keys=True)
         for r in iter_dossiers(start=date(2025, 6, 25), end=date(2025, 7, 5), scale=100_000)]
    b = [json.dumps(r, ensure_ascii=False, sort_keys=True)
         for r in iter_dossiers(start=date(2025, 6, 25), end=date(2025, 7, 5), scale=100_000)]
    assert a == b and len(a) > 1000
    assert re.fullmatch(r"000\.\d\d\.\d\d\.H(03|29)-\d{6}-\d{4}", json.loads(a[-1])["MaHoSo"])
