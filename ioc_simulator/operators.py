"""Seeded simulator of the telecom operators' monthly XLSX reports (docs/contracts/sources.md §3).

Viettel and VNPT each keep a BTS inventory over the eight district-level units of Bà Rịa – Vũng Tàu
and send one workbook a month into an inbox folder. The world is a small model, not a replay:

- 5G rolls out through 2024: Viettel on the province's plan (140 on air by December 2024), VNPT
  behind it (45 by December); a station shows its 5G row as `Đang thi công` two months before it
  goes on air and `Đã lắp đặt` the month before.
- 2G stations switch off from October 2024 and 2G-only subscribers fall around the 15 October 2024
  cut-off (Thông tư 03/04/2024/TT-BTTTT, see docs/domain.md §5.1).
- The district level ends on 1 July 2025 (docs/domain.md §6.2): from the July 2025 report on,
  `Đơn vị hành chính` is the new commune-level unit (`Phường Tam Thắng`, `Xã Châu Pha`, `Đặc khu
  Côn Đảo`: the 30 of `world.py`), in both sheets. Each station keeps one commune for good, drawn
  (seeded, on its own random stream) among the new communes of its former district; `ThueBao` has
  one row per commune, each district's subscribers split across its communes so the district and
  province totals are the same as they would have been (`subscriber_rows`). Report months before
  July 2025 are untouched, byte for byte.

The two operators lay their workbooks out differently (header row, column order, an `STT` column,
Excel dates against `dd/MM/yyyy` text, comma decimals, padded text), because a reader must find the
table by its labels. `ground_truth` answers from the model, never from a workbook, so tests can check
the whole chain against it. Bytes are reproducible: the same seed gives the same files, so a re-fill
of the inbox delivers nothing new.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import os
import random
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from . import world

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OPERATORS = ("viettel", "vnpt")
DEFAULT_MONTHS = tuple(date(2024, m, 1) for m in range(7, 13))

ON_AIR = "Đang phát sóng"
INSTALLED = "Đã lắp đặt"
BUILDING = "Đang thi công"
SWITCHED_OFF = "Đã tắt"

# District-level units of the province until 30 June 2025: name, centre (lat, lon), share of stations.
DISTRICTS: tuple[tuple[str, float, float, float], ...] = (
    ("Vũng Tàu", 10.3460, 107.0843, 0.26),
    ("Bà Rịa", 10.4963, 107.1684, 0.14),
    ("Phú Mỹ", 10.5853, 107.0500, 0.15),
    ("Long Điền", 10.4500, 107.2100, 0.09),
    ("Đất Đỏ", 10.4900, 107.2700, 0.07),
    ("Xuyên Mộc", 10.5600, 107.4000, 0.12),
    ("Châu Đức", 10.6500, 107.2500, 0.13),
    ("Côn Đảo", 8.6827, 106.6094, 0.04),
)
DISTRICT_NAMES = tuple(d[0] for d in DISTRICTS)

# From this report month on, `Đơn vị hành chính` is the commune-level unit (the district level ended).
REFORM_MONTH = date.fromisoformat(world.REFORM_DATE)


def commune_label(kind: str, name: str) -> str:
    """How the workbooks write a commune-level unit: `Phường Vũng Tàu`, `Xã Long Sơn`, `Đặc khu Côn Đảo`."""
    return f"{kind[:1].upper()}{kind[1:]} {name}"


def _communes_by_district() -> dict[str, tuple[tuple[str, float], ...]]:
    """District name -> ((new commune label, share of the district), ...) from 1 July 2025.

    A new commune's share of a former district is the number of that district's old communes it
    absorbed (Côn Đảo: the district itself becomes the special zone)."""
    number_of = {re.sub(r"^(thành phố|thị xã|huyện)\s+", "", full): number for number, full, *_ in world._DISTRICTS}
    assert set(number_of) == set(DISTRICT_NAMES), number_of
    out = {}
    for district in DISTRICT_NAMES:
        parts = [(commune_label(kind, name), sum(1 for p in preds if p[0] == number_of[district]))
                 for kind, name, preds in world._NEW_COMMUNES]
        parts = [(label, n) for label, n in parts if n]
        total = sum(n for _, n in parts)
        out[district] = tuple((label, n / total) for label, n in parts)
    return out


COMMUNES_BY_DISTRICT = _communes_by_district()
# The commune-level units of the former province from July 2025, in the order of `world.py`.
COMMUNE_NAMES = tuple(commune_label(kind, name) for kind, name, _ in world._NEW_COMMUNES)

# Cumulative 5G stations on air at the end of each 2024 month (Viettel on plan, VNPT behind).
FIVE_G_PLAN = {
    "viettel": {6: 6, 7: 25, 8: 48, 9: 72, 10: 95, 11: 118, 12: 140},
    "vnpt": {6: 2, 7: 8, 8: 14, 9: 21, 10: 28, 11: 36, 12: 45},
}
FIVE_G_MONTHLY_GROWTH_2025 = {"viettel": 20, "vnpt": 8}
# Cumulative share of 2G stations switched off at the end of each month after the cut-off.
TWO_G_OFF_SHARE = {"viettel": {10: 0.25, 11: 0.45, 12: 0.60}, "vnpt": {10: 0.15, 11: 0.30, 12: 0.40}}
# Share of subscribers with a 2G-only handset, by 2024 month (falls around the 15/10/2024 cut-off).
TWO_G_ONLY_SHARE = {
    "viettel": {7: 0.045, 8: 0.038, 9: 0.026, 10: 0.009, 11: 0.004, 12: 0.003},
    "vnpt": {7: 0.052, 8: 0.044, 9: 0.031, 10: 0.012, 11: 0.006, 12: 0.004},
}
SUBSCRIBERS_BASE = {"viettel": 1_100_000, "vnpt": 450_000}
STATIONS_DEFAULT = {"viettel": 260, "vnpt": 180}
# Usual arrival: a day of the following month (both well before the 10th) ...
ARRIVAL_DAYS = {"viettel": (2, 6), "vnpt": (4, 9)}
# ... except these, which arrive late (operator, report month) -> (day of next month, hour).
LATE_ARRIVALS = {("vnpt", date(2024, 10, 1)): (12, 9), ("viettel", date(2024, 12, 1)): (10, 8)}
# What the `unknown_district` fault types as `Đơn vị hành chính` (a unit that does not exist that month).
UNKNOWN_UNIT_BEFORE_REFORM, UNKNOWN_UNIT_AFTER_REFORM = "Tân Thành", "Phường 7"


@dataclass(frozen=True)
class StationRow:
    """One row of sheet `Tram`: a station and one of its technologies."""

    station_code: str
    technology: str
    admin_unit: str
    latitude: float
    longitude: float
    status: str
    on_air_date: date | None


@dataclass(frozen=True)
class SubscriberRow:
    """One row of sheet `ThueBao`: an administrative unit."""

    admin_unit: str
    subscribers_2g_only: int
    subscribers_total: int


@dataclass(frozen=True)
class Layout:
    """How one operator lays its workbook out (the reader must cope with both)."""

    reporting_unit: str
    title: tuple[str, ...]          # rows above `Đơn vị báo cáo` / `Kỳ báo cáo`
    blank_rows: int                 # empty rows between the title block and the header
    tram_columns: tuple[str, ...]
    thuebao_columns: tuple[str, ...]
    excel_dates: bool
    comma_share: float              # share of coordinates written as text with a comma
    padded_share: float             # share of text cells written with surrounding spaces


LAYOUTS = {
    "viettel": Layout(
        reporting_unit="Viettel Bà Rịa - Vũng Tàu - Chi nhánh Tập đoàn Công nghiệp - Viễn thông Quân đội",
        title=("BÁO CÁO HIỆN TRẠNG TRẠM BTS VÀ THUÊ BAO DI ĐỘNG",),
        blank_rows=1,
        tram_columns=("Mã trạm", "Công nghệ", "Đơn vị hành chính", "Vĩ độ", "Kinh độ", "Trạng thái", "Ngày phát sóng"),
        thuebao_columns=("Đơn vị hành chính", "Thuê bao chỉ dùng 2G", "Tổng thuê bao di động"),
        excel_dates=True,
        comma_share=0.05,
        padded_share=0.0,
    ),
    "vnpt": Layout(
        reporting_unit="VNPT Bà Rịa - Vũng Tàu",
        title=("TẬP ĐOÀN BƯU CHÍNH VIỄN THÔNG VIỆT NAM", "BÁO CÁO TRẠM BTS, THUÊ BAO DI ĐỘNG HÀNG THÁNG"),
        blank_rows=2,
        tram_columns=("STT", "Mã trạm", "Đơn vị hành chính", "Công nghệ", "Trạng thái", "Ngày phát sóng", "Vĩ độ",
                      "Kinh độ"),
        thuebao_columns=("STT", "Đơn vị hành chính", "Tổng thuê bao di động", "Thuê bao chỉ dùng 2G"),
        excel_dates=False,
        comma_share=0.35,
        padded_share=0.1,
    ),
}


@dataclass(frozen=True)
class OperatorFaults:
    """What to get wrong; all off by default. Each knob is a set of (operator, report month), except
    `correction_delay`.

    unrelated_bad_cells: cells that do not decide a KPI are bad in KPI rows: one 5G station on air
        with an impossible `Ngày phát sóng` (`31/02/2024`), another with a unit that does not exist,
        one 2G station on air with an unreadable `Kinh độ`, one `ThueBao` row with an unknown unit
        (its counts are fine). The stations and subscribers still count (issue 9 fix 1).
    formula_latitude: one 5G station on air has `Vĩ độ` written as the formula `=10.4+0.1` with no
        cached value, as a spreadsheet saved by a tool that does not compute formulas leaves it (a
        reader must not take it for an empty cell; fix 2).
    stale_mtime: the correction of a `corrected` month keeps the file time of the original workbook
        (copied with its timestamps), older than the first version's arrival: only the order in which
        the files arrived says which is the latest (fix 3).
    correction_delay: how long after the first version a correction arrives.
    """

    corrected: frozenset = frozenset()          # first version under-reports 5G; a fixed one follows later
    truncated: frozenset = frozenset()          # the workbook is cut short (corrupt zip)
    renamed_sheet: frozenset = frozenset()      # sheet `Tram` arrives as `Trạm BTS`
    unknown_district: frozenset = frozenset()   # one station typed with a unit that does not exist (then)
    unrelated_bad_cells: frozenset = frozenset()
    formula_latitude: frozenset = frozenset()
    stale_mtime: frozenset = frozenset()
    correction_delay: timedelta = timedelta(days=8, hours=3)

    @staticmethod
    def of(correction_delay: timedelta | None = None, **knobs) -> "OperatorFaults":
        extra = {} if correction_delay is None else {"correction_delay": correction_delay}
        return OperatorFaults(**{k: frozenset((op, _month(m)) for op, m in v) for k, v in knobs.items()}, **extra)


@dataclass(frozen=True)
class DeliveredFile:
    path: Path
    operator: str
    report_month: date
    version: int                # 1 = first delivery, 2 = the correction
    arrived_at: datetime        # aware, Vietnam time; also the file's mtime (unless `modified_at` says otherwise)
    on_time: bool
    sha256: str
    size: int
    fault: str | None = None
    modified_at: datetime | None = None   # the file's mtime when it is not the arrival (stale_mtime)


@dataclass(frozen=True)
class MonthTruth:
    stations_5g_on_air: int
    stations_2g_on_air: int
    subscribers_2g_only: int
    subscribers_total: int


@dataclass(frozen=True)
class _Station:
    code: str
    district: str
    latitude: float
    longitude: float
    technologies: dict = field(default_factory=dict)  # technology -> on-air date (2G/3G/4G)
    five_g_date: date | None = None                   # when its 5G goes on air (None: not planned)
    two_g_off_draw: float = 1.0                        # switched off once the off share exceeds it
    commune: str = ""                                  # its commune-level unit from July 2025


def admin_unit_of(station: _Station, month: date) -> str:
    """`Đơn vị hành chính` of a station in the report of `month`."""
    return station.commune if month >= REFORM_MONTH else station.district


def _month(value) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value)
    return date(int(text[:4]), int(text[-2:]), 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """Report months whose first day lies in [start, end)."""
    month = _month(start) if start.day == 1 else add_months(_month(start), 1)
    months = []
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def five_g_on_air_by(operator: str, month: date) -> int:
    """The model's cumulative 5G stations on air at the end of `month`."""
    if month.year < 2024 or (month.year == 2024 and month.month < 6):
        return 0
    if month.year == 2024:
        return FIVE_G_PLAN[operator][month.month]
    months_after = (month.year - 2025) * 12 + month.month
    return FIVE_G_PLAN[operator][12] + FIVE_G_MONTHLY_GROWTH_2025[operator] * months_after


def two_g_off_share(operator: str, month: date) -> float:
    if month < date(2024, 10, 1):
        return 0.0
    if month.year == 2024:
        return TWO_G_OFF_SHARE[operator][month.month]
    months_after = (month.year - 2025) * 12 + month.month
    return min(1.0, TWO_G_OFF_SHARE[operator][12] + 0.05 * months_after)


def two_g_only_share(operator: str, month: date) -> float:
    if month < date(2024, 7, 1):
        return TWO_G_ONLY_SHARE[operator][7] + 0.002 * (date(2024, 7, 1) - month).days / 30
    if month.year == 2024:
        return TWO_G_ONLY_SHARE[operator][month.month]
    return 0.002


def _station_code(operator: str, number: int) -> str:
    return f"BVT{number:04d}" if operator == "viettel" else f"VNP-BRV-{number:04d}"


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def build_inventory(operator: str, seed: int = 2024, stations: int | None = None,
                    last_month: date = date(2026, 12, 1)) -> list[_Station]:
    """The operator's stations; 5G dates follow the plan until the stations run out."""
    rng = random.Random(f"{seed}:{operator}:inventory")
    count = stations if stations is not None else STATIONS_DEFAULT[operator]
    weights = [d[3] for d in DISTRICTS]
    inventory = []
    for number in range(1, count + 1):
        name, lat, lon, _ = rng.choices(DISTRICTS, weights)[0]
        technologies = {"4G": _random_day(rng, date(2016, 1, 1), date(2023, 12, 31))}
        if rng.random() < 0.8:
            technologies["3G"] = _random_day(rng, date(2010, 1, 1), date(2017, 12, 31))
        if rng.random() < 0.55:
            technologies["2G"] = _random_day(rng, date(2006, 1, 1), date(2015, 12, 31))
        inventory.append(_Station(
            code=_station_code(operator, number), district=name,
            latitude=round(lat + rng.uniform(-0.03, 0.03), 6), longitude=round(lon + rng.uniform(-0.03, 0.03), 6),
            technologies=technologies, two_g_off_draw=rng.random()))
    # 5G: the k-th station of a shuffled order goes on air in the month the plan first reaches k.
    order = list(range(count))
    rng.shuffle(order)
    month, k = date(2024, 6, 1), 0
    while month <= last_month and k < count:
        target = min(five_g_on_air_by(operator, month), count)
        while k < target:
            day = _random_day(rng, month, _month_end(month))
            inventory[order[k]] = replace(inventory[order[k]], five_g_date=day)
            k += 1
        month = add_months(month, 1)
    # The new commune of each station (July 2025 on): its own stream, so nothing above moves.
    commune_rng = random.Random(f"{seed}:{operator}:communes")
    for i, station in enumerate(inventory):
        labels, shares = zip(*COMMUNES_BY_DISTRICT[station.district])
        inventory[i] = replace(station, commune=commune_rng.choices(labels, shares)[0])
    return inventory


def station_rows(operator: str, month: date, seed: int = 2024, stations: int | None = None) -> list[StationRow]:
    """Sheet `Tram` as it stands at the end of `month`."""
    month_end = _month_end(month)
    off_share = two_g_off_share(operator, month)
    rows = []
    for station in build_inventory(operator, seed, stations):
        unit = admin_unit_of(station, month)
        for technology in ("2G", "3G", "4G"):
            if technology not in station.technologies:
                continue
            status = ON_AIR
            if technology == "2G" and station.two_g_off_draw < off_share:
                status = SWITCHED_OFF
            rows.append(StationRow(station.code, technology, unit, station.latitude, station.longitude,
                                   status, station.technologies[technology]))
        if station.five_g_date is not None:
            go_live = _month(station.five_g_date)
            if station.five_g_date <= month_end:
                rows.append(StationRow(station.code, "5G", unit, station.latitude, station.longitude,
                                       ON_AIR, station.five_g_date))
            elif go_live == add_months(month, 1):
                rows.append(StationRow(station.code, "5G", unit, station.latitude, station.longitude,
                                       INSTALLED, None))
            elif go_live == add_months(month, 2):
                rows.append(StationRow(station.code, "5G", unit, station.latitude, station.longitude,
                                       BUILDING, None))
    return rows


def _split(value: int, shares: tuple[float, ...]) -> list[int]:
    """`value` in whole parts proportional to `shares` (largest remainder: the parts sum to `value`)."""
    exact = [value * s for s in shares]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: value - sum(parts)]:
        parts[i] += 1
    return parts


def subscriber_rows(operator: str, month: date, seed: int = 2024) -> list[SubscriberRow]:
    """Sheet `ThueBao`: subscribers per district at the end of `month`; from July 2025 per commune-level
    unit, each district's figures split across its new communes (so every total stays the same)."""
    months_since = (month.year - 2024) * 12 + month.month - 7
    rows = []
    for name, _, _, weight in DISTRICTS:
        rng = random.Random(f"{seed}:{operator}:{month:%Y%m}:{name}:subscribers")
        total = round(SUBSCRIBERS_BASE[operator] * weight * (1 + 0.002 * months_since) * rng.uniform(0.99, 1.01))
        share = two_g_only_share(operator, month) * rng.uniform(0.85, 1.15)
        rows.append(SubscriberRow(name, round(total * share), total))
    if month < REFORM_MONTH:
        return rows
    communes = {label: [0, 0] for label in COMMUNE_NAMES}
    for row in rows:
        labels, shares = zip(*COMMUNES_BY_DISTRICT[row.admin_unit])
        totals = _split(row.subscribers_total, shares)
        only_2g = _split(row.subscribers_2g_only, shares)
        for label, total, two_g in zip(labels, totals, only_2g):
            communes[label][0] += min(two_g, total)
            communes[label][1] += total
    return [SubscriberRow(label, two_g, total) for label, (two_g, total) in communes.items()]


def ground_truth(operator: str, month, seed: int = 2024, stations: int | None = None) -> MonthTruth:
    """What the IOC should see for one operator and month, from the model (not from a workbook)."""
    month = _month(month)
    rows = station_rows(operator, month, seed, stations)
    subscribers = subscriber_rows(operator, month, seed)
    return MonthTruth(
        stations_5g_on_air=len({r.station_code for r in rows if r.technology == "5G" and r.status == ON_AIR}),
        stations_2g_on_air=len({r.station_code for r in rows if r.technology == "2G" and r.status == ON_AIR}),
        subscribers_2g_only=sum(r.subscribers_2g_only for r in subscribers),
        subscribers_total=sum(r.subscribers_total for r in subscribers),
    )


# ------------------------------------------------------------------------------------------------
# Writing workbooks
# ------------------------------------------------------------------------------------------------

def _text(value: str, rng: random.Random, layout: Layout) -> str:
    return f"  {value} " if rng.random() < layout.padded_share else value


def _coordinate(value, rng: random.Random, layout: Layout):
    comma = rng.random() < layout.comma_share
    if isinstance(value, str):  # a formula or a bad text, written as it is (a fault)
        return value
    return f"{value:.6f}".replace(".", ",") if comma else value


def _write_title(ws, layout: Layout, month: date, width: int) -> int:
    """Title block in merged cells; returns the header's row number."""
    lines = [*layout.title, f"Đơn vị báo cáo: {layout.reporting_unit}", f"Kỳ báo cáo: {month:%m/%Y}"]
    for row, line in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=line)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    return len(lines) + layout.blank_rows + 1


def _tram_values(row: StationRow, layout: Layout, rng: random.Random) -> dict:
    if row.on_air_date is None or isinstance(row.on_air_date, str):  # a text as sent (a fault)
        on_air = row.on_air_date
    elif layout.excel_dates:
        on_air = row.on_air_date
    else:
        on_air = row.on_air_date.strftime("%d/%m/%Y")
    return {
        "Mã trạm": _text(row.station_code, rng, layout),
        "Công nghệ": row.technology,
        "Đơn vị hành chính": _text(row.admin_unit, rng, layout),
        "Vĩ độ": _coordinate(row.latitude, rng, layout),
        "Kinh độ": _coordinate(row.longitude, rng, layout),
        "Trạng thái": _text(row.status, rng, layout),
        "Ngày phát sóng": on_air,
    }


def _fill_sheet(ws, layout: Layout, month: date, columns: tuple[str, ...], records: list[dict], total: dict) -> None:
    header_row = _write_title(ws, layout, month, len(columns))
    for col, label in enumerate(columns, start=1):
        ws.cell(row=header_row, column=col, value=label)
    for index, record in enumerate(records, start=1):
        record = {**record, "STT": index}
        for col, label in enumerate(columns, start=1):
            cell = ws.cell(row=header_row + index, column=col, value=record.get(label))
            if isinstance(record.get(label), date):
                cell.number_format = "dd/mm/yyyy"
    label_column = columns[0]
    for col, label in enumerate(columns, start=1):
        value = "Tổng cộng" if label == label_column else total.get(label)
        ws.cell(row=header_row + len(records) + 1, column=col, value=value)


def workbook_bytes(operator: str, month: date, stations: list[StationRow], subscribers: list[SubscriberRow], *,
                   layout: Layout | None = None, seed: int = 2024, tram_sheet: str = "Tram") -> bytes:
    """One operator's monthly workbook (contract layout), as reproducible bytes."""
    layout = layout or LAYOUTS[operator]
    rng = random.Random(f"{seed}:{operator}:{month:%Y%m}:layout")
    wb = Workbook()
    tram = wb.active
    tram.title = tram_sheet
    _fill_sheet(tram, layout, month, layout.tram_columns, [_tram_values(r, layout, rng) for r in stations],
                {"Công nghệ": len(stations)})
    thuebao = wb.create_sheet("ThueBao")
    _fill_sheet(
        thuebao, layout, month, layout.thuebao_columns,
        [{"Đơn vị hành chính": _text(r.admin_unit, rng, layout), "Thuê bao chỉ dùng 2G": r.subscribers_2g_only,
          "Tổng thuê bao di động": r.subscribers_total} for r in subscribers],
        {"Thuê bao chỉ dùng 2G": sum(r.subscribers_2g_only for r in subscribers),
         "Tổng thuê bao di động": sum(r.subscribers_total for r in subscribers)})
    stamp = datetime.combine(add_months(month, 1), time(8, 0))
    wb.properties.creator = layout.reporting_unit
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _reproducible_zip(buffer.getvalue(), stamp)


def _reproducible_zip(data: bytes, stamp: datetime) -> bytes:
    """openpyxl stamps `modified` and every zip entry with the wall clock; pin both to `stamp`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                                 rb"<dcterms:modified\1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                                 + rb"</dcterms:modified>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, content)
    return out.getvalue()


def due_moment(month: date) -> datetime:
    """Reports are due before the 10th of the next month, 00:00 Vietnam time."""
    return datetime.combine(add_months(month, 1).replace(day=10), time(0, 0), VN)


def arrival(operator: str, month: date, seed: int = 2024) -> datetime:
    next_month = add_months(month, 1)
    if (operator, month) in LATE_ARRIVALS:
        day, hour = LATE_ARRIVALS[(operator, month)]
        return datetime.combine(next_month.replace(day=day), time(hour, 15), VN)
    rng = random.Random(f"{seed}:{operator}:{month:%Y%m}:arrival")
    first, last = ARRIVAL_DAYS[operator]
    return datetime.combine(next_month.replace(day=rng.randint(first, last)),
                            time(rng.randint(7, 17), rng.randrange(60)), VN)


def _faulty_month(operator: str, month: date, seed: int, stations: int | None, faults: OperatorFaults,
                  first_version: bool) -> tuple[bytes, str | None]:
    key = (operator, month)
    rows = station_rows(operator, month, seed, stations)
    fault = None
    if key in faults.corrected and first_version:
        # The first version forgets that the last tenth of the month's 5G stations went on air.
        five_g = [i for i, r in enumerate(rows) if r.technology == "5G" and r.status == ON_AIR]
        for i in five_g[-max(1, len(five_g) // 10):]:
            rows[i] = replace(rows[i], status=INSTALLED, on_air_date=None)
        fault = "corrected_later"
    if key in faults.unknown_district:
        # A 3G/4G-only station (so no KPI moves) keyed with a unit that does not exist that month: the
        # pre-2018 name of Phú Mỹ up to June 2025 (a ward again from July 2025), then a ward of Vũng
        # Tàu city merged into Tam Thắng on 1 July 2025.
        unknown = UNKNOWN_UNIT_BEFORE_REFORM if month < REFORM_MONTH else UNKNOWN_UNIT_AFTER_REFORM
        plain = {r.station_code for r in rows} - {r.station_code for r in rows if r.technology in ("2G", "5G")}
        if plain:
            victim = sorted(plain)[0]
            rows = [replace(r, admin_unit=unknown) if r.station_code == victim else r for r in rows]
        else:  # a small inventory where every station has 2G or 5G: add a 4G-only one
            rows.append(StationRow(_station_code(operator, 9999), "4G", unknown, 10.58, 107.05, ON_AIR,
                                   date(2019, 5, 20)))
        fault = "unknown_district"
    subscribers = subscriber_rows(operator, month, seed)
    if key in faults.unrelated_bad_cells:
        rows, subscribers = _unrelated_bad_cells(rows, subscribers, month)
        fault = "unrelated_bad_cells"
    if key in faults.formula_latitude:
        rows = _formula_latitude(rows)
        fault = "formula_latitude"
    content = workbook_bytes(operator, month, rows, subscribers, seed=seed,
                             tram_sheet="Trạm BTS" if key in faults.renamed_sheet else "Tram")
    if key in faults.renamed_sheet:
        fault = "renamed_sheet"
    if key in faults.truncated:
        content, fault = content[: len(content) // 2], "truncated"
    return content, fault


BAD_ON_AIR_DATE, BAD_LONGITUDE, FORMULA_LATITUDE = "31/02/2024", "107,2,5", "=10.4+0.1"


def _on_air_indexes(rows: list[StationRow], technology: str) -> list[int]:
    return [i for i, r in enumerate(rows) if r.technology == technology and r.status == ON_AIR]


def _unrelated_bad_cells(rows: list[StationRow], subscribers: list[SubscriberRow],
                         month: date) -> tuple[list[StationRow], list[SubscriberRow]]:
    """Bad cells that decide no KPI, in rows that do count (see OperatorFaults.unrelated_bad_cells)."""
    rows, subscribers = list(rows), list(subscribers)
    unknown = UNKNOWN_UNIT_BEFORE_REFORM if month < REFORM_MONTH else UNKNOWN_UNIT_AFTER_REFORM
    five_g, two_g = _on_air_indexes(rows, "5G"), _on_air_indexes(rows, "2G")
    if len(five_g) >= 2:
        rows[five_g[0]] = replace(rows[five_g[0]], on_air_date=BAD_ON_AIR_DATE)
        rows[five_g[1]] = replace(rows[five_g[1]], admin_unit=unknown)
    if two_g:
        rows[two_g[0]] = replace(rows[two_g[0]], longitude=BAD_LONGITUDE)
    if subscribers:
        subscribers[0] = replace(subscribers[0], admin_unit=f"Huyện {unknown}")
    return rows, subscribers


def _formula_latitude(rows: list[StationRow]) -> list[StationRow]:
    """`Vĩ độ` of the last 5G station on air written as a formula without a cached value."""
    rows = list(rows)
    five_g = _on_air_indexes(rows, "5G")
    if five_g:
        rows[five_g[-1]] = replace(rows[five_g[-1]], latitude=FORMULA_LATITUDE)
    return rows


def deliveries(operators=OPERATORS, months=DEFAULT_MONTHS, faults: OperatorFaults | None = None, seed: int = 2024,
               stations: int | None = None) -> list[tuple[str, date, int, datetime, bytes, str | None]]:
    """Every delivery, in arrival order: (operator, month, version, arrived_at, bytes, fault)."""
    faults = faults or OperatorFaults()
    out = []
    for operator in operators:
        for month in (_month(m) for m in months):
            arrived = arrival(operator, month, seed)
            content, fault = _faulty_month(operator, month, seed, stations, faults, first_version=True)
            out.append((operator, month, 1, arrived, content, fault))
            if (operator, month) in faults.corrected:
                fixed, _ = _faulty_month(operator, month, seed, stations, faults, first_version=False)
                out.append((operator, month, 2, arrived + faults.correction_delay, fixed, "correction"))
    return sorted(out, key=lambda d: d[3])


def delivered_files(operators=OPERATORS, months=DEFAULT_MONTHS, faults: OperatorFaults | None = None,
                    seed: int = 2024, stations: int | None = None,
                    as_of: datetime | None = None) -> list[tuple[str, datetime, bytes]]:
    """(file name, arrived_at, bytes) of every delivery that arrived by `as_of`, in arrival order: what
    the ground truth reads the operators' KPIs from (`truth.latest_reports`)."""
    return [(f"{operator}_{month:%Y%m}.xlsx", arrived, content)
            for operator, month, _, arrived, content, _ in deliveries(operators, months, faults, seed, stations)
            if as_of is None or arrived <= as_of]


def file_time(operator: str, month: date, version: int, arrived: datetime, faults: OperatorFaults) -> datetime:
    """The mtime a delivered file carries: its arrival, except a stale_mtime correction, which keeps the
    original workbook's creation time (8:00 on the first day of the next month)."""
    if version > 1 and (operator, month) in faults.stale_mtime:
        return datetime.combine(add_months(month, 1), time(8, 0), VN)
    return arrived


def fill_inbox(folder, operators=OPERATORS, months=DEFAULT_MONTHS, faults: OperatorFaults | None = None, *,
               seed: int = 2024, stations: int | None = None, as_of: datetime | None = None) -> list[DeliveredFile]:
    """Drop the workbooks that have arrived by `as_of` (default: all) into `folder`.

    A correction carries the same name as the file it replaces, so it overwrites it with a later
    mtime; to have both versions in raw, load between two fills (`as_of` before and after it).
    Returns the files now in the inbox. Re-filling writes byte-identical files.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    faults = faults or OperatorFaults()
    latest: dict[str, tuple] = {}
    for delivery in deliveries(operators, months, faults, seed, stations):
        if as_of is None or delivery[3] <= as_of:
            operator, month = delivery[0], delivery[1]
            latest[f"{operator}_{month:%Y%m}.xlsx"] = delivery
    delivered = []
    for name, (operator, month, version, arrived, content, fault) in sorted(latest.items()):
        path = folder / name
        if not path.exists() or path.read_bytes() != content:
            tmp = folder / f".{name}.part"
            tmp.write_bytes(content)
            os.replace(tmp, path)
        modified = file_time(operator, month, version, arrived, faults)
        os.utime(path, (modified.timestamp(), modified.timestamp()))
        delivered.append(DeliveredFile(path, operator, month, version, arrived, arrived < due_moment(month),
                                       hashlib.sha256(content).hexdigest(), len(content), fault,
                                       modified if modified != arrived else None))
    return delivered
