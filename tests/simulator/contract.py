"""A contract check of the two source APIs (`docs/contracts/sources.md` §1–2), field by field.

Written against the contract only (HTTP, JSON), never against the simulator's internals, so that any
server implementing the contract can be checked with it: `check_dossier_api(base_url, api_key, lo,
hi)` and `check_portal(base_url, client_id, client_secret)` raise AssertionError naming the first
breach and return what they read.
"""

from __future__ import annotations

import re
from datetime import datetime

import requests

HOSO = "/api/v1/hoso"
DATE_RE = re.compile(r"^(\d{14}|\d\d/\d\d/\d{4} \d\d:\d\d:\d\d)$")
AGENCY_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}$")
PROCEDURE_RE = re.compile(r"^\d\.\d{6}$")
REQUIRED = ("MaHoSo", "MaTTHC", "MaDonViTiepNhan", "NgayCapNhat")
FIELDS = {
    "MaHoSo": (str,), "MaTTHC": (str,), "MaDonViTiepNhan": (str,), "KenhThucHien": (int, type(None)),
    "NoiNopHoSo": (int, type(None)), "LoaiDoiTuong": (int,), "ChuHoSo": (str,), "SoDinhDanh": (str,),
    "SoDienThoai": (str, type(None)), "NgayNopHoSo": (str,), "NgayTiepNhan": (str, type(None)),
    "NgayHenTra": (str, type(None)), "NgayKetThucXuLy": (str, type(None)), "NgayTra": (str, type(None)),
    "TrangThaiHoSo": (int,), "DuocThanhToanTrucTuyen": (int,), "DanhSachLePhi": (list,),
    "TaiLieuNop": (list,), "DanhSachHoSoBoSung": (list,), "DanhSachGiayToKetQua": (list,),
    "NgayCapNhat": (str,),
}


def read_date(value: str) -> datetime:
    return datetime.strptime(value, "%d/%m/%Y %H:%M:%S" if "/" in value else "%Y%m%d%H%M%S")


def check_dossier(record: dict) -> None:
    """One dossier record, field by field (§1 table)."""
    code = record.get("MaHoSo")
    for name in REQUIRED:
        assert record.get(name), f"{code}: required field {name} missing or empty"
    for name, types in FIELDS.items():
        if name in record:
            assert isinstance(record[name], types) and not isinstance(record[name], bool), \
                f"{code}: {name} has type {type(record[name]).__name__}"
    assert AGENCY_RE.match(record["MaDonViTiepNhan"]), f"{code}: agency code {record['MaDonViTiepNhan']}"
    assert PROCEDURE_RE.match(record["MaTTHC"]), f"{code}: procedure code {record['MaTTHC']}"
    assert record.get("KenhThucHien") in (1, 2, 3, None), f"{code}: KenhThucHien"
    assert record.get("NoiNopHoSo") in (1, 2, None), f"{code}: NoiNopHoSo"
    assert record.get("LoaiDoiTuong") in (1, 2), f"{code}: LoaiDoiTuong"
    assert record.get("TrangThaiHoSo") in range(1, 11), f"{code}: TrangThaiHoSo"
    assert record.get("DuocThanhToanTrucTuyen") in (0, 1, 2), f"{code}: DuocThanhToanTrucTuyen"
    for name in ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayCapNhat"):
        value = record.get(name)
        if value is not None:
            assert DATE_RE.match(value), f"{code}: {name} = {value!r} is in neither date format"
            read_date(value)
    for fee in record.get("DanhSachLePhi", []):
        assert isinstance(fee.get("TenPhiLePhi"), str) and isinstance(fee.get("Gia"), (int, float)), f"{code}: fee"
    for doc in record.get("TaiLieuNop", []):
        assert isinstance(doc.get("TenTepDinhKem"), str), f"{code}: document name"
        assert doc.get("DuocSoHoa") in (0, 1) and doc.get("DuocLayTuKhoDMQG") in (0, 1), f"{code}: document flags"
    for s in record.get("DanhSachHoSoBoSung", []):
        assert DATE_RE.match(s.get("NgayBoSung") or ""), f"{code}: NgayBoSung"
        for name in ("NgayTiepNhanBoSung", "NgayHenTraMoi"):
            assert s.get(name) is None or DATE_RE.match(s[name]), f"{code}: {name}"
    for result in record.get("DanhSachGiayToKetQua", []):
        assert isinstance(result.get("TenGiayTo"), str), f"{code}: TenGiayTo"
        assert result.get("DuongDanTepTinKetQua") is None or isinstance(result["DuongDanTepTinKetQua"], str)


def check_dossier_api(base_url: str, api_key: str, lo: str, hi: str, page_size: int = 500) -> list[dict]:
    """Auth, parameters, paging, order and window of §1; every record checked. Returns the records."""
    url, auth = base_url + HOSO, {"Authorization": f"Bearer {api_key}"}
    window = {"updated_from": lo, "updated_to": hi}
    assert requests.get(url, params=window, timeout=30).status_code == 401, "no key must give 401"
    assert requests.get(url, params=window, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
    assert requests.get(url, params={**window, "page_size": 1001}, headers=auth, timeout=30).status_code == 400
    records, page, total = [], 1, None
    while True:
        reply = requests.get(url, params={**window, "page": page, "page_size": page_size}, headers=auth, timeout=120)
        assert reply.status_code == 200, reply.text[:200]
        body = reply.json()
        assert set(body) >= {"total", "page", "page_size", "items"}, set(body)
        assert body["page"] == page and body["page_size"] == page_size
        total = body["total"] if total is None else total
        assert body["total"] == total, "total changed between pages"
        records += body["items"]
        if not body["items"] or page * page_size >= total:
            break
        page += 1
    assert len(records) == total, (len(records), total)
    lo_t, hi_t = (datetime.fromisoformat(x).replace(tzinfo=None) for x in (lo, hi))  # +07:00 expected
    keys = []
    for record in records:
        check_dossier(record)
        updated = read_date(record["NgayCapNhat"])
        assert lo_t <= updated < hi_t, f"{record['MaHoSo']}: NgayCapNhat {updated} outside the window"
        keys.append((updated, record["MaHoSo"]))
    assert keys == sorted(keys), "order must be NgayCapNhat, then MaHoSo"
    assert len({k[1] for k in keys}) == len(keys), "a code twice in one clean read"
    return records


def check_portal(base_url: str, client_id: str, client_secret: str) -> dict[str, list[dict]]:
    """Token, envelope, paging and the catalog items of §2. Returns departments and formalities."""
    token = requests.post(base_url + "/api/v1/auth/token", json={"client_id": client_id,
                                                                "client_secret": client_secret}, timeout=30)
    assert token.status_code == 200
    body = token.json()
    grant = body.get("data") or body
    assert isinstance(grant["access_token"], str) and grant["expires_in"] > 0
    headers = {"Authorization": f"Bearer {grant['access_token']}"}
    out = {}
    for name in ("departments", "formalities"):
        items, page, pages = [], 1, None
        while pages is None or page <= pages:
            reply = requests.post(f"{base_url}/api/v1/reporting/{name}", json={"currentPage": page, "pageSize": 50},
                                  headers=headers, timeout=30)
            envelope = reply.json()
            assert reply.status_code == 200 and envelope["code"] == "OK" and isinstance(envelope["message"], str)
            data = envelope["data"]
            assert data["currentPage"] == page and isinstance(data["totalPages"], int)
            pages = data["totalPages"]
            items += data["items"]
            page += 1
        out[name] = items
    for a in out["departments"]:
        assert set(a) >= {"code", "name", "level", "parentCode", "adminUnitCode", "validFrom", "validTo"}, a
        assert AGENCY_RE.match(a["code"]) and a["level"] in ("TINH", "HUYEN", "XA")
        datetime.fromisoformat(a["validFrom"])
        assert a["validTo"] is None or a["validTo"] >= a["validFrom"]
    for p in out["formalities"]:
        assert set(p) >= {"code", "name", "sectorCode", "sectorName", "levels", "onlineLevel", "hasFee",
                          "feeReducedOnline", "processingTime", "processingTimeUnit", "paperResult", "state"}, p
        assert PROCEDURE_RE.match(p["code"]) and set(p["levels"]) <= {"TINH", "HUYEN", "XA"}
        assert p["onlineLevel"] in ("TOAN_TRINH", "MOT_PHAN", None)
        assert p["processingTimeUnit"] in ("NGAY_LAM_VIEC", "NGAY", "GIO") and p["state"] in ("CONG_KHAI", "BAI_BO")
        assert all(isinstance(p[k], bool) for k in ("hasFee", "feeReducedOnline", "paperResult"))
    return out


# --- issue 13: the agencies' monthly progress reports (§4) and the portal's citizen accounts (§5) --------

BAOCAO = "/api/v1/congviec/baocao"
ACCOUNTS = "/api/v1/reporting/accounts"


def check_agency_reports_api(base_url: str, api_key: str, month: str, page_size: int = 25) -> list[dict]:
    """Auth, parameters, paging and the items of §4 for one month (YYYYMM). Returns the items."""
    url, auth = base_url + BAOCAO, {"Authorization": f"Bearer {api_key}"}
    assert requests.get(url, params={"month": month}, timeout=30).status_code == 401, "no key must give 401"
    assert requests.get(url, params={"month": month}, headers={"Authorization": "Bearer wrong"},
                        timeout=30).status_code == 401
    assert requests.get(url, params={"month": "2024-09"}, headers=auth, timeout=30).status_code == 400
    assert requests.get(url, params={"month": month, "page_size": 1001}, headers=auth, timeout=30).status_code == 400
    items, page, total = [], 1, None
    while True:
        reply = requests.get(url, params={"month": month, "page": page, "page_size": page_size}, headers=auth,
                             timeout=30)
        assert reply.status_code == 200, reply.text[:200]
        body = reply.json()
        assert set(body) >= {"total", "page", "page_size", "items"} and body["page"] == page
        total = body["total"] if total is None else total
        assert body["total"] == total, "total changed between pages"
        items += body["items"]
        if not body["items"] or page * page_size >= total:
            break
        page += 1
    assert len(items) == total
    for item in items:
        code = item.get("MaDonVi")
        assert set(item) >= {"MaDonVi", "KyBaoCao", "NgayGui", "TrangThai", "NgayCapNhat"}, item
        assert AGENCY_RE.match(code) and item["KyBaoCao"] == month, item
        assert item["TrangThai"] in (1, 2, 3), item
        assert DATE_RE.match(item["NgayCapNhat"]), item
        read_date(item["NgayCapNhat"])
        if item["TrangThai"] == 2:
            assert DATE_RE.match(item["NgayGui"] or ""), f"{code}: a sent report needs NgayGui"
        if item["NgayGui"] is not None:
            assert read_date(item["NgayGui"]) <= read_date(item["NgayCapNhat"]), item
    assert len({i["MaDonVi"] for i in items}) == len(items), "one report per agency and period"
    return items


def check_accounts_api(base_url: str, client_id: str, client_secret: str, year: int, month: int,
                       page_size: int = 25) -> list[dict]:
    """Token, envelope, paging (`page`, `pageSize`) and the items of §5 for one month. Returns the items."""
    url = base_url + ACCOUNTS
    body = {"year": year, "month": month, "page": 1, "pageSize": page_size}
    assert requests.post(url, json=body, timeout=30).status_code == 401, "no token must give 401"
    assert requests.post(url, json=body, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
    token = requests.post(base_url + "/api/v1/auth/token", json={"client_id": client_id,
                                                                "client_secret": client_secret}, timeout=30).json()
    headers = {"Authorization": f"Bearer {(token.get('data') or token)['access_token']}"}
    bad = requests.post(url, json={**body, "month": 13}, headers=headers, timeout=30)
    assert bad.status_code == 200 and bad.json()["code"] != "OK", "errors may come under HTTP 200"
    items, page, pages = [], 1, None
    while pages is None or page <= pages:
        reply = requests.post(url, json={**body, "page": page}, headers=headers, timeout=30)
        envelope = reply.json()
        assert reply.status_code == 200 and envelope["code"] == "OK" and isinstance(envelope["message"], str)
        data = envelope["data"]
        assert data["currentPage"] == page and isinstance(data["totalPages"], int)
        pages = data["totalPages"]
        items += data["items"]
        page += 1
    for item in items:
        assert set(item) >= {"departmentCode", "accountsNew", "accountsTotal", "accountsVerified"}, item
        assert AGENCY_RE.match(item["departmentCode"])
        counts = [item[k] for k in ("accountsNew", "accountsTotal", "accountsVerified")]
        assert all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts), item
        assert item["accountsVerified"] <= item["accountsTotal"] and item["accountsNew"] <= item["accountsTotal"]
    assert len({i["departmentCode"] for i in items}) == len(items)
    return items
