"""Scheduled extraction tasks take the warehouse lock (shared) for the time of their load.

Why shared and per task: scheduled tasks of one night must not block one another, but none may load
while a run command holds the warehouse (`warehouse.lock`: it holds the lock exclusively, so these
wait), and a run command must not start while one of them is loading (it refuses or waits).
Tasks of the run command's own DAG runs (their conf carries the run command's interval) skip it:
their run already holds the lock. Before loading, a scheduled task also marks batches `running`
for longer than IOC_ABANDON_RUNNING_AFTER_MINUTES `abandoned` (`warehouse.batches`).

Wired by `defaults.default_args()`: `pre_execute` takes it; `post_execute`, `on_failure_callback`
and `on_retry_callback` let it go (and the end of the task process would anyway: it is a session lock).
The build DAG does not take it: its publishing is made atomic elsewhere (`ioc_pipeline/warehouse/publish.py`).
"""

from __future__ import annotations

import contextlib
import logging

from ioc_pipeline import config
from ioc_pipeline.runner.catch_up import catch_up_interval

log = logging.getLogger(__name__)

# The extractions, and the sector feeds' loads (dags/ioc_sector_feeds.py).
LOCKED_DAG_PREFIX = ("ioc_extract_", "ioc_sector_feed__")
_held: dict[str, contextlib.ExitStack] = {}


def _key(context) -> str:
    ti = context.get("task_instance") or context.get("ti")
    return f"{ti.dag_id}.{ti.task_id}.{ti.run_id}.{getattr(ti, 'map_index', -1)}"


def _wants_lock(context) -> bool:
    ti = context.get("task_instance") or context.get("ti")
    if not ti.dag_id.startswith(LOCKED_DAG_PREFIX):
        return False
    task = getattr(ti, "task", None)
    if task is not None and type(task).__name__.endswith("Sensor"):
        return False  # waiting for files loads nothing
    dag_run = context.get("dag_run")
    return catch_up_interval(getattr(dag_run, "conf", None)) is None


def take(context) -> None:
    """`pre_execute`: wait for the warehouse lock (shared), then abandon stale `running` batches."""
    if not _wants_lock(context):
        return
    from ioc_pipeline.airflow_glue.connections import warehouse_url
    from ioc_pipeline.warehouse.batches import abandon_running
    from ioc_pipeline.warehouse.lock import shared_lock

    url = warehouse_url()
    key = _key(context)
    stack = contextlib.ExitStack()
    log.info("waiting for the warehouse lock (shared; a run command holds it exclusively)")
    stack.enter_context(shared_lock(url, f"airflow {key}"))
    _held[key] = stack
    abandoned = abandon_running(url, older_than=config.abandon_running_after(), by=f"scheduled task {key}")
    if abandoned:
        log.warning("marked stale running load batch(es) %s as abandoned", ", ".join(map(str, abandoned)))


def release(context, *_result) -> None:
    """`post_execute` / failure / retry callback: let the lock go if this task holds it."""
    stack = _held.pop(_key(context), None)
    if stack is not None:
        stack.close()
