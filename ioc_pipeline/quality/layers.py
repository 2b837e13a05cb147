"""Data quality on every layer: raw checks per new batch, mart and reconciliation checks per build.

- `run_raw_checks(url, source, entity, batch_ids)`: right after a load, the raw suites of that
  source and entity (`meta.source`, `meta.entity`) over the new batches only (their `meta.query`
  filters `batch_id = any({batch_ids})`, served by an index), in an in-memory GX context. Results
  are written to `dq` with the layer, source, batch ids and the period the batches describe, so
  `marts.source_status` shows the current run's verdict per source.
- `run_mart_checks(url, schema=...)`: after the dbt build, before publishing, every mart suite and
  the reconciliation suites, read from `schema` (the build schema) and recorded as `marts.<table>`,
  with Data Docs.

Severity (each expectation's `severity` and `meta.severity_reason`): a `critical` failure makes the
caller fail (raw: the check task fails, so its Asset event is not emitted and no build is triggered
by it; marts: `check_data_quality` fails and the new marts are not published), a `warning` is
recorded and shown to the IOC. See `expectations/README.md`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ioc_pipeline.quality.checkpoint import QualityResult, run_suites, worst_status
from ioc_pipeline.quality.suites import SuiteFile, all_suite_files

log = logging.getLogger(__name__)


class CriticalQualityFailure(RuntimeError):
    """A critical expectation failed: what depends on the checked data must not go ahead."""


def raw_suites(source: str, entity: str) -> list[SuiteFile]:
    """The raw suites that check `entity` batches of `source` (`operator` covers both operators)."""
    family = "operator" if source.startswith("operator_") else source
    return [f for f in all_suite_files("raw")
            if f.source == family and f.meta.get("entity") == entity]


def run_raw_checks(warehouse_url: str, source: str, entity: str, batch_ids: list[int], *,
                   run_label: str | None = None) -> list[QualityResult]:
    """The raw suites of `source`/`entity` over `batch_ids` (no batch: nothing to check)."""
    batch_ids = sorted({int(b) for b in batch_ids if b is not None})
    suites = raw_suites(source, entity)
    if not batch_ids or not suites:
        return []
    return run_suites(suites, warehouse_url, checkpoint_name=f"raw_{source}_{entity}_checkpoint",
                      run_label=run_label, source=source, batch_ids=batch_ids, publish_docs=False)


def run_mart_checks(warehouse_url: str, *, run_label: str | None = None, schema: str = "marts",
                    data_docs_dir: Path | None = None) -> list[QualityResult]:
    """Every mart suite and every reconciliation suite, over the marts in `schema`."""
    suites = all_suite_files("marts") + all_suite_files("reconciliation")
    return run_suites(suites, warehouse_url, checkpoint_name="marts_checkpoint", run_label=run_label,
                      marts_schema=schema, data_docs_dir=data_docs_dir)


def summary(results: list[QualityResult]) -> dict:
    """What a task returns and logs: the overall status and every failed expectation by suite."""
    return {
        "status": worst_status(results),
        "suites": len(results),
        "evaluated": sum(r.evaluated for r in results),
        "failed": sum(r.failed for r in results),
        "warned": sum(r.warned for r in results),
        "failures": {r.suite_name: list(r.failed_expectations) for r in results if r.failed_expectations},
        "validation_run_ids": [r.validation_run_id for r in results],
    }


def raise_on_critical(results: list[QualityResult], what: str) -> dict:
    """The summary, or `CriticalQualityFailure` naming each critical failure (warnings pass)."""
    result = summary(results)
    if result["status"] == "fail":
        critical = [f"{r.suite_name}: {e}" for r in results for e in r.failed_expectations
                    if e.startswith("critical")]
        raise CriticalQualityFailure(f"{what}: critical data-quality checks failed: " + "; ".join(critical))
    return result
