"""What the one-stop-shop's dossier table accepts (docs/contracts/sources.md §1), and why a dossier is refused.

A dossier is loaded when its key, procedure, receiving agency and change time are there, every date
reads in one of the two source formats, codes are integers and the status is one of the ten the
contract lists. The applicant's identifier is replaced by its keyed hash before the row reaches the
database, so the key never enters SQL.
"""

from __future__ import annotations

from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused
from ioc_pipeline.sources.formats import (UnreadableValue, check_source_datetime, known_real_day, parse_source_datetime,
                                          pseudonymise)

DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "MaDonViTiepNhan", "NgayCapNhat")
DOSSIER_DATES = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayCapNhat")
SUPPLEMENT_DATES = ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi")
DOSSIER_INTEGERS = ("KenhThucHien", "NoiNopHoSo", "LoaiDoiTuong", "TrangThaiHoSo", "DuocThanhToanTrucTuyen")
DOSSIER_LISTS = ("DanhSachLePhi", "TaiLieuNop", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua")
CHECKED_DATES = DOSSIER_DATES[:-1]  # only read; NgayCapNhat, last, is read into source_updated_at
assert DOSSIER_DATES[-1] == "NgayCapNhat"


def prepare_dossier(record: dict, pii_key: bytes) -> tuple:
    # The checks of `require_fields` and `read_datetime`, in the same order and with the same reasons,
    # written out: this runs for every record of every load. Dates that are only checked are not built.
    get, known_day = record.get, known_real_day
    for field in DOSSIER_REQUIRED:
        value = get(field)
        if value is None or value == "":
            raise RecordRefused(f"missing required field {field}")
    for field in CHECKED_DATES:
        value = get(field)
        if value is None or value == "":
            continue
        # `check_source_datetime`'s own fast path, inline (a call saved per date, five dates a record):
        # 14 ASCII digits, a time within the day and a day already known to be real. Anything else,
        # the legacy format included, takes the full check with its reasons.
        if type(value) is str and len(value) == 14 and value.isdigit() and value.isascii() \
                and value[8:10] < "24" and value[10:12] < "60" and value[12:14] < "60" and known_day(value[:8]):
            continue
        try:
            check_source_datetime(value)
        except UnreadableValue as exc:
            raise RecordRefused(f"{field}: {exc}") from None
    try:
        updated_at = parse_source_datetime(get("NgayCapNhat"))
    except UnreadableValue as exc:
        raise RecordRefused(f"NgayCapNhat: {exc}") from None
    for field in DOSSIER_INTEGERS:
        value = get(field)
        if value is not None and type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
            raise RecordRefused(f"{field}: not an integer: {value!r}")
    status = get("TrangThaiHoSo")
    if status is None or not 1 <= status <= 10:
        raise RecordRefused(f"TrangThaiHoSo: not a status code 1-10: {status!r}")
    for field in DOSSIER_LISTS:
        value = get(field)
        if value is not None and not isinstance(value, list):
            raise RecordRefused(f"{field}: not a list")
    for index, supplement in enumerate(get("DanhSachHoSoBoSung") or ()):
        if not isinstance(supplement, dict):
            raise RecordRefused(f"DanhSachHoSoBoSung[{index}]: not an object")
        for field in SUPPLEMENT_DATES:
            value = supplement.get(field)
            if value is None or value == "":
                continue
            try:
                check_source_datetime(value)
            except UnreadableValue as exc:
                raise RecordRefused(f"DanhSachHoSoBoSung[{index}].{field}: {exc}") from None
    return (str(record["MaHoSo"]), updated_at, pseudonymise(get("SoDinhDanh"), pii_key))


DOSSIER = RawEntity(
    source="one_stop_shop",
    entity="dossier",
    table="raw.one_stop_shop__dossier",
    columns=("dossier_code", "source_updated_at", "applicant_key"),
    prepare=prepare_dossier,
    key_field="MaHoSo",
    required=DOSSIER_REQUIRED,
)
