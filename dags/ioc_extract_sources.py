"""Extract the source systems into the raw layer, nightly at 01:00 Vietnam time.

Each source is its own task, so a source that is down does not stop the others. Each load task is
followed by a check task (the raw data-quality suites over the batch just loaded), which carries the
source's Asset: a critical failure fails it and no build is triggered by that source. A task loads one batch
in one transaction and records it in `audit.load_batch`; re-running an interval loads nothing new.
The `run` command passes an explicit catch-up interval in the run's conf (`interval_start`,
`interval_end`; also the params of the trigger form); scheduled runs use the data interval widened by
an overlap margin, and a run triggered without a logical date the last complete night
(`ioc_pipeline/airflow_glue/run_window.py`).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from ioc_pipeline import config
from ioc_pipeline.airflow_glue.defaults import default_args, run_label
from ioc_pipeline.airflow_glue.assets import RAW_DEPARTMENTS, RAW_DOSSIERS, RAW_FORMALITIES
from ioc_pipeline.airflow_glue.assets import RAW_AGENCY_REPORTS, RAW_CITIZEN_ACCOUNTS
from ioc_pipeline.airflow_glue.run_window import interval_params



def _raise_if_failed(result) -> dict:
    from airflow.exceptions import AirflowException

    summary = {"batch_id": result.batch_id, "status": result.status, "received": result.counts.received,
               "loaded": result.counts.loaded, "quarantined": result.counts.quarantined}
    if result.status != "success":
        raise AirflowException(f"batch {result.batch_id} failed: {result.error}")
    return summary


def _raise_if_any_failed(results) -> list[dict]:
    """One summary per month's batch; fails the task (after every month was tried) if one failed."""
    from airflow.exceptions import AirflowException

    summaries = [{"batch_id": r.batch_id, "status": r.status, "received": r.counts.received,
                  "loaded": r.counts.loaded, "quarantined": r.counts.quarantined} for r in results]
    failed = [f"batch {r.batch_id}: {r.error}" for r in results if r.status != "success"]
    if failed:
        raise AirflowException("; ".join(failed))
    return summaries


@dag(
    dag_id="ioc_extract_sources",
    schedule=CronDataIntervalTimetable("0 1 * * *", timezone=config.VN_TZ),
    start_date=pendulum.datetime(2024, 7, 1, tz=config.VN_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=interval_params(),
    tags=["ioc", "extract"],
    doc_md=__doc__,
)
def ioc_extract_sources():
    @task
    def extract_one_stop_shop_dossiers() -> dict:
        from ioc_pipeline.airflow_glue.connections import http_endpoint, warehouse_url
        from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
        from ioc_pipeline.tasks.dossiers import extract_dossiers, extraction_window, watermark
        from ioc_pipeline.airflow_glue.run_window import data_interval, run_conf

        context = get_current_context()
        url = warehouse_url()
        start, end = extraction_window(*data_interval(context), run_conf(context),
                                       watermark(url, DOSSIER.source, DOSSIER.entity))
        result = extract_dossiers(url, http_endpoint(config.CONN_ONE_STOP_SHOP), start, end,
                                  run_label=run_label(context))
        return _raise_if_failed(result)

    @task
    def extract_dvc_portal_departments() -> dict:
        from ioc_pipeline.airflow_glue.connections import http_endpoint, warehouse_url
        from ioc_pipeline.tasks.portal import extract_departments

        context = get_current_context()
        result = extract_departments(warehouse_url(), http_endpoint(config.CONN_DVC_PORTAL),
                                     run_label=run_label(context))
        return _raise_if_failed(result)

    @task
    def extract_dvc_portal_formalities() -> dict:
        from ioc_pipeline.airflow_glue.connections import http_endpoint, warehouse_url
        from ioc_pipeline.tasks.portal import extract_formalities

        context = get_current_context()
        result = extract_formalities(warehouse_url(), http_endpoint(config.CONN_DVC_PORTAL),
                                     run_label=run_label(context))
        return _raise_if_failed(result)

    @task
    def extract_one_stop_shop_agency_reports() -> list[dict]:
        """The agencies' monthly progress reports (sources.md §4), one batch per month asked for."""
        from ioc_pipeline.airflow_glue.connections import http_endpoint, warehouse_url
        from ioc_pipeline.airflow_glue.run_window import data_interval, run_conf
        from ioc_pipeline.tasks.agency_work import extract_agency_reports
        from ioc_pipeline.tasks.portal import metrics_window

        context = get_current_context()
        start, end = metrics_window(*data_interval(context), run_conf(context))
        results = extract_agency_reports(warehouse_url(), http_endpoint(config.CONN_ONE_STOP_SHOP), start, end,
                                         run_label=run_label(context))
        return _raise_if_any_failed(results)

    @task
    def extract_dvc_portal_citizen_accounts() -> list[dict]:
        """The portal's citizen accounts (sources.md §5), one batch per month asked for."""
        from ioc_pipeline.airflow_glue.connections import http_endpoint, warehouse_url
        from ioc_pipeline.airflow_glue.run_window import data_interval, run_conf
        from ioc_pipeline.tasks.agency_work import extract_citizen_accounts
        from ioc_pipeline.tasks.portal import metrics_window

        context = get_current_context()
        start, end = metrics_window(*data_interval(context), run_conf(context))
        results = extract_citizen_accounts(warehouse_url(), http_endpoint(config.CONN_DVC_PORTAL), start, end,
                                           run_label=run_label(context))
        return _raise_if_any_failed(results)

    # Each load is followed by its raw data-quality checks over the batch just loaded; the check
    # task carries the Asset, so the build is triggered only by checked raw data (issue 11).
    @task(outlets=[RAW_DOSSIERS])
    def check_one_stop_shop_dossiers(loaded: dict) -> dict:
        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches

        return check_raw_batches(get_current_context(), RAW_DOSSIERS, "one_stop_shop", "dossier",
                                 [loaded["batch_id"]])

    @task(outlets=[RAW_DEPARTMENTS])
    def check_dvc_portal_departments(loaded: dict) -> dict:
        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches

        return check_raw_batches(get_current_context(), RAW_DEPARTMENTS, "dvc_portal", "department",
                                 [loaded["batch_id"]])

    @task(outlets=[RAW_FORMALITIES])
    def check_dvc_portal_formalities(loaded: dict) -> dict:
        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches

        return check_raw_batches(get_current_context(), RAW_FORMALITIES, "dvc_portal", "formality",
                                 [loaded["batch_id"]])

    # Issue 13's two feeds: one batch per month asked for, all of them checked together.
    @task(outlets=[RAW_AGENCY_REPORTS])
    def check_one_stop_shop_agency_reports(loaded: list[dict]) -> dict:
        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches

        return check_raw_batches(get_current_context(), RAW_AGENCY_REPORTS, "one_stop_shop", "agency_report",
                                 [month["batch_id"] for month in loaded])

    @task(outlets=[RAW_CITIZEN_ACCOUNTS])
    def check_dvc_portal_citizen_accounts(loaded: list[dict]) -> dict:
        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches

        return check_raw_batches(get_current_context(), RAW_CITIZEN_ACCOUNTS, "dvc_portal", "citizen_accounts",
                                 [month["batch_id"] for month in loaded])

    check_one_stop_shop_dossiers(extract_one_stop_shop_dossiers())
    check_dvc_portal_departments(extract_dvc_portal_departments())
    check_dvc_portal_formalities(extract_dvc_portal_formalities())
    check_one_stop_shop_agency_reports(extract_one_stop_shop_agency_reports())
    check_dvc_portal_citizen_accounts(extract_dvc_portal_citizen_accounts())


ioc_extract_sources()
