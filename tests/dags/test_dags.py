"""Every DAG imports cleanly, cheaply, and follows the house rules."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ioc_pipeline import config

HOUSE_DAGS = {"ioc_extract_sources", "ioc_extract_portal_metrics", "ioc_extract_operator_reports",
              "ioc_build_marts",
              # one per feeds/*.yml (dags/ioc_sector_feeds.py)
              "ioc_sector_feed__environment_air_quality", "ioc_sector_feed__health_facility_beds"}


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    """Parse the dags folder in a child process with a throwaway AIRFLOW_HOME, where opening a
    database connection or an HTTP request at import time raises (nothing heavy at parse time)."""
    home = tmp_path_factory.mktemp("airflow_home")
    script = r"""
import json, sys
import psycopg, requests
def forbidden(*a, **k):
    raise RuntimeError("I/O at DAG import time")
psycopg.connect = forbidden
requests.Session.request = forbidden
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {"tags": sorted(d.tags), "owner": d.owner,
                        "retries": [t.retries for t in d.tasks],
                        "tasks": sorted(t.task_id for t in d.tasks),
                        "doc": bool(d.doc_md),
                        "dbt_excludes": {t.task_id: str(getattr(t, "exclude", None)) for t in d.tasks
                                         if t.task_id.startswith("dbt.")}} for d in bag.dags.values()},
}))
"""
    env = {**os.environ, **config.QUIET_ENV, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_DIR), "IOC_TASK_RETRIES": "2"}
    subprocess.run([sys.executable, "-m", "ioc_pipeline", "dbt-parse"], env=env, check=True,
                   capture_output=True)
    proc = subprocess.run([sys.executable, "-c", script, str(config.DAGS_DIR)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_dag_imports_without_errors_or_io(dagbag):
    assert dagbag["errors"] == {}
    assert set(dagbag["dags"]) == HOUSE_DAGS


def test_dags_are_documented_tagged_owned_and_retried(dagbag):
    for dag_id, dag in dagbag["dags"].items():
        assert dag["doc"], dag_id
        assert "ioc" in dag["tags"], dag_id
        assert dag["owner"] == "ioc-data", dag_id
        assert min(dag["retries"]) >= 1, dag_id


def test_each_source_is_its_own_task_and_dbt_is_rendered_per_model(dagbag):
    extract = dagbag["dags"]["ioc_extract_sources"]["tasks"]
    assert extract == [
        "check_dvc_portal_citizen_accounts", "check_dvc_portal_departments", "check_dvc_portal_formalities",
        "check_one_stop_shop_agency_reports", "check_one_stop_shop_dossiers",
        "extract_dvc_portal_citizen_accounts", "extract_dvc_portal_departments", "extract_dvc_portal_formalities",
        "extract_one_stop_shop_agency_reports", "extract_one_stop_shop_dossiers"]
    build = dagbag["dags"]["ioc_build_marts"]["tasks"]
    assert "check_data_quality" in build and "generate_dbt_docs" in build and "publish_marts" in build
    assert any(t.startswith("dbt.fct_dossier") for t in build)
    assert any(t.startswith("dbt.kpi_online_rate_monthly") for t in build)


def test_the_nightly_build_leaves_unit_tests_to_ci(dagbag):
    """Every dbt command of the build DAG excludes the unit tests (issue 14: they test logic, not data);
    tests/dbt/test_dbt_project.py runs them all in CI (a `dbt build` without the exclusion)."""
    excludes = dagbag["dags"]["ioc_build_marts"]["dbt_excludes"]
    assert any(t.startswith("dbt.fct_dossier") for t in excludes)
    missing = {task: exclude for task, exclude in excludes.items() if "resource_type:unit_test" not in exclude}
    assert not missing, missing
