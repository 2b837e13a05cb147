"""Load one operator workbook into raw: the file, its station rows and its subscriber rows, or nothing.

A file is one batch and one transaction (like `raw_loader`): its row in `raw.operator__report_file`
(with the original bytes), every table row of both sheets by COPY, and the quarantine entries of rows
with a problem commit together. The file's sha256 is its identity, so loading the same bytes again
changes nothing, while a corrected workbook (new bytes, same name) becomes a second version.

A workbook that cannot be trusted as a whole (not an XLSX, a sheet or column missing, wrong period)
goes to `raw.quarantine` as one record holding its bytes in base64, and its batch is recorded as
failed with the reason: the operator has to send it again, and the source status should say so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg

from ioc_pipeline.loading.raw_loader import BatchCounts, finish_batch, quarantine_rows, start_batch
from ioc_pipeline.months import add_months, month_interval, start_of_day
from ioc_pipeline.sources.formats import record_hash
from ioc_pipeline.sources.operator_workbooks import (FILE_NAME, OperatorWorkbook, WorkbookRefused,
                                                     read_workbook)

log = logging.getLogger(__name__)
ENTITY = "report_file"


@dataclass(frozen=True)
class FileLoadResult:
    file_name: str
    source: str
    sha256: str
    batch_id: int
    outcome: str                  # loaded, duplicate, refused, failed
    counts: BatchCounts
    report_month: date | None = None
    on_time: bool | None = None
    reason: str | None = None


def source_of(file_name: str) -> str:
    """`operator_viettel` / `operator_vnpt` from the file name; `operator_unknown` when it names neither."""
    prefix = file_name.split("_", 1)[0].lower()
    return f"operator_{prefix}" if prefix in ("viettel", "vnpt") else "operator_unknown"


def due_moment(report_month: date) -> datetime:
    """Due before the 10th of the following month, 00:00 Vietnam time (docs/contracts/sources.md §3)."""
    return start_of_day(add_months(report_month, 1).replace(day=10))


def _station_rows(book: OperatorWorkbook, sha: str, batch_id: int, received_at: datetime):
    for r in book.stations:
        yield (sha, r.row_number, r.station_code, r.technology, r.admin_unit, r.latitude, r.longitude, r.status,
               r.on_air_date, json.dumps(r.cells, ensure_ascii=False), r.problem, batch_id, received_at)


def _subscriber_rows(book: OperatorWorkbook, sha: str, batch_id: int, received_at: datetime):
    for r in book.subscribers:
        yield (sha, r.row_number, r.admin_unit, r.subscribers_2g_only, r.subscribers_total,
               json.dumps(r.cells, ensure_ascii=False), r.problem, batch_id, received_at)


def _row_quarantine(book: OperatorWorkbook, source: str, sha: str, batch_id: int, received_at: datetime):
    for entity, sheet, records in (("station", "Tram", book.stations), ("subscriber", "ThueBao", book.subscribers)):
        for r in records:
            if r.problem:
                content = {"file_sha256": sha, "file_name": book.file_name, "sheet": sheet,
                           "row_number": r.row_number, "cells": r.cells}
                yield (source, entity, record_hash(content), f"{book.file_name}#{sheet}!{r.row_number}", r.problem,
                       json.dumps(content, ensure_ascii=False, sort_keys=True), batch_id, received_at)


def _quarantine_file(url: str, source: str, sha: str, file_name: str, reason: str, content: bytes,
                     batch_id: int, received_at: datetime) -> int:
    with psycopg.connect(url) as conn, conn.transaction():
        return quarantine_rows(conn, [(source, ENTITY, sha, file_name, reason,
                                       base64.b64encode(content).decode("ascii"), batch_id, received_at)])


def load_report_file(url: str, path: Path, *, run_label: str | None = None) -> FileLoadResult:
    """Load one delivered workbook; never raises for a bad file (the result says what happened)."""
    path = Path(path)
    content = path.read_bytes()
    arrived_at = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    sha = hashlib.sha256(content).hexdigest()
    source = source_of(path.name)
    match = FILE_NAME.match(path.name)
    month_hint = date(int(match.group(2)), int(match.group(3)), 1) if match and 1 <= int(match.group(3)) <= 12 else None
    start, end = month_interval(month_hint) if month_hint else (None, None)
    batch_id = start_batch(url, source, ENTITY, start, end, run_label)
    received_at = datetime.now(timezone.utc)
    counts = BatchCounts()
    try:
        book = read_workbook(content, path.name)
    except WorkbookRefused as refused:
        reason = f"{path.name}: {refused}"
        counts.received = 1
        try:
            counts.quarantined = _quarantine_file(url, source, sha, path.name, reason, content, batch_id, received_at)
        except Exception as exc:  # the quarantine itself failed: record that instead
            finish_batch(url, batch_id, "failed", counts, error=f"{reason}; quarantine failed: {exc}")
            return FileLoadResult(path.name, source, sha, batch_id, "failed", counts, month_hint, reason=str(exc))
        log.warning("%s refused: %s", path.name, refused)
        finish_batch(url, batch_id, "failed", counts, error=f"file refused: {reason}")
        return FileLoadResult(path.name, source, sha, batch_id, "refused", counts, month_hint, reason=str(refused))

    on_time = arrived_at < due_moment(book.report_month)
    counts.received = len(book.stations) + len(book.subscribers)
    inserted = False
    try:
        with psycopg.connect(url) as conn, conn.transaction():
            cur = conn.execute(
                """insert into raw.operator__report_file (sha256, operator, report_month, file_name, size_bytes,
                       arrived_at, on_time, period_label, reporting_unit, content, batch_id, received_at)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                   on conflict (sha256) do nothing""",
                (sha, book.operator, book.report_month, path.name, len(content), arrived_at, on_time,
                 book.period_label, book.reporting_unit, content, batch_id, received_at))
            inserted = bool(cur.rowcount)
            if inserted:
                with conn.cursor().copy(
                    "copy raw.operator__station (file_sha256, row_number, station_code, technology, admin_unit, "
                    "latitude, longitude, status, on_air_date, cells, problem, batch_id, received_at) from stdin"
                ) as copy:
                    for row in _station_rows(book, sha, batch_id, received_at):
                        copy.write_row(row)
                with conn.cursor().copy(
                    "copy raw.operator__subscriber (file_sha256, row_number, admin_unit, subscribers_2g_only, "
                    "subscribers_total, cells, problem, batch_id, received_at) from stdin"
                ) as copy:
                    for row in _subscriber_rows(book, sha, batch_id, received_at):
                        copy.write_row(row)
                with conn.cursor().copy(
                    "copy raw.operator__sheet_total (file_sha256, sheet, row_number, cells, stated_rows, "
                    "subscribers_2g_only, subscribers_total, batch_id, received_at) from stdin"
                ) as copy:
                    for t in book.totals:  # the operator's own totals, kept for reconciliation only
                        copy.write_row((sha, t.sheet, t.row_number, json.dumps(t.cells, ensure_ascii=False),
                                        t.stated_rows, t.subscribers_2g_only, t.subscribers_total, batch_id,
                                        received_at))
                quarantine_rows(conn, list(_row_quarantine(book, source, sha, batch_id, received_at)))
                counts.quarantined = len(book.problems)
                counts.loaded = counts.received - counts.quarantined
    except Exception as exc:  # the database failed: nothing of this file remains; say why
        log.exception("%s: load failed (batch %s)", path.name, batch_id)
        finish_batch(url, batch_id, "failed", counts, error=f"{type(exc).__name__}: {exc}")
        return FileLoadResult(path.name, source, sha, batch_id, "failed", counts, book.report_month, on_time,
                              f"{type(exc).__name__}: {exc}")
    finish_batch(url, batch_id, "success", counts)
    outcome = "loaded" if inserted else "duplicate"
    log.info("%s (%s): %s, %d rows received, %d loaded, %d quarantined", path.name, sha[:12], outcome,
             counts.received, counts.loaded, counts.quarantined)
    return FileLoadResult(path.name, source, sha, batch_id, outcome, counts, book.report_month, on_time)
