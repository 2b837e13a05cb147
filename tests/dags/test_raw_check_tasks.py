"""The raw checks as the DAGs run them: `ioc_extract_operator_reports` under `airflow dags test` (the
run command's mode), with one clean workbook per operator. The check task runs after the load, over
the workbooks just loaded, per operator, and records its runs in `dq` with the run label, the source,
the batch ids and the period; a second run with nothing new loads and checks nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.runner.dag_runs import airflow_env
from ioc_simulator.operators import fill_inbox
from tests.conftest import make_database

AIRFLOW = Path(sys.executable).parent / "airflow"
DAG_ID = "ioc_extract_operator_reports"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    warehouse, drop = make_database("ioc_raw_check_dag")
    home = tmp_path_factory.mktemp("airflow_home")
    dags = tmp_path_factory.mktemp("dags")
    shutil.copy(config.DAGS_DIR / f"{DAG_ID}.py", dags)
    inbox = tmp_path_factory.mktemp("inbox")
    env = airflow_env(warehouse, {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                                  "OPERATOR_REPORTS_INBOX": str(inbox),
                                  config.GX_ROOT_ENV: str(tmp_path_factory.mktemp("gx"))})
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
    yield warehouse.url, env, inbox
    drop()


def _dags_test(env, run_label: str) -> subprocess.CompletedProcess:
    conf = {"interval_start": "2024-07-01T00:00:00+07:00", "interval_end": "2025-01-01T00:00:00+07:00",
            "run_label": run_label}
    return subprocess.run([str(AIRFLOW), "dags", "test", DAG_ID, datetime.now(VN).isoformat(), "--conf",
                           json.dumps(conf)], env=env, capture_output=True, text=True, timeout=300,
                          cwd=config.PROJECT_ROOT)


def test_the_check_task_checks_each_operators_new_workbook(airflow):
    url, env, inbox = airflow
    fill_inbox(inbox, months=[date(2024, 9, 1)], stations=20)
    run = _dags_test(env, "raw-check-1")
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    with psycopg.connect(url) as conn:
        batches = dict(conn.execute("select source, batch_id from audit.load_batch "
                                    "where run_label = 'raw-check-1'").fetchall())
        runs = conn.execute(
            """select suite_name, source, layer, status, batch_ids, period_start, period_end
                 from dq.validation_run where run_label = 'raw-check-1' order by suite_name, source""").fetchall()
    assert set(batches) == {"operator_viettel", "operator_vnpt"}
    september = (datetime(2024, 9, 1, tzinfo=VN), datetime(2024, 10, 1, tzinfo=VN))
    assert runs == [(suite, source, "raw", "pass", [batches[source]], *september)
                    for suite in ("raw_operator__sheet_total", "raw_operator__station", "raw_operator__subscriber")
                    for source in ("operator_viettel", "operator_vnpt")]

    again = _dags_test(env, "raw-check-2")
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from dq.validation_run where run_label = 'raw-check-2'").fetchone() == (0,)
