"""Small pieces every DAG shares: connections, default arguments, run settings.

Read inside tasks only (never at DAG parse time), except `default_args`, which is cheap.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ioc_pipeline import config
from ioc_pipeline.sources.http import HttpEndpoint
from ioc_pipeline.warehouse.locate import from_airflow_connection


def default_args() -> dict:
    """Scheduled runs retry a failed task (`config.task_retries`: the `run` command asks for none)."""
    return {
        "owner": "ioc-data",
        "retries": config.task_retries(),
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
    }


def catch_up_interval(conf: dict | None) -> tuple[datetime, datetime] | None:
    """The explicit `[from, to)` the run command puts in a run's conf, or None for scheduled runs."""
    conf = conf or {}
    if conf.get("interval_start") and conf.get("interval_end"):
        return datetime.fromisoformat(conf["interval_start"]), datetime.fromisoformat(conf["interval_end"])
    return None


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
