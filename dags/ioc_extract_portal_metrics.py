"""Load the portal's official service index (Decision 766/QĐ-TTg), monthly on the 2nd at 02:00 Vietnam time.

The portal answers a month only once it has ended, so the run on the 2nd asks for the month that just
ended (its data interval, from the 2nd of the previous month to the 2nd of this one, holds exactly one
ended month). Every agency in force that month (the portal's department list) and every group is asked;
one month is one batch, and a failed call spares the others but fails the task after the month is
loaded (`ioc_pipeline/tasks/portal.py`). The `run` command passes a catch-up interval in the
run's conf (`interval_start`, `interval_end`; also the trigger form's params): every month of it that
has ended by its end is fetched. A run triggered without a logical date covers the last complete
monthly interval (`ioc_pipeline/airflow_glue/run_window.py`). Then the raw data-quality suites
check the months just loaded; that check task carries the Asset that triggers the build.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from ioc_pipeline import config
from ioc_pipeline.airflow_glue.defaults import default_args, run_label
from ioc_pipeline.airflow_glue.assets import RAW_EVALUATION_METRICS
from ioc_pipeline.airflow_glue.run_window import interval_params


@dag(
    dag_id="ioc_extract_portal_metrics",
    schedule=CronDataIntervalTimetable("0 2 2 * *", timezone=config.VN_TZ),
    start_date=pendulum.datetime(2024, 7, 2, tz=config.VN_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=interval_params(),
    tags=["ioc", "extract"],
    doc_md=__doc__,
)
def ioc_extract_portal_metrics():
    @task
    def extract_dvc_portal_evaluation_metrics() -> list[dict]:
        from airflow.exceptions import AirflowException

        from ioc_pipeline.airflow_glue.connections import http_endpoint, warehouse_url
        from ioc_pipeline.tasks.portal import extract_evaluation_metrics, metrics_window
        from ioc_pipeline.airflow_glue.run_window import data_interval, run_conf

        context = get_current_context()
        conf = run_conf(context)
        start, end = metrics_window(*data_interval(context), conf)
        outcomes = extract_evaluation_metrics(warehouse_url(), http_endpoint(config.CONN_DVC_PORTAL), start, end,
                                              run_label=run_label(context))
        failed = [o for o in outcomes if not o.ok]
        if failed:
            raise AirflowException("766 index incomplete: " + " | ".join(
                f"{o.year}-{o.month:02d}: {o.batch.error or '; '.join(o.failed_calls)}" for o in failed))
        return [o.summary() for o in outcomes]

    # The raw checks over the months just loaded; this task carries the Asset (issue 11).
    @task(outlets=[RAW_EVALUATION_METRICS])
    def check_dvc_portal_evaluation_metrics(months: list[dict]) -> dict:
        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches

        return check_raw_batches(get_current_context(), RAW_EVALUATION_METRICS, "dvc_portal",
                                 "evaluation_metric", [m["batch_id"] for m in months])

    check_dvc_portal_evaluation_metrics(extract_dvc_portal_evaluation_metrics())


ioc_extract_portal_metrics()
