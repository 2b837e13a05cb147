"""The real DAG `ioc_extract_sources` under `airflow dags test`, as the run command drives it (conf with
an interval), against the simulator over HTTP: its two tasks of issue 13 load the agencies' reports and
the citizen accounts of every month asked for (July, August and September for an interval in
September), one
batch per month, beside the dossiers; a second run of the same interval loads nothing new."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.runner.dag_runs import airflow_env
from ioc_simulator.server import SimulatorServer
from tests.conftest import make_database

AIRFLOW = Path(sys.executable).parent / "airflow"
DAG_ID = "ioc_extract_sources"


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    warehouse, drop = make_database("ioc_acc_dag")
    home = tmp_path_factory.mktemp("airflow_home")
    dags = tmp_path_factory.mktemp("dags")
    shutil.copy(config.DAGS_DIR / f"{DAG_ID}.py", dags)
    with SimulatorServer() as sim:
        env = airflow_env(warehouse, {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                                      "AIRFLOW_CONN_ONE_STOP_SHOP": sim.dossier_conn_uri,
                                      "AIRFLOW_CONN_DVC_PORTAL": sim.portal_conn_uri})
        subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
        yield warehouse.url, env
    drop()


def _dags_test(env, run_label: str) -> subprocess.CompletedProcess:
    conf = {"interval_start": "2024-09-01T00:00:00+07:00", "interval_end": "2024-10-01T00:00:00+07:00",
            "run_label": run_label}
    return subprocess.run([str(AIRFLOW), "dags", "test", DAG_ID, datetime.now(VN).isoformat(), "--conf",
                           json.dumps(conf)], env=env, capture_output=True, text=True, timeout=300,
                          cwd=config.PROJECT_ROOT)


def _batches(url, label):
    with psycopg.connect(url) as conn:
        return conn.execute("""select entity, interval_start, status, rows_received, rows_loaded
                                 from audit.load_batch
                                where run_label = %s and entity in ('agency_report', 'citizen_accounts')
                                order by entity, interval_start""", (label,)).fetchall()


def test_both_tasks_load_every_month_asked_for_and_a_rerun_loads_nothing(airflow):
    url, env = airflow
    first = _dags_test(env, "acc-dag-1")
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    jul, aug, sep = (datetime(2024, m, 1, tzinfo=VN) for m in (7, 8, 9))
    # 108 agencies in force in July, August and September; 104, 106 and 100 of them have a report
    # (tests/tasks/test_agency_work_extraction.py)
    assert _batches(url, "acc-dag-1") == [
        ("agency_report", jul, "success", 104, 104), ("agency_report", aug, "success", 106, 106),
        ("agency_report", sep, "success", 100, 100), ("citizen_accounts", jul, "success", 108, 108),
        ("citizen_accounts", aug, "success", 108, 108), ("citizen_accounts", sep, "success", 108, 108)]
    second = _dags_test(env, "acc-dag-2")
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert _batches(url, "acc-dag-2") == [
        ("agency_report", jul, "success", 104, 0), ("agency_report", aug, "success", 106, 0),
        ("agency_report", sep, "success", 100, 0), ("citizen_accounts", jul, "success", 108, 0),
        ("citizen_accounts", aug, "success", 108, 0), ("citizen_accounts", sep, "success", 108, 0)]
