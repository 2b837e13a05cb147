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
