"""The operators' workbooks as the ground truth reads them, and the fault knobs behind issue 9 fixes 1-3."""

from __future__ import annotations

import io
import os
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from ioc_simulator.operators import (
    BAD_LONGITUDE,
    BAD_ON_AIR_DATE,
    FORMULA_LATITUDE,
    VN,
    OperatorFaults,
    delivered_files,
    fill_inbox,
    ground_truth,
    months_between,
)
from ioc_simulator.truth import kpi_2g_monthly, kpi_5g_monthly, latest_reports, read_operator_workbook

MONTHS = months_between(date(2024, 7, 1), date(2025, 1, 1))
SEP, OCT = date(2024, 9, 1), date(2024, 10, 1)


def _rows(content: bytes, sheet: str, data_only: bool) -> list[tuple]:
    book = load_workbook(io.BytesIO(content), data_only=data_only)
    try:
        return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def test_the_truth_read_from_the_workbooks_equals_the_operators_model():
    reports = latest_reports(delivered_files(months=MONTHS))
    five, two = kpi_5g_monthly(reports), kpi_2g_monthly(reports)
    for month in MONTHS:
        for operator in ("viettel", "vnpt"):
            model = ground_truth(operator, month)
            assert five[(month, operator)]["stations_5g_on_air"] == model.stations_5g_on_air
            assert (two[(month, operator)]["stations_2g_on_air"], two[(month, operator)]["subscribers_2g_only"],
                    two[(month, operator)]["subscribers_total"]) == (
                model.stations_2g_on_air, model.subscribers_2g_only, model.subscribers_total)


def test_unrelated_bad_cells_do_not_drop_a_station_or_a_unit():
    faults = OperatorFaults.of(unrelated_bad_cells=[("vnpt", "202409")])
    [(name, arrived, content)] = [d for d in delivered_files(months=[SEP], faults=faults) if d[0].startswith("vnpt")]
    text = {str(v) for row in _rows(content, "Tram", data_only=True) for v in row if v is not None}
    assert BAD_ON_AIR_DATE in text and BAD_LONGITUDE in text and "Tân Thành" in text
    assert "Huyện Tân Thành" in {str(v).strip() for row in _rows(content, "ThueBao", True) for v in row if v}
    report = read_operator_workbook(content, name, arrived)
    model = ground_truth("vnpt", SEP)
    assert (report.on_air("5G"), report.on_air("2G")) == (model.stations_5g_on_air, model.stations_2g_on_air)
    assert (report.subscribers_2g_only, report.subscribers_total) == (model.subscribers_2g_only,
                                                                      model.subscribers_total)


def test_a_formula_cell_is_written_without_a_cached_value():
    faults = OperatorFaults.of(formula_latitude=[("viettel", "202409")])
    [(name, arrived, content)] = [d for d in delivered_files(months=[SEP], faults=faults) if d[0].startswith("viettel")]
    formulas = [row for row in _rows(content, "Tram", data_only=False) if FORMULA_LATITUDE in row]
    assert len(formulas) == 1 and "5G" in formulas[0] and "Đang phát sóng" in formulas[0]
    code = formulas[0][0]
    # a reader taking cached values sees an empty cell there: the silent NULL fix 2 is about
    cached = next(row for row in _rows(content, "Tram", data_only=True) if row[0] == code and "5G" in row)
    assert None in cached[3:5]
    assert read_operator_workbook(content, name, arrived).on_air("5G") == ground_truth("viettel", SEP).stations_5g_on_air


def test_a_correction_with_a_stale_file_time_is_still_the_latest_by_arrival(tmp_path):
    faults = OperatorFaults.of(corrected=[("viettel", "202408")], stale_mtime=[("viettel", "202408")],
                               correction_delay=timedelta(days=30))
    months = [date(2024, 8, 1)]
    first_fill = datetime(2024, 10, 1, tzinfo=VN)
    [first] = fill_inbox(tmp_path, operators=("viettel",), months=months, faults=faults, as_of=first_fill)
    [second] = fill_inbox(tmp_path, operators=("viettel",), months=months, faults=faults)
    assert (first.version, second.version) == (1, 2) and second.arrived_at > first.arrived_at
    # the correction's file time is older than the first version's arrival (copied with its timestamps)
    assert second.modified_at < first.arrived_at
    assert os.stat(second.path).st_mtime == pytest.approx(second.modified_at.timestamp())
    files = delivered_files(operators=("viettel",), months=months, faults=faults)
    by_arrival = latest_reports(files)[("viettel", date(2024, 8, 1))]
    assert by_arrival.on_air("5G") == ground_truth("viettel", date(2024, 8, 1)).stations_5g_on_air == 48
    # ordered by file time instead, the first version (the last tenth of its 5G stations left out) would win
    by_file_time = latest_reports([(files[1][0], second.modified_at, files[1][2]), files[0]])
    assert by_file_time[("viettel", date(2024, 8, 1))].on_air("5G") == 48 - 4
