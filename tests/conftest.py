"""Shared fixtures: a throwaway warehouse database per test module, on a real PostgreSQL.

The server is the one the project itself would use (WAREHOUSE_URL, else 127.0.0.1:5432, else the
embedded one); each fixture creates its own database with a random name and drops it afterwards, so
tests never touch the demo warehouse and can run side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from ioc_pipeline import config

os.environ.update(config.QUIET_ENV)


def _server_url():
    from ioc_pipeline.warehouse.locate import locate

    return locate()


def make_database(prefix: str):
    """A fresh, bootstrapped warehouse database; returns (WarehouseUrl, drop callable)."""
    from ioc_pipeline.warehouse.bootstrap import bootstrap

    base = _server_url()
    url = base.with_database(f"{prefix}_{uuid.uuid4().hex[:10]}")
    bootstrap(url)

    def drop():
        with psycopg.connect(base.with_database("postgres").url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{url.database}" with (force)')

    return url, drop


@pytest.fixture(scope="module")
def warehouse():
    url, drop = make_database("ioc_test")
    yield url
    drop()


@pytest.fixture()
def db(warehouse):
    with psycopg.connect(warehouse.url, autocommit=True) as conn:
        yield conn


@pytest.fixture()
def fresh():
    """A database per test, for counts that are exact only on an empty raw layer: (url, conn)."""
    url, drop = make_database("ioc_fresh")
    with psycopg.connect(url.url, autocommit=True) as conn:
        yield url, conn
    drop()


def scalar(conn, sql, *params):
    return conn.execute(sql, params).fetchone()[0]


def batch_row(conn, batch_id) -> dict:
    """One audit.load_batch row as a dict."""
    cur = conn.execute("select * from audit.load_batch where batch_id = %s", (batch_id,))
    return dict(zip([c.name for c in cur.description], cur.fetchone()))


def run_command(warehouse, airflow_home, *args, timeout=900) -> subprocess.CompletedProcess:
    """`python -m ioc_pipeline run ARGS` as a person would run it, into `warehouse`, with its own Airflow
    home, state, docs and reports folders under `airflow_home` (the default simulated sources)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env.update(WAREHOUSE_URL=warehouse.url, IOC_AIRFLOW_HOME=str(airflow_home),
               IOC_DATA_DOCS_DIR=str(airflow_home / "data_docs"), IOC_STATE_DIR=str(airflow_home / "state"),
               IOC_DBT_DOCS_DIR=str(airflow_home / "dbt_docs"), IOC_REPORTS_DIR=str(airflow_home / "reports"))
    env.pop("OPERATOR_REPORTS_INBOX", None)
    env.pop("AIRFLOW_HOME", None)
    return subprocess.run([sys.executable, "-m", "ioc_pipeline", "run", *args], env=env, capture_output=True,
                          text=True, cwd=config.PROJECT_ROOT, timeout=timeout)


# The second half of 2024, the period the breakthroughs were set for (as-of day 1/1/2025).
CATCH_UP_FROM, CATCH_UP_TO = "2024-07-01", "2025-01-01"


@pytest.fixture(scope="session")
def catch_up_run(tmp_path_factory):
    """One whole `run --from 2024-07-01 --to 2025-01-01` into a database of its own: (url, home, proc).

    Several files read the same populated warehouse (the run command's checks against the simulator,
    the report in the browser); a run takes minutes, so they share this one. SHARED_WORKER sends them
    to the same worker, and they must not change what the others read: each writes only its own rows
    (a planted dq run) or runs the same interval again.
    """
    url, drop = make_database("ioc_e2e")
    home = tmp_path_factory.mktemp("catch_up_run")
    proc = run_command(url, home, "--from", CATCH_UP_FROM, "--to", CATCH_UP_TO)
    yield url, home, proc
    drop()


# The modules that take minutes (each drives whole `run` commands or several DAG runs), longest first.
# bin/test hands test files to its two workers in collection order (`--no-loadscope-reorder`), so these
# start first and the short files fill the gaps beside them, instead of one long file starting last and
# running alone at the end. Measured by `bin/test --durations=40` (BENCHMARKS.md, "Test suite").
LONGEST_FIRST = (
    "tests/simulator/test_oracle_e2e.py",
    # the catch-up run's group: the report reads the first run before test_run_command runs it again
    "tests/report/test_report_in_browser.py",
    "tests/runner/test_run_command.py",
    "tests/runner/test_safe_run.py",
    "tests/dags/test_build_publication.py",
    "tests/dags/test_operator_dag.py",
    "tests/dbt/test_incremental_dossiers.py",
    "tests/dbt/test_batch_scoped_tests.py",
    "tests/warehouse/test_publish_dbt.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: position for position, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: the rest keeps its order


# Files that share a worker (and so its session fixtures): the files that read the catch-up run.
SHARED_WORKER = {"tests/report/test_report_in_browser.py": "catch_up_run",
                 "tests/runner/test_run_command.py": "catch_up_run"}


def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile`, except that the files of SHARED_WORKER go to one worker together.

    (xdist's own `loadgroup` cannot do it here: it renames the test ids through an attribute that
    pytest 9 no longer reads, so its groups are silently ignored.)"""
    from xdist.scheduler import LoadFileScheduling

    if config.getoption("dist") != "loadfile":
        return None

    class FileOrSharedScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return SHARED_WORKER.get(path, path)

    return FileOrSharedScheduling(config, log)

