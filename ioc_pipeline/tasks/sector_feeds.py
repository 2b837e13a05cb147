"""One run of a declared sector feed: declarations, records, checks (what a feed DAG's task does).

1. `sync_declarations`: the feeds folder's declarations into `raw.sector_feed_declaration` (the
   table mirrors the folder: a feed whose file was removed is no longer declared), in one transaction.
2. `load_feed`: the feed's records (`feeds/read.py`) through the project's raw loader into
   `raw.sector_feed_record`: one batch in `audit.load_batch` (source `sector_feeds`, entity = the
   feed's name), refused records in `raw.quarantine` with the reason, a version stored once.
3. The generated expectations (`quality/feed_expectations.py`) on what the batch added.

A failed source fails the batch (recorded) and the task; a failed check is recorded in `dq` and
shows in `marts.source_status`, it does not fail the task (the data is kept and flagged).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import psycopg

from ioc_pipeline import config
from ioc_pipeline.feeds.read import feed_records
from ioc_pipeline.feeds.spec import SectorFeed
from ioc_pipeline.loading.entities.sector_feeds import feed_entity
from ioc_pipeline.loading.raw_loader import BatchResult, load_batch
from ioc_pipeline.quality.feed_expectations import FeedCheck, check_batch
from ioc_pipeline.sources.http import RetryPolicy


def sync_declarations(warehouse_url: str, feeds: list[SectorFeed]) -> int:
    """Make `raw.sector_feed_declaration` hold exactly these feeds; returns how many rows changed."""
    rows = [(f.name, f.owner_agency, f.sector, f.description, f.source.kind,
             f.source.url or f.source.file_drop, f.format, f.cadence, f.freshness_sla_hours, f.key_columns,
             f.timestamp_column, f.required_columns, f.personal_columns,
             json.dumps(f.declaration(), ensure_ascii=False), f.declaration_hash()) for f in feeds]
    with psycopg.connect(warehouse_url) as conn, conn.transaction():
        changed = conn.execute("delete from raw.sector_feed_declaration where not (feed_name = any(%s))",
                               ([f.name for f in feeds],)).rowcount
        with conn.cursor() as cur:
            for row in rows:
                cur.execute(
                    """insert into raw.sector_feed_declaration (
                           feed_name, owner_agency, sector, description, source_kind, source_location, format,
                           cadence, freshness_sla_hours, key_columns, timestamp_column, required_columns,
                           personal_columns, declaration, declaration_hash)
                       values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s)
                       on conflict (feed_name) do update set
                           owner_agency = excluded.owner_agency, sector = excluded.sector,
                           description = excluded.description, source_kind = excluded.source_kind,
                           source_location = excluded.source_location, format = excluded.format,
                           cadence = excluded.cadence, freshness_sla_hours = excluded.freshness_sla_hours,
                           key_columns = excluded.key_columns, timestamp_column = excluded.timestamp_column,
                           required_columns = excluded.required_columns,
                           personal_columns = excluded.personal_columns, declaration = excluded.declaration,
                           declaration_hash = excluded.declaration_hash, declared_at = now()
                       where sector_feed_declaration.declaration_hash is distinct from excluded.declaration_hash""",
                    row)
                changed += cur.rowcount
    return changed


@dataclass(frozen=True)
class FeedRun:
    feed: str
    batch: BatchResult
    check: FeedCheck | None

    def summary(self) -> dict:
        counts = self.batch.counts
        return {"feed": self.feed, "batch_id": self.batch.batch_id, "status": self.batch.status,
                "received": counts.received, "loaded": counts.loaded, "quarantined": counts.quarantined,
                "duplicate": counts.duplicate, "error": self.batch.error,
                "dq_status": self.check.status if self.check else None,
                "dq_failures": self.check.failures if self.check else []}


def load_feed(warehouse_url: str, feed: SectorFeed, start: datetime | None = None, end: datetime | None = None,
              *, run_label: str | None = None, policy: RetryPolicy | None = None) -> FeedRun:
    """Load one batch of the feed and check it. Never raises for a source failure (see the result)."""
    batch = load_batch(warehouse_url, feed_entity(feed), feed_records(feed, start, end, policy),
                       config.pii_hash_key(), interval_start=start, interval_end=end, run_label=run_label)
    check = None
    if batch.status == "success":
        label = f"{run_label} {feed.name} batch {batch.batch_id}" if run_label else None
        check = check_batch(warehouse_url, feed, batch.batch_id, run_label=label)
    return FeedRun(feed.name, batch, check)
