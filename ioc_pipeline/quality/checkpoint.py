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
    report_path: str | None  # this validation's Data Docs page (or the site index); None for raw
    success: bool  # GX's own verdict: every expectation succeeded
    suite_name: str = ""
    table_checked: str = ""
    layer: str = "marts"
    failed_expectations: tuple[str, ...] = ()  # "severity: type on column", for logs and errors


def worst_status(results: "list[QualityResult]") -> str:
    """fail if any run failed, else warn if any warned, else pass (pass for no run at all)."""
    statuses = {r.status for r in results}
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


def period_of(warehouse_url: str, batch_ids: list[int]) -> tuple:
    """The period the batches describe: their earliest interval start and latest interval end
    (`audit.load_batch`); (None, None) for whole-catalog snapshots, which have no interval."""
    import psycopg

    from ioc_pipeline.quality.gx_context import psycopg_url

    if not batch_ids:
        return None, None
    with psycopg.connect(psycopg_url(warehouse_url)) as conn:
        return tuple(conn.execute(
            "select min(interval_start), max(interval_end) from audit.load_batch where batch_id = any(%s)",
            (list(batch_ids),)).fetchone())


def run_suites(
    suite_files: list,
    warehouse_url: str,
    *,
    checkpoint_name: str,
    run_label: str | None = None,
    marts_schema: str = "marts",
    source: str | None = None,
    batch_ids: list[int] | None = None,
    publish_docs: bool = True,
    data_docs_dir: Path | None = None,
) -> list[QualityResult]:
    """Validate several reviewed suites in one GX checkpoint run; one `dq.validation_run` per suite.

    Raw suites (`meta.query` over `{batch_ids}`) read only the given batches; suites on schema
    `marts` read `marts_schema` (e.g. the build schema before publishing) but are recorded as
    `marts.<table>`. With `publish_docs` the File Data Context and its Data Docs are used;
    without (raw checks, run by extraction tasks side by side), an in-memory context. Never raises
    because data failed; raises when it cannot run at all.
    """
    started = time.monotonic()
    gx_context.quiet_gx()
    if not suite_files:
        return []
    data_docs_dir = Path(data_docs_dir or config.data_docs_dir()).resolve()
    period = period_of(warehouse_url, batch_ids) if batch_ids is not None else (None, None)

    from great_expectations.core.run_identifier import RunIdentifier

    run_at = datetime.now(timezone.utc)
    run_name = run_label or f"{checkpoint_name}-{run_at:%Y%m%dT%H%M%SZ}"
    with gx_context.warehouse_url_for_gx(warehouse_url), warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="`schema_name` is deprecated", category=DeprecationWarning
        )
        if publish_docs:
            data_docs_dir.mkdir(parents=True, exist_ok=True)
            context = gx_context.file_context(config.gx_root().resolve(), data_docs_dir)
        else:
            context = gx_context.ephemeral_context()
        datasource = gx_context.warehouse_datasource(context)
        definitions = [
            gx_context.validation_definition_for(context, datasource, f, marts=marts_schema,
                                                 batch_ids=batch_ids)
            for f in suite_files
        ]
        checkpoint = gx_context.checkpoint_of(context, checkpoint_name, definitions,
                                              publish_docs=publish_docs)
        set_up = time.monotonic()
        result = checkpoint.run(run_id=RunIdentifier(run_name=run_name, run_time=run_at))
        validated = time.monotonic()
        gx_context.dispose_engines(context, checkpoint)
    if publish_docs:
        offline_docs.localise(data_docs_dir)

    by_name = {f.name: f for f in suite_files}
    results = []
    for identifier, suite_result in result.run_results.items():
        suite_file = by_name[suite_result.suite_name]
        rows = [result_row(r) for r in suite_result.results]
        status, passed, warned, failed = verdict(rows)
        report_path = data_docs.report_path(context, identifier, data_docs_dir) if publish_docs else None
        validation_run_id = write_dq(
            warehouse_url,
            run_label=run_label,
            checkpoint_name=checkpoint.name,
            suite_file=suite_file,
            run_at=run_at,
            success=bool(suite_result.success),
            status=status,
            counts=(len(rows), passed, warned, failed),
            report_path=report_path,
            rows=rows,
            layer=suite_file.layer,
            source=source,
            batch_ids=list(batch_ids) if batch_ids is not None else None,
            period=period,
        )
        failing = tuple(f"{r['severity']}: {r['expectation_type']} on {r['column_name']} "
                        f"({r['observed_value']})" for r in rows if not r["success"])
        for text in failing:
            log.warning("%s: expectation failed: %s", suite_file.name, text)
        results.append(QualityResult(
            validation_run_id=validation_run_id, status=status, evaluated=len(rows), passed=passed,
            warned=warned, failed=failed, report_path=report_path,
            success=bool(suite_result.success), suite_name=suite_file.name,
            table_checked=suite_file.table_checked, layer=suite_file.layer,
            failed_expectations=failing,
        ))
    log.info(
        "checkpoint %s (%s, %d suites, batches %s): %s; setup %.1fs, validation %.1fs, total %.1fs",
        checkpoint_name, redact(warehouse_url), len(suite_files), batch_ids, worst_status(results),
        set_up - started, validated - set_up, time.monotonic() - started,
    )
    return results


def run_suite_checkpoint(
    suite_path: Path,
    warehouse_url: str,
    run_label: str | None = None,
    data_docs_dir: Path | None = None,
    schema: str = "marts",
) -> QualityResult:
    """Validate the table named in one reviewed suite file; see `run_fct_dossier_checkpoint`."""
    suite_file = load_suite_file(suite_path)
    [result] = run_suites([suite_file], warehouse_url, checkpoint_name=f"{suite_file.name}_checkpoint",
                          run_label=run_label, marts_schema=schema, data_docs_dir=data_docs_dir)
    return result


def run_fct_dossier_checkpoint(
    warehouse_url: str,
    run_label: str | None = None,
    data_docs_dir: Path | None = None,
    schema: str = "marts",
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
    return run_suite_checkpoint(FCT_DOSSIER_SUITE_FILE, warehouse_url, run_label, data_docs_dir, schema)
