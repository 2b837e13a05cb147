"""Build the IOC marts with dbt (through Cosmos), then check them with Great Expectations.

Runs whenever an extraction lands new raw data (Asset-scheduled). Each dbt node is built together
with its tests (`dbt build`), so a failing test stops what depends on it. The data-quality checkpoint
writes its results to `dq.validation_run` / `dq.validation_result` and publishes Data Docs; a critical
failure fails the run. Then the reports are written under `config.reports_dir()`: the auditors' page
always, the leaders' monthly report when the checks passed. The `run` command passes `as_of` (the day
"now" means for open dossiers) in the run's conf (also the trigger form's param); Asset-triggered runs
(no logical date) use the latest day the triggering extractions describe
(`ioc_pipeline/airflow_glue/run_window.py`).

Publication: dbt builds the marts in `marts_build` (dbt var `marts_schema`), which readers cannot
see; the checkpoint validates them there; `publish_marts` then moves the complete, checked set into
`marts` in one transaction (`ioc_pipeline/warehouse/publish.py`). A failed build or check leaves the
previous set published; the dbt docs and the reports read the published `marts`.

Batch-scoped data tests (issue 14): `test_watermark` runs first and records the build's load-batch
watermark; the dbt tests over the raw dossiers then read only the batches after the last published
build's (setting `test_since_batch`, `ioc_pipeline/warehouse/dbt_test_watermark.py`), and the column tests of
`int_dossiers_classified` and `fct_dossier` only the rows derived since the last published build started
(setting `test_since_derived_at`). `test_all_batches: true` in the run's conf tests every row. The unit tests are left
to CI (NIGHTLY_EXCLUDE). The same task first moves back into `marts_build` the tables the last
publication kept for the incremental marts (`fct_dossier`: `reuse_previous_marts`), so they are
merged, not rebuilt.

What changes with every run (as_of_date, run_label and the two test scopes) reaches dbt as environment
variables (`config.dbt_build_env`, read by the macro `build_setting`), not as dbt vars: the vars stay the
same from night to night, so dbt re-uses its last parse instead of re-parsing the project.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, get_current_context, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior
from cosmos.operators.local import DbtDocsLocalOperator

from ioc_pipeline import config
from ioc_pipeline.airflow_glue.defaults import default_args, run_label
from ioc_pipeline.airflow_glue.assets import (
    MARTS,
    RAW_DEPARTMENTS,
    RAW_DOSSIERS,
    RAW_EVALUATION_METRICS,
    RAW_FORMALITIES,
    RAW_OPERATOR_REPORTS,
    RAW_SECTOR_FEEDS,
)
from ioc_pipeline.airflow_glue.dbt_docs import publish_dbt_docs
from ioc_pipeline.airflow_glue.dbt_invocations import DBT_FLAGS, freeze_heap
from ioc_pipeline.airflow_glue.dbt_profile import profile_config
from ioc_pipeline.airflow_glue.run_window import as_of_day, as_of_params

MANIFEST = config.DBT_PROJECT_DIR / "target" / "manifest.json"
# dbt builds the marts here; publish_marts moves the checked set into `marts` (warehouse/publish.py).
BUILD_SCHEMA = "marts_build"
# `ds` does not exist in runs without a logical date (Asset-triggered, manual): see as_of_day.
AS_OF = "{{ ioc_as_of(params, dag_run, triggering_asset_events) }}"
# The run's label (the run command's, else Airflow's run id): dbt writes it beside every node result.
RUN_LABEL = "{{ (dag_run.conf or {}).get('run_label') or run_id }}"
# The batch watermark of the last published build (None: test every raw row), and its start (None: test
# every row of int_dossiers_classified and fct_dossier), from the task below.
TEST_SINCE_BATCH = "{{ (ti.xcom_pull(task_ids='test_watermark') or {}).get('test_since_batch') }}"
TEST_SINCE_DERIVED_AT = "{{ (ti.xcom_pull(task_ids='test_watermark') or {}).get('test_since_derived_at') }}"
# What the nightly build leaves out of every dbt command (CI runs it: tests/dbt).
NIGHTLY_EXCLUDE = ["resource_type:unit_test"]


@dag(
    dag_id="ioc_build_marts",
    # RAW_SECTOR_FEEDS: sector feeds of daily or slower cadence (hourly ones ride on the next build).
    schedule=(RAW_DOSSIERS | RAW_DEPARTMENTS | RAW_FORMALITIES | RAW_EVALUATION_METRICS | RAW_OPERATOR_REPORTS
              | RAW_SECTOR_FEEDS),
    start_date=pendulum.datetime(2024, 7, 1, tz=config.VN_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params=as_of_params(),
    user_defined_macros={"ioc_as_of": as_of_day},
    tags=["ioc", "dbt", "quality"],
    doc_md=__doc__,
)
def ioc_build_marts():
    @task
    def test_watermark() -> dict:
        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.warehouse.dbt_test_watermark import begin_build
        from ioc_pipeline.warehouse.publish import reuse_previous_marts

        context = get_current_context()
        test_all = bool((context["dag_run"].conf or {}).get("test_all_batches"))
        # the incremental marts start from the tables the last publication replaced (publish.py)
        reuse_previous_marts(warehouse_url())
        return begin_build(warehouse_url(), run_label(context), test_all=test_all)

    dbt_build = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=config.DBT_PROJECT_DIR,
            manifest_path=MANIFEST,
            project_name="ioc_warehouse",
        ),
        profile_config=profile_config(),
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            # Tests that read two models (relationships) run once both are built.
            should_detach_multiple_parents_tests=True,
            # Unit tests test the models' logic on fixed inputs, not the data: CI runs every one of them
            # (tests/dbt: a `dbt build` without this exclusion fails when one fails); the nightly build
            # leaves them out (issue 14: 50 unit tests, 11-19 s of node time at every build). Cosmos
            # forwards a render-level exclude to each node's `dbt build` (and detached `dbt test`) as
            # `--exclude resource_type:unit_test`; benchmarks/dbt_build.py's nightly step does the same.
            exclude=NIGHTLY_EXCLUDE,
        ),
        # dbt's bookkeeping per node task kept small (ioc_pipeline/airflow_glue/dbt_invocations.py)
        operator_args={"install_deps": False, "dbt_cmd_flags": DBT_FLAGS, "on_execute_callback": freeze_heap,
                       # the same every night (dbt keeps its partial parse); what changes goes in env
                       "vars": {"marts_schema": BUILD_SCHEMA},
                       "env": config.dbt_build_env(as_of_date=AS_OF, run_label=RUN_LABEL,
                                                   test_since_batch=TEST_SINCE_BATCH,
                                                   test_since_derived_at=TEST_SINCE_DERIVED_AT)},
    )

    @task
    def check_data_quality() -> dict:
        from airflow.exceptions import AirflowException

        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.quality.layers import CriticalQualityFailure, raise_on_critical, run_mart_checks

        context = get_current_context()
        label = run_label(context)
        # Every mart suite and the cross-source reconciliation (issue 11); only a critical failure fails.
        results = run_mart_checks(warehouse_url(), run_label=label, schema=BUILD_SCHEMA)
        try:
            return raise_on_critical(results, "marts")
        except CriticalQualityFailure as failure:
            raise AirflowException(str(failure)) from None

    # The new set replaces the published one in one transaction, only when every dbt node of the run
    # and the data-quality checks passed. It runs whatever happened upstream, to record why not; a
    # refusal fails it without retry (the run failed: the previous marts stay), a publication that could
    # not take the locks in time fails and retries.
    @task(outlets=[MARTS], trigger_rule="all_done")
    def publish_marts() -> dict:
        from airflow.sdk.exceptions import AirflowException, AirflowFailException

        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.warehouse.publish import PublishFailed, PublishRefused, publish_marts as publish

        label = run_label(get_current_context())
        try:
            pub = publish(warehouse_url(), label, manifest_path=MANIFEST)
        except PublishRefused as refused:
            raise AirflowFailException(f"marts not published: {refused}") from None
        except PublishFailed as failed:
            raise AirflowException(f"marts not published: {failed}") from None
        return {"published": len(pub.marts), "publication_id": pub.publication_id, "already": pub.already}

    # The documentation site (every model, column and KPI formula, with lineage) for auditors; its
    # catalog describes the published marts.
    dbt_docs = DbtDocsLocalOperator(
        task_id="generate_dbt_docs",
        project_dir=config.DBT_PROJECT_DIR,
        profile_config=profile_config(),
        invocation_mode=InvocationMode.DBT_RUNNER,
        install_deps=False,
        dbt_cmd_flags=["--static"],
        env=config.dbt_build_env(as_of_date=AS_OF),
        callback=publish_dbt_docs,
        trigger_rule="all_done",
    )

    # The reports people open: the auditors' page whatever happened (it shows the failures), the
    # leaders' report only over marts that passed their checks.
    @task(trigger_rule="all_done")
    def write_auditors_page() -> str:
        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.report import write_auditors_page as write

        return str(write(warehouse_url(), config.reports_dir() / "auditors"))

    @task
    def write_breakthrough_report() -> str:
        from ioc_pipeline.airflow_glue.connections import warehouse_url
        from ioc_pipeline.report import write_reports

        return str(write_reports(warehouse_url(), config.reports_dir() / "breakthroughs"))

    quality = check_data_quality()
    published = publish_marts()
    auditors = write_auditors_page()
    test_watermark() >> dbt_build >> quality >> published >> [auditors, dbt_docs]
    [published, auditors] >> write_breakthrough_report()


ioc_build_marts()
