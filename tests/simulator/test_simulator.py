"""The source simulator: deterministic records that follow the contract, served over real HTTP."""

from __future__ import annotations

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
from ioc_simulator import calendar as cal
from ioc_simulator.dossiers import DATE_FIELDS, uses_legacy_date_format
from ioc_simulator.edge_cases import EDGE_CASES
from ioc_simulator.world import agency_codes, agency_version, procedures_for

HOSO = "/api/v1/hoso"
WHOLE = {"updated_from": "2024-01-01T00:00:00+07:00", "updated_to": "2026-01-01T00:00:00+07:00"}
KEY = {"Authorization": "Bearer sim-key"}
ROOT = Path(__file__).resolve().parents[2]
BARE_DATE_APPOINTMENTS = {c for c, case in EDGE_CASES.items() if 7 in case.fixes}


@pytest.fixture(scope="module")
def records():
    return generate_dossiers()


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer() as server:
        yield server


def parse(value: str) -> datetime:
    if "/" in value:
        return datetime.strptime(value, "%d/%m/%Y %H:%M:%S")
    return datetime.strptime(value, "%Y%m%d%H%M%S")


def effective_due(record: dict) -> datetime | None:
    """docs/contracts/marts.md: the NgayHenTraMoi of the latest supplement request that has one, else NgayHenTra."""
    news = [(parse(s["NgayBoSung"]), parse(s["NgayHenTraMoi"])) for s in record["DanhSachHoSoBoSung"]
            if s["NgayHenTraMoi"]]
    if news:
        return max(news)[1]
    return parse(record["NgayHenTra"]) if record["NgayHenTra"] else None


def get_all(sim: SimulatorServer, page_size: int, params=WHOLE) -> list[list[dict]]:
    """Every page of a query, stopping on `total` like a careful client."""
    pages, page = [], 1
    while True:
        reply = requests.get(sim.dossier_url + HOSO, params={**params, "page": page, "page_size": page_size},
                             headers=KEY, timeout=5)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        pages.append(body["items"])
        if page * page_size >= body["total"]:
            return pages
        page += 1


# --- calendar -----------------------------------------------------------------------------------------


def test_calendar_knows_swaps_and_holidays():
    assert not cal.is_working_day(date(2024, 4, 29))  # swapped day off
    assert cal.is_working_day(date(2024, 5, 4))  # make-up Saturday
    assert not cal.is_working_day(date(2024, 9, 2)) and not cal.is_working_day(date(2024, 9, 3))
    assert not cal.is_working_day(date(2024, 7, 6))  # ordinary Saturday
    assert not cal.is_working_day(date(2025, 1, 29))  # Tết
    assert not cal.is_working_day(date(2025, 5, 2)) and cal.is_working_day(date(2025, 4, 26))
    assert cal.add_working_days(date(2024, 4, 26), 1) == date(2024, 5, 2)
    assert cal.add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)
    assert cal.add_working_days(date(2024, 7, 5), 0) == date(2024, 7, 5)
    assert cal.add_working_days(date(2024, 7, 6), 1) == date(2024, 7, 8)
    assert cal.add_working_days(date(2024, 7, 8), -1) == date(2024, 7, 5)
    assert len(cal.working_days(date(2024, 7, 1), date(2024, 8, 1))) == 23


# --- generated records ------------------------------------------------------------------------------


def test_same_seed_is_byte_identical_and_other_seed_differs(records):
    again = json.dumps(generate_dossiers(seed=2024), sort_keys=True, ensure_ascii=False)
    assert json.dumps(records, sort_keys=True, ensure_ascii=False) == again
    assert json.dumps(generate_dossiers(seed=7), sort_keys=True) != json.dumps(records, sort_keys=True)


def test_volume_codes_and_agencies(records):
    assert 300 <= len(records) <= 500
    codes = [r["MaHoSo"] for r in records]
    assert len(set(codes)) == len(codes)
    agencies = {a["code"] for a in AGENCIES}
    for r in records:
        agency, yymmdd, seq = re.fullmatch(r"(000\.\d\d\.\d\d\.H03)-(\d{6})-(\d{4})", r["MaHoSo"]).groups()
        assert agency == r["MaDonViTiepNhan"] in agencies
        assert yymmdd == parse(r["NgayNopHoSo"]).strftime("%y%m%d")
        assert r["MaTTHC"] in {p["code"] for p in procedures_for(agency)}
    # Spread over the whole province: every level, every district-level unit (itself or its
    # communes), and most of the agencies in force in the period receive dossiers.
    in_force = set(agency_codes(date(2024, 7, 1))) | set(agency_codes(date(2024, 12, 31)))
    used = set(Counter(r["MaDonViTiepNhan"] for r in records))
    assert used <= in_force and len(used) >= 0.75 * len(in_force)
    assert {agency_version(c, date(2024, 9, 1))["level"] for c in used} == {"TINH", "HUYEN", "XA"}
    assert {c.split(".")[2] for c in used if not c.startswith("000.00.")} | {"38"} >= {str(n) for n in range(31, 39)}
    submitted = [parse(r["NgayNopHoSo"]) for r in records]
    assert all(datetime(2024, 7, 1) <= s < datetime(2025, 1, 1) for s in submitted)
    closed = [s for s in submitted if not cal.is_working_day(s.date())]
    assert len(closed) < 0.1 * len(records)
    assert all(r["KenhThucHien"] == 2 for r, s in zip(records, submitted) if not cal.is_working_day(s.date()))


def test_every_record_has_the_contract_fields_and_types(records):
    int_or_none = (int, type(None))
    for r in records:
        assert isinstance(r["MaHoSo"], str) and isinstance(r["MaTTHC"], str) and isinstance(r["MaDonViTiepNhan"], str)
        assert r["KenhThucHien"] in (1, 2, 3, None) and isinstance(r["KenhThucHien"], int_or_none)
        assert r["NoiNopHoSo"] in (1, 2, None)
        assert r["NoiNopHoSo"] is None or r["KenhThucHien"] == 2
        assert r["LoaiDoiTuong"] in (1, 2)
        assert isinstance(r["ChuHoSo"], str) and r["ChuHoSo"]
        assert re.fullmatch(r"\d{12}" if r["LoaiDoiTuong"] == 1 else r"\d{10}", r["SoDinhDanh"])
        assert r["SoDienThoai"] is None or re.fullmatch(r"0[937]\d{8}", r["SoDienThoai"])
        assert r["TrangThaiHoSo"] in range(1, 11)
        assert r["DuocThanhToanTrucTuyen"] in (0, 1, 2)
        for fee in r["DanhSachLePhi"]:
            assert set(fee) == {"TenPhiLePhi", "Gia"} and isinstance(fee["Gia"], (int, float))
        for doc in r["TaiLieuNop"]:
            assert set(doc) == {"TenTepDinhKem", "DuocSoHoa", "DuocLayTuKhoDMQG"}
            assert doc["DuocSoHoa"] in (0, 1) and doc["DuocLayTuKhoDMQG"] in (0, 1)
        for s in r["DanhSachHoSoBoSung"]:
            assert set(s) == {"NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi"}
        for doc in r["DanhSachGiayToKetQua"]:
            assert set(doc) == {"TenGiayTo", "DuongDanTepTinKetQua"}
        assert r["NgayNopHoSo"] and r["NgayCapNhat"]
        for key in DATE_FIELDS:
            assert r[key] is None or isinstance(r[key], str)
    expected = {
        "MaHoSo", "MaTTHC", "MaDonViTiepNhan", "KenhThucHien", "NoiNopHoSo", "LoaiDoiTuong", "ChuHoSo",
        "SoDinhDanh", "SoDienThoai", "NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra",
        "TrangThaiHoSo", "DuocThanhToanTrucTuyen", "DanhSachLePhi", "TaiLieuNop", "DanhSachHoSoBoSung",
        "DanhSachGiayToKetQua", "NgayCapNhat",
    }
    assert all(set(r) == expected for r in records)


def test_both_date_formats_one_per_record(records):
    legacy = 0
    for r in records:
        dates = [r[k] for k in DATE_FIELDS]
        dates += [v for s in r["DanhSachHoSoBoSung"] for v in s.values()]
        dates = [d for d in dates if d is not None]
        pattern = r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d" if uses_legacy_date_format(r["MaHoSo"]) else r"\d{14}"
        assert all(re.fullmatch(pattern, d) for d in dates), r["MaHoSo"]
        legacy += uses_legacy_date_format(r["MaHoSo"])
    assert 0.05 * len(records) < legacy < 0.15 * len(records)


def test_lifecycle_is_consistent(records):
    as_of = datetime(2025, 1, 1)
    for r in records:
        status = r["TrangThaiHoSo"]
        submitted, updated = parse(r["NgayNopHoSo"]), parse(r["NgayCapNhat"])
        assert submitted <= updated <= as_of
        chain = [r["NgayNopHoSo"], r["NgayTiepNhan"], r["NgayKetThucXuLy"], r["NgayTra"]]
        times = [parse(x) for x in chain if x is not None]
        assert times == sorted(times) and times[-1] <= updated
        if status == 1:
            assert r["NgayTiepNhan"] is None and r["NgayHenTra"] is None
        if status == 3:
            assert r["NgayHenTra"] is None and r["NgayKetThucXuLy"] is None
        if status in (2, 4, 5, 6):
            assert r["NgayTiepNhan"] and r["NgayHenTra"] and r["NgayKetThucXuLy"] is None
        if status in (7, 8, 9, 10):
            assert r["NgayKetThucXuLy"]
        assert (r["NgayTra"] is not None) == (status == 10)
        if r["NgayHenTra"]:
            due = parse(r["NgayHenTra"])
            # 17:00 on a working day; the edge cases' bare-date appointments say 00:00:00
            assert due.time().isoformat() == ("00:00:00" if r["MaHoSo"] in BARE_DATE_APPOINTMENTS else "17:00:00")
            assert cal.is_working_day(due.date())
            proc = next(p for p in PROCEDURES if p["code"] == r["MaTTHC"])
            assert due.date() == cal.add_working_days(parse(r["NgayTiepNhan"]).date(), proc["processingTime"])
        for s in r["DanhSachHoSoBoSung"]:
            if s["NgayHenTraMoi"]:
                assert parse(s["NgayHenTraMoi"]) > parse(r["NgayHenTra"])
                assert parse(s["NgayTiepNhanBoSung"]) > parse(s["NgayBoSung"])
        if status in (9, 10):
            assert r["DanhSachGiayToKetQua"]
    statuses = Counter(r["TrangThaiHoSo"] for r in records)
    assert all(statuses[s] for s in (1, 3, 4, 5, 6, 7, 8, 9, 10)), statuses  # 2: see the as-of test
    refused_stamped = [r for r in records if r["TrangThaiHoSo"] == 3 and r["NgayTiepNhan"]]
    assert refused_stamped and any(r["TrangThaiHoSo"] == 3 and not r["NgayTiepNhan"] for r in records)
    assert any(len(r["DanhSachHoSoBoSung"]) > 1 for r in records)
    assert any(d["DuongDanTepTinKetQua"] for r in records for d in r["DanhSachGiayToKetQua"])
    assert any(r["KenhThucHien"] is None for r in records) and any(r["KenhThucHien"] == 3 for r in records)
    assert any(r["SoDienThoai"] is None for r in records) and any(r["LoaiDoiTuong"] == 2 for r in records)
    assert max(Counter(r["SoDinhDanh"] for r in records).values()) > 1  # some applicants come back


def test_finishes_are_early_on_time_and_late(records):
    kinds = Counter()
    for r in records:
        if r["TrangThaiHoSo"] in (9, 10) and r["NgayHenTra"]:
            due, finished = effective_due(r), parse(r["NgayKetThucXuLy"])
            kinds["late" if finished > due else "early" if finished.date() < due.date() else "on_time"] += 1
    assert all(kinds[k] >= 10 for k in ("early", "on_time", "late")), kinds
    open_overdue = [r for r in records if r["TrangThaiHoSo"] in (2, 4) and effective_due(r) < datetime(2025, 1, 1)]
    assert open_overdue


def test_online_remote_share_rises(records):
    def share(month: str) -> float:
        accepted = [r for r in records if r["NgayTiepNhan"] and r["TrangThaiHoSo"] not in (1, 3)
                    and parse(r["NgayTiepNhan"]).strftime("%Y-%m") == month]
        remote = [r for r in accepted if r["KenhThucHien"] == 2 and r["NoiNopHoSo"] in (1, None)]
        return len(remote) / len(accepted)

    july, december = share("2024-07"), share("2024-12")
    assert 0.45 < july < december < 0.9


def test_as_of_hides_later_events(records):
    as_of = datetime(2024, 11, 20, 12, 0)
    earlier = generate_dossiers(as_of=as_of)
    full = {r["MaHoSo"]: r for r in records}
    assert 0 < len(earlier) < len(records)
    changed = 0
    for r in earlier:
        assert parse(r["NgayCapNhat"]) <= as_of and parse(r["NgayNopHoSo"]) <= as_of
        later = full[r["MaHoSo"]]
        assert r["NgayNopHoSo"] == later["NgayNopHoSo"] and r["MaTTHC"] == later["MaTTHC"]
        if r["NgayTiepNhan"] and later["TrangThaiHoSo"] != 3:
            assert r["NgayHenTra"] == later["NgayHenTra"]
        for key in ("NgayTiepNhan", "NgayKetThucXuLy", "NgayTra"):
            assert r[key] is None or parse(r[key]) <= as_of
        changed += r != later
    assert changed > 0
    assert {2, 4, 5, 6} <= {r["TrangThaiHoSo"] for r in earlier}  # open at as_of, in every open state
    assert all(parse(r["NgayNopHoSo"]) <= as_of for r in earlier)


def test_agency_history_and_procedure_catalog():
    versions = [a for a in AGENCIES if a["code"] == "000.03.31.H03"]
    assert [(v["validFrom"], v["validTo"]) for v in versions] == [("2015-01-01", "2024-09-30"),
                                                                  ("2024-10-01", "2025-06-30")]
    before, after = (agency_version("000.03.31.H03", d) for d in (date(2024, 9, 30), date(2024, 10, 1)))
    assert before["name"] != after["name"] and before["level"] == after["level"] == "XA"
    for a in AGENCIES:
        assert set(a) == {"code", "name", "level", "parentCode", "adminUnitCode", "validFrom", "validTo"}
        assert a["level"] in ("TINH", "HUYEN", "XA")
    for p in PROCEDURES:
        assert re.fullmatch(r"[12]\.\d{6}", p["code"]) and p["processingTimeUnit"] == "NGAY_LAM_VIEC"
        assert p["state"] in ("CONG_KHAI", "BAI_BO") and p["onlineLevel"] in ("TOAN_TRINH", "MOT_PHAN", None)


# --- dossier API over HTTP ---------------------------------------------------------------------------


def test_auth_and_parameter_errors(sim):
    url = sim.dossier_url + HOSO
    assert requests.get(url, params=WHOLE, timeout=5).status_code == 401
    assert requests.get(url, params=WHOLE, headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    assert requests.get(url, params=WHOLE, headers={"Authorization": "sim-key"}, timeout=5).status_code == 401
    too_big = requests.get(url, params={**WHOLE, "page_size": 1001}, headers=KEY, timeout=5)
    assert too_big.status_code == 400 and "error" in too_big.json()
    assert requests.get(url, params={**WHOLE, "page_size": 1000}, headers=KEY, timeout=5).status_code == 200
    for bad in ({"updated_from": WHOLE["updated_from"]}, {**WHOLE, "updated_to": "yesterday"},
                {**WHOLE, "page": 0}, {**WHOLE, "page_size": "ten"}):
        assert requests.get(url, params=bad, headers=KEY, timeout=5).status_code == 400, bad
    assert requests.get(sim.dossier_url + "/api/v1/other", headers=KEY, timeout=5).status_code == 404
    assert sim.dossier_conn_uri == f"http://:sim-key@127.0.0.1:{sim.dossier_url.rsplit(':', 1)[1]}"
    assert sim.portal_conn_uri == f"http://sim-client:sim-secret@127.0.0.1:{sim.portal_url.rsplit(':', 1)[1]}"
    assert (HOSO, 401) in sim.request_log and (HOSO, 400) in sim.request_log


def test_paging_returns_every_record_once_in_order(sim):
    pages = get_all(sim, page_size=37)
    items = [r for page in pages for r in page]
    assert len(items) == len(sim.records)
    assert sorted(r["MaHoSo"] for r in items) == sorted(r["MaHoSo"] for r in sim.records)
    keys = [(parse(r["NgayCapNhat"]), r["MaHoSo"]) for r in items]
    assert keys == sorted(keys)
    first = requests.get(sim.dossier_url + HOSO, params={**WHOLE, "page_size": 37}, headers=KEY, timeout=5).json()
    assert first["page"] == 1 and first["page_size"] == 37 and first["total"] == len(sim.records)
    beyond = requests.get(sim.dossier_url + HOSO, params={**WHOLE, "page": 99}, headers=KEY, timeout=5).json()
    assert beyond["items"] == [] and beyond["total"] == len(sim.records)


def test_window_is_half_open_and_accepts_offsets(sim):
    target = sorted(sim.records, key=lambda r: parse(r["NgayCapNhat"]))[100]
    t = parse(target["NgayCapNhat"])
    iso = t.strftime("%Y-%m-%dT%H:%M:%S")

    def codes(params):
        return {r["MaHoSo"] for page in get_all(sim, 1000, params) for r in page}

    assert target["MaHoSo"] in codes({"updated_from": iso + "+07:00", "updated_to": "2026-01-01T00:00:00+07:00"})
    assert target["MaHoSo"] not in codes({"updated_from": "2024-01-01T00:00:00+07:00", "updated_to": iso + "+07:00"})
    utc = (t - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert target["MaHoSo"] in codes({"updated_from": utc, "updated_to": "2026-01-01T00:00:00+07:00"})
    # A '+' that was not URL-encoded arrives as a space: still the same instant.
    raw = f"{sim.dossier_url}{HOSO}?updated_from={iso}+07:00&updated_to=2026-01-01T00:00:00Z&page_size=10"
    reply = requests.get(raw, headers=KEY, timeout=5)
    assert reply.status_code == 200
    assert reply.json()["total"] == sum(parse(r["NgayCapNhat"]) >= t for r in sim.records)
    day = requests.get(sim.dossier_url + HOSO, headers=KEY, timeout=5, params={
        "updated_from": "2024-09-01T00:00:00+07:00", "updated_to": "2024-10-01T00:00:00+07:00", "page_size": 1000})
    expected = [r for r in sim.records if datetime(2024, 9, 1) <= parse(r["NgayCapNhat"]) < datetime(2024, 10, 1)]
    assert day.json()["total"] == len(expected) > 0


# --- faults -----------------------------------------------------------------------------------------


def test_transport_faults_are_counted_per_request():
    faults = Faults(status_on_request={2: 503, 3: 500}, retry_after_on_request={5: 7})
    with SimulatorServer(faults=faults) as sim:
        url, params = sim.dossier_url + HOSO, {**WHOLE, "page_size": 10}
        statuses = [requests.get(url, params=params, headers=KEY, timeout=5) for _ in range(6)]
        assert [r.status_code for r in statuses] == [200, 503, 500, 200, 429, 200]
        assert statuses[4].headers["Retry-After"] == "7"
        assert statuses[5].json() == statuses[0].json()
        assert sim.hoso_requests == 6


def test_duplicate_across_pages_overlaps_by_one():
    with SimulatorServer(faults=Faults(duplicate_across_pages=True)) as sim:
        pages = get_all(sim, page_size=50)
        for before, after in zip(pages, pages[1:]):
            assert after[0] == before[-1]
        items = [r["MaHoSo"] for page in pages for r in page]
        assert len(items) == len(sim.records) + len(pages) - 1
        assert set(items) == {r["MaHoSo"] for r in sim.records}
        total = requests.get(sim.dossier_url + HOSO, params=WHOLE, headers=KEY, timeout=5).json()["total"]
        assert total == len(sim.records)


def test_record_faults(records):
    faults = Faults(unreadable_dates=3, unreadable_date_codes={records[0]["MaHoSo"]}, missing_key=2, extra_field=True)
    with SimulatorServer(faults=faults) as sim:
        served = [r for page in get_all(sim, 1000) for r in page]
        assert len(served) == len(records) and sim.clean_records == records
        bad = [r for r in served if r.get("NgayTiepNhan") and re.search(r"0231\d{6}$|^31/02/", r["NgayTiepNhan"])]
        assert sorted(r["MaHoSo"] for r in bad) == sorted(sim.damaged["unreadable_dates"])
        assert len(bad) == 4 and records[0]["MaHoSo"] in sim.damaged["unreadable_dates"]
        for r in bad:
            with pytest.raises(ValueError):
                parse(r["NgayTiepNhan"])
        keyless = [r for r in served if "MaHoSo" not in r]
        assert len(keyless) == 2 and len(sim.damaged["missing_key"]) == 2
        assert all(r["TruongMoi"] == "x" for r in served)
        clean = {r["MaHoSo"]: r for r in records}
        untouched = [r for r in served if r.get("MaHoSo") and r["MaHoSo"] not in sim.damaged["unreadable_dates"]]
        assert all({k: v for k, v in r.items() if k != "TruongMoi"} == clean[r["MaHoSo"]] for r in untouched)


# --- portal --------------------------------------------------------------------------------------------


def token(sim: SimulatorServer) -> str:
    reply = requests.post(sim.portal_url + "/api/v1/auth/token",
                          json={"client_id": "sim-client", "client_secret": "sim-secret"}, timeout=5)
    assert reply.status_code == 200
    body = reply.json()
    assert body["code"] == "OK" and body["data"]["access_token"] == body["access_token"]
    assert body["expires_in"] > 0
    return body["access_token"]


def catalog(sim: SimulatorServer, name: str, tok: str, page: int, size: int) -> requests.Response:
    return requests.post(f"{sim.portal_url}/api/v1/reporting/{name}", json={"currentPage": page, "pageSize": size},
                         headers={"Authorization": f"Bearer {tok}"}, timeout=5)


def test_portal_token_envelope_and_paging(sim):
    bad = requests.post(sim.portal_url + "/api/v1/auth/token", json={"client_id": "sim-client", "client_secret": "x"},
                        timeout=5)
    assert bad.status_code == 401 and bad.json()["code"] != "OK"
    assert catalog(sim, "departments", "forged", 1, 5).status_code == 401
    tok = token(sim)
    for name, expected in (("departments", AGENCIES), ("formalities", PROCEDURES)):
        first = catalog(sim, name, tok, 1, 4).json()
        assert first["code"] == "OK" and first["message"] == "" and first["data"]["currentPage"] == 1
        pages = first["data"]["totalPages"]
        assert pages == -(-len(expected) // 4)
        items = [i for p in range(1, pages + 1) for i in catalog(sim, name, tok, p, 4).json()["data"]["items"]]
        assert items == expected
    departments = catalog(sim, "departments", tok, 1, 100).json()["data"]["items"]
    assert sum(d["code"] == "000.03.31.H03" for d in departments) == 2
    invalid = catalog(sim, "departments", tok, 0, 10)
    assert invalid.status_code == 200 and invalid.json()["code"] != "OK"


def test_portal_token_expires():
    with SimulatorServer(faults=Faults(token_expires_after=0.3)) as sim:
        tok = token(sim)
        assert catalog(sim, "formalities", tok, 1, 10).status_code == 200
        time.sleep(0.4)
        expired = catalog(sim, "formalities", tok, 1, 10)
        assert expired.status_code == 401 and expired.json()["code"] == "TOKEN_EXPIRED"
        assert catalog(sim, "formalities", token(sim), 1, 10).status_code == 200


def test_given_records_are_served_as_is():
    mine = generate_dossiers(seed=1, start=date(2024, 8, 1), end=date(2024, 8, 8))
    with SimulatorServer(records=mine, api_key="k e+y", client_id="id", client_secret="s/ecret") as sim:
        assert sim.records == mine
        assert sim.dossier_conn_uri.startswith("http://:k%20e%2By@127.0.0.1:")
        assert sim.portal_conn_uri.startswith("http://id:s%2Fecret@127.0.0.1:")
        reply = requests.get(sim.dossier_url + HOSO, params=WHOLE, headers={"Authorization": "Bearer k e+y"}, timeout=5)
        assert reply.json()["total"] == len(mine)


# --- CLI ------------------------------------------------------------------------------------------------


def test_cli_serves_until_terminated():
    proc = subprocess.Popen(
        [sys.executable, "-m", "ioc_simulator.cli", "--dossier-port", "0", "--portal-port", "0",
         "--to", "2024-08-01"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        dossier_line, portal_line = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert re.fullmatch(r"AIRFLOW_CONN_ONE_STOP_SHOP=http://:sim-key@127\.0\.0\.1:\d+", dossier_line)
        assert re.fullmatch(r"AIRFLOW_CONN_DVC_PORTAL=http://sim-client:sim-secret@127\.0\.0\.1:\d+", portal_line)
        port = dossier_line.rsplit(":", 1)[1]
        reply = requests.get(f"http://127.0.0.1:{port}{HOSO}", params=WHOLE, headers=KEY, timeout=5)
        assert reply.status_code == 200 and reply.json()["total"] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        proc.stdout.close()
        proc.stderr.close()
