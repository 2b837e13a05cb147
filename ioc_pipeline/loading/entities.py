"""What each raw table accepts, and why a record is refused.

A record is refused (quarantined with the reason) when the warehouse could not use it without
guessing: a required key is missing, a date is unreadable or impossible, a code is not an integer.
Unknown extra fields are kept: they stay in the record's JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ioc_pipeline.sources.formats import UnreadableValue, parse_iso_date, parse_source_datetime, pseudonymise


class RecordRefused(ValueError):
    """The reason a record goes to quarantine instead of raw."""


class SchemaDrift(RuntimeError):
    """The source's records no longer have the shape the warehouse expects: fail, don't guess."""


@dataclass(frozen=True)
class RawEntity:
    source: str
    entity: str
    table: str
    # Typed columns the loader fills besides record_hash, payload, batch_id, received_at.
    columns: tuple[str, ...]
    # Values for `columns`, or RecordRefused.
    prepare: Callable[[dict, bytes], tuple]
    key_field: str
    # Fields every record must carry. One record without one is quarantined; every record of a
    # batch without it is schema drift (the source renamed or dropped the field) and fails the
    # batch instead of quarantining everything quietly.
    required: tuple[str, ...] = ()

    def key_of(self, record: object) -> str | None:
        if isinstance(record, dict) and record.get(self.key_field) not in (None, ""):
            return str(record[self.key_field])
        return None


DOSSIER_REQUIRED = ("MaHoSo", "MaTTHC", "MaDonViTiepNhan", "NgayCapNhat")
DOSSIER_DATES = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayCapNhat")
SUPPLEMENT_DATES = ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi")
DOSSIER_INTEGERS = ("KenhThucHien", "NoiNopHoSo", "LoaiDoiTuong", "TrangThaiHoSo", "DuocThanhToanTrucTuyen")
DOSSIER_LISTS = ("DanhSachLePhi", "TaiLieuNop", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua")


def _require_fields(record: dict, fields: tuple[str, ...]) -> None:
    for field in fields:
        if record.get(field) in (None, ""):
            raise RecordRefused(f"missing required field {field}")


def _read_date(record: dict, field: str, where: str = ""):
    value = record.get(field)
    if value in (None, ""):
        return None
    try:
        return parse_source_datetime(value)
    except UnreadableValue as exc:
        raise RecordRefused(f"{where}{field}: {exc}") from None


def prepare_dossier(record: dict, pii_key: bytes) -> tuple:
    _require_fields(record, DOSSIER_REQUIRED)
    for field in DOSSIER_DATES:
        _read_date(record, field)
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
            _read_date(supplement, field, where=f"DanhSachHoSoBoSung[{index}].")
    updated_at = parse_source_datetime(record["NgayCapNhat"])
    return (str(record["MaHoSo"]), updated_at, pseudonymise(record.get("SoDinhDanh"), pii_key))


def prepare_department(record: dict, pii_key: bytes) -> tuple:
    _require_fields(record, ("code", "name", "level", "validFrom"))
    if record["level"] not in ("TINH", "HUYEN", "XA"):
        raise RecordRefused(f"level: unknown agency level {record['level']!r}")
    for field in ("validFrom", "validTo"):
        if record.get(field) not in (None, ""):
            try:
                parse_iso_date(record[field])
            except UnreadableValue as exc:
                raise RecordRefused(f"{field}: {exc}") from None
    return (str(record["code"]),)


DOSSIER = RawEntity(
    source="one_stop_shop",
    entity="dossier",
    table="raw.one_stop_shop__dossier",
    columns=("dossier_code", "source_updated_at", "applicant_key"),
    prepare=prepare_dossier,
    key_field="MaHoSo",
    required=DOSSIER_REQUIRED,
)

DEPARTMENT = RawEntity(
    source="dvc_portal",
    entity="department",
    table="raw.dvc_portal__department",
    columns=("agency_code",),
    prepare=prepare_department,
    key_field="code",
    required=("code", "name", "level", "validFrom"),
)
