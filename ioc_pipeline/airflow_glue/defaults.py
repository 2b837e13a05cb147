"""What every DAG of the project shares: its default arguments and the label of a run.

`default_args` is read at DAG parse time, so it only reads a setting, never opens anything.
"""

from __future__ import annotations

from datetime import timedelta

from ioc_pipeline import config
from ioc_pipeline.runner.catch_up import run_label as _run_label


def default_args() -> dict:
    """Scheduled runs retry a failed task (`config.task_retries`: the `run` command asks for none).

    A failed task alerts the IOC (`alerts.IocAlertNotifier`, targets from IOC_ALERT_TARGET); scheduled
    extraction tasks hold the warehouse lock shared while they run (`task_lock`)."""
    from ioc_pipeline.airflow_glue import task_lock
    from ioc_pipeline.airflow_glue.alerts import IocAlertNotifier

    return {
        "owner": "ioc-data",
        "retries": config.task_retries(),
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "on_failure_callback": [IocAlertNotifier(), task_lock.release],
        "on_retry_callback": [task_lock.release],
        "pre_execute": task_lock.take,
        "post_execute": task_lock.release,
    }


def run_label(context) -> str:
    """The label audit rows of this run get: the run command's, else Airflow's run id."""
    return _run_label(context["dag_run"].conf, context["run_id"])
