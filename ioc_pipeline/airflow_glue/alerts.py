"""A failed task tells the IOC: a line in the task log, a row in `audit.alert`, optionally a webhook.

Wired into every DAG by `defaults.default_args()` as `on_failure_callback`. Where it goes is one
setting (`config.alert_target()`): `+`-separated `log`, `table` and, last, a
webhook URL `http(s)://...` receiving the alert as a JSON POST. One target failing (warehouse down,
webhook unreachable) is logged and spares the others; a notifier never fails the callback.

Who sees it: the `auditor` role reads `audit.alert` (default privileges of schema `audit`); the
auditors' page and the IOC BI could show it through a small mart later.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from datetime import datetime

import psycopg
from airflow.sdk import BaseNotifier

from ioc_pipeline import config

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10
ERROR_MAX_CHARS = 4000


def parse_target(target: str) -> tuple[set[str], str | None]:
    """`log+table+https://host/path` -> ({"log", "table"}, "https://host/path")."""
    match = re.search(r"https?://", target)
    url = target[match.start():] if match else None
    head = target[:match.start()] if match else target
    kinds = {part.strip().lower() for part in re.split(r"[+,]", head) if part.strip()}
    unknown = kinds - {"log", "table"}
    if unknown:
        raise ValueError(f"{config.ALERT_TARGET_ENV}: unknown target(s) {sorted(unknown)}; use log, table and/or a "
                         "http(s):// URL")
    return kinds, url


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value is not None else None)


def alert_from_context(context) -> dict:
    """The facts of a failure, from an Airflow task context (or a hand-made one in tests)."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    error = context.get("exception") or context.get("reason")
    logical_date = context.get("logical_date") or getattr(dag_run, "logical_date", None)
    return {
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag, "dag_id", None) or "?",
        "task_id": getattr(ti, "task_id", None),
        "run_id": context.get("run_id") or getattr(ti, "run_id", None),
        "logical_date": _iso(logical_date),
        "try_number": getattr(ti, "try_number", None),
        "error": (f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else
                  (str(error) if error is not None else None)),
        "at": datetime.now(config.VN).isoformat(timespec="seconds"),
    }


def write_alert_row(warehouse_url: str, alert: dict) -> None:
    with psycopg.connect(warehouse_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            """insert into audit.alert (dag_id, task_id, run_id, logical_date, try_number, error, at)
               values (%(dag_id)s, %(task_id)s, %(run_id)s, %(logical_date)s, %(try_number)s, %(error)s, %(at)s)""",
            {**alert, "error": (alert["error"] or "")[:ERROR_MAX_CHARS] or None})


def post_webhook(url: str, alert: dict) -> int:
    request = urllib.request.Request(url, data=json.dumps(alert, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only)
        return response.status


class IocAlertNotifier(BaseNotifier):
    """Reports a failed task to the targets of `config.alert_target()` (read when it fires, not at parse)."""

    def __init__(self, target: str | None = None, warehouse_url: str | None = None):
        super().__init__()
        self.target = target
        self.warehouse_url = warehouse_url

    def _warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        from ioc_pipeline.airflow_glue.connections import warehouse_url

        return warehouse_url()

    def notify(self, context) -> None:
        alert = alert_from_context(context)
        try:
            kinds, url = parse_target(self.target or config.alert_target())
        except ValueError as problem:
            log.error("%s; alerting to the log only", problem)
            kinds, url = {"log"}, None
        if "log" in kinds:
            log.error("IOC ALERT: task %s.%s failed (run %s, logical date %s, try %s): %s", alert["dag_id"],
                      alert["task_id"], alert["run_id"], alert["logical_date"], alert["try_number"],
                      alert["error"])
        if "table" in kinds:
            try:
                write_alert_row(self._warehouse_url(), alert)
            except Exception:  # noqa: BLE001 - the other targets still get it
                log.exception("IOC ALERT: could not write audit.alert")
        if url:
            try:
                post_webhook(url, alert)
            except Exception:  # noqa: BLE001
                log.exception("IOC ALERT: webhook %s did not take the alert", re.sub(r"//[^@/]*@", "//***@", url))
