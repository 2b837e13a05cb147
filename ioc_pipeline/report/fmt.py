"""How numbers, dates and statuses read in the reports: Vietnamese conventions.

Vietnamese writes a decimal comma and groups thousands with a dot (70,5%; 10.750 hồ sơ), and every
time is shown in Asia/Ho_Chi_Minh. Rates arrive from the marts as unrounded numbers in [0, 1] and are
shown as percentages with one decimal, rounded half up (0.70454 -> 70,5%), so a printed figure is
the mart value, never a re-computation.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from ioc_pipeline.sources.formats import VN
NONE = "—"  # shown for a missing value (null in the mart)

# marts.breakthrough_scorecard.status
STATUS_LABELS = {"dat": "Đạt", "chua_dat": "Chưa đạt", "chua_co_so_lieu": "Chưa có số liệu",
                 "khong_co_chi_tieu": "Không có chỉ tiêu"}
# dq.validation_run.status and marts.source_status.dq_status
DQ_LABELS = {"pass": "Đạt", "warn": "Cảnh báo", "fail": "Không đạt"}
DQ_MARKS = {"pass": "✔", "warn": "⚠", "fail": "✖"}
LEVEL_LABELS = {"TINH": "Cấp tỉnh", "HUYEN": "Cấp huyện", "XA": "Cấp xã"}
OPERATOR_LABELS = {"viettel": "Viettel", "vnpt": "VNPT", "all": "Tất cả nhà mạng"}
SOURCE_LABELS = {
    "one_stop_shop": "Hệ thống thông tin giải quyết TTHC (hồ sơ một cửa)",
    "dvc_portal": "Cổng Dịch vụ công (danh mục, chỉ số 766)",
    "operator_viettel": "Báo cáo tháng của Viettel",
    "operator_vnpt": "Báo cáo tháng của VNPT",
}
CADENCE_LABELS = {"daily": "Hằng ngày", "monthly": "Hằng tháng (trước ngày 10)", "hourly": "Hằng giờ"}
UNIT_LABELS = {"ty_le": "%", "ho_so": "hồ sơ", "tram": "trạm"}


def _group(digits: str) -> str:
    """'10750' -> '10.750'."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return ".".join(parts)


def number(value, decimals: int = 0) -> str:
    """A count or a measure, Vietnamese style: 10.750; 3,5. None -> '—'."""
    if value is None:
        return NONE
    q = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    text = f"{abs(q):f}"
    whole, _, frac = text.partition(".")
    return sign + _group(whole) + ("," + frac if frac else "")


def pct(rate) -> str:
    """A rate in [0, 1] as a percentage with one decimal: Decimal('0.704545') -> '70,5%'."""
    if rate is None:
        return NONE
    return number(Decimal(str(rate)) * 100, 1) + "%"


def measure(value, unit: str) -> str:
    """A scorecard value in its unit (ty_le: a rate; ho_so, tram: counts)."""
    if unit == "ty_le":
        return pct(value)
    return number(value)


def month_label(month: date) -> str:
    return f"Tháng {month.month}/{month.year}"


def month_short(month: date) -> str:
    return f"{month.month:02d}/{month.year}"


def day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else NONE


def vn_time(value: datetime | None) -> str:
    """A timestamptz as 'dd/mm/yyyy HH:MM' in Vietnam time."""
    if value is None:
        return NONE
    if value.tzinfo is None:  # a naive value is taken as UTC, as PostgreSQL stores timestamptz
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(VN).strftime("%d/%m/%Y %H:%M")


def yes_no(value: bool | None, yes: str = "Có", no: str = "Không") -> str:
    if value is None:
        return NONE
    return yes if value else no

# The sector of a declared sector feed (feeds/*.yml), as people read it; an unlisted one shows its code.
SECTOR_LABELS = {"health": "y tế", "education": "giáo dục", "transport": "giao thông", "environment": "môi trường",
                 "agriculture": "nông nghiệp", "tourism": "du lịch", "security": "an ninh trật tự"}
