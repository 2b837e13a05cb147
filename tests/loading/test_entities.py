"""What the raw tables accept: a good dossier, each reason a dossier is refused, a department's rules."""

from datetime import datetime

import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.loading.entities.dvc_portal import prepare_department
from ioc_pipeline.loading.entities.one_stop_shop import prepare_dossier
from ioc_pipeline.loading.raw_entity import RecordRefused
from ioc_pipeline.sources.formats import pseudonymise

KEY = b"test-key"


def _dossier(**overrides):
    record = {
        "MaHoSo": "000.00.13.H03-240715-0001", "MaTTHC": "1.001612", "MaDonViTiepNhan": "000.00.13.H03",
        "KenhThucHien": 2, "NoiNopHoSo": None, "LoaiDoiTuong": 1, "ChuHoSo": "Nguyễn Văn A",
        "SoDinhDanh": "079201012345", "SoDienThoai": None, "NgayNopHoSo": "20240715081500",
        "NgayTiepNhan": "15/07/2024 09:00:00", "NgayHenTra": "20240719170000", "NgayKetThucXuLy": None,
        "NgayTra": None, "TrangThaiHoSo": 4, "DuocThanhToanTrucTuyen": 0, "DanhSachLePhi": [],
        "TaiLieuNop": [], "DanhSachHoSoBoSung": [
            {"NgayBoSung": "20240716100000", "NgayTiepNhanBoSung": None, "NgayHenTraMoi": None}],
        "DanhSachGiayToKetQua": [], "NgayCapNhat": "20240716100000",
    }
    record.update(overrides)
    return record


def test_a_good_dossier_gives_its_key_change_time_and_applicant_hash():
    code, updated_at, applicant_key = prepare_dossier(_dossier(), KEY)
    assert code == "000.00.13.H03-240715-0001"
    assert updated_at == datetime(2024, 7, 16, 10, 0, tzinfo=VN)
    assert applicant_key == pseudonymise("079201012345", KEY)


@pytest.mark.parametrize("overrides, reason", [
    ({"MaHoSo": None}, "missing required field MaHoSo"),
    ({"NgayCapNhat": ""}, "missing required field NgayCapNhat"),
    ({"NgayTiepNhan": "20240231090000"}, "NgayTiepNhan: impossible date"),
    ({"DanhSachHoSoBoSung": [{"NgayBoSung": "32/07/2024 10:00:00"}]}, r"DanhSachHoSoBoSung\[0\].NgayBoSung"),
    ({"KenhThucHien": "2"}, "KenhThucHien: not an integer"),
    ({"TrangThaiHoSo": 11}, "TrangThaiHoSo: not a status code"),
    ({"TaiLieuNop": "none"}, "TaiLieuNop: not a list"),
])
def test_unreadable_dossiers_are_refused_with_the_reason(overrides, reason):
    with pytest.raises(RecordRefused, match=reason):
        prepare_dossier(_dossier(**overrides), KEY)


def test_unknown_extra_fields_do_not_refuse_a_dossier():
    assert prepare_dossier(_dossier(TruongMoi="x"), KEY)[0] == "000.00.13.H03-240715-0001"


def test_departments_need_a_known_level_and_readable_validity():
    good = {"code": "000.00.13.H03", "name": "Sở Tư pháp", "level": "TINH", "validFrom": "2020-01-01",
            "validTo": None}
    assert prepare_department(good, KEY) == ("000.00.13.H03",)
    with pytest.raises(RecordRefused, match="unknown agency level"):
        prepare_department({**good, "level": "BO"}, KEY)
    with pytest.raises(RecordRefused, match="validTo: impossible date"):
        prepare_department({**good, "validTo": "2024-02-30"}, KEY)


def _rules_as_written(record, pii_key):
    """prepare_dossier as the contract reads (and as it was written before it was made faster)."""
    from ioc_pipeline.loading.entities.one_stop_shop import (
        DOSSIER_DATES, DOSSIER_INTEGERS, DOSSIER_LISTS, DOSSIER_REQUIRED, SUPPLEMENT_DATES)
    from ioc_pipeline.loading.raw_entity import read_datetime, require_fields
    from ioc_pipeline.sources.formats import parse_source_datetime

    require_fields(record, DOSSIER_REQUIRED)
    for field in DOSSIER_DATES:
        read_datetime(record, field)
    for field in DOSSIER_INTEGERS:
        value = record.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise RecordRefused(f"{field}: not an integer: {value!r}")
    status = record.get("TrangThaiHoSo")
    if status is None or not 1 <= status <= 10:
        raise RecordRefused(f"TrangThaiHoSo: not a status code 1-10: {status!r}")
    for field in DOSSIER_LISTS:
        if record.get(field) is not None and not isinstance(record[field], list):
            raise RecordRefused(f"{field}: not a list")
    for index, supplement in enumerate(record.get("DanhSachHoSoBoSung") or []):
        if not isinstance(supplement, dict):
            raise RecordRefused(f"DanhSachHoSoBoSung[{index}]: not an object")
        for field in SUPPLEMENT_DATES:
            read_datetime(supplement, field, where=f"DanhSachHoSoBoSung[{index}].")
    updated_at = parse_source_datetime(record["NgayCapNhat"])
    return (str(record["MaHoSo"]), updated_at, pseudonymise(record.get("SoDinhDanh"), pii_key))


def _outcome(prepare, record):
    try:
        return prepare(record, KEY)
    except RecordRefused as reason:
        return f"refused: {reason}"


def test_prepare_dossier_gives_the_values_and_reasons_of_the_rules_as_written():
    import random

    rng = random.Random(7)
    fields = list(_dossier())
    odd_values = [None, "", " ", "20240231090000", "20240715240000", "32/07/2024 10:00:00", "15/07/2024 09:00:00",
                  "２０２４０７１５０８１５００", "x", 0, 11, 4, True, 2.0, "2", [], {}, [1], ["x"], [{"NgayBoSung": "x"}],
                  [{"NgayHenTraMoi": "20240230000000"}], "079 201 012 345"]
    cases = [_dossier()]
    for _ in range(3000):
        record = _dossier()
        for _ in range(rng.randrange(1, 4)):
            record[rng.choice(fields)] = rng.choice(odd_values)
        cases.append(record)
    outcomes = [(_outcome(prepare_dossier, r), _outcome(_rules_as_written, r)) for r in cases]
    assert all(fast == written for fast, written in outcomes)
    assert sum(isinstance(fast, tuple) for fast, _ in outcomes) > 100  # both kinds of outcome are exercised
    assert sum(isinstance(fast, str) for fast, _ in outcomes) > 1000
