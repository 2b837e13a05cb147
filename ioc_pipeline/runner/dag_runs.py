"""The child processes of a run: Airflow's metadata database, `airflow dags test`, `dbt parse`.

There is no scheduler in the run command's process, so an Asset-scheduled DAG would never start on
its own: each DAG runs with `airflow dags test` (a real DAG run against a real metadata database,
kept apart from the warehouse). Every child gets the same environment: its own Airflow home, the
connections, and telemetry off.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ioc_pipeline import config
from ioc_pipeline.warehouse.locate import WarehouseUrl


@dataclass
class StepOutcome:
    name: str
    ok: bool
    seconds: float
    log_path: Path


def airflow_env(warehouse: WarehouseUrl, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every Airflow process of a run gets: its own home and metadata DB, the
    connections, and telemetry off."""
    env = dict(os.environ)
    env.update(config.QUIET_ENV)
    env.update(
        {
            "AIRFLOW_HOME": str(config.AIRFLOW_HOME_DIR),
            "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "AIRFLOW_CONN_WAREHOUSE": warehouse.airflow_conn_json(),
            config.WAREHOUSE_URL_ENV: warehouse.url,
            config.TASK_RETRIES_ENV: str(config.task_retries(default=0)),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(config.PROJECT_ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra or {})
    return env


def _bin(name: str) -> str:
    """An executable of this virtualenv (airflow, dbt), whatever PATH says."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database (SQLite under `.airflow/`, never the warehouse)."""
    config.AIRFLOW_HOME_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([_bin("airflow"), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def dbt_parse(warehouse: WarehouseUrl) -> None:
    """Write `dbt_project/target/manifest.json`, which Cosmos renders the build DAG from."""
    env = {**os.environ, **config.QUIET_ENV, **warehouse.dbt_env()}
    subprocess.run([_bin("dbt"), "parse", "--quiet", "--profiles-dir", str(config.DBT_PROJECT_DIR),
                    "--project-dir", str(config.DBT_PROJECT_DIR)], env=env, check=True,
                   cwd=config.DBT_PROJECT_DIR)


def run_dag(dag_id: str, conf: dict, env: dict[str, str], log_dir: Path) -> StepOutcome:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}.log"
    # A fresh logical date per run: each run is a new DagRun, never a resumed one.
    logical_date = datetime.now(config.VN).isoformat(timespec="microseconds")
    started = time.monotonic()
    with log_path.open("w") as out:
        proc = subprocess.run([_bin("airflow"), "dags", "test", dag_id, logical_date, "--conf", json.dumps(conf)],
                              env=env, stdout=out, stderr=subprocess.STDOUT, cwd=config.PROJECT_ROOT)
    # `airflow dags test` exits 1 when the DAG run ends failed.
    return StepOutcome(dag_id, proc.returncode == 0, time.monotonic() - started, log_path)
