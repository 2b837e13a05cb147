"""Load one extraction into a raw table: all of it or none of it, each version once.

Records stream from the source straight into a PostgreSQL `COPY` into a temporary table, then one
`INSERT ... ON CONFLICT DO NOTHING` moves the new versions into raw, all inside one transaction: if
the source fails half way, or the process dies, nothing of the batch remains. The batch itself is
recorded in `audit.load_batch` in separate, committed statements so that a failed attempt is visible.
A process killed during the load (kill -9, OOM, a lost worker) leaves its batch row `running` with no
`finished_at` for ever (tests/tasks/test_extraction_faults.py): a `running` batch whose `started_at` is more
than a few hours old (a million dossiers load in minutes) is a dead attempt, not one in progress.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import psycopg

from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused, SchemaDrift
from ioc_pipeline.sources.formats import canonical_json, record_hash

log = logging.getLogger(__name__)


@dataclass
class BatchCounts:
    received: int = 0
    loaded: int = 0
    quarantined: int = 0

    @property
    def duplicate(self) -> int:
        """Received versions already in raw, or delivered twice in this batch."""
        return self.received - self.loaded - self.quarantined


@dataclass(frozen=True)
class BatchResult:
    batch_id: int
    status: str
    counts: BatchCounts
    error: str | None = None


def start_batch(url: str, source: str, entity: str, interval_start: datetime | None,
                interval_end: datetime | None, run_label: str | None) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            """insert into audit.load_batch (source, entity, interval_start, interval_end, status, run_label)
               values (%s, %s, %s, %s, 'running', %s) returning batch_id""",
            (source, entity, interval_start, interval_end, run_label),
        ).fetchone()
    return row[0]


def finish_batch(url: str, batch_id: int, status: str, counts: BatchCounts, error: str | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            """update audit.load_batch
                  set finished_at = now(), status = %s, rows_received = %s, rows_loaded = %s,
                      rows_quarantined = %s, rows_duplicate = %s, error = %s
                where batch_id = %s""",
            (status, counts.received, counts.loaded, counts.quarantined, counts.duplicate, error, batch_id),
        )


def _copy_records(conn: psycopg.Connection, entity: RawEntity, records: Iterable[object], pii_key: bytes,
                  batch_id: int, received_at: datetime, counts: BatchCounts) -> list[tuple]:
    """COPY readable records into `pg_temp.incoming`; return the refused ones as quarantine rows."""
    refused: list[tuple] = []
    missing = dict.fromkeys(entity.required, 0)
    columns = ", ".join(entity.columns + ("record_hash", "payload"))
    with conn.cursor().copy(f"copy pg_temp.incoming ({columns}) from stdin") as copy:
        for record in records:
            counts.received += 1
            digest = record_hash(record)
            for field in missing:
                if not isinstance(record, dict) or record.get(field) in (None, ""):
                    missing[field] += 1
            try:
                if not isinstance(record, dict):
                    raise RecordRefused("record is not a JSON object")
                values = entity.prepare(record, pii_key)
            except RecordRefused as reason:
                refused.append((entity.source, entity.entity, digest, entity.key_of(record), str(reason),
                                canonical_json(record), batch_id, received_at))
                continue
            copy.write_row(values + (digest, json.dumps(record, ensure_ascii=False)))
    drifted = [field for field, count in missing.items() if counts.received and count == counts.received]
    if drifted:
        raise SchemaDrift(f"schema drift: required field(s) {', '.join(drifted)} missing from all "
                          f"{counts.received} records received; nothing loaded")
    return refused


def quarantine_rows(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Write refused records to raw.quarantine by COPY, inside the caller's transaction; one row per
    (source, entity, record_hash) however often it comes. Returns the rows actually added.

    A row is (source, entity, record_hash, record_key, reason, content, batch_id, received_at)."""
    if not rows:
        return 0
    conn.execute("create temp table if not exists incoming_refused (like raw.quarantine) on commit drop")
    with conn.cursor().copy(
        "copy pg_temp.incoming_refused (source, entity, record_hash, record_key, reason, content, batch_id, "
        "received_at) from stdin"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    return conn.execute(
        """insert into raw.quarantine
           select distinct on (source, entity, record_hash) * from pg_temp.incoming_refused
            order by source, entity, record_hash
           on conflict do nothing"""
    ).rowcount


def load_batch(url: str, entity: RawEntity, records: Iterable[object], pii_key: bytes, *,
               interval_start: datetime | None = None, interval_end: datetime | None = None,
               run_label: str | None = None) -> BatchResult:
    """Extract-and-load one batch. Never raises for a source failure: the result says it failed."""
    batch_id = start_batch(url, entity.source, entity.entity, interval_start, interval_end, run_label)
    counts = BatchCounts()
    received_at = datetime.now(timezone.utc)
    try:
        with psycopg.connect(url) as conn, conn.transaction():
            conn.execute(
                f"create temp table incoming (like {entity.table} including defaults) on commit drop")
            conn.execute("alter table pg_temp.incoming alter column batch_id drop not null, "
                         "alter column received_at drop not null")
            refused = _copy_records(conn, entity, records, pii_key, batch_id, received_at, counts)
            key = entity.columns[0]
            all_columns = ", ".join(entity.columns + ("record_hash", "payload"))
            cursor = conn.execute(
                f"""insert into {entity.table} ({all_columns}, batch_id, received_at)
                    select distinct on ({key}, record_hash) {all_columns}, %s, %s
                      from pg_temp.incoming
                     order by {key}, record_hash
                    on conflict do nothing""",
                (batch_id, received_at),
            )
            counts.loaded = cursor.rowcount
            counts.quarantined = len(refused)
            quarantine_rows(conn, refused)
    except Exception as exc:  # the batch failed as a whole; record why, then let the caller decide
        log.exception("%s.%s batch %s failed", entity.source, entity.entity, batch_id)
        finish_batch(url, batch_id, "failed", counts, error=f"{type(exc).__name__}: {exc}")
        return BatchResult(batch_id, "failed", counts, error=f"{type(exc).__name__}: {exc}")
    finish_batch(url, batch_id, "success", counts)
    log.info("%s.%s batch %s: received %d, loaded %d, quarantined %d, duplicate %d", entity.source,
             entity.entity, batch_id, counts.received, counts.loaded, counts.quarantined, counts.duplicate)
    return BatchResult(batch_id, "success", counts)
