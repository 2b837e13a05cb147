"""The Great Expectations checkpoint on `marts.fct_dossier`, run after the dbt build.

`run_fct_dossier_checkpoint` builds (idempotently) a File Data Context in a git-ignored state folder,
validates the whole table against the reviewed suite `expectations/suites/fct_dossier.json`,
publishes the Data Docs HTML that auditors open, and records the run in `dq.validation_run` and one
row per expectation in `dq.validation_result`, in one transaction.

It never raises because data failed validation: it returns a `QualityResult` whose `status` is
`fail` (a critical expectation failed), `warn` (only warning expectations failed) or `pass`, and the
caller (the Airflow task) decides what to do. It does raise when it cannot run at all (suite file
invalid, database unreachable).

Great Expectations is imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from ioc_pipeline import config
from ioc_pipeline.warehouse.locate import redact

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.data_context import FileDataContext

log = logging.getLogger(__name__)

SUITES_DIR = config.EXPECTATIONS_DIR / "suites"
FCT_DOSSIER_SUITE_FILE = SUITES_DIR / "fct_dossier.json"

# The warehouse URL is handed to GX through this variable, as `${...}` in the data source config,
# so that no password is ever written into the context's great_expectations.yml.
GX_WAREHOUSE_URL_ENV = config.GX_WAREHOUSE_URL_ENV

DATASOURCE_NAME = "warehouse"
BATCH_DEFINITION_NAME = "whole_table"
DATA_DOCS_SITE_NAME = "local_site"
SEVERITIES = ("critical", "warning")

# SUMMARY gives counts and percentages; partial_unexpected_count 0 keeps sample values out of the
# stored results and the Data Docs (a failing applicant_key would otherwise show the raw ID number
# to everybody who opens the report).
RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


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


@dataclass(frozen=True)
class _SuiteFile:
    path: Path
    name: str
    schema: str
    table: str
    data: dict[str, Any]

    @property
    def table_checked(self) -> str:
        return f"{self.schema}.{self.table}"


# --------------------------------------------------------------------------------------------
# URLs


def _split_pg_url(url: str):
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("postgres", "postgresql") and not scheme.startswith("postgresql+"):
        raise ValueError(f"not a PostgreSQL URL (scheme {parts.scheme!r})")
    return parts


def sqlalchemy_url(url: str) -> str:
    """`postgres[ql][+driver]://...` as a SQLAlchemy URL with the psycopg2 driver.

    Everything after the scheme is kept, so a Unix-socket host given as `?host=/path` (or as a
    percent-encoded host) still reaches the driver.
    """
    return urlunsplit(_split_pg_url(url)._replace(scheme="postgresql+psycopg2"))


def psycopg_url(url: str) -> str:
    """The same URL as a libpq connection URI (plain `postgresql://`), for psycopg 3."""
    return urlunsplit(_split_pg_url(url)._replace(scheme="postgresql"))


# --------------------------------------------------------------------------------------------
# Suite files


def load_suite_file(path: Path) -> _SuiteFile:
    """Read and check a reviewed suite file (GX's own suite JSON plus `meta.table`)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    name = data.get("name")
    if not name or not isinstance(name, str):
        raise ValueError(f"{path}: the suite needs a non-empty 'name'")
    table = (data.get("meta") or {}).get("table", "")
    if table.count(".") != 1:
        raise ValueError(f"{path}: meta.table must be 'schema.table', got {table!r}")
    expectations = data.get("expectations") or []
    if not expectations:
        raise ValueError(f"{path}: the suite has no expectations")
    for i, exp in enumerate(expectations):
        # GX defaults a missing severity to critical; in a reviewed file it must be explicit.
        if exp.get("severity") not in SEVERITIES:
            raise ValueError(
                f"{path}: expectation #{i} ({exp.get('type')}) needs severity "
                f"'critical' or 'warning', got {exp.get('severity')!r}"
            )
        if "id" in exp:
            raise ValueError(f"{path}: expectation #{i} carries an 'id'; ids belong to GX's store")
    schema, table_name = table.split(".")
    return _SuiteFile(path=Path(path), name=name, schema=schema, table=table_name, data=data)


def _build_suite(suite_file: _SuiteFile):
    import great_expectations as gx

    data = suite_file.data
    expectations = []
    for exp in data["expectations"]:
        exp = dict(exp)
        # Data Docs show the description but not the severity: put it where auditors read.
        text = exp.get("description") or exp["type"]
        exp["description"] = f"[{exp['severity']}] {text}"
        expectations.append(exp)
    suite = gx.ExpectationSuite(
        name=suite_file.name,
        expectations=expectations,
        meta=dict(data.get("meta") or {}),
        notes=data.get("notes"),
    )
    # ExpectationSuite() logs and drops an expectation it cannot build: refuse a partial suite.
    if len(suite.expectations) != len(data["expectations"]):
        raise ValueError(
            f"{suite_file.path}: only {len(suite.expectations)} of {len(data['expectations'])} "
            "expectations are valid (see the GX error logged above)"
        )
    return suite


# --------------------------------------------------------------------------------------------
# Context


def _quiet_gx() -> None:
    for key, value in config.QUIET_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    # GX logs every store write and config substitution at INFO; keep task logs to what matters,
    # unless someone configured the GX logger on purpose.
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _file_context(gx_root: Path, data_docs_dir: Path) -> "FileDataContext":
    """The File Data Context at `<gx_root>/gx`, with progress bars off and one Data Docs site
    whose HTML lands in `data_docs_dir`. Safe to call again on an existing context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(gx_root))

    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.save()

    site_config = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = context.list_data_docs_sites()
    for other in [name for name in sites if name != DATA_DOCS_SITE_NAME]:
        context.delete_data_docs_site(other)
    if DATA_DOCS_SITE_NAME in sites:
        context.update_data_docs_site(DATA_DOCS_SITE_NAME, site_config)
    else:
        context.add_data_docs_site(DATA_DOCS_SITE_NAME, site_config)
    return context


def _checkpoint(context: "FileDataContext", suite_file: _SuiteFile):
    """Data source -> table asset -> whole-table batch -> suite -> validation definition ->
    checkpoint, each added or updated by name."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    datasource = context.data_sources.add_or_update_postgres(
        name=DATASOURCE_NAME, connection_string="${" + GX_WAREHOUSE_URL_ENV + "}"
    )
    asset_name = suite_file.table_checked
    try:
        asset = datasource.get_asset(asset_name)
    except LookupError:
        asset = datasource.add_table_asset(
            name=asset_name, schema_name=suite_file.schema, table_name=suite_file.table
        )
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION_NAME)
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)

    suite = context.suites.add_or_update(_build_suite(suite_file))
    validation_definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=f"{suite_file.name}__{BATCH_DEFINITION_NAME}", data=batch_definition, suite=suite
        )
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{suite_file.name}_checkpoint",
            validation_definitions=[validation_definition],
            actions=[
                UpdateDataDocsAction(name="update_data_docs", site_names=[DATA_DOCS_SITE_NAME])
            ],
            result_format=RESULT_FORMAT,
        )
    )


def _report_path(context: "FileDataContext", identifier: Any, data_docs_dir: Path) -> str:
    index = (data_docs_dir / "index.html").resolve()
    try:
        urls = context.get_docs_sites_urls(
            resource_identifier=identifier, site_name=DATA_DOCS_SITE_NAME, only_if_exists=True
        )
    except Exception:  # noqa: BLE001 - the index is a good enough fallback
        log.warning("could not locate the Data Docs page of this validation", exc_info=True)
        urls = []
    for entry in urls:
        url = entry.get("site_url") or ""
        if url.startswith("file://"):
            page = Path(unquote(urlsplit(url).path))
            if page.is_file():
                return str(page.resolve())
    return str(index)


def _dispose_engines(context: Any, checkpoint: Any) -> None:
    """Close the pooled connections GX opened, so none outlives the task."""
    datasources = [vd.data.data_asset.datasource for vd in checkpoint.validation_definitions]
    try:
        datasources.append(context.data_sources.get(DATASOURCE_NAME))
    except Exception:  # noqa: BLE001
        pass
    for datasource in datasources:
        try:
            if getattr(datasource, "_execution_engine", None) is not None:
                datasource._execution_engine.close()
            if getattr(datasource, "_engine", None) is not None:
                datasource._engine.dispose()
        except Exception:  # noqa: BLE001 - best effort
            log.debug("could not dispose the GX engines", exc_info=True)


# --------------------------------------------------------------------------------------------
# Results


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, sort_keys=True)


def _result_row(result: Any) -> dict[str, Any]:
    """One `dq.validation_result` row (without run id, suite and table) from a GX result."""
    cfg = result.expectation_config
    kwargs = cfg.to_json_dict().get("kwargs") or {}
    severity = getattr(cfg.severity, "value", cfg.severity) or "critical"
    meta = cfg.meta or {}
    details = dict(result.result or {})

    if kwargs.get("column"):
        column = kwargs["column"]
    elif kwargs.get("column_A") and kwargs.get("column_B"):
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif kwargs.get("column_list"):
        column = ",".join(kwargs["column_list"])
    elif meta.get("columns"):
        column = ",".join(meta["columns"])
    else:
        column = None

    unexpected_count = details.get("unexpected_count")
    unexpected_percent = details.get("unexpected_percent")
    if "observed_value" in details:
        observed = _text(details["observed_value"])
        if cfg.type == "unexpected_rows_expectation" and unexpected_count is None:
            unexpected_count = details["observed_value"]  # the number of rows the query returned
    elif unexpected_count is not None:
        observed = f"{unexpected_count} unexpected of {details.get('element_count')} rows"
        if details.get("missing_count"):
            observed += f" ({details['missing_count']} null, not checked)"
    else:
        observed = None

    exception = result.exception_info or {}
    if exception.get("raised_exception"):
        observed = f"error: {exception.get('exception_message')}"[:2000]

    return {
        "expectation_type": cfg.type,
        "column_name": column,
        "severity": severity if severity in SEVERITIES else "warning",
        "success": bool(result.success),
        "observed_value": observed,
        "unexpected_count": int(unexpected_count) if unexpected_count is not None else None,
        "unexpected_percent": (
            float(unexpected_percent) if unexpected_percent is not None else None
        ),
        "kwargs": json.dumps(kwargs, default=str, sort_keys=True),
    }


def _status(rows: list[dict[str, Any]]) -> tuple[str, int, int, int]:
    failed = sum(1 for r in rows if not r["success"] and r["severity"] == "critical")
    warned = sum(1 for r in rows if not r["success"] and r["severity"] != "critical")
    passed = sum(1 for r in rows if r["success"])
    status = "fail" if failed else "warn" if warned else "pass"
    return status, passed, warned, failed


def _write_dq(
    warehouse_url: str,
    *,
    run_label: str | None,
    checkpoint_name: str,
    suite_file: _SuiteFile,
    run_at: datetime,
    success: bool,
    status: str,
    counts: tuple[int, int, int, int],
    report_path: str,
    rows: list[dict[str, Any]],
) -> int:
    import psycopg

    evaluated, passed, warned, failed = counts
    with psycopg.connect(psycopg_url(warehouse_url)) as conn, conn.transaction():
        with conn.cursor() as cur:
            cur.execute(
                """
                insert into dq.validation_run (
                    run_label, checkpoint_name, suite_name, table_checked, run_at, success,
                    status, evaluated, passed, warned, failed, report_path
                ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                returning validation_run_id
                """,
                (
                    run_label, checkpoint_name, suite_file.name, suite_file.table_checked, run_at,
                    success, status, evaluated, passed, warned, failed, report_path,
                ),
            )
            run_id = cur.fetchone()[0]
            cur.executemany(
                """
                insert into dq.validation_result (
                    validation_run_id, expectation_type, column_name, severity, success,
                    observed_value, unexpected_count, unexpected_percent, suite_name,
                    table_checked, kwargs
                ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)
                """,
                [
                    (
                        run_id, r["expectation_type"], r["column_name"], r["severity"],
                        r["success"], r["observed_value"], r["unexpected_count"],
                        r["unexpected_percent"], suite_file.name, suite_file.table_checked,
                        r["kwargs"],
                    )
                    for r in rows
                ],
            )
    return int(run_id)


# --------------------------------------------------------------------------------------------
# Entry points


def run_suite_checkpoint(
    suite_path: Path,
    warehouse_url: str,
    run_label: str | None = None,
    data_docs_dir: Path | None = None,
) -> QualityResult:
    """Validate the table named in a reviewed suite file; see `run_fct_dossier_checkpoint`."""
    started = time.monotonic()
    _quiet_gx()
    suite_file = load_suite_file(suite_path)
    data_docs_dir = Path(data_docs_dir or config.data_docs_dir()).resolve()
    data_docs_dir.mkdir(parents=True, exist_ok=True)
    gx_root = config.gx_root().resolve()

    from great_expectations.core.run_identifier import RunIdentifier

    run_at = datetime.now(timezone.utc)
    run_name = run_label or f"{suite_file.name}-{run_at:%Y%m%dT%H%M%SZ}"
    with _env(GX_WAREHOUSE_URL_ENV, sqlalchemy_url(warehouse_url)), warnings.catch_warnings():
        # GX 1.14+ deprecates TableAsset.schema_name in favour of a schema in the data source's
        # connection; its Postgres data source has no such setting, so schema_name stays.
        warnings.filterwarnings(
            "ignore", message="`schema_name` is deprecated", category=DeprecationWarning
        )
        context = _file_context(gx_root, data_docs_dir)
        checkpoint = _checkpoint(context, suite_file)
        set_up = time.monotonic()
        # A run_id is what makes the Data Docs render this validation (pitfalls 3.3).
        result = checkpoint.run(run_id=RunIdentifier(run_name=run_name, run_time=run_at))
        validated = time.monotonic()
        _dispose_engines(context, checkpoint)

    (identifier, suite_result), = result.run_results.items()
    rows = [_result_row(r) for r in suite_result.results]
    status, passed, warned, failed = _status(rows)
    report_path = _report_path(context, identifier, data_docs_dir)
    validation_run_id = _write_dq(
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
