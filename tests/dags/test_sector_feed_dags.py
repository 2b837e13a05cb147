"""Sector feed DAGs come from the feeds folder alone: a YAML file dropped into a (temporary) feeds folder
becomes a DAG with no code change, parsed without I/O, scheduled by its cadence, with its Assets; and the
real DAGs run under `airflow dags test` against the simulator (air quality over HTTP) and a file drop.

Air quality over [00:00, 06:00) on 1/9/2024: 4 stations x 6 hours = 24 readings. The new feed's drop
holds 3 rows, one of them twice: 2 loaded, 1 duplicate.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
import yaml

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.runner.dag_runs import airflow_env
from ioc_simulator.server import SimulatorServer
from tests.conftest import make_database
from tests.dags.test_portal_dags import SCRIPT

AIRFLOW = Path(sys.executable).parent / "airflow"
AIR_DAG = "ioc_sector_feed__environment_air_quality"
BUS_DAG = "ioc_sector_feed__transport_bus_trips"
BUS = {
    "name": "transport_bus_trips", "owner_agency": "000.00.16.H03", "sector": "transport",
    "description": "Chuyến xe buýt theo ngày", "source": {"file_drop": "${BUS_DROP_DIR}/*.csv"}, "format": "csv",
    "key_columns": ["route", "day"], "timestamp_column": "day", "cadence": "daily", "freshness_sla_hours": 30,
    "columns": {"route": {"type": "string"}, "day": {"type": "date"}, "trips": {"type": "integer", "required": True}},
}


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    warehouse, drop = make_database("ioc_feed_dag")
    home = tmp_path_factory.mktemp("airflow_home")
    dags = tmp_path_factory.mktemp("dags")
    shutil.copy(config.DAGS_DIR / "ioc_sector_feeds.py", dags)
    feeds = tmp_path_factory.mktemp("feeds")
    shutil.copy(config.PROJECT_ROOT / "feeds" / "environment_air_quality.yml", feeds)
    (feeds / "transport_bus_trips.yml").write_text(yaml.safe_dump(BUS, allow_unicode=True, sort_keys=False),
                                                    encoding="utf-8")
    (feeds / "broken_feed.yml").write_text("name: broken_feed\ncadence: weekly\n", encoding="utf-8")
    bus_drop = tmp_path_factory.mktemp("bus_drop")
    (bus_drop / "trips_20240901.csv").write_text("route,day,trips\n01,2024-09-01,42\n02,2024-09-01,17\n"
                                                 "01,2024-09-01,42\n", encoding="utf-8")
    env = airflow_env(warehouse, {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                                  "IOC_SECTOR_FEEDS_DIR": str(feeds), "BUS_DROP_DIR": str(bus_drop),
                                  "IOC_TASK_RETRIES": "2"})
    subprocess.run([str(AIRFLOW), "db", "migrate"], env=env, check=True, capture_output=True)
    yield warehouse.url, env, dags
    drop()


def test_a_new_yaml_file_becomes_a_dag_without_io_at_parse_time(airflow):
    _, env, dags = airflow
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(dags / "ioc_sector_feeds.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    bag = json.loads(proc.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}  # the broken declaration is skipped (check-feeds explains it), not fatal
    assert set(bag["dags"]) == {AIR_DAG, BUS_DAG}
    air, bus = bag["dags"][AIR_DAG], bag["dags"][BUS_DAG]
    assert air["schedule"] == "5 * * * *" and bus["schedule"] == "30 0 * * *"
    assert air["catchup"] is False and air["doc"] and air["owner"] == "ioc-data"
    assert air["tags"] == ["environment", "extract", "ioc", "sector_feed"]
    # An hourly feed does not trigger the marts build; a daily one does (raw.sector_feed_record).
    assert air["tasks"] == {"load_feed": {"retries": 2, "outlets": ["sector_feed.environment_air_quality"]}}
    assert bus["tasks"] == {"load_feed": {"retries": 2, "outlets": ["sector_feed.transport_bus_trips",
                                                                      "raw.sector_feed_record"]}}


def _dags_test(env, dag_id, conf) -> subprocess.CompletedProcess:
    """One real run; no retries (a retry would wait for its delay inside `dags test`)."""
    return subprocess.run([str(AIRFLOW), "dags", "test", dag_id, datetime.now(VN).isoformat(), "--conf",
                           json.dumps(conf)], env={**env, "IOC_TASK_RETRIES": "0"}, capture_output=True, text=True,
                          timeout=300, cwd=config.PROJECT_ROOT)


def _batches(url, label):
    with psycopg.connect(url) as conn:
        return conn.execute("""select entity, status, rows_received, rows_loaded, rows_duplicate
                                 from audit.load_batch where run_label = %s""", (label,)).fetchall()


def test_the_air_quality_dag_loads_from_the_simulator(airflow):
    url, env, _ = airflow
    conf = {"interval_start": "2024-09-01T00:00:00+07:00", "interval_end": "2024-09-01T06:00:00+07:00",
            "run_label": "feed-dag-1"}
    with SimulatorServer() as sim:
        run = _dags_test({**env, "SECTOR_FEED_SIMULATOR_URL": sim.dossier_url}, AIR_DAG, conf)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert _batches(url, "feed-dag-1") == [("environment_air_quality", "success", 24, 24, 0)]
    with psycopg.connect(url) as conn:
        assert conn.execute("select feed_name from raw.sector_feed_declaration order by 1").fetchall() == [
            ("environment_air_quality",), ("transport_bus_trips",)]
        assert conn.execute("""select status, evaluated, failed from dq.validation_run
                                where suite_name = 'sector_feed.environment_air_quality'""").fetchall() == [
            ("pass", 9, 0)]


def test_the_new_feed_runs_with_no_code_change(airflow):
    url, env, _ = airflow
    run = _dags_test(env, BUS_DAG, {"run_label": "feed-dag-2"})
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert _batches(url, "feed-dag-2") == [("transport_bus_trips", "success", 3, 2, 1)]
    with psycopg.connect(url) as conn:
        assert conn.execute("""select record_key, payload->>'trips' from raw.sector_feed_record
                                where feed_name = 'transport_bus_trips' order by 1""").fetchall() == [
            ("01|2024-09-01", "42"), ("02|2024-09-01", "17")]
    # A failing source fails the task (and the DAG run), with the batch recorded as failed.
    broken = _dags_test({**env, "BUS_DROP_DIR": ""}, BUS_DAG, {"run_label": "feed-dag-3"})
    assert broken.returncode != 0
    assert "environment variable BUS_DROP_DIR is not set" in broken.stdout + broken.stderr
    assert [(e, s) for e, s, *_ in _batches(url, "feed-dag-3")] == [("transport_bus_trips", "failed")]
