"""Create the warehouse's schemas, roles, raw, audit and dq tables (idempotent).

The DDL lives in `sql/`, one file per area, run in name order (schemas and roles, audit, raw per
source, dq), so each source's raw tables sit in one readable file.
"""

from __future__ import annotations

from importlib import resources

import psycopg

from ioc_pipeline.warehouse.locate import WarehouseUrl, ensure_database


def bootstrap_sql() -> str:
    folder = resources.files("ioc_pipeline.warehouse").joinpath("sql")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return "\n".join(f.read_text("utf-8") for f in files)


def bootstrap(url: WarehouseUrl) -> None:
    """Make the database and everything the loaders and dbt expect; safe to run every time."""
    ensure_database(url)
    with psycopg.connect(url.url) as conn:
        # Concurrent bootstraps of one database (two Airflow tasks) must not interleave.
        conn.execute("select pg_advisory_xact_lock(hashtext('ioc_pipeline.bootstrap'))")
        conn.execute(bootstrap_sql())
