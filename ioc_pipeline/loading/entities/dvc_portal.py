"""What the portal's department list, procedure catalog and 766 index tables accept (docs/contracts/sources.md §2).

Refused (quarantined) only when the warehouse could not use a record without guessing: a department
without its code, name, level or start of validity, an unknown level, an unreadable date; a procedure
without its code or name, a flag that is not a boolean, a time that is not a number; a metric without
its code, or a number sent as anything but a JSON number or null. Null numbers are fine: the portal
sends null where a rate does not apply, and null must stay null.

An evaluation metric is loaded as `{group, year, month, departmentCode, metric}`: the item alone is
not a version (the same all-null item comes back for every agency and month), the request is part of
what the number means.
"""

from __future__ import annotations

import json
import math
from numbers import Real

from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused, read_iso_date, require_fields

DEPARTMENT_REQUIRED = ("code", "name", "level", "validFrom")
FORMALITY_BOOLEANS = ("hasFee", "feeReducedOnline", "paperResult")
METRIC_NUMBERS = ("numerator", "denominator", "ratio", "score", "maxScore")


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def prepare_department(record: dict, pii_key: bytes) -> tuple:
    require_fields(record, DEPARTMENT_REQUIRED)
    if record["level"] not in ("TINH", "HUYEN", "XA"):
        raise RecordRefused(f"level: unknown agency level {record['level']!r}")
    for field in ("validFrom", "validTo"):
        read_iso_date(record, field)
    return (str(record["code"]),)


def prepare_formality(record: dict, pii_key: bytes) -> tuple:
    for field in ("code", "name"):
        if record.get(field) in (None, "") or not isinstance(record[field], str):
            raise RecordRefused(f"missing required field {field}")
    for field in FORMALITY_BOOLEANS:
        if record.get(field) is not None and not isinstance(record[field], bool):
            raise RecordRefused(f"{field}: not a boolean: {record[field]!r}")
    if record.get("processingTime") is not None and not _is_number(record["processingTime"]):
        raise RecordRefused(f"processingTime: not a number: {record['processingTime']!r}")
    if record.get("levels") is not None and not isinstance(record["levels"], list):
        raise RecordRefused("levels: not a list")
    return (record["code"].strip(),)


def evaluation_record(group: str, year: int, month: int, department_code: str, metric: object) -> dict:
    """The record the loader stores for one metric item of one request."""
    return {"group": group, "year": year, "month": month, "departmentCode": department_code, "metric": metric}


def prepare_evaluation_metric(record: dict, pii_key: bytes) -> tuple:
    metric = record.get("metric")
    if not isinstance(metric, dict):
        raise RecordRefused("metric: not a JSON object")
    if metric.get("code") in (None, "") or not isinstance(metric["code"], str):
        raise RecordRefused("metric: missing required field code")
    for field in METRIC_NUMBERS:
        if metric.get(field) is not None and not _is_number(metric[field]):
            raise RecordRefused(f"metric {metric['code']}: {field} is not a number: {metric[field]!r}")
    return (record["departmentCode"], record["group"], record["year"], record["month"], metric["code"],
            json.dumps(metric, ensure_ascii=False))


DEPARTMENT = RawEntity(
    source="dvc_portal",
    entity="department",
    table="raw.dvc_portal__department",
    columns=("agency_code",),
    prepare=prepare_department,
    key_field="code",
    required=DEPARTMENT_REQUIRED,
)

FORMALITY = RawEntity(
    source="dvc_portal",
    entity="formality",
    table="raw.dvc_portal__formality",
    columns=("procedure_code",),
    prepare=prepare_formality,
    key_field="code",
    required=("code", "name"),
)

EVALUATION_METRIC = RawEntity(
    source="dvc_portal",
    entity="evaluation_metric",
    table="raw.dvc_portal__evaluation_metric",
    columns=("agency_code", "indicator_group", "period_year", "period_month", "metric_code", "metric"),
    prepare=prepare_evaluation_metric,
    key_field="departmentCode",
)
