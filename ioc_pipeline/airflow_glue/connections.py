"""Airflow connections as what the tasks need: the warehouse as a libpq URL, a source as an HttpEndpoint.

Read inside tasks only (never at DAG parse time): a DAG file that opened a connection while being
parsed would slow every parse and fail the import when the secret backend is down.
"""

from __future__ import annotations

from ioc_pipeline import config
from ioc_pipeline.sources.http import HttpEndpoint
from ioc_pipeline.warehouse.locate import from_airflow_connection


def warehouse_url() -> str:
    """The warehouse as a libpq URL, from the Airflow connection `warehouse`."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(config.CONN_WAREHOUSE)
    return from_airflow_connection(conn.host, conn.port, conn.login, conn.password, conn.schema).url


def http_endpoint(conn_id: str) -> HttpEndpoint:
    """An HTTP source from its Airflow connection."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    scheme = conn.conn_type if conn.conn_type in ("http", "https") else "http"
    port = f":{conn.port}" if conn.port else ""
    return HttpEndpoint(base_url=f"{scheme}://{conn.host}{port}", login=conn.login, password=conn.password)
