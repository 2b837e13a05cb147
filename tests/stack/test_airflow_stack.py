"""The scheduled path, as the data engineers run it every night: `bin/airflow up --executor celery`
(api-server, scheduler, dag-processor, triggerer, Redis, a Celery worker, PostgreSQL metadata DB, the
simulator), no `airflow dags test`.

One stack for the module (bringing it up costs about a minute of the machine's two cores), against a
throwaway metadata database and a throwaway warehouse database (random names, dropped after), on
free ports, with its own Redis on a free port (so `up` starts it and `down` must stop it). Every wait
is bounded; the stack is stopped in the fixture's finalizer whatever happens.

The first tests are cheap checks of the pieces (no stack): the params and fallbacks of runs without a
logical date, the stack's environment, and stopping a process tree.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import types
import uuid
from datetime import timedelta

import pendulum
import psutil
import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.airflow_glue import run_window as dag_runs
from ioc_pipeline.stack import processes
from ioc_pipeline.stack.throwaway import (bin_airflow, first_asset_triggered_build, source_has_dossiers,
                                          trigger_last_night)
from tests.conftest import scalar

HOUSE_DAGS = {"ioc_extract_sources", "ioc_extract_portal_metrics", "ioc_extract_operator_reports",
              "ioc_build_marts",
              # one per feeds/*.yml (dags/ioc_sector_feeds.py)
              "ioc_sector_feed__environment_air_quality", "ioc_sector_feed__health_facility_beds"}
VN = pendulum.timezone("Asia/Ho_Chi_Minh")
# bin/test runs these alone, after the parallel pass: the extraction's timeouts on the Celery worker
# assume a machine not shared with another test process.
pytestmark = pytest.mark.serial


# ---- runs without a logical date (no stack) ----------------------------------------------------------


def _context(conf=None, params=None, run_after=None, logical=None, timetable=None):
    from airflow.timetables.interval import CronDataIntervalTimetable

    run = types.SimpleNamespace(conf=conf or {}, run_after=run_after, logical_date=logical)
    context = {"dag_run": run, "params": params or {},
               "dag": types.SimpleNamespace(timetable=timetable or CronDataIntervalTimetable(
                   "0 1 * * *", timezone="Asia/Ho_Chi_Minh"))}
    if logical is not None:
        context["data_interval_start"], context["data_interval_end"] = logical, logical + timedelta(days=1)
    return context


def test_a_run_without_logical_date_covers_the_last_complete_night():
    run_after = pendulum.datetime(2026, 12, 4, 22, 47, tz=VN)
    start, end = dag_runs.data_interval(_context(run_after=run_after))
    assert (start, end) == (pendulum.datetime(2026, 12, 3, 1, tz=VN), pendulum.datetime(2026, 12, 4, 1, tz=VN))
    logical = pendulum.datetime(2024, 9, 1, 1, tz=VN)
    assert dag_runs.data_interval(_context(logical=logical))[0] == logical


def test_catch_up_params_are_normalised_and_checked():
    from airflow.sdk.exceptions import AirflowFailException

    conf = dag_runs.run_conf(_context(params={"interval_start": "2024-09-01", "interval_end": "2024-10-01"}))
    assert conf["interval_start"] == "2024-09-01T00:00:00+07:00"
    assert conf["interval_end"] == "2024-10-01T00:00:00+07:00"
    # The run command's conf (aware date-times) passes through, its other keys kept.
    given = {"interval_start": "2024-07-01T00:00:00+07:00", "interval_end": "2025-01-01T00:00:00+07:00",
             "run_label": "run-x"}
    assert dag_runs.run_conf(_context(conf=given)) == given
    assert "interval_start" not in dag_runs.run_conf(_context(params={"interval_start": None, "interval_end": None}))
    for bad in ({"interval_start": "2024-09-01"}, {"interval_start": "2024-10-01", "interval_end": "2024-09-01"}):
        with pytest.raises(AirflowFailException):
            dag_runs.run_conf(_context(params=bad))


def test_params_refuse_malformed_dates():
    from airflow.sdk.exceptions import ParamValidationError

    interval, as_of = dag_runs.interval_params()["interval_start"], dag_runs.as_of_params()["as_of"]
    for ok in ("2024-09-01", "2024-09-01T00:00:00+07:00", "2024-09-01T00:00:00Z", None):
        interval.resolve(ok)
    for bad in ("01/09/2024", "2024-9-1", "yesterday", "2024-09-01; drop table"):
        with pytest.raises(ParamValidationError):
            interval.resolve(bad)
    as_of.resolve("2024-12-31")
    for bad in ("2024-12-31T00:00:00", "31/12/2024"):
        with pytest.raises(ParamValidationError):
            as_of.resolve(bad)


def test_as_of_of_a_build_run():
    run = types.SimpleNamespace(conf={}, logical_date=None, run_after=pendulum.datetime(2026, 12, 4, 18, tz="UTC"))
    event = lambda day: types.SimpleNamespace(extra={"as_of": day})  # noqa: E731
    assert dag_runs.as_of_day({"as_of": "2024-11-01"}, run, {}) == "2024-11-01"
    assert dag_runs.as_of_day({}, types.SimpleNamespace(**{**vars(run), "conf": {"as_of": "2025-01-01"}}), {}) \
        == "2025-01-01"
    assert dag_runs.as_of_day({}, run, {"raw.a": [event("2024-12-30")], "raw.b": [event("2024-12-31")]}) \
        == "2024-12-31"
    # Nothing given, no tagged event: the day the run was created, in Vietnam (01:00 on the 5th there).
    assert dag_runs.as_of_day({}, run, {}) == "2026-12-05"


# ---- the stack's settings and process handling (no stack) --------------------------------------------


def test_stack_environment(tmp_path, monkeypatch):
    from ioc_pipeline.stack import stack
    from ioc_pipeline.warehouse.locate import WarehouseUrl

    monkeypatch.setenv("IOC_STACK_DIR", str(tmp_path))
    monkeypatch.delenv("IOC_AIRFLOW_DB_URL", raising=False)
    warehouse = WarehouseUrl("postgresql://postgres@127.0.0.1:5432/ioc_warehouse")
    metadata = stack.metadata_url(warehouse)
    assert metadata.database == "ioc_airflow" and metadata.host == warehouse.host
    monkeypatch.setenv("IOC_AIRFLOW_DB_URL", warehouse.url)
    with pytest.raises(SystemExit, match="must not be the warehouse"):
        stack.metadata_url(warehouse)
    env = stack.stack_env(stack.Paths.default(), executor="celery", stack_id="x", api_port=18080,
                          ports={"worker_log": 1, "trigger_log": 2}, warehouse=warehouse, metadata=metadata,
                          broker_url="redis://127.0.0.1:6379/0", sources={})
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(config.DAGS_DIR)
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Ho_Chi_Minh"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://postgres@127.0.0.1:5432/ioc_airflow"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/0"
    assert int(env["AIRFLOW__CORE__PARALLELISM"]) == 2 * os.cpu_count()
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1"
    for secret in ("secrets.json", "simple_auth_manager_passwords.json"):
        stack.admin_password(stack.Paths.default())
        assert (tmp_path / secret).stat().st_mode & 0o077 == 0, secret


def test_stop_all_stops_a_tree_including_detached_grandchildren(tmp_path):
    stack_id = uuid.uuid4().hex
    # A parent whose child leaves the group (setsid), as Airflow's task supervisor does with tasks.
    script = ("import os, subprocess, sys, time\n"
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], start_new_session=True)\n"
              "time.sleep(120)\n")
    env = {**os.environ, processes.MARK: stack_id}
    leader = processes.start("tree", [sys.executable, "-c", script], env, tmp_path / "pids", tmp_path / "logs")
    deadline = time.monotonic() + 20
    while len(processes.marked(stack_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    members = processes.marked(stack_id)
    assert len(members) == 2 and len({os.getpgid(p.pid) for p in members}) == 2
    left = processes.stop_all(processes.pid_files(tmp_path / "pids"), stack_id, timeout=10)
    assert left == [] and processes.marked(stack_id) == []
    assert not (tmp_path / "pids" / "tree.pid").exists()
    assert processes.wait_gone([leader], 1) == []


# ---- the real stack ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def celery_stack():
    """`bin/airflow up --executor celery` on throwaway databases; `down` and drops in its finalizer."""
    from ioc_pipeline.stack.throwaway import throwaway_stack

    with throwaway_stack("celery", scale=3000, up_timeout=420) as stack:
        yield stack
    # throwaway_stack ran `down` again (a no-op after test_down_...) and dropped both databases.


def test_up_brings_the_celery_stack_up(celery_stack):
    stack = celery_stack
    assert stack.up.returncode == 0, stack.up.stdout[-3000:] + stack.up.stderr[-5000:]
    print(f"\nbin/airflow up --executor celery: {stack.up_seconds:.0f} s")
    assert stack.up is not None and stack.up.returncode == 0
    assert stack.info["components"] == ["simulator", "redis", "api-server", "scheduler", "dag-processor",
                                        "triggerer", "celery-worker"]
    assert f"log in as admin / " in stack.up.stdout and stack.info["api_url"] in stack.up.stdout
    status = bin_airflow(stack.env, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    health = stack.client.health()
    assert {k: v["status"] for k, v in health.items()} == {
        "metadatabase": "healthy", "scheduler": "healthy", "triggerer": "healthy", "dag_processor": "healthy"}
    # Only the project's DAGs (no examples), parsed without errors, paused until someone unpauses them.
    dags = stack.client.dags()
    assert set(dags) == HOUSE_DAGS
    assert stack.client.import_errors() == []
    assert all(d["is_paused"] for d in dags.values())
    # Airflow's metadata lives in the throwaway metadata database, not in the warehouse.
    with psycopg.connect(stack.metadata.url) as conn:
        assert scalar(conn, "select count(*) from dag") == len(HOUSE_DAGS)
    with psycopg.connect(stack.warehouse.url) as conn:
        assert scalar(conn, "select count(*) from information_schema.tables where table_name = 'dag'") == 0
    # Redis answered nowhere on that port, so `up` started one (and `down` must stop it).
    from ioc_pipeline.stack.stack import redis_answers

    assert redis_answers("127.0.0.1", stack.redis_port)


def test_the_cli_wrapper_talks_to_the_same_stack(celery_stack):
    listed = bin_airflow(celery_stack.env, "dags", "list", "-o", "json", timeout=180)
    assert listed.returncode == 0, listed.stderr[-3000:]
    # (Airflow prints warnings on stdout too: the JSON is the line that starts with "[{".)
    rows = json.loads(next(line for line in listed.stdout.splitlines() if line.startswith("[{")))
    assert {d["dag_id"] for d in rows} == HOUSE_DAGS


def test_nightly_extraction_runs_on_the_celery_worker(celery_stack):
    stack, client = celery_stack, celery_stack.client
    assert client is not None, "the stack did not come up"
    # The night the scheduler would run next (the last complete one), with that logical date,
    # triggered before unpausing (so the scheduler adds no run of its own for the same night); on a
    # Sunday or a Monday widened back to the last day with dossiers (the simulator has none on a weekend).
    run = trigger_last_night(client, has_dossiers=source_has_dossiers(stack))
    started = time.monotonic()
    run = client.wait_for_run("ioc_extract_sources", run["dag_run_id"], timeout=480)
    print(f"\nioc_extract_sources ({run['data_interval_start']} .. {run['data_interval_end']}): "
          f"{time.monotonic() - started:.0f} s, {run['state']}")
    stack.runs["extract"] = run
    assert run["state"] == "success"
    tis = client.task_instances("ioc_extract_sources", run["dag_run_id"])
    assert {t["task_id"]: t["state"] for t in tis} == {
        "extract_one_stop_shop_dossiers": "success", "extract_dvc_portal_departments": "success",
        "extract_dvc_portal_formalities": "success", "extract_one_stop_shop_agency_reports": "success",
        "extract_dvc_portal_citizen_accounts": "success", "check_one_stop_shop_dossiers": "success",
        "check_dvc_portal_departments": "success", "check_dvc_portal_formalities": "success",
        "check_one_stop_shop_agency_reports": "success", "check_dvc_portal_citizen_accounts": "success"}
    # Each task went through Celery: the worker logged the workload under a Celery task id, and the
    # result backend (the metadata database) recorded that Celery task as a success.
    # (The task reports success to the API before the Celery task returns: its result row may lag.)
    worker_log = stack.log("celery-worker")
    celery_ids = {}
    for ti in tis:
        assert ti["queue"] == "default" and ti["hostname"]
        line = next((l for l in worker_log.splitlines() if "Executing workload in Celery" in l
                     and f"task_id='{ti['task_id']}'" in l and run["dag_run_id"] in l), None)
        assert line, f"{ti['task_id']} not in the Celery worker's log"
        celery_ids[ti["task_id"]] = re.search(r"\[([0-9a-f-]{36})\]", line).group(1)

    def results():
        with psycopg.connect(stack.metadata.url) as conn:
            return {task: conn.execute("select status from celery_taskmeta where task_id = %s", (cid,)).fetchone()
                    for task, cid in celery_ids.items()}

    deadline = time.monotonic() + 60
    while any(r != ("SUCCESS",) for r in results().values()) and time.monotonic() < deadline:
        time.sleep(1)
    assert results() == {task: ("SUCCESS",) for task in celery_ids}


def test_asset_triggered_build_then_runs_by_itself_and_succeeds(celery_stack):
    stack, client = celery_stack, celery_stack.client
    extract = stack.runs.get("extract")
    assert extract and extract["state"] == "success", "the extraction did not succeed"
    build_id = first_asset_triggered_build(client, timeout=120)
    started = time.monotonic()
    # 41 tasks, each its own process (DAG parse, Cosmos, dbt): about 4 min on two idle cores, but the
    # machine is shared, and 20 min were seen under a load of 15.
    build = client.wait_for_run("ioc_build_marts", build_id, timeout=2400, poll=5)
    tis = client.task_instances("ioc_build_marts", build_id)
    print(f"\nioc_build_marts (asset-triggered, {len(tis)} tasks): {time.monotonic() - started:.0f} s more, "
          f"{build['state']}")
    stack.runs["build"] = build
    failed = sorted(t["task_id"] for t in tis if t["state"] != "success")
    assert build["state"] == "success" and not failed, failed
    assert build["logical_date"] is None  # asset-triggered runs have none: no KeyError any more
    events = client.get(f"/dags/ioc_build_marts/dagRuns/{build_id}/upstreamAssetEvents")["asset_events"]
    assert {e["source_run_id"] for e in events} == {extract["dag_run_id"]}
    # The marts are built as of the day the extraction describes (the end of its night).
    night_end = pendulum.parse(extract["data_interval_end"]).in_timezone(VN).date().isoformat()
    assert {e["extra"].get("as_of") for e in events} == {night_end}


def test_marts_hold_what_the_simulator_served(celery_stack):
    from ioc_pipeline.sources.http import HttpEndpoint
    from ioc_pipeline.sources.one_stop_shop import OneStopShopClient

    stack = celery_stack
    assert stack.runs.get("build", {}).get("state") == "success", "the build did not succeed"
    with psycopg.connect(stack.warehouse.url) as conn:
        batch_id, start, end, received, loaded, status = conn.execute(
            """select batch_id, interval_start, interval_end, rows_received, rows_loaded, status
                 from audit.load_batch
                where run_label = %s and source = 'one_stop_shop' and entity = 'dossier'""",
            (stack.runs["extract"]["dag_run_id"],)).fetchone()
        batch_codes = {r[0] for r in conn.execute(
            "select distinct dossier_code from raw.one_stop_shop__dossier where batch_id = %s", (batch_id,))}
        all_raw_codes = {r[0] for r in conn.execute("select distinct dossier_code from raw.one_stop_shop__dossier")}
        mart_codes = [r[0] for r in conn.execute("select dossier_code from marts.fct_dossier")]
    assert status == "success"
    served = list(OneStopShopClient(HttpEndpoint.from_uri(stack.info["env"]["AIRFLOW_CONN_ONE_STOP_SHOP"]))
                  .dossiers(start, end))
    served_codes = {r["MaHoSo"] for r in served}
    print(f"\nnight {start} .. {end}: {len(served)} records served, {len(served_codes)} dossiers")
    assert served_codes, "the simulator served no dossier for that night: nothing was checked"
    assert received == len(served) and loaded == len(served)
    assert batch_codes == served_codes
    # One row per dossier, every dossier of the night in the marts, nothing the warehouse never received.
    # (If the test runs across 01:00 Vietnam time, the scheduler's own nightly run may add the next
    # night to raw while the build runs: then the marts may hold more than this one batch.)
    assert len(mart_codes) == len(set(mart_codes))
    assert served_codes <= set(mart_codes) <= all_raw_codes
    if all_raw_codes == batch_codes:
        assert set(mart_codes) == served_codes


def test_a_run_triggered_without_logical_date_succeeds(celery_stack):
    stack, client = celery_stack, celery_stack.client
    assert stack.runs.get("extract"), "the stack did not run the first extraction"
    # The first extraction's later Asset events queued a second build (max_active_runs=1), which the
    # test above does not need: pause the build DAG so its remaining tasks stop being scheduled and this
    # extraction does not wait behind them on the worker (what it checks is the extraction's window).
    client.set_paused("ioc_build_marts", True)
    run = client.trigger("ioc_extract_sources", None)
    assert run["logical_date"] is None
    # (It may still queue behind the build tasks already sent to the worker and, after 01:00 Vietnam
    # time, behind the scheduler's own run.)
    run = client.wait_for_run("ioc_extract_sources", run["dag_run_id"], timeout=1200)
    assert run["state"] == "success", [(t["task_id"], t["state"])
                                       for t in client.task_instances("ioc_extract_sources", run["dag_run_id"])]
    with psycopg.connect(stack.warehouse.url) as conn:
        batch_id, start, end = conn.execute(
            """select batch_id, interval_start, interval_end from audit.load_batch
                where run_label = %s and entity = 'dossier' and status = 'success'""", (run["dag_run_id"],)).fetchone()
        watermark = scalar(conn, """select max(interval_end) from audit.load_batch
                                     where entity = 'dossier' and status = 'success' and batch_id < %s""", batch_id)
    # The last complete night before the run was created, reaching back to the stored watermark (minus
    # the overlap margin).
    night_end = pendulum.instance(pendulum.parse(run["run_after"]).in_timezone(VN).replace(
        hour=1, minute=0, second=0, microsecond=0))
    if night_end > pendulum.parse(run["run_after"]):
        night_end = night_end.subtract(days=1)
    assert end == night_end
    assert start == min(night_end.subtract(days=1), watermark) - timedelta(hours=2)


def test_down_leaves_no_process_behind(celery_stack):
    stack = celery_stack
    stack_id = stack.info["stack_id"]
    pid_dir = stack.state / "pids"
    files = processes.pid_files(pid_dir)
    gone = [f.name for f in files if f.process() is None]
    before = [p for p in (f.process() for f in files) if p is not None] + processes.marked(stack_id)
    # A component that died during the earlier tests is named, with the end of its log.
    assert len(before) >= len(stack.info["components"]), "components gone before `down`: " + "; ".join(
        f"{name}: {stack.log(name)[-1500:]}" for name in gone)
    started = time.monotonic()
    down = bin_airflow(stack.env, "down", "--timeout", "15", timeout=180)
    print(f"\nbin/airflow down: {time.monotonic() - started:.0f} s")
    assert down.returncode == 0, down.stdout + down.stderr
    assert processes.marked(stack_id) == []
    assert processes.wait_gone(before, 5) == []
    # Nothing under /proc names the stack's state folder either (a process that dropped the mark).
    leftovers = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.info["status"] != psutil.STATUS_ZOMBIE and str(stack.state) in " ".join(proc.info["cmdline"] or []):
            leftovers.append((proc.pid, proc.info["cmdline"]))
    assert leftovers == []
    assert not list(pid_dir.glob("*.pid"))
    from ioc_pipeline.stack.stack import port_is_free, redis_answers

    assert not redis_answers("127.0.0.1", stack.redis_port), "the Redis that up started is still running"
    assert port_is_free(int(stack.info["env"]["AIRFLOW__API__PORT"]))
    assert bin_airflow(stack.env, "status").returncode == 3
