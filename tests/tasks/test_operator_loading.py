"""Operator workbooks from a real inbox folder into a real PostgreSQL, through the task
functions the DAG calls. Counts are worked out by hand from small inventories."""

from __future__ import annotations

import base64
import os
from datetime import date, datetime

import psycopg
import pytest

from ioc_pipeline.config import VN
from ioc_pipeline.tasks.operator_reports import load_new_reports, new_files
from ioc_simulator.operators import (OperatorFaults, StationRow, SubscriberRow, fill_inbox, ground_truth,
                                              workbook_bytes)
from tests.conftest import make_database

SEPT, OCT = date(2024, 9, 1), date(2024, 10, 1)


@pytest.fixture()
def url():
    warehouse, drop = make_database("ioc_op_load")
    yield warehouse.url
    drop()


def _drop(folder, name: str, content: bytes, arrived: datetime) -> None:
    path = folder / name
    path.write_bytes(content)
    os.utime(path, (arrived.timestamp(), arrived.timestamp()))


def _rows(url, sql, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _table_counts(url):
    return _rows(url, """select (select count(*) from raw.operator__report_file),
                                (select count(*) from raw.operator__station),
                                (select count(*) from raw.operator__subscriber),
                                (select count(*) from raw.quarantine)""")[0]


def test_small_inventory_loads_exactly_once_with_punctuality(url, tmp_path):
    stations = [
        StationRow("S1", "4G", "Vũng Tàu", 10.34, 107.08, "Đang phát sóng", date(2018, 6, 1)),
        StationRow("S1", "5G", "Vũng Tàu", 10.34, 107.08, "Đang phát sóng", date(2024, 9, 12)),
        StationRow("S2", "2G", "Bà Rịa", 10.49, 107.16, "Đã tắt", date(2009, 1, 5)),
    ]
    subscribers = [SubscriberRow("Vũng Tàu", 10, 1000), SubscriberRow("Bà Rịa", 5, 500)]
    # Viettel on the 9th at 23:59 (on time); VNPT on the 10th at 00:00 sharp (late).
    _drop(tmp_path, "viettel_202409.xlsx", workbook_bytes("viettel", SEPT, stations, subscribers),
          datetime(2024, 10, 9, 23, 59, tzinfo=VN))
    _drop(tmp_path, "vnpt_202409.xlsx", workbook_bytes("vnpt", SEPT, stations[:2], subscribers[:1]),
          datetime(2024, 10, 10, 0, 0, tzinfo=VN))
    (tmp_path / "readme.txt").write_text("not a delivery")

    assert [f.path.name for f in new_files(url, tmp_path)] == ["viettel_202409.xlsx", "vnpt_202409.xlsx"]
    load = load_new_reports(url, tmp_path, run_label="t1")
    assert [(r.file_name, r.outcome, r.counts.received, r.counts.loaded, r.counts.quarantined, r.on_time)
            for r in load.results] == [("viettel_202409.xlsx", "loaded", 5, 5, 0, True),
                                       ("vnpt_202409.xlsx", "loaded", 3, 3, 0, False)]
    assert load.ignored == ["readme.txt"]
    assert _table_counts(url) == (2, 5, 3, 0)
    assert _rows(url, """select operator, report_month, on_time, arrived_at, size_bytes = length(content)
                           from raw.operator__report_file order by operator""") == [
        ("viettel", SEPT, True, datetime(2024, 10, 9, 23, 59, tzinfo=VN), True),
        ("vnpt", SEPT, False, datetime(2024, 10, 10, 0, 0, tzinfo=VN), True)]
    assert _rows(url, """select s.row_number, s.station_code, s.technology, s.status, s.on_air_date, s.latitude,
                                s.cells ->> 'Mã trạm'
                           from raw.operator__station s join raw.operator__report_file f on f.sha256 = s.file_sha256
                          where f.operator = 'viettel' order by s.row_number""") == [
        (6, "S1", "4G", "Đang phát sóng", date(2018, 6, 1), 10.34, "S1"),
        (7, "S1", "5G", "Đang phát sóng", date(2024, 9, 12), 10.34, "S1"),
        (8, "S2", "2G", "Đã tắt", date(2009, 1, 5), 10.49, "S2")]
    assert _rows(url, """select source, entity, status, rows_received, rows_loaded, interval_start, run_label
                           from audit.load_batch order by batch_id""") == [
        ("operator_viettel", "report_file", "success", 5, 5, datetime(2024, 9, 1, tzinfo=VN), "t1"),
        ("operator_vnpt", "report_file", "success", 3, 3, datetime(2024, 9, 1, tzinfo=VN), "t1")]

    # Re-loading the same inbox changes nothing: nothing is new, nothing is attempted.
    assert new_files(url, tmp_path) == []
    assert load_new_reports(url, tmp_path, run_label="t2").results == []
    assert _table_counts(url) == (2, 5, 3, 0)


def test_faulty_files_are_refused_with_reasons_while_the_others_load(url, tmp_path):
    faults = OperatorFaults.of(truncated=[("vnpt", "2024-09")], renamed_sheet=[("viettel", "2024-10")],
                               unknown_district=[("viettel", "2024-09")])
    fill_inbox(tmp_path, months=[SEPT, OCT], faults=faults, stations=20)
    load = load_new_reports(url, tmp_path)
    outcome = {r.file_name: (r.outcome, r.reason) for r in load.results}
    assert outcome["vnpt_202409.xlsx"][0] == "refused"
    assert outcome["vnpt_202409.xlsx"][1].startswith("not a readable XLSX workbook (BadZipFile")
    assert outcome["viettel_202410.xlsx"] == (
        "refused", "sheet 'Tram' missing (sheets found: Trạm BTS, ThueBao)")
    assert outcome["viettel_202409.xlsx"][0] == outcome["vnpt_202410.xlsx"][0] == "loaded"
    assert _rows(url, "select file_name from raw.operator__report_file order by 1") == [
        ("viettel_202409.xlsx",), ("vnpt_202410.xlsx",)]

    # The refused files are in quarantine, bytes and all; their batches failed with the reason.
    quarantined = _rows(url, """select source, record_key, reason, content from raw.quarantine
                                 where entity = 'report_file' order by record_key""")
    assert [(q[0], q[1]) for q in quarantined] == [("operator_viettel", "viettel_202410.xlsx"),
                                                  ("operator_vnpt", "vnpt_202409.xlsx")]
    assert base64.b64decode(quarantined[1][3]) == (tmp_path / "vnpt_202409.xlsx").read_bytes()
    assert _rows(url, """select source, error from audit.load_batch where status = 'failed' order by source""") == [
        ("operator_viettel", "file refused: viettel_202410.xlsx: sheet 'Tram' missing (sheets found: Trạm BTS, "
                             "ThueBao)"),
        ("operator_vnpt", f"file refused: vnpt_202409.xlsx: {outcome['vnpt_202409.xlsx'][1]}")]

    # The unknown district: the station's rows stay in raw with their problem and are quarantined too.
    bad = _rows(url, """select station_code, technology, problem from raw.operator__station
                         where problem is not null order by row_number""")
    assert bad and {b[2] for b in bad} == {"Đơn vị hành chính: unknown district-level unit 'Tân Thành'"}
    assert {b[1] for b in bad} <= {"3G", "4G"}
    assert _rows(url, """select count(*) from raw.quarantine where entity = 'station'""")[0][0] == len(bad)

    # A refused file is not "new" again, so the sensor does not fire for it forever.
    before = _table_counts(url)
    assert new_files(url, tmp_path) == []
    assert load_new_reports(url, tmp_path).results == []
    assert _table_counts(url) == before


def test_corrected_workbook_is_a_second_version(url, tmp_path):
    faults = OperatorFaults.of(corrected=[("viettel", "2024-09")])
    first = fill_inbox(tmp_path, operators=["viettel"], months=[SEPT], faults=faults, stations=40,
                       as_of=datetime(2024, 10, 10, tzinfo=VN))
    assert [f.version for f in first] == [1]
    assert load_new_reports(url, tmp_path).results[0].outcome == "loaded"
    second = fill_inbox(tmp_path, operators=["viettel"], months=[SEPT], faults=faults, stations=40)
    assert [f.version for f in second] == [2] and second[0].path == first[0].path
    assert second[0].sha256 != first[0].sha256 and not second[0].on_time
    assert [r.outcome for r in load_new_reports(url, tmp_path).results] == ["loaded"]
    versions = _rows(url, """select f.sha256, count(*) filter (where s.technology = '5G' and s.status = 'Đang phát sóng')
                               from raw.operator__report_file f join raw.operator__station s on s.file_sha256 = f.sha256
                              group by f.sha256, f.arrived_at order by f.arrived_at""")
    truth = ground_truth("viettel", SEPT, stations=40).stations_5g_on_air
    assert [v[0] for v in versions] == [first[0].sha256, second[0].sha256]
    assert versions[1][1] == truth and versions[0][1] == truth - max(1, truth // 10)
