"""The nightly dossier extraction: which interval to ask the one-stop-shop for, and loading it.

Why the interval is not simply the data interval: a night that failed or never ran must be caught
up (start at the stored watermark), and a record that changed while the previous night was paging
may have been missed (reach back by an overlap margin; the raw layer stores a version seen twice once).
"""

from __future__ import annotations

from contextlib import closing
from datetime import datetime

import psycopg

from ioc_pipeline import config
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
from ioc_pipeline.loading.raw_loader import BatchResult, load_batch
from ioc_pipeline.runner.catch_up import catch_up_interval
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy
from ioc_pipeline.sources.one_stop_shop import OneStopShopClient

DEFAULT_OVERLAP = config.DEFAULT_EXTRACT_OVERLAP


def extraction_window(interval_start: datetime, interval_end: datetime, conf: dict | None,
                      watermark: datetime | None = None) -> tuple[datetime, datetime]:
    """The `[from, to)` to extract.

    An explicit catch-up interval from the run command is taken as given. A scheduled run starts at
    the stored watermark (the end of the last successful batch) if that is earlier than its data
    interval, so nights that failed or never ran are caught up, and reaches back by the overlap
    margin so a record that changed while the previous extraction was paging is seen now.
    """
    explicit = catch_up_interval(conf)
    if explicit:
        return explicit
    start = min(interval_start, watermark) if watermark else interval_start
    return start - config.extract_overlap(), interval_end


def watermark(warehouse_url: str, source: str, entity: str) -> datetime | None:
    """End of the latest successfully loaded interval of a source, from `audit.load_batch`."""
    with psycopg.connect(warehouse_url) as conn:
        row = conn.execute(
            """select max(interval_end) from audit.load_batch
                where source = %s and entity = %s and status = 'success'""", (source, entity)).fetchone()
    return row[0]


def extract_dossiers(warehouse_url: str, endpoint: HttpEndpoint, interval_start: datetime, interval_end: datetime,
                     *, run_label: str | None = None, page_size: int = 500,
                     policy: RetryPolicy | None = None, prefetch: bool = True) -> BatchResult:
    client = OneStopShopClient(endpoint, page_size=page_size, policy=policy, prefetch=prefetch)
    # closing: if the load fails mid-stream, the client's prefetching thread is stopped and joined here,
    # not whenever the generator happens to be collected.
    with closing(client.dossiers(interval_start, interval_end)) as records:
        return load_batch(warehouse_url, DOSSIER, records, config.pii_hash_key(),
                          interval_start=interval_start, interval_end=interval_end, run_label=run_label)
