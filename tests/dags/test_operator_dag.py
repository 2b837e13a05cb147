"""The real DAG `ioc_extract_operator_reports` under `airflow dags test`, as the run command drives it
(conf with an interval): the sensor must not wait, new workbooks load, a refused one fails the run
loudly after the others are in, and a second run with nothing new succeeds without loading."""

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
from ioc_simulator.operators import OperatorFaults, fill_inbox
from tests.conftest import make_database

AIRFLOW = Path(sys.executable).parent / "airflow"
DAG_ID = "ioc_extract_operator_reports"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    warehouse, drop = make_database("ioc_op_dag")
    home = tmp_path_factory.mktemp("airflow_home")
    dags = tmp_path_factory.mktemp("dags")
    shutil.copy(config.DAGS_DIR / f"{DAG_ID}.py", dags)
    inbox = tmp_path_factory.mktemp("inbox")
    env = airflow_env(warehouse, {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                                  "OPERATOR_REPORTS_INBOX": str(inbox)})
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
    yield warehouse.url, env, inbox
    drop()


def _dags_test(env, run_label: str) -> subprocess.CompletedProcess:
    conf = {"interval_start": "2024-07-01T00:00:00+07:00", "interval_end": "2025-01-01T00:00:00+07:00",
            "run_label": run_label}
    return subprocess.run([str(AIRFLOW), "dags", "test", DAG_ID, datetime.now(VN).isoformat(), "--conf",
                           json.dumps(conf)], env=env, capture_output=True, text=True, timeout=240,
                          cwd=config.PROJECT_ROOT)


def _batches(url, label):
    with psycopg.connect(url) as conn:
        return conn.execute("""select source, status from audit.load_batch where run_label = %s
                                order by source, status""", (label,)).fetchall()


def test_run_command_mode_loads_new_files_then_has_nothing_to_do(airflow):
    url, env, inbox = airflow
    fill_inbox(inbox, months=[date(2024, 9, 1)], faults=OperatorFaults.of(truncated=[("vnpt", "2024-09")]),
               stations=20)

    first = _dags_test(env, "op-dag-1")
    # The corrupt VNPT workbook fails the run (loudly) after Viettel's is loaded and published.
    assert first.returncode != 0, first.stdout[-3000:]
    assert "vnpt_202409.xlsx: not a readable XLSX workbook" in first.stdout + first.stderr
    assert _batches(url, "op-dag-1") == [("operator_viettel", "success"), ("operator_vnpt", "failed")]
    with psycopg.connect(url) as conn:
        assert conn.execute("select file_name from raw.operator__report_file").fetchall() == [("viettel_202409.xlsx",)]

    second = _dags_test(env, "op-dag-2")
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert _batches(url, "op-dag-2") == []
