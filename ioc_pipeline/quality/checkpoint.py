"""The Great Expectations checkpoint on `marts.fct_dossier`, run after the dbt build.

`run_fct_dossier_checkpoint` builds (idempotently) a File Data Context in a git-ignored state folder
(`gx_context`), validates the whole table against the reviewed suite
`expectations/suites/fct_dossier.json` (`suites`), publishes the Data Docs HTML that auditors open
(`data_docs`), and records the run in `dq.validation_run` and one row per expectation in
`dq.validation_result`, in one transaction (`results`).

It never raises because data failed validation: it returns a `QualityResult` whose `status` is
`fail` (a critical expectation failed), `warn` (only warning expectations failed) or `pass`, and the
caller (the Airflow task) decides what to do. It does raise when it cannot run at all (suite file
invalid, database unreachable).

Great Expectations is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ioc_pipeline import config
from ioc_pipeline.quality import data_docs, gx_context, offline_docs
from ioc_pipeline.quality.results import result_row, verdict, write_dq
from ioc_pipeline.quality.suites import FCT_DOSSIER_SUITE_FILE, load_suite_file
from ioc_pipeline.warehouse.locate import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QualityResult:
    """What one checkpoint run found, as written to `dq.validation_run`."""

    validation_run_id: int
    status: str  # pass / warn / fail
    evaluated: int
    passed: int
    warned: int  # warning expectations that failed
    failed: int  # critical expectations that failed
    report_path: str  # absolute path of this validation's Data Docs page (or the site index)
    success: bool  # GX's own verdict: every expectation succeeded


def run_suite_checkpoint(
    suite_path: Path,
    warehouse_url: str,
    run_label: str | None = None,
    data_docs_dir: Path | None = None,
) -> QualityResult:
    """Validate the table named in a reviewed suite file; see `run_fct_dossier_checkpoint`."""
    started = time.monotonic()
    gx_context.quiet_gx()
    suite_file = load_suite_file(suite_path)
    data_docs_dir = Path(data_docs_dir or config.data_docs_dir()).resolve()
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    gx_root = config.gx_root().resolve()

    from great_expectations.core.run_identifier import RunIdentifier

    run_at = datetime.now(timezone.utc)
    run_name = run_label or f"{suite_file.name}-{run_at:%Y%m%dT%H%M%SZ}"
    with gx_context.warehouse_url_for_gx(warehouse_url), warnings.catch_warnings():
        # GX 1.14+ deprecates TableAsset.schema_name in favour of a schema in the data source's
        # connection; its Postgres data source has no such setting, so schema_name stays.
        warnings.filterwarnings(
            "ignore", message="`schema_name` is deprecated", category=DeprecationWarning
        )
        context = gx_context.file_context(gx_root, data_docs_dir)
        checkpoint = gx_context.checkpoint_for(context, suite_file)
        set_up = time.monotonic()
        # A run_id is what makes the Data Docs render this validation (pitfalls 3.3).
        result = checkpoint.run(run_id=RunIdentifier(run_name=run_name, run_time=run_at))
        validated = time.monotonic()
        gx_context.dispose_engines(context, checkpoint)

    (identifier, suite_result), = result.run_results.items()
    rows = [result_row(r) for r in suite_result.results]
    status, passed, warned, failed = verdict(rows)
    offline_docs.localise(data_docs_dir)  # the CDN assets of the pages, served from the site
    report_path = data_docs.report_path(context, identifier, data_docs_dir)
    validation_run_id = write_dq(
        warehouse_url,
        run_label=run_label,
        checkpoint_name=checkpoint.name,
        suite_file=suite_file,
        run_at=run_at,
        success=bool(result.success),
        status=status,
        counts=(len(rows), passed, warned, failed),
        report_path=report_path,
        rows=rows,
    )
    log.info(
        "checkpoint %s on %s (%s): status=%s evaluated=%d passed=%d warned=%d failed=%d "
        "dq.validation_run_id=%d report=%s; setup %.1fs, validation %.1fs, total %.1fs",
        checkpoint.name, suite_file.table_checked, redact(warehouse_url), status, len(rows),
        passed, warned, failed, validation_run_id, report_path, set_up - started,
        validated - set_up, time.monotonic() - started,
    )
    for row in rows:
        if not row["success"]:
            log.warning(
                "%s expectation failed: %s on %s: %s",
                row["severity"], row["expectation_type"], row["column_name"],
                row["observed_value"],
            )
    return QualityResult(
        validation_run_id=validation_run_id,
        status=status,
        evaluated=len(rows),
        passed=passed,
        warned=warned,
        failed=failed,
        report_path=report_path,
        success=bool(result.success),
    )


def run_fct_dossier_checkpoint(
    warehouse_url: str,
    run_label: str | None = None,
    data_docs_dir: Path | None = None,
) -> QualityResult:
    """Validate `marts.fct_dossier` with `expectations/suites/fct_dossier.json`.

    Args:
        warehouse_url: `postgresql://user:pass@host:port/db` (also `postgres://`, a `+driver`
            suffix, or a Unix-socket host as `?host=/path`).
        run_label: a label for this run (e.g. the Airflow run id); it names the GX run and is
            stored in `dq.validation_run.run_label`.
        data_docs_dir: where the Data Docs HTML lands; default env `IOC_DATA_DOCS_DIR`, else
            `reports/data_docs`.

    The File Data Context lives in `<IOC_GX_ROOT or .run>/gx` (git-ignored). Returns the
    `QualityResult`; a failed validation does not raise (check `status`).
    """
    return run_suite_checkpoint(FCT_DOSSIER_SUITE_FILE, warehouse_url, run_label, data_docs_dir)
