"""What the one-stop-shop's dossier table accepts (sources.md §1), and why a dossier is refused.

A dossier is loaded when its key, procedure, receiving agency and change time are there, every date
reads in one of the two source formats, codes are integers and the status is one of the ten the
contract lists. The applicant's identifier is replaced by its keyed hash before the row reaches the
database, so the key never enters SQL.
"""

from __future__ import annotations

from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused, read_datetime, require_fields
from ioc_pipeline.sources.formats import parse_source_datetime, pseudonymise

DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "MaDonViTiepNhan", "NgayCapNhat")
DOSSIER_DATES = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayCapNhat")
SUPPLEMENT_DATES = ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi")
DOSSIER_INTEGERS = ("KenhThucHien", "NoiNopHoSo", "LoaiDoiTuong", "TrangThaiHoSo", "DuocThanhToanTrucTuyen")
DOSSIER_LISTS = ("DanhSachLePhi", "TaiLieuNop", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua")


def prepare_dossier(record: dict, pii_key: bytes) -> tuple:
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


DOSSIER = RawEntity(
    source="one_stop_shop",
    entity="dossier",
    table="raw.one_stop_shop__dossier",
    columns=("dossier_code", "source_updated_at", "applicant_key"),
    prepare=prepare_dossier,
    key_field="MaHoSo",
    required=DOSSIER_REQUIRED,
)
