"""One catch-up run over `[from, to)`: every extraction DAG in order, then one build, then the summary.

The extraction DAGs run one after the other over the whole interval (each source its own task, so a
failing source spares the others), then the build DAG once: dbt through Cosmos and the data-quality
checkpoint. The interval, the as-of day and a run label travel in each run's conf (`catch_up`).
The warehouse is bootstrapped and the dbt manifest written first, so a fresh clone runs as is.

Safe operation: the command line checks the warehouse and takes the warehouse lock (`warehouse.lock`)
before anything starts, and holds it for the whole run; under it, batches left `running` by a dead
run are marked `abandoned` (`warehouse.batches`). SIGTERM ends the run like Ctrl-C
(`stop_on_signals`): the child process group is killed, the simulator stopped, the lock released.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import uuid
from collections.abc import Iterator
from datetime import date, datetime

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.runner.catch_up import build_conf, extraction_conf
from ioc_pipeline.runner.dag_runs import airflow_env, dbt_parse, prepare_airflow, run_dag
from ioc_pipeline.runner.summary import RunReport, collect, format_summary
from ioc_pipeline.warehouse.batches import abandon_running
from ioc_pipeline.warehouse.bootstrap import bootstrap
from ioc_pipeline.warehouse.locate import WarehouseUrl, locate
from ioc_pipeline.warehouse.lock import RunLock, record_holder

log = logging.getLogger(__name__)

# Extraction DAGs, run in this order over the interval; then the build DAG once.
EXTRACT_DAGS = ("ioc_extract_sources", "ioc_extract_portal_metrics", "ioc_extract_operator_reports")
BUILD_DAG = "ioc_build_marts"


def new_run_label() -> str:
    """A run's unique label: it tags its audit rows, its logs and its child processes' command lines."""
    return f"run-{datetime.now(VN):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


class Terminated(SystemExit):
    """The run command got SIGTERM: unwinds like Ctrl-C, so children, simulator and lock are let go."""


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM (and SIGHUP) into an exception for the block; Ctrl-C already is one."""
    def handler(signum, _frame):
        raise Terminated(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def prepare_warehouse(warehouse: WarehouseUrl, lock: RunLock, interval_from: date, interval_to: date) -> list[int]:
    """Under the lock: bootstrap, name the holder, abandon what dead runs left `running`."""
    bootstrap(warehouse)
    record_holder(lock, interval_from, interval_to)
    abandoned = abandon_running(warehouse.url, older_than=None, by=f"run {lock.run_label}")
    if abandoned:
        log.warning("marked %d load batch(es) left running by a dead run as abandoned: %s", len(abandoned),
                    ", ".join(map(str, abandoned)))
    return abandoned


def run(interval_from: date, interval_to: date, as_of: date | None = None,
        source_env: dict[str, str] | None = None, *, warehouse: WarehouseUrl | None = None,
        run_label: str | None = None) -> tuple[RunReport, str]:
    """One catch-up run over `[interval_from, interval_to)`; returns the report and its summary text.

    The command line passes the checked warehouse and the label it holds the lock under (after
    `prepare_warehouse`); without them this bootstraps the located warehouse itself, unlocked."""
    if interval_to <= interval_from:
        raise ValueError("--to must be after --from")
    as_of = as_of or interval_to
    if warehouse is None:
        warehouse = locate()
        bootstrap(warehouse)
    run_label = run_label or new_run_label()
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
