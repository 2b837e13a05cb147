"""The expectations of a sector feed, generated from its YAML declaration and run on each load batch.

Why generated: a feed is added without code, so its checks must come from what its declaration says
(docs/contracts/sources.md, "Sector data feeds"):

- every required column (declared `required`, the key columns and the timestamp column) is not null;
- the key is unique within the batch (one batch delivering two different versions of a key is a
  broken extract: which one is true?);
- every declared column's values have the declared type, read from their text form (a CSV cell is
  text; a JSON number 12.5 reads as `12.5`): integer, number, boolean, date (`YYYY-MM-DD`), timestamp
  (ISO 8601); `string` accepts anything.

All are critical: a declared column contract broken by a batch makes the feed's data-quality status
`fail` in `marts.source_status`. The batch is validated with Great Expectations on the records the
batch added to `raw.sector_feed_record` (versions already stored were checked when they arrived),
as a pandas DataFrame in an ephemeral context (nothing written to the File Data Context the marts'
checkpoint uses); the run goes to `dq.validation_run` like every raw check (layer `raw`, source
`sector_feeds`, the batch id and the period its interval covers; suite `sector_feed.<name>`, table
`raw.sector_feed_record`, run label naming the batch) and one `dq.validation_result` row per
expectation, like every other check. Only counts are stored, never values (personal columns stay in raw).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ioc_pipeline.feeds.spec import SectorFeed
from ioc_pipeline.quality.gx_context import RESULT_FORMAT, psycopg_url, quiet_gx
from ioc_pipeline.quality.results import result_row, verdict, write_dq
from ioc_pipeline.quality.suites import SuiteFile

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "sector_feed_batch"
TABLE = "raw.sector_feed_record"
TYPE_PATTERNS = {  # non-capturing groups only (pandas warns about capturing ones)
    "integer": r"^[-+]?\d+$",
    "number": r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$",
    "boolean": r"^(?i:true|false|0|1)$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "timestamp": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$",
}


def suite_name(feed: SectorFeed) -> str:
    return f"sector_feed.{feed.name}"


def expectation_configs(feed: SectorFeed) -> list[dict]:
    """The feed's expectations as GX configurations (type, kwargs, severity, description)."""
    configs = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": column},
                "description": f"{column} is required"} for column in feed.required_columns]
    if len(feed.key_columns) == 1:
        configs.append({"type": "expect_column_values_to_be_unique", "kwargs": {"column": feed.key_columns[0]},
                        "description": "one version of a key per batch"})
    else:
        configs.append({"type": "expect_compound_columns_to_be_unique",
                        "kwargs": {"column_list": list(feed.key_columns)},
                        "description": "one version of a key per batch"})
    for column, spec in feed.columns.items():
        if spec.type in TYPE_PATTERNS:
            configs.append({"type": "expect_column_values_to_match_regex",
                            "kwargs": {"column": column, "regex": TYPE_PATTERNS[spec.type]},
                            "description": f"{column} is of type {spec.type}"})
    for cfg in configs:
        cfg["severity"] = "critical"
    return configs


def _text(value):
    """A JSON value as the text the type patterns read (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def batch_frame(feed: SectorFeed, records: list[dict]):
    """The batch as a DataFrame of the declared columns, every value as text (missing = null)."""
    import pandas as pd

    rows = [{column: _text(record.get(column)) for column in feed.columns} for record in records]
    return pd.DataFrame(rows, columns=list(feed.columns), dtype=object)


@dataclass(frozen=True)
class FeedCheck:
    validation_run_id: int
    status: str  # pass / warn / fail
    evaluated: int
    passed: int
    failed: int
    failures: list[str]  # "expectation on column: observed" for each failed expectation


def validate_records(feed: SectorFeed, records: list[dict]) -> list[dict]:
    """Run the generated expectations on records; one `dq.validation_result`-shaped row each."""
    quiet_gx()
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas(name="sector_feed")
    asset = source.add_dataframe_asset(name=feed.name)
    batch_definition = asset.add_batch_definition_whole_dataframe("batch")
    suite = gx.ExpectationSuite(name=suite_name(feed), expectations=expectation_configs(feed))
    if len(suite.expectations) != len(expectation_configs(feed)):
        raise ValueError(f"{feed.name}: GX could not build every generated expectation")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": batch_frame(feed, records)})
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    return [result_row(r) for r in result.results]


def check_batch(warehouse_url: str, feed: SectorFeed, batch_id: int, declaration_path: Path | None = None,
                run_label: str | None = None) -> FeedCheck | None:
    """Validate what batch `batch_id` added for the feed and record it in `dq`; None when it added nothing."""
    import psycopg

    with psycopg.connect(psycopg_url(warehouse_url)) as conn:
        records = [row[0] for row in conn.execute(
            "select payload from raw.sector_feed_record where feed_name = %s and batch_id = %s",
            (feed.name, batch_id))]
        # The period the batch describes (its interval; none for a file drop read without a window).
        period = conn.execute("select interval_start, interval_end from audit.load_batch where batch_id = %s",
                              (batch_id,)).fetchone() or (None, None)
    if not records:
        log.info("sector feed %s batch %s added no record: nothing to validate", feed.name, batch_id)
        return None
    run_at = datetime.now(timezone.utc)
    rows = validate_records(feed, records)
    status, passed, warned, failed = verdict(rows)
    schema, table = TABLE.split(".")
    suite = SuiteFile(path=Path(declaration_path or feed.name), name=suite_name(feed), schema=schema,
                      table=table, data={})
    validation_run_id = write_dq(
        warehouse_url, run_label=run_label or f"{feed.name} batch {batch_id}", checkpoint_name=CHECKPOINT_NAME,
        suite_file=suite, run_at=run_at, success=status == "pass", status=status,
        counts=(len(rows), passed, warned, failed), report_path=None, rows=rows,
        layer="raw", source="sector_feeds", batch_ids=[batch_id], period=tuple(period))  # a per-batch raw check
    failures = [f"{r['expectation_type']} on {r['column_name']}: {r['observed_value']}"
                for r in rows if not r["success"]]
    for failure in failures:
        log.warning("sector feed %s batch %s: %s", feed.name, batch_id, failure)
    return FeedCheck(validation_run_id, status, len(rows), passed, failed, failures)
