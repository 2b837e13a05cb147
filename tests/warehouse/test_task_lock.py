"""Scheduled extraction tasks hold the warehouse lock (shared) and abandon stale batches; the run
command's own tasks and the build DAG do not take it. Called as Airflow calls the hooks, with a
hand-made context."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ioc_pipeline.airflow_glue import task_lock
from ioc_pipeline.warehouse.lock import LockBusy, run_lock
from tests.conftest import scalar


def _context(dag_id="ioc_extract_sources", conf=None, task_id="extract_one_stop_shop_dossiers"):
    ti = SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id="scheduled__x", map_index=-1, task=None)
    return {"task_instance": ti, "dag_run": SimpleNamespace(conf=conf or {})}


@pytest.fixture()
def connection(warehouse, monkeypatch):
    import ioc_pipeline.airflow_glue.connections as connections

    monkeypatch.setattr(connections, "warehouse_url", lambda: warehouse.url)


def test_a_scheduled_task_holds_the_lock_and_abandons_stale_batches(warehouse, db, connection, monkeypatch):
    monkeypatch.setenv("IOC_ABANDON_RUNNING_AFTER_MINUTES", "60")
    stale = scalar(db, """insert into audit.load_batch (source, entity, status, started_at)
                          values ('dvc_portal', 'department', 'running', now() - interval '2 hours')
                          returning batch_id""")
    fresh = scalar(db, """insert into audit.load_batch (source, entity, status)
                          values ('dvc_portal', 'formality', 'running') returning batch_id""")
    context = _context()
    task_lock.take(context)
    try:
        assert scalar(db, "select status from audit.load_batch where batch_id = %s", stale) == "abandoned"
        assert scalar(db, "select status from audit.load_batch where batch_id = %s", fresh) == "running"
        with pytest.raises(LockBusy, match="scheduled task airflow ioc_extract_sources.extract_one_stop_shop"):
            with run_lock(warehouse, "a run"):
                pass
    finally:
        task_lock.release(context)
    with run_lock(warehouse, "a run"):
        pass
    db.execute("update audit.load_batch set status = 'failed' where batch_id = %s", (fresh,))


@pytest.mark.parametrize("context", [
    _context(conf={"interval_start": "2024-09-01T00:00:00+07:00", "interval_end": "2024-10-01T00:00:00+07:00",
                   "run_label": "run-x"}),
    _context(dag_id="ioc_build_marts", task_id="dbt.fct_dossier_run"),
], ids=["run-command-task", "build-dag"])
def test_tasks_that_do_not_take_the_lock(warehouse, connection, context):
    task_lock.take(context)
    with run_lock(warehouse, "a run"):  # would raise if the task held it
        pass
    task_lock.release(context)
