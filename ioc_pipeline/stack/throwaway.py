"""A whole stack on throwaway databases, for the stack's test and the scheduler benchmark.

`throwaway_stack()` runs `bin/airflow up` against a fresh warehouse database and a fresh metadata
database (random names on the server `locate()` finds), in a temporary state folder, on free ports,
with its own Redis on a free port for the CeleryExecutor; on exit it runs `bin/airflow down`, sweeps
anything left with the stack's mark, and drops both databases, whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ioc_pipeline import config
from ioc_pipeline.stack import processes
from ioc_pipeline.stack.client import StackClient
from ioc_pipeline.warehouse.locate import WarehouseUrl


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bin_airflow(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(config.PROJECT_ROOT / "bin" / "airflow"), *args], env=env, capture_output=True,
                          text=True, cwd=config.PROJECT_ROOT, timeout=timeout)


@dataclass
class Throwaway:
    env: dict[str, str]
    state: Path
    warehouse: WarehouseUrl
    metadata: WarehouseUrl
    redis_port: int
    up: subprocess.CompletedProcess | None = None
    up_seconds: float = 0.0
    info: dict = field(default_factory=dict)
    client: StackClient | None = None
    runs: dict = field(default_factory=dict)

    def log(self, component: str) -> str:
        path = self.state / "logs" / f"{component}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def throwaway_stack(executor: str = "celery", scale: int = 3000, up_timeout: float = 420,
                    state: Path | None = None) -> Iterator[Throwaway]:
    from ioc_pipeline.warehouse.bootstrap import bootstrap
    from ioc_pipeline.warehouse.locate import locate

    server = locate()
    suffix = uuid.uuid4().hex[:10]
    warehouse = server.with_database(f"ioc_stack_wh_{suffix}")
    metadata = server.with_database(f"ioc_stack_af_{suffix}")
    own_state = state is None
    state = Path(tempfile.mkdtemp(prefix="ioc_stack_")) if own_state else state
    redis_port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW_CONN_", "AIRFLOW__")) and k not in ("AIRFLOW_HOME", "OPERATOR_REPORTS_INBOX")}
    env.update(IOC_STACK_DIR=str(state), WAREHOUSE_URL=warehouse.url, IOC_AIRFLOW_DB_URL=metadata.url,
               IOC_AIRFLOW_PORT=str(free_port()), IOC_CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
               IOC_SIMULATOR_SCALE=str(scale), IOC_TASK_RETRIES="0", IOC_DATA_DOCS_DIR=str(state / "data_docs"),
               IOC_DBT_DOCS_DIR=str(state / "dbt_docs"), IOC_STATE_DIR=str(state / "run"))
    stack = Throwaway(env=env, state=state, warehouse=warehouse, metadata=metadata, redis_port=redis_port)
    try:
        bootstrap(warehouse)
        started = time.monotonic()
        stack.up = bin_airflow(env, "up", "--executor", executor, "--timeout", str(up_timeout),
                               timeout=up_timeout + 180)
        stack.up_seconds = time.monotonic() - started
        if (state / "stack.json").exists():
            stack.info = json.loads((state / "stack.json").read_text())
        if stack.up.returncode == 0:
            password = json.loads((state / "simple_auth_manager_passwords.json").read_text())["admin"]
            stack.client = StackClient(stack.info["api_url"], "admin", password)
        yield stack
    finally:
        bin_airflow(env, "down", "--timeout", "15", timeout=180)
        if stack.info.get("stack_id"):  # never leave anything behind, even if `down` itself broke
            processes.stop_all([], stack.info["stack_id"], timeout=5)
        with psycopg.connect(server.with_database("postgres").url, autocommit=True) as conn:
            for database in (metadata.database, warehouse.database):
                conn.execute(f'drop database if exists "{database}" with (force)')
        if own_state:
            shutil.rmtree(state, ignore_errors=True)


def source_has_dossiers(stack: Throwaway) -> Callable[[datetime, datetime], bool]:
    """Does the stack's one-stop-shop source serve any dossier changed in `[start, end)`? (One page.)"""
    from ioc_pipeline.sources.http import HttpEndpoint
    from ioc_pipeline.sources.one_stop_shop import OneStopShopClient

    source = OneStopShopClient(HttpEndpoint.from_uri(stack.info["env"]["AIRFLOW_CONN_ONE_STOP_SHOP"]))
    return lambda start, end: next(iter(source.dossiers(start, end)), None) is not None


def trigger_last_night(client: StackClient,
                       has_dossiers: Callable[[datetime, datetime], bool] | None = None) -> dict:
    """Trigger `ioc_extract_sources` for the night the scheduler would run next (the last complete
    one), with that logical date, before unpausing it (so the scheduler adds no run of the same night);
    `ioc_build_marts` is unpaused first so the Asset events start it.

    With `has_dossiers(start, end)` (does the one-stop-shop source serve any dossier then?), a night
    without dossiers is widened back, in the run's catch-up conf, to the start of the last day that has
    some (up to two weeks): the simulator, like the offices, has no dossier activity on a weekend or a
    public holiday, so on a Sunday or a Monday the last night alone is empty, and a first build over an
    empty warehouse rightly fails its critical check (fct_dossier has rows). The run's logical date, its
    window's end and so the as-of day of the build stay the scheduler's."""
    logical_date = datetime.fromisoformat(client.dags()["ioc_extract_sources"]["next_dagrun_logical_date"])
    # a run triggered with that logical date covers the complete day before it (the daily
    # CronDataIntervalTimetable's manual data interval)
    day = timedelta(days=1)
    starts = [logical_date - (back + 1) * day for back in range(15)]  # that day's start, then earlier ones
    start = next((s for s in starts if has_dossiers(s, s + day)), starts[0]) if has_dossiers else starts[0]
    conf = {} if start == starts[0] else {"interval_start": start.isoformat(),
                                          "interval_end": logical_date.isoformat()}
    client.set_paused("ioc_build_marts", False)
    run = client.trigger("ioc_extract_sources", logical_date, conf=conf)
    client.set_paused("ioc_extract_sources", False)
    return run


def first_asset_triggered_build(client: StackClient, timeout: float) -> str:
    return client.wait_for(
        lambda: next((r["dag_run_id"] for r in client.dag_runs("ioc_build_marts")
                      if r["run_type"] == "asset_triggered"), None), timeout=timeout,
        what="an asset-triggered ioc_build_marts run")
