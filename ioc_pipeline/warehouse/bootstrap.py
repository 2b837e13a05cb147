"""Create the warehouse's schemas, roles, raw and audit tables (idempotent)."""

from __future__ import annotations

from importlib import resources

import psycopg

from ioc_pipeline.warehouse.locate import WarehouseUrl, ensure_database


def bootstrap_sql() -> str:
    return resources.files("ioc_pipeline.warehouse").joinpath("bootstrap.sql").read_text("utf-8")


def bootstrap(url: WarehouseUrl) -> None:
    """Make the database and everything the loaders and dbt expect; safe to run every time."""
    ensure_database(url)
    with psycopg.connect(url.url) as conn:
        # Concurrent bootstraps (parallel tests, two Airflow tasks) must not race on role creation.
        conn.execute("select pg_advisory_xact_lock(hashtext('ioc_pipeline.bootstrap'))")
        conn.execute(bootstrap_sql())
