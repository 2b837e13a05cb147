"""Load one extraction into a raw table: all of it or none of it, each version once.

Records stream from the source into a PostgreSQL `COPY` (binary) into a temporary staging table, and
every round of `ROWS_PER_ROUND` rows an `INSERT ... SELECT ... ON CONFLICT DO NOTHING` moves the new
versions into raw (a version is the record's key + the SHA-256 of its canonical JSON); all of it inside
one transaction: if the source fails half way, or the process dies, nothing of the batch remains.
The caller's thread does the per-record work (canonical JSON once, for both record_hash and payload;
the entity's checks; the COPY row), and a writer thread owns the connection and the transaction, so
that PostgreSQL inserts one round while Python prepares the next (`_StagingWriter`).
Refused records go to raw.quarantine with the reason and their content, in the same transaction; a
required field that no record of the batch carries is schema drift and fails the batch.

The batch itself is recorded in `audit.load_batch` in separate, committed statements so that a failed
attempt is visible. A process killed during the load (kill -9, OOM, a lost worker) leaves its batch
row `running` with no `finished_at` for ever (tests/tasks/test_extraction_faults.py): a `running` batch
whose `started_at` is more than a few hours old (a million dossiers load in minutes) is a dead attempt,
not one in progress.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

import psycopg

from ioc_pipeline.loading.copy_binary import SIGNATURE, TRAILER, row_encoder
from ioc_pipeline.loading.raw_entity import RawEntity, RecordRefused, SchemaDrift
from ioc_pipeline.sources.formats import canonical_json, canonical_json_bytes

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


# The records' COPY data goes to the writer thread in blocks of about this size,
FLUSH_BYTES = 256 * 1024
# and the writer moves staging into raw every this many rows (COPY, INSERT, TRUNCATE, next COPY),
ROWS_PER_ROUND = 10_000
# with up to about a round (dossiers: ~1.2 KB a row) queued ahead of it, so that the reading side
# goes on while the server inserts a round (memory stays flat: about 12 MiB whatever the batch size),
QUEUE_BLOCKS = 48
# and a round's staging stays in the backend's memory (PostgreSQL's default temp_buffers is 8 MB).
TEMP_BUFFERS = "32MB"

_DATA, _END, _ABORT = "data", "end", "abort"  # what the reading side tells the writer: (kind, content, rows)


class _Aborted(Exception):
    """The reading side gave up: roll the batch back."""


class _StagingWriter:
    """The batch's connection and transaction, in a thread of their own.

    The reading side (`_stream_records`, in the caller's thread) decodes, hashes, validates and
    encodes records; this thread writes them to the staging table and moves each round into raw
    (`INSERT ... SELECT ... ON CONFLICT DO NOTHING`), then takes the next round. While PostgreSQL
    inserts one round, the reading side is already encoding the next: the two overlap on the two
    cores instead of taking turns. Waiting on the server releases the GIL. Everything the thread
    does is one transaction: it commits only when the reading side says `finish`, and rolls back on
    `abort`, on any error, or when the process dies (the server drops the connection).
    """

    def __init__(self, url: str, entity: RawEntity, batch_id: int, received_at: datetime):
        self.url, self.entity, self.batch_id, self.received_at = url, entity, batch_id, received_at
        self.column_types: list[str] = []
        self.loaded = 0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_BLOCKS)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"raw_loader batch {batch_id}", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self.error is not None:
            self._thread.join()
            raise self.error

    # --- the reading side's calls ---

    def send(self, block: bytes, rows: int) -> None:
        if not self._put((_DATA, block, rows)):
            raise self.error or RuntimeError("the raw loader's writer thread ended early")

    def finish(self, refused: list[tuple]) -> int:
        """Insert what is left, write the quarantine rows, commit; the rows added to raw."""
        self._put((_END, refused, 0))
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.loaded

    def abort(self) -> None:
        """Roll back (the caller is failing with its own error, so the writer's, if any, is dropped)."""
        self._put((_ABORT, None, 0))
        self._thread.join()

    def _put(self, message: tuple) -> bool:
        """Queue a message; False if the writer has ended (its error, if any, in `error`)."""
        while self._thread.is_alive():
            try:
                self._queue.put(message, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    # --- the writer thread ---

    def _run(self) -> None:
        try:
            with psycopg.connect(self.url) as conn:
                conn.execute(f"set temp_buffers = '{TEMP_BUFFERS}'")  # before the session's first temp table
                with conn.transaction():
                    self._stage(conn)
        except _Aborted:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the reading side, which fails the batch
            self.error = exc
        finally:
            self._ready.set()

    def _stage(self, conn: psycopg.Connection) -> None:
        entity = self.entity
        conn.execute(f"create temp table incoming (like {entity.table} including defaults) on commit drop")
        conn.execute("alter table pg_temp.incoming alter column batch_id drop not null, "
                     "alter column received_at drop not null")
        all_columns = entity.columns + ("record_hash", "payload")
        types = dict(conn.execute(
            """select a.attname, t.typname from pg_attribute a join pg_type t on t.oid = a.atttypid
                where a.attrelid = 'pg_temp.incoming'::regclass and a.attnum > 0 and not a.attisdropped"""
        ).fetchall())
        self.column_types = [types[column] for column in all_columns]
        self._ready.set()
        columns = ", ".join(all_columns)
        copy_sql = f"copy pg_temp.incoming ({columns}) from stdin (format binary)"
        # No DISTINCT ON: within one statement ON CONFLICT DO NOTHING already skips a row whose key
        # an earlier row of the same statement inserted (a version delivered twice has the same
        # content, so which copy stays does not matter), and not sorting saves the batch's largest cost.
        insert_sql = (f"insert into {entity.table} ({columns}, batch_id, received_at) "
                      f"select {columns}, %s, %s from pg_temp.incoming on conflict do nothing")
        cursor = conn.cursor()
        kind = _DATA
        while kind != _END:
            with cursor.copy(copy_sql) as copy:
                copy.write(SIGNATURE)
                staged = 0
                while staged < ROWS_PER_ROUND:
                    kind, content, rows = self._queue.get()
                    if kind == _ABORT:
                        raise _Aborted()
                    if kind == _END:
                        break
                    copy.write(content)
                    staged += rows
                copy.write(TRAILER)
            self.loaded += cursor.execute(insert_sql, (self.batch_id, self.received_at)).rowcount
            if kind != _END:
                cursor.execute("truncate pg_temp.incoming")
        quarantine_rows(conn, content)


def _stream_records(writer: _StagingWriter, entity: RawEntity, records: Iterable[object], pii_key: bytes,
                    batch_id: int, received_at: datetime, counts: BatchCounts) -> list[tuple]:
    """Hash, validate and encode every record for the writer; return the refused ones as quarantine rows.

    Per record: its canonical JSON (once: hashed for record_hash, and the same bytes are the payload:
    jsonb keeps no key order, so the stored value is the one `json.dumps(record)` gave), the entity's
    checks, and one binary COPY row.
    """
    refused: list[tuple] = []
    unseen = [field for field in entity.required]  # required fields no record has carried yet
    prepare, encode = entity.prepare, row_encoder(writer.column_types)
    sha256 = hashlib.sha256
    block: list[bytes] = []
    block_bytes = received = 0
    try:
        for record in records:
            received += 1
            payload = canonical_json_bytes(record)
            is_object = isinstance(record, dict)
            if unseen and is_object:
                unseen = [field for field in unseen if record.get(field) in (None, "")]
            try:
                if not is_object:
                    raise RecordRefused("record is not a JSON object")
                values = prepare(record, pii_key)
            except RecordRefused as reason:
                content = canonical_json(record)  # the record as the source sent it, as before
                refused.append((entity.source, entity.entity, hashlib.sha256(content.encode("utf-8")).hexdigest(),
                                entity.key_of(record), str(reason), content, batch_id, received_at))
                continue
            row = encode(values + (sha256(payload).hexdigest(), payload))
            block.append(row)
            block_bytes += len(row)
            if block_bytes >= FLUSH_BYTES:
                writer.send(b"".join(block), len(block))
                block, block_bytes = [], 0
    finally:
        counts.received = received
    if block:
        writer.send(b"".join(block), len(block))
    # A required field no record carried: the source renamed or dropped it (schema drift).
    drifted = [field for field in entity.required if field in unseen]
    if drifted and received:
        raise SchemaDrift(f"schema drift: required field(s) {', '.join(drifted)} missing from all "
                          f"{received} records received; nothing loaded")
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
        writer = _StagingWriter(url, entity, batch_id, received_at)
        try:
            refused = _stream_records(writer, entity, records, pii_key, batch_id, received_at, counts)
        except BaseException:
            writer.abort()
            raise
        counts.loaded = writer.finish(refused)
        counts.quarantined = len(refused)
    except Exception as exc:  # the batch failed as a whole; record why, then let the caller decide
        log.exception("%s.%s batch %s failed", entity.source, entity.entity, batch_id)
        finish_batch(url, batch_id, "failed", counts, error=f"{type(exc).__name__}: {exc}")
        return BatchResult(batch_id, "failed", counts, error=f"{type(exc).__name__}: {exc}")
    finish_batch(url, batch_id, "success", counts)
    log.info("%s.%s batch %s: received %d, loaded %d, quarantined %d, duplicate %d", entity.source,
             entity.entity, batch_id, counts.received, counts.loaded, counts.quarantined, counts.duplicate)
    return BatchResult(batch_id, "success", counts)
