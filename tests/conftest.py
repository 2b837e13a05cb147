"""Shared fixtures: a throwaway warehouse database per test module, on a real PostgreSQL.

The server is the one the project itself would use (WAREHOUSE_URL, else 127.0.0.1:5432, else the
embedded one); each fixture creates its own database with a random name and drops it afterwards, so
tests never touch the demo warehouse and can run side by side.
"""

from __future__ import annotations

import os
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


# The modules that take minutes (each drives whole `run` commands or several DAG runs), longest first.
# bin/test hands test files to its two workers in collection order (`--no-loadscope-reorder`), so these
# start first and the short files fill the gaps beside them, instead of one long file starting last and
# running alone at the end. Measured by `bin/test --durations=40` (BENCHMARKS.md, "Test suite").
LONGEST_FIRST = (
    "tests/simulator/test_oracle_e2e.py",
    "tests/runner/test_run_command.py",
    "tests/runner/test_safe_run.py",
    "tests/report/test_report_in_browser.py",
    "tests/dags/test_build_publication.py",
    "tests/dags/test_operator_dag.py",
    "tests/dbt/test_incremental_dossiers.py",
    "tests/dbt/test_batch_scoped_tests.py",
    "tests/warehouse/test_publish_dbt.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: position for position, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: the rest keeps its order
