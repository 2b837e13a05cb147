"""Load the telecom operators' monthly workbooks (Viettel, VNPT) from their inbox into raw, hourly.

A sensor (reschedule mode: it frees its worker slot between pokes) waits up to 55 minutes for at
least one workbook in `OPERATOR_REPORTS_INBOX` whose bytes raw has not seen; when none comes it
soft-fails, the run ends skipped and nothing downstream is triggered. Then every new file is loaded,
each in its own batch and transaction. A workbook that cannot be read (corrupt, a sheet or column
missing, wrong period) is quarantined with its reason; the files that could be read are loaded and
published (the Asset), then a last task fails naming every refused file. The refusal is loud once:
the quarantined file is not "new" on the next run, and the operator must send a readable one.
After the load, the raw data-quality suites check the new workbooks (per operator); that check task
carries the Asset that triggers the build.

The `run` command (conf with `interval_start`) must not wait: its sensor answers at once, and the
load task skips when there is nothing new. Files are loaded whatever their report month: the inbox,
not the interval, says what has been delivered.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import PokeReturnValue, dag, get_current_context, task

from ioc_pipeline import config
from ioc_pipeline.airflow_glue.defaults import default_args, run_label
from ioc_pipeline.airflow_glue.assets import RAW_OPERATOR_REPORTS
from ioc_pipeline.airflow_glue.run_window import interval_params


@dag(
    dag_id="ioc_extract_operator_reports",
    schedule="@hourly",
    start_date=pendulum.datetime(2024, 7, 1, tz=config.VN_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=interval_params(),
    tags=["ioc", "extract", "operators"],
    doc_md=__doc__,
)
def ioc_extract_operator_reports():
    @task.sensor(poke_interval=timedelta(minutes=5), timeout=timedelta(minutes=55), mode="reschedule",
                 soft_fail=True)
    def wait_for_new_workbooks() -> PokeReturnValue:
        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.runner.catch_up import catch_up_interval
        from ioc_pipeline.tasks.operator_reports import inbox_folder, new_files
        from ioc_pipeline.airflow_glue.run_window import run_conf

        catch_up = catch_up_interval(run_conf(get_current_context())) is not None
        names = [f.path.name for f in new_files(warehouse_url(), inbox_folder())]
        return PokeReturnValue(is_done=bool(names) or catch_up, xcom_value=names)

    @task
    def load_new_workbooks(expected: list[str]) -> dict:
        from airflow.exceptions import AirflowSkipException

        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.tasks.operator_reports import inbox_folder, load_new_reports
        context = get_current_context()
        label = run_label(context)
        load = load_new_reports(warehouse_url(), inbox_folder(), run_label=label)
        summary = load.summary()
        if not load.results:
            raise AirflowSkipException(f"no new workbook in the inbox (sensor saw {expected})")
        return summary

    @task
    def fail_on_refused_workbooks(summary: dict) -> None:
        from airflow.exceptions import AirflowException

        refused = [f"{f['file']}: {f['reason']}" for f in summary["files"] if f["outcome"] in ("refused", "failed")]
        if refused:
            raise AirflowException("workbooks refused (quarantined with their reason): " + "; ".join(refused))

    # The raw checks over the workbooks just loaded, per operator; this task carries the Asset, so
    # the build is triggered only by checked workbooks (issue 11). Nothing loaded: nothing to check.
    @task(outlets=[RAW_OPERATOR_REPORTS])
    def check_new_workbooks(summary: dict) -> dict:
        from airflow.exceptions import AirflowException, AirflowSkipException

        from ioc_pipeline.airflow_glue.raw_checks import check_raw_batches, operator_batches

        context = get_current_context()
        by_source = operator_batches(summary)
        if not by_source:
            raise AirflowSkipException("no workbook was loaded: nothing to check")
        results, failures = {}, []
        for source, batch_ids in sorted(by_source.items()):
            try:
                results[source] = check_raw_batches(context, RAW_OPERATOR_REPORTS, source, "report_file", batch_ids)
            except AirflowException as failure:
                failures.append(str(failure))
        if failures:
            raise AirflowException(" | ".join(failures))
        return results

    loaded = load_new_workbooks(wait_for_new_workbooks())
    fail_on_refused_workbooks(loaded)
    check_new_workbooks(loaded)


ioc_extract_operator_reports()
