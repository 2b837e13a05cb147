"""One catch-up run over `[from, to)`: every extraction DAG in order, then one build, then the summary.

The extraction DAGs run one after the other over the whole interval (each source its own task, so a
failing source spares the others), then the build DAG once: dbt through Cosmos and the data-quality
checkpoint. The interval, the as-of day and a run label travel in each run's conf (`catch_up`).
The warehouse is bootstrapped and the dbt manifest written first, so a fresh clone runs as is.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.runner.catch_up import build_conf, extraction_conf
from ioc_pipeline.runner.dag_runs import airflow_env, dbt_parse, prepare_airflow, run_dag
from ioc_pipeline.runner.summary import RunReport, collect, format_summary
from ioc_pipeline.warehouse.bootstrap import bootstrap
from ioc_pipeline.warehouse.locate import locate

# Extraction DAGs, run in this order over the interval; then the build DAG once.
EXTRACT_DAGS = ("ioc_extract_sources", "ioc_extract_portal_metrics", "ioc_extract_operator_reports")
BUILD_DAG = "ioc_build_marts"


def run(interval_from: date, interval_to: date, as_of: date | None = None,
        source_env: dict[str, str] | None = None) -> tuple[RunReport, str]:
    """One catch-up run over `[interval_from, interval_to)`; returns the report and its summary text."""
    if interval_to <= interval_from:
        raise ValueError("--to must be after --from")
    as_of = as_of or interval_to
    warehouse = locate()
    bootstrap(warehouse)
    run_label = f"run-{datetime.now(VN):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    env = airflow_env(warehouse, source_env)
    prepare_airflow(env)
    dbt_parse(warehouse)
    started_at = datetime.now(VN)
    log_dir = config.STATE_DIR / "logs" / run_label
    report = RunReport(run_label)
    for dag_id in EXTRACT_DAGS:
        report.steps.append(run_dag(dag_id, extraction_conf(interval_from, interval_to, run_label), env, log_dir))
    report.steps.append(run_dag(BUILD_DAG, build_conf(as_of, run_label), env, log_dir))
    collect(report, warehouse, started_at)
    return report, format_summary(report, warehouse)
