"""Read an operator's monthly XLSX report (docs/contracts/sources.md §3) into typed rows.

Operators lay their workbooks out as they please: the table starts wherever its header labels are,
columns come in any order, dates are Excel dates or `dd/MM/yyyy` text, coordinates may use a comma.
So every sheet is read by its labels. Two kinds of trouble are kept apart:

- the file as a whole cannot be trusted (not a workbook, a sheet or a required column missing, the
  period in the title contradicting the file name): `WorkbookRefused`, with a reason a person can act
  on. Schema drift must fail loudly rather than load a half-understood file;
- one row cannot be used (unknown technology, unreadable date, unknown district or commune, a
  station listed twice): the row is still returned, with its `problem`, so nothing is silently dropped.

Cells are read as the workbook last showed them (openpyxl `data_only`: a formula's cached value). A
formula cell without a cached value (a file written by a tool that does not compute formulas, e.g.
`=10.4+0.1` in Vĩ độ) would read as empty: such a cell is a problem of its row, "formula without
cached value in <column>", never a silent empty value. The formula is not computed.

`Đơn vị hành chính` is checked against the units of the report month: the eight district-level units
up to June 2025 (returned bare, `Vũng Tàu`), the 30 commune-level units of the former province from
July 2025 (returned with their kind, `Phường Vũng Tàu`, `Xã Long Sơn`, `Đặc khu Côn Đảo`).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

FILE_NAME = re.compile(r"^(viettel|vnpt)_(\d{4})(\d{2})\.xlsx$", re.IGNORECASE)
PERIOD = re.compile(r"k[ỳy]\s*b[áa]o\s*c[áa]o\s*:?\s*(\d{1,2})\s*[/.-]\s*(\d{4})", re.IGNORECASE)
REPORTING_UNIT = re.compile(r"đơn\s*vị\s*báo\s*cáo\s*:\s*(.+)", re.IGNORECASE)
HEADER_SEARCH_ROWS = 40

TECHNOLOGIES = ("2G", "3G", "4G", "5G")
STATUSES = {"đang phát sóng": "Đang phát sóng", "đã lắp đặt": "Đã lắp đặt", "đang thi công": "Đang thi công",
            "đã tắt": "Đã tắt"}
# District-level units of Bà Rịa – Vũng Tàu, valid for report months up to June 2025 (the district
# level ended on 1 July 2025; later reports name commune-level units).
DISTRICTS = ("Vũng Tàu", "Bà Rịa", "Phú Mỹ", "Long Điền", "Đất Đỏ", "Xuyên Mộc", "Châu Đức", "Côn Đảo")
LAST_DISTRICT_MONTH = date(2025, 6, 1)
UNIT_PREFIXES = re.compile(r"^(thành phố|tp\.?|thị xã|tx\.?|huyện|h\.)\s+", re.IGNORECASE)
# Commune-level units of the former province from 1 July 2025 (now in Ho Chi Minh City, resolution
# 1685/NQ-UBTVQH15, docs/domain.md §6.2), as (kind, name), the same 30 as the simulator's world (a test
# keeps them equal; to be checked against Decision 19/2025/QĐ-TTg). Names are unique: a bare name
# is enough to know the unit.
COMMUNES = (
    ("Phường", "Vũng Tàu"), ("Phường", "Tam Thắng"), ("Phường", "Rạch Dừa"), ("Phường", "Phước Thắng"),
    ("Xã", "Long Sơn"), ("Phường", "Bà Rịa"), ("Phường", "Long Hương"), ("Phường", "Tam Long"),
    ("Phường", "Phú Mỹ"), ("Phường", "Tân Thành"), ("Phường", "Tân Phước"), ("Phường", "Tân Hải"),
    ("Xã", "Châu Pha"), ("Xã", "Ngãi Giao"), ("Xã", "Bình Giã"), ("Xã", "Kim Long"), ("Xã", "Châu Đức"),
    ("Xã", "Xuân Sơn"), ("Xã", "Nghĩa Thành"), ("Xã", "Hồ Tràm"), ("Xã", "Xuyên Mộc"), ("Xã", "Hòa Hội"),
    ("Xã", "Bàu Lâm"), ("Xã", "Bình Châu"), ("Xã", "Hòa Hiệp"), ("Xã", "Phước Hải"), ("Xã", "Long Hải"),
    ("Xã", "Đất Đỏ"), ("Xã", "Long Điền"), ("Đặc khu", "Côn Đảo"),
)
COMMUNE_PREFIXES = (("Phường", re.compile(r"^(phường|p\.)\s*", re.IGNORECASE)),
                    ("Xã", re.compile(r"^(xã|x\.)\s*", re.IGNORECASE)),
                    ("Đặc khu", re.compile(r"^(đặc khu|đk\.)\s*", re.IGNORECASE)))

TRAM_COLUMNS = {
    "station_code": "Mã trạm", "technology": "Công nghệ", "admin_unit": "Đơn vị hành chính",
    "latitude": "Vĩ độ", "longitude": "Kinh độ", "status": "Trạng thái", "on_air_date": "Ngày phát sóng",
}
THUEBAO_COLUMNS = {
    "admin_unit": "Đơn vị hành chính", "subscribers_2g_only": "Thuê bao chỉ dùng 2G",
    "subscribers_total": "Tổng thuê bao di động",
}


class WorkbookRefused(ValueError):
    """Why a whole file cannot be loaded."""


class _Unreadable(ValueError):
    pass


def _norm(value) -> str:
    """Labels compared the way a person reads them: NFC, case- and spacing-insensitive."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip().casefold()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip()
    return text or None


@dataclass(frozen=True)
class StationRecord:
    row_number: int
    cells: dict            # header label -> the cell as text (what was sent)
    station_code: str | None
    technology: str | None
    admin_unit: str | None
    latitude: float | None
    longitude: float | None
    status: str | None
    on_air_date: date | None
    problem: str | None = None


@dataclass(frozen=True)
class SubscriberRecord:
    row_number: int
    cells: dict
    admin_unit: str | None
    subscribers_2g_only: int | None
    subscribers_total: int | None
    problem: str | None = None


@dataclass(frozen=True)
class SheetTotal:
    """A sheet's `Tổng cộng` row, kept apart: never a station or a unit, only the operator's own totals
    for reconciliation. `stated_rows` (Tram) is the one count written in the row; the subscriber sums
    (ThueBao) are read from their columns. A number that cannot be read stays None."""
    sheet: str
    row_number: int
    cells: dict
    stated_rows: int | None = None
    subscribers_2g_only: int | None = None
    subscribers_total: int | None = None


@dataclass
class OperatorWorkbook:
    operator: str
    report_month: date
    file_name: str
    period_label: str | None
    reporting_unit: str | None
    stations: list[StationRecord] = field(default_factory=list)
    subscribers: list[SubscriberRecord] = field(default_factory=list)
    totals: list["SheetTotal"] = field(default_factory=list)

    @property
    def problems(self) -> list[tuple[str, int, str]]:
        return [("Tram", r.row_number, r.problem) for r in self.stations if r.problem] + \
               [("ThueBao", r.row_number, r.problem) for r in self.subscribers if r.problem]


def parse_file_name(name: str) -> tuple[str, date]:
    """`<operator>_<YYYYMM>.xlsx` -> (operator, first day of the report month)."""
    match = FILE_NAME.match(name)
    if not match:
        raise WorkbookRefused(f"file name {name!r} is not <viettel|vnpt>_<YYYYMM>.xlsx")
    operator, year, month = match.group(1).lower(), int(match.group(2)), int(match.group(3))
    if not 1 <= month <= 12:
        raise WorkbookRefused(f"file name {name!r}: month {month:02d} does not exist")
    return operator, date(year, month, 1)


def read_decimal(value) -> float:
    if isinstance(value, bool):
        raise _Unreadable(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"[+-]?\d+([.,]\d+)?", text):
        return float(text.replace(",", "."))
    raise _Unreadable(f"not a decimal number: {value!r}")


def read_count(value) -> int:
    if isinstance(value, bool):
        raise _Unreadable(f"not a count: {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = str(value).strip().replace(" ", "")
        # 12.345 / 12,345 / 12 345: thousands separators, never decimals, in a head count.
        if not re.fullmatch(r"\d{1,3}([.,]\d{3})+|\d+", text):
            raise _Unreadable(f"not a count: {value!r}")
        number = int(re.sub(r"[.,]", "", text))
    if number < 0:
        raise _Unreadable(f"negative count: {value!r}")
    return number


def read_date(value) -> date:
    """An Excel date cell, a `dd/MM/yyyy` text, an ISO date, or an unformatted Excel serial."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_excel(value).date()
    text = str(value).strip()
    for pattern in (r"(\d{1,2})/(\d{1,2})/(\d{4})", r"(\d{1,2})-(\d{1,2})-(\d{4})", r"(\d{1,2})\.(\d{1,2})\.(\d{4})"):
        match = re.fullmatch(pattern, text)
        if match:
            day, month, year = (int(g) for g in match.groups())
            break
    else:
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
        if not match:
            raise _Unreadable(f"not a date (dd/MM/yyyy): {value!r}")
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise _Unreadable(f"impossible date: {value!r}") from None


def canonical_commune(name: str) -> str:
    """`Phường Tam Thắng` / `P. Tam Thắng` / `Tam Thắng` -> `Phường Tam Thắng`; a kind that contradicts
    the unit (`Xã Vũng Tàu`), a district (`Huyện Xuyên Mộc`) or a merged-away ward is unknown."""
    kind, bare = None, name
    for prefix_kind, prefix in COMMUNE_PREFIXES:
        if prefix.match(name):
            kind, bare = prefix_kind, prefix.sub("", name)
            break
    for unit_kind, unit_name in COMMUNES:
        if _norm(bare) == _norm(unit_name) and kind in (None, unit_kind):
            return f"{unit_kind} {unit_name}"
    raise _Unreadable(f"unknown commune-level unit {name!r}")


def canonical_district(name: str | None, report_month: date) -> str:
    """The administrative unit of a row: a district up to June 2025, a commune-level unit after."""
    if not name:
        raise _Unreadable("Đơn vị hành chính is empty")
    if report_month > LAST_DISTRICT_MONTH:
        return canonical_commune(name)
    bare = UNIT_PREFIXES.sub("", name)
    for district in DISTRICTS:
        if _norm(bare) == _norm(district):
            return district
    raise _Unreadable(f"unknown district-level unit {name!r}")


def _find_header(rows: list[tuple], sheet: str, labels: dict[str, str]) -> tuple[int, dict[str, int]]:
    """The first row holding every required label; returns (index into rows, field -> column)."""
    wanted = {field_: _norm(label) for field_, label in labels.items()}
    best_missing = sorted(labels.values())
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        positions = {}
        for col, value in enumerate(row):
            if value is not None:
                positions.setdefault(_norm(value), col)
        missing = [labels[f] for f, label in wanted.items() if label not in positions]
        if not missing:
            return index, {f: positions[label] for f, label in wanted.items()}
        if len(missing) < len(best_missing):
            best_missing = missing
    raise WorkbookRefused(f"sheet {sheet!r}: no header row with the labels {', '.join(labels.values())} "
                          f"in its first {HEADER_SEARCH_ROWS} rows (missing: {', '.join(best_missing)})")


def _is_total(row: tuple) -> bool:
    return any(isinstance(v, str) and _norm(v).startswith("tổng cộng") for v in row)


def _count_or_none(value) -> int | None:
    try:
        return None if _text(value) is None else read_count(value)
    except _Unreadable:
        return None


def _total_row(rows: list[tuple], sheet: str, labels: dict[str, str]) -> SheetTotal | None:
    """The sheet's `Tổng cộng` row after the header, if it has one (the last one when several)."""
    header_index, columns = _find_header(rows, sheet, labels)
    header = rows[header_index]
    found = None
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        if not _is_total(row):
            continue
        cells = {_text(label): _text(row[c]) for c, label in enumerate(header)
                 if label is not None and c < len(row) and _text(row[c]) is not None}
        if sheet == "Tram":
            counts = [n for c, v in enumerate(row) if c < len(header) and header[c] is not None
                      and _norm(header[c]) != "stt" and (n := _count_or_none(v)) is not None]
            found = SheetTotal(sheet, index + 1, cells, stated_rows=counts[0] if len(counts) == 1 else None)
        else:
            get = lambda f: row[columns[f]] if columns[f] < len(row) else None  # noqa: E731
            found = SheetTotal(sheet, index + 1, cells,
                               subscribers_2g_only=_count_or_none(get("subscribers_2g_only")),
                               subscribers_total=_count_or_none(get("subscribers_total")))
    return found


def _data_rows(rows: list[tuple], sheet: str, labels: dict[str, str], uncached: dict | None = None):
    """(row number, field -> raw value, header label -> text, field -> uncached formula) for each table
    row after the header. `uncached` maps (row index, column index) to the formula text of a formula
    cell that has no cached value (its value in `rows` is None)."""
    uncached = uncached or {}
    header_index, columns = _find_header(rows, sheet, labels)
    header = rows[header_index]
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        formulas = {c: f for (r, c), f in uncached.items() if r == index} if uncached else {}
        if (all(_text(v) is None for v in row) and not formulas) or _is_total(row):
            continue
        values = {f: (row[c] if c < len(row) else None) for f, c in columns.items()}
        cells = {_text(label): _text(row[c]) if _text(row[c]) is not None else formulas.get(c)
                 for c, label in enumerate(header)
                 if label is not None and c < len(row) and (_text(row[c]) is not None or c in formulas)}
        missing = {f: formulas[c] for f, c in columns.items() if c in formulas}
        yield index + 1, values, cells, missing


def _formula_problems(missing: dict[str, str], labels: dict[str, str]) -> list[str]:
    return [f"formula without cached value in {labels[f]} ({formula!r})" for f, formula in missing.items()]


def _station(row_number: int, values: dict, cells: dict, report_month: date,
             missing: dict | None = None) -> StationRecord:
    problems = _formula_problems(missing or {}, TRAM_COLUMNS)

    def attempt(read, value, label):
        if _text(value) is None:
            return None
        try:
            return read(value)
        except _Unreadable as exc:
            problems.append(f"{label}: {exc}")
            return None

    code = _text(values["station_code"])
    if code is None:
        problems.append("Mã trạm is empty")
    technology = (_text(values["technology"]) or "").upper() or None
    if technology not in TECHNOLOGIES:
        problems.append(f"Công nghệ: not one of {', '.join(TECHNOLOGIES)}: {values['technology']!r}")
        technology = None
    admin_unit = _text(values["admin_unit"])
    try:
        admin_unit = canonical_district(admin_unit, report_month)
    except _Unreadable as exc:
        problems.append(f"Đơn vị hành chính: {exc}")
    status = STATUSES.get(_norm(values["status"])) if _text(values["status"]) else None
    if status is None:
        problems.append(f"Trạng thái: not one of {', '.join(STATUSES.values())}: {values['status']!r}")
    latitude = attempt(read_decimal, values["latitude"], "Vĩ độ")
    longitude = attempt(read_decimal, values["longitude"], "Kinh độ")
    if latitude is not None and not -90 <= latitude <= 90:
        problems.append(f"Vĩ độ: out of range: {latitude}")
        latitude = None
    if longitude is not None and not -180 <= longitude <= 180:
        problems.append(f"Kinh độ: out of range: {longitude}")
        longitude = None
    on_air = attempt(read_date, values["on_air_date"], "Ngày phát sóng")
    return StationRecord(row_number, cells, code, technology, admin_unit, latitude, longitude, status, on_air,
                         "; ".join(problems) or None)


def _subscriber(row_number: int, values: dict, cells: dict, report_month: date,
                missing: dict | None = None) -> SubscriberRecord:
    problems = _formula_problems(missing or {}, THUEBAO_COLUMNS)
    admin_unit = _text(values["admin_unit"])
    try:
        admin_unit = canonical_district(admin_unit, report_month)
    except _Unreadable as exc:
        problems.append(f"Đơn vị hành chính: {exc}")
    counts = {}
    for name in ("subscribers_2g_only", "subscribers_total"):
        label = THUEBAO_COLUMNS[name]
        if _text(values[name]) is None:
            if name not in (missing or {}):
                problems.append(f"{label} is empty")
            counts[name] = None
            continue
        try:
            counts[name] = read_count(values[name])
        except _Unreadable as exc:
            problems.append(f"{label}: {exc}")
            counts[name] = None
    if None not in counts.values() and counts["subscribers_2g_only"] > counts["subscribers_total"]:
        problems.append("Thuê bao chỉ dùng 2G exceeds Tổng thuê bao di động")
    return SubscriberRecord(row_number, cells, admin_unit, counts["subscribers_2g_only"],
                            counts["subscribers_total"], "; ".join(problems) or None)


def _title_block(rows: list[tuple]) -> tuple[str | None, str | None]:
    period = unit = None
    for row in rows[:HEADER_SEARCH_ROWS]:
        for value in row:
            if not isinstance(value, str):
                continue
            if period is None and PERIOD.search(value):
                period = _text(value)
            match = REPORTING_UNIT.search(value)
            if unit is None and match:
                unit = _text(match.group(1))
    return period, unit


def _mark_duplicates(records: list, key) -> list:
    seen: dict = {}
    out = []
    for record in records:
        k = key(record)
        if record.problem is None and k is not None and k in seen:
            record = replace(record, problem=f"listed twice in this sheet (first at row {seen[k]})")
        elif record.problem is None and k is not None:
            seen[k] = record.row_number
        out.append(record)
    return out


FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _may_hold_formulas(content: bytes) -> bool:
    """Whether some worksheet of the XLSX has a formula element (`<f>`): a cheap scan of the zip, so
    that a workbook without formulas (the usual case) is opened once."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return any(FORMULA_ELEMENT.search(archive.read(name))
                       for name in archive.namelist() if name.startswith("xl/worksheets/"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return False


def _uncached_formulas(content: bytes, sheet_names: list[str], valued: dict[str, list[tuple]]) -> dict[str, dict]:
    """Per sheet, (row index, column index) -> formula text of every formula cell whose cached value
    is missing (read as None with data_only)."""
    found: dict[str, dict] = {name: {} for name in sheet_names}
    if not _may_hold_formulas(content):
        return found
    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    try:
        for name in sheet_names:
            rows = valued[name]
            for r, row in enumerate(wb[name].iter_rows(values_only=True)):
                for c, value in enumerate(row):
                    if isinstance(value, str) and value.startswith("=") and r < len(rows) \
                            and (c >= len(rows[r]) or rows[r][c] is None):
                        found[name][(r, c)] = value
    finally:
        wb.close()
    return found


def read_workbook(content: bytes, file_name: str) -> OperatorWorkbook:
    """Typed rows of both sheets, or `WorkbookRefused` for a file that cannot be trusted."""
    operator, report_month = parse_file_name(file_name)
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise WorkbookRefused(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        sheets = {_norm(name): name for name in wb.sheetnames}
        missing = [s for s in ("Tram", "ThueBao") if _norm(s) not in sheets]
        if missing:
            raise WorkbookRefused(f"sheet {' and '.join(repr(m) for m in missing)} missing "
                                  f"(sheets found: {', '.join(wb.sheetnames)})")
        tram = [tuple(r) for r in wb[sheets["tram"]].iter_rows(values_only=True)]
        thuebao = [tuple(r) for r in wb[sheets["thuebao"]].iter_rows(values_only=True)]
        uncached = _uncached_formulas(content, [sheets["tram"], sheets["thuebao"]],
                                      {sheets["tram"]: tram, sheets["thuebao"]: thuebao})
    except WorkbookRefused:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise WorkbookRefused(f"workbook cannot be read ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    period, unit = _title_block(tram)
    if period:
        match = PERIOD.search(period)
        month, year = int(match.group(1)), int(match.group(2))
        if (year, month) != (report_month.year, report_month.month):
            raise WorkbookRefused(f"title says {period!r} but the file name says {report_month:%m/%Y}")
    book = OperatorWorkbook(operator, report_month, file_name, period, unit)
    book.stations = _mark_duplicates(
        [_station(n, v, c, report_month, m)
         for n, v, c, m in _data_rows(tram, "Tram", TRAM_COLUMNS, uncached[sheets["tram"]])],
        key=lambda r: (r.station_code, r.technology) if r.station_code and r.technology else None)
    book.subscribers = _mark_duplicates(
        [_subscriber(n, v, c, report_month, m)
         for n, v, c, m in _data_rows(thuebao, "ThueBao", THUEBAO_COLUMNS, uncached[sheets["thuebao"]])],
        key=lambda r: r.admin_unit)
    book.totals = [t for t in (_total_row(tram, "Tram", TRAM_COLUMNS),
                               _total_row(thuebao, "ThueBao", THUEBAO_COLUMNS)) if t is not None]
    return book


def read_workbook_file(path: Path) -> OperatorWorkbook:
    return read_workbook(Path(path).read_bytes(), Path(path).name)
