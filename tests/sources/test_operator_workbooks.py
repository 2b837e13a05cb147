"""The operator workbook reader on real XLSX files written by the simulator (no database).

A hand-made inventory of three stations is written in both operators' layouts, so every expected
value below is read off the inventory, not computed by the code under test.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from ioc_simulator.operators import (LAYOUTS, OperatorFaults, StationRow, SubscriberRow, deliveries,
                                              fill_inbox, ground_truth, workbook_bytes)
from ioc_pipeline.sources.operator_workbooks import (WorkbookRefused, parse_file_name, read_count, read_date,
                                                     read_decimal, read_workbook)

SEPT = date(2024, 9, 1)
STATIONS = [
    StationRow("S1", "2G", "Vũng Tàu", 10.3461, 107.0844, "Đang phát sóng", date(2010, 3, 15)),
    StationRow("S1", "4G", "Vũng Tàu", 10.3461, 107.0844, "Đang phát sóng", date(2018, 6, 1)),
    StationRow("S1", "5G", "Vũng Tàu", 10.3461, 107.0844, "Đang phát sóng", date(2024, 9, 12)),
    StationRow("S2", "2G", "Côn Đảo", 8.6827, 106.6094, "Đã tắt", date(2009, 1, 5)),
    StationRow("S2", "5G", "Côn Đảo", 8.6827, 106.6094, "Đã lắp đặt", None),
    StationRow("S3", "4G", "Châu Đức", 10.65, 107.25, "Đang phát sóng", date(2020, 2, 29)),
]
SUBSCRIBERS = [SubscriberRow("Vũng Tàu", 1200, 300000), SubscriberRow("Côn Đảo", 15, 6000)]


def _book(operator: str, *, layout=None, month=SEPT, stations=STATIONS, name=None, **kwargs):
    content = workbook_bytes(operator, month, stations, SUBSCRIBERS, layout=layout, **kwargs)
    return read_workbook(content, name or f"{operator}_{month:%Y%m}.xlsx"), content


def test_header_is_found_by_its_labels_at_different_rows_and_column_orders():
    viettel, _ = _book("viettel")
    vnpt, _ = _book("vnpt")
    # Viettel: 1 title line + Đơn vị + Kỳ + 1 blank -> header on row 5; VNPT: 2 + 2 + 2 blank -> row 7.
    assert [r.row_number for r in viettel.stations] == [6, 7, 8, 9, 10, 11]
    assert [r.row_number for r in vnpt.stations] == [8, 9, 10, 11, 12, 13]
    for book in (viettel, vnpt):
        assert [(r.station_code, r.technology, r.status) for r in book.stations] == [
            (s.station_code, s.technology, s.status) for s in STATIONS]
        assert all(r.problem is None for r in book.stations + book.subscribers)
    assert viettel.period_label == "Kỳ báo cáo: 09/2024"
    assert vnpt.reporting_unit == "VNPT Bà Rịa - Vũng Tàu"


def test_total_rows_are_skipped_and_subscriber_counts_read():
    book, content = _book("vnpt")
    sheet = load_workbook(io.BytesIO(content))["ThueBao"]
    assert [c.value for c in sheet[sheet.max_row]][:2] == ["Tổng cộng", None]   # it is there ...
    assert len(book.subscribers) == 2                                             # ... and not read
    assert [(s.admin_unit, s.subscribers_2g_only, s.subscribers_total) for s in book.subscribers] == [
        ("Vũng Tàu", 1200, 300000), ("Côn Đảo", 15, 6000)]
    assert len(book.stations) == 6


def test_excel_dates_and_text_dates_read_the_same():
    viettel, viettel_bytes = _book("viettel")
    vnpt, vnpt_bytes = _book("vnpt")
    assert isinstance(load_workbook(io.BytesIO(viettel_bytes))["Tram"]["G6"].value, datetime)
    assert load_workbook(io.BytesIO(vnpt_bytes))["Tram"]["F8"].value == "15/03/2010"
    expected = [s.on_air_date for s in STATIONS]
    assert [r.on_air_date for r in viettel.stations] == expected
    assert [r.on_air_date for r in vnpt.stations] == expected
    assert vnpt.stations[5].on_air_date == date(2020, 2, 29)


def test_comma_decimals_and_padded_text():
    layout = replace(LAYOUTS["vnpt"], comma_share=1.0, padded_share=1.0)
    book, content = _book("vnpt", layout=layout)
    sheet = load_workbook(io.BytesIO(content))["Tram"]
    assert sheet["G8"].value == "10,346100" and sheet["B8"].value == "  S1 "
    assert [(r.latitude, r.longitude) for r in book.stations][3] == (8.6827, 106.6094)
    assert book.stations[0].station_code == "S1" and book.stations[0].cells["Vĩ độ"] == "10,346100"
    assert book.stations[0].admin_unit == "Vũng Tàu"


def test_row_problems_are_kept_with_their_reason():
    rows = STATIONS + [StationRow("S4", "4G", "Tân Thành", 10.6, 107.05, "Đang phát sóng", None),
                       StationRow("S1", "4G", "Vũng Tàu", 10.3461, 107.0844, "Đang phát sóng", None),
                       StationRow("S5", "6G", "Huyện Xuyên Mộc", 10.56, 107.4, "Hoạt động", None)]
    book, _ = _book("viettel", stations=rows)
    problems = {r.station_code: r.problem for r in book.stations if r.problem}
    assert problems["S4"] == "Đơn vị hành chính: unknown district-level unit 'Tân Thành'"
    assert problems["S1"] == "listed twice in this sheet (first at row 7)"
    assert "Công nghệ: not one of 2G, 3G, 4G, 5G: '6G'" in problems["S5"]
    assert "Trạng thái" in problems["S5"]
    assert book.stations[-1].admin_unit == "Xuyên Mộc"     # "Huyện " prefix understood
    assert len(book.problems) == 3


def test_whole_file_refusals_say_why():
    good = workbook_bytes("viettel", SEPT, STATIONS, SUBSCRIBERS)
    with pytest.raises(WorkbookRefused, match="not a readable XLSX workbook"):
        read_workbook(good[: len(good) // 2], "viettel_202409.xlsx")
    with pytest.raises(WorkbookRefused, match=r"sheet 'Tram' missing \(sheets found: Trạm BTS, ThueBao\)"):
        read_workbook(workbook_bytes("viettel", SEPT, STATIONS, SUBSCRIBERS, tram_sheet="Trạm BTS"),
                      "viettel_202409.xlsx")
    with pytest.raises(WorkbookRefused, match="title says 'Kỳ báo cáo: 09/2024' but the file name says 10/2024"):
        read_workbook(good, "viettel_202410.xlsx")
    with pytest.raises(WorkbookRefused, match="is not <viettel|vnpt>"):
        read_workbook(good, "mobifone_202409.xlsx")
    drifted = replace(LAYOUTS["viettel"], tram_columns=tuple(c for c in LAYOUTS["viettel"].tram_columns
                                                             if c != "Trạng thái"))
    with pytest.raises(WorkbookRefused, match=r"sheet 'Tram': no header row .* \(missing: Trạng thái\)"):
        read_workbook(workbook_bytes("viettel", SEPT, STATIONS, SUBSCRIBERS, layout=drifted), "viettel_202409.xlsx")


def test_value_formats():
    assert parse_file_name("VNPT_202412.xlsx") == ("vnpt", date(2024, 12, 1))
    assert read_decimal("10,5") == 10.5 and read_decimal(" 107.25 ") == 107.25
    assert read_count("12.345") == 12345 and read_count(12.0) == 12
    assert read_date("05/01/2024") == date(2024, 1, 5) and read_date(45292) == date(2024, 1, 1)
    with pytest.raises(ValueError):
        read_date("31/02/2024")


def test_simulator_is_reproducible_and_matches_its_ground_truth(tmp_path):
    first = fill_inbox(tmp_path / "a", months=[SEPT], stations=30)
    second = fill_inbox(tmp_path / "b", months=[SEPT], stations=30)
    assert [f.sha256 for f in first] == [f.sha256 for f in second]
    assert [f.path.name for f in first] == ["viettel_202409.xlsx", "vnpt_202409.xlsx"]
    for delivered in first:
        book = read_workbook(delivered.path.read_bytes(), delivered.path.name)
        truth = ground_truth(delivered.operator, SEPT, stations=30)
        on_air_5g = {r.station_code for r in book.stations if r.technology == "5G" and r.status == "Đang phát sóng"}
        assert len(on_air_5g) == truth.stations_5g_on_air
        assert sum(r.subscribers_total for r in book.subscribers) == truth.subscribers_total
        assert delivered.path.stat().st_mtime == delivered.arrived_at.timestamp()


def test_default_plan_viettel_on_plan_vnpt_behind():
    assert ground_truth("viettel", "2024-12").stations_5g_on_air == 140
    assert ground_truth("vnpt", "2024-12").stations_5g_on_air == 45
    assert ground_truth("viettel", "2024-09").subscribers_2g_only > ground_truth("viettel", "2024-10").subscribers_2g_only
    faults = OperatorFaults.of(corrected=[("viettel", "2024-09")])
    versions = [d for d in deliveries(months=[SEPT], faults=faults) if d[0] == "viettel"]
    assert [v[2] for v in versions] == [1, 2] and versions[1][3] > versions[0][3]


# --- after the 1 July 2025 reform: commune-level units ------------------------------------------------

AUG_2025 = date(2025, 8, 1)


def test_commune_level_units_are_checked_from_july_2025():
    rows = [
        StationRow("C1", "4G", "Phường Tam Thắng", 10.35, 107.08, "Đang phát sóng", date(2018, 6, 1)),
        StationRow("C2", "4G", "P. Rạch Dừa", 10.37, 107.09, "Đang phát sóng", date(2018, 6, 1)),
        StationRow("C3", "4G", "Long Sơn", 10.45, 107.0, "Đang phát sóng", date(2018, 6, 1)),     # bare name
        StationRow("C4", "5G", "đặc khu Côn Đảo", 8.68, 106.61, "Đang phát sóng", date(2025, 7, 3)),
        StationRow("C5", "4G", "Phường Tân Thành", 10.58, 107.05, "Đang phát sóng", date(2019, 5, 20)),
        StationRow("X1", "4G", "Phường 7", 10.35, 107.08, "Đang phát sóng", None),         # merged into Tam Thắng
        StationRow("X2", "4G", "Huyện Xuyên Mộc", 10.56, 107.4, "Đang phát sóng", None),   # no districts any more
        StationRow("X3", "4G", "Xã Vũng Tàu", 10.35, 107.08, "Đang phát sóng", None),      # Vũng Tàu is a ward
    ]
    subscribers = [SubscriberRow("Phường Vũng Tàu", 100, 90000), SubscriberRow("Vũng Tàu", 1, 10),
                   SubscriberRow("Xuyên Mộc", 5, 4000), SubscriberRow("Thị xã Phú Mỹ", 7, 8000)]
    for operator in ("viettel", "vnpt"):
        book = read_workbook(workbook_bytes(operator, AUG_2025, rows, subscribers), f"{operator}_202508.xlsx")
        units = {r.station_code: (r.admin_unit, r.problem) for r in book.stations}
        assert units["C1"] == ("Phường Tam Thắng", None) and units["C2"] == ("Phường Rạch Dừa", None)
        assert units["C3"] == ("Xã Long Sơn", None) and units["C4"] == ("Đặc khu Côn Đảo", None)
        assert units["C5"] == ("Phường Tân Thành", None)     # a district's old name, a ward again from July 2025
        for code, name in (("X1", "Phường 7"), ("X2", "Huyện Xuyên Mộc"), ("X3", "Xã Vũng Tàu")):
            assert units[code] == (name, f"Đơn vị hành chính: unknown commune-level unit {name!r}")
        assert [(s.admin_unit, s.problem) for s in book.subscribers] == [
            ("Phường Vũng Tàu", None),
            ("Phường Vũng Tàu", "listed twice in this sheet (first at row %d)" % book.subscribers[0].row_number),
            ("Xã Xuyên Mộc", None),
            ("Thị xã Phú Mỹ", "Đơn vị hành chính: unknown commune-level unit 'Thị xã Phú Mỹ'")]
    # The same names in a June 2025 report are districts, checked as before.
    june = read_workbook(workbook_bytes("viettel", date(2025, 6, 1), rows, subscribers), "viettel_202506.xlsx")
    assert {r.station_code for r in june.stations if r.problem} == {"C1", "C2", "C3", "C4", "C5", "X1", "X3"}
    assert [s.admin_unit for s in june.subscribers if not s.problem] == ["Vũng Tàu", "Xuyên Mộc", "Phú Mỹ"]


def test_reader_knows_the_simulated_worlds_communes_and_the_fault_after_the_reform(tmp_path):
    from ioc_simulator.operators import COMMUNE_NAMES
    from ioc_pipeline.sources.operator_workbooks import COMMUNES

    assert [f"{kind} {name}" for kind, name in COMMUNES] == list(COMMUNE_NAMES)
    faults = OperatorFaults.of(unknown_district=[("viettel", "2025-08"), ("vnpt", "2025-06")])
    files = fill_inbox(tmp_path, months=[date(2025, 6, 1), AUG_2025], faults=faults, stations=30)
    for f in files:
        book = read_workbook(f.path.read_bytes(), f.path.name)
        if f.fault == "unknown_district":
            name = "Phường 7" if f.report_month == AUG_2025 else "Tân Thành"
            kind = "commune-level" if f.report_month == AUG_2025 else "district-level"
            assert [p for _, _, p in book.problems] == [f"Đơn vị hành chính: unknown {kind} unit {name!r}"]
        else:
            assert book.problems == []


def _with_formula(content: bytes, sheet: str, label: str, row_offset: int, formula: str) -> bytes:
    """The workbook with the cell under `label`, `row_offset` rows below the header, replaced by a
    formula, saved by openpyxl, which writes formulas without a cached value (as some tools do)."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb[sheet]
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label:
                ws.cell(row=cell.row + row_offset, column=cell.column, value=formula)
                out = io.BytesIO()
                wb.save(out)
                return out.getvalue()
    raise AssertionError(f"{label} not found")


def test_formula_without_cached_value_is_a_problem_never_a_silent_empty_cell():
    _, content = _book("viettel")
    content = _with_formula(content, "Tram", "Vĩ độ", 3, "=10.4+0.1")      # S1 5G
    content = _with_formula(content, "ThueBao", "Tổng thuê bao di động", 2, "=6000*1")  # Côn Đảo
    cached = load_workbook(io.BytesIO(content), data_only=True)
    assert any("=10.4+0.1" == c.value for row in load_workbook(io.BytesIO(content))["Tram"].iter_rows()
               for c in row)
    assert all(c.value != 10.5 for row in cached["Tram"].iter_rows() for c in row)  # no cached value
    book = read_workbook(content, "viettel_202409.xlsx")
    s1_5g = book.stations[2]
    assert (s1_5g.station_code, s1_5g.technology, s1_5g.status) == ("S1", "5G", "Đang phát sóng")
    assert s1_5g.latitude is None
    assert s1_5g.problem == "formula without cached value in Vĩ độ ('=10.4+0.1')"
    assert s1_5g.cells["Vĩ độ"] == "=10.4+0.1"
    assert [r.problem for i, r in enumerate(book.stations) if i != 2] == [None] * 5
    con_dao = book.subscribers[1]
    assert (con_dao.admin_unit, con_dao.subscribers_2g_only, con_dao.subscribers_total) == ("Côn Đảo", 15, None)
    assert con_dao.problem == "formula without cached value in Tổng thuê bao di động ('=6000*1')"
    assert book.subscribers[0].problem is None


def test_formula_with_a_cached_value_reads_the_value():
    """A formula that its writer computed (the cached value is in the file) is read as that value."""
    _, content = _book("viettel")
    with_formula = _with_formula(content, "Tram", "Vĩ độ", 3, "=10.4+0.1")
    # write the cached value into the sheet XML the way Excel does: <f>..</f><v>10.5</v>
    import re
    import zipfile
    src = zipfile.ZipFile(io.BytesIO(with_formula))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<f>10\.4\+0\.1</f><v\s*/>|<f>10\.4\+0\.1</f>(?!<v>)", b"<f>10.4+0.1</f><v>10.5</v>",
                              data)
            dst.writestr(item, data)
    book = read_workbook(out.getvalue(), "viettel_202409.xlsx")
    assert book.stations[2].latitude == 10.5 and book.stations[2].problem is None
