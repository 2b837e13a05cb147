"""What the raw tables of issue 13's two feeds accept: the agencies' monthly progress reports
(docs/contracts/sources.md §4) and the portal's citizen accounts (§5).

A report is refused (quarantined with the reason) when the warehouse could not use it without guessing:
no agency code, period or change time; a period that is not YYYYMM; an unreadable date; a status that is
not 1, 2 or 3; a sent report (status 2) without its sending time. An account item is refused when it
has no agency code, or one of its three counts is not a whole number >= 0, or it says more accounts are
verified than exist.
"""

from __future__ import annotations

import re

from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused, read_datetime, require_fields

AGENCY_REPORT_REQUIRED = ("MaDonVi", "KyBaoCao", "NgayCapNhat")
REPORT_STATUSES = (1, 2, 3)  # 1 draft, 2 sent, 3 returned for revision
ACCOUNT_COUNTS = ("accountsNew", "accountsTotal", "accountsVerified")
_PERIOD = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")


def prepare_agency_report(record: dict, pii_key: bytes) -> tuple:
    require_fields(record, AGENCY_REPORT_REQUIRED)
    period = str(record["KyBaoCao"])
    if not _PERIOD.match(period):
        raise RecordRefused(f"KyBaoCao: not a period YYYYMM: {record['KyBaoCao']!r}")
    status = record.get("TrangThai")
    if type(status) is not int or status not in REPORT_STATUSES:
        raise RecordRefused(f"TrangThai: not a report status 1-3: {status!r}")
    sent_at = read_datetime(record, "NgayGui")
    if status == 2 and sent_at is None:
        raise RecordRefused("NgayGui: missing on a sent report (TrangThai 2)")
    updated_at = read_datetime(record, "NgayCapNhat")
    return (str(record["MaDonVi"]), period, updated_at)


def account_record(year: int, month: int, item: object) -> dict:
    """The record the loader stores for one item of one month's reply (the agency code beside it names
    the record in the quarantine)."""
    code = item.get("departmentCode") if isinstance(item, dict) else None
    return {"year": year, "month": month, "departmentCode": code, "item": item}


def prepare_citizen_accounts(record: dict, pii_key: bytes) -> tuple:
    item = record.get("item")
    if not isinstance(item, dict):
        raise RecordRefused("item: not a JSON object")
    if item.get("departmentCode") in (None, "") or not isinstance(item["departmentCode"], str):
        raise RecordRefused("item: missing required field departmentCode")
    for field in ACCOUNT_COUNTS:
        value = item.get(field)
        if type(value) is not int or value < 0:
            raise RecordRefused(f"{field}: not a whole number >= 0: {value!r}")
    if item["accountsVerified"] > item["accountsTotal"]:
        raise RecordRefused(f"accountsVerified {item['accountsVerified']} > accountsTotal {item['accountsTotal']}")
    if item["accountsNew"] > item["accountsTotal"]:
        raise RecordRefused(f"accountsNew {item['accountsNew']} > accountsTotal {item['accountsTotal']}")
    return (item["departmentCode"], record["year"], record["month"])


AGENCY_REPORT = RawEntity(
    source="one_stop_shop",
    entity="agency_report",
    table="raw.one_stop_shop__agency_report",
    columns=("agency_code", "report_period", "source_updated_at"),
    prepare=prepare_agency_report,
    key_field="MaDonVi",
    required=AGENCY_REPORT_REQUIRED,
)

CITIZEN_ACCOUNTS = RawEntity(
    source="dvc_portal",
    entity="citizen_accounts",
    table="raw.dvc_portal__citizen_accounts",
    columns=("agency_code", "period_year", "period_month"),
    prepare=prepare_citizen_accounts,
    key_field="departmentCode",
)
