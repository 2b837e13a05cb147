"""The Great Expectations objects a check needs, built by name and idempotently on every run.

Why rebuilt each time: the File Data Context lives in git-ignored local state (`<IOC_GX_ROOT>/gx`),
so a fresh clone, a new worker or a deleted folder must all give the same context. Every object
(data source, table or query asset, whole-table batch, suite, validation definition, checkpoint) is
added or updated by name (the data source is only added: see `warehouse_datasource`). The warehouse URL reaches GX only through the environment variable
`config.GX_WAREHOUSE_URL_ENV`, so no password is ever written into great_expectations.yml. GX is
imported inside the functions: importing this module stays cheap.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from ioc_pipeline import config
from ioc_pipeline.quality import data_docs
from ioc_pipeline.quality.suites import SuiteFile, build_gx_suite

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.data_context import FileDataContext

log = logging.getLogger(__name__)

DATASOURCE_NAME = "warehouse"
BATCH_DEFINITION_NAME = "whole_table"

# SUMMARY gives counts and percentages; partial_unexpected_count 0 keeps sample values out of the
# stored results and the Data Docs (a failing applicant_key would otherwise show the raw ID number
# to everybody who opens the report).
RESULT_FORMAT: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


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


def quiet_gx() -> None:
    for key, value in config.QUIET_ENV.items():
        os.environ.setdefault(key, value)
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    # GX logs every store write and config substitution at INFO; keep task logs to what matters,
    # unless someone configured the GX logger on purpose.
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)


@contextmanager
def warehouse_url_for_gx(warehouse_url: str) -> Iterator[None]:
    """The warehouse URL in `config.GX_WAREHOUSE_URL_ENV` for the time of a run, then as before."""
    name = config.GX_WAREHOUSE_URL_ENV
    old = os.environ.get(name)
    os.environ[name] = sqlalchemy_url(warehouse_url)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def file_context(gx_root: Path, data_docs_dir: Path) -> "FileDataContext":
    """The File Data Context at `<gx_root>/gx`, with progress bars off and one Data Docs site
    whose HTML lands in `data_docs_dir`. Safe to call again on an existing context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(gx_root))

    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.variables.save()
    data_docs.configure_site(context, data_docs_dir)
    return context


def dispose_engines(context: Any, checkpoint: Any) -> None:
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


def ephemeral_context():
    """An in-memory Data Context (no files, no Data Docs): what the per-batch raw checks use, so
    extraction tasks running side by side never write the same File Data Context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def warehouse_datasource(context: Any):
    """The warehouse data source, taken as stored or added. Never updated: updating it drops its
    assets, and the stored validation definitions that name them could no longer be read. Its
    connection string is only the name of an environment variable, so it never needs an update."""
    try:
        return context.data_sources.get(DATASOURCE_NAME)
    except (KeyError, LookupError, ValueError):
        return context.data_sources.add_postgres(
            name=DATASOURCE_NAME, connection_string="${" + config.GX_WAREHOUSE_URL_ENV + "}"
        )


def validation_definition_for(context: Any, datasource: Any, suite_file: SuiteFile, *,
                              marts: str = "marts", batch_ids: list[int] | None = None):
    """Data source -> (table or query) asset -> whole batch -> suite -> validation definition.

    A suite with `meta.query` gets a query asset holding that SELECT with its placeholders filled
    (the new batch ids, the marts' schema), replaced on every run since the query changes; a suite
    without one checks its table, read from `marts` when the suite's table is in schema `marts`."""
    import great_expectations as gx

    from ioc_pipeline.quality.suites import fill

    if suite_file.query:
        asset_name = f"query:{suite_file.name}"
        try:
            datasource.delete_asset(asset_name)
        except LookupError:
            pass
        asset = datasource.add_query_asset(
            name=asset_name, query=fill(suite_file.query, marts=marts, batch_ids=batch_ids)
        )
    else:
        schema = marts if suite_file.schema == "marts" else suite_file.schema
        asset_name = f"{schema}.{suite_file.table}"
        try:
            asset = datasource.get_asset(asset_name)
        except LookupError:
            asset = datasource.add_table_asset(
                name=asset_name, schema_name=schema, table_name=suite_file.table
            )
    try:
        batch_definition = asset.get_batch_definition(BATCH_DEFINITION_NAME)
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_table(BATCH_DEFINITION_NAME)
    suite = context.suites.add_or_update(build_gx_suite(suite_file, marts=marts, batch_ids=batch_ids))
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=f"{suite_file.name}__{BATCH_DEFINITION_NAME}", data=batch_definition, suite=suite
        )
    )


def checkpoint_of(context: Any, name: str, validation_definitions: list, *, publish_docs: bool):
    """One checkpoint over several validation definitions: one run, one Data Docs update."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    actions = [UpdateDataDocsAction(name="update_data_docs", site_names=[data_docs.SITE_NAME])] \
        if publish_docs else []
    checkpoint = gx.Checkpoint(name=name, validation_definitions=validation_definitions,
                               actions=actions, result_format=RESULT_FORMAT)
    return context.checkpoints.add_or_update(checkpoint)
