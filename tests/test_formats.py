"""Reading the sources' values: both date formats, impossible dates, keyed hashes."""

from datetime import datetime

import pytest

from ioc_pipeline.loading.entities.dvc_portal import prepare_department
from ioc_pipeline.loading.entities.one_stop_shop import prepare_dossier
from ioc_pipeline.loading.raw_entity import RecordRefused
from ioc_pipeline.config import VN
from ioc_pipeline.sources.formats import (
    UnreadableValue,
    parse_source_datetime,
    pseudonymise,
    record_hash,
)

KEY = b"test-key"


def test_both_date_formats_mean_the_same_vietnam_time():
    compact = parse_source_datetime("20240715081500")
    slashed = parse_source_datetime("15/07/2024 08:15:00")
    assert compact == slashed == datetime(2024, 7, 15, 8, 15, tzinfo=VN)
    assert compact.utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize("value, reason", [
    ("20240231081500", "impossible date"),
    ("31/02/2024 08:00:00", "impossible date"),
    ("2024-07-15T08:15:00", "unknown date format"),
    ("20240715", "unknown date format"),
])
def test_unreadable_dates_are_refused_with_a_reason(value, reason):
    with pytest.raises(UnreadableValue, match=reason):
        parse_source_datetime(value)


def test_pseudonymise_is_keyed_normalised_and_never_the_number():
    a = pseudonymise("079 201 012 345", KEY)
    assert a == pseudonymise("079201012345", KEY)
    assert a != pseudonymise("079201012345", b"other-key")
    assert len(a) == 64 and "079201012345" not in a
    assert pseudonymise(None, KEY) is None and pseudonymise("  ", KEY) is None


def test_record_hash_ignores_key_order():
    assert record_hash({"a": 1, "b": [1, 2]}) == record_hash({"b": [1, 2], "a": 1})
    assert record_hash({"a": 1}) != record_hash({"a": 2})


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
