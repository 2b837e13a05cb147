"""A failed task alerts the IOC: a log line, a row in audit.alert (auditor reads it), a webhook POST.

The notifier is called as Airflow calls an `on_failure_callback`, with a hand-made task context.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from ioc_pipeline.airflow_glue.alerts import IocAlertNotifier, parse_target
from ioc_pipeline.airflow_glue.defaults import default_args
from ioc_pipeline.config import VN
from tests.conftest import scalar


def _context(task_id="extract_one_stop_shop_dossiers"):
    ti = SimpleNamespace(dag_id="ioc_extract_sources", task_id=task_id, run_id="scheduled__2024-09-02",
                         try_number=3, map_index=-1)
    return {"task_instance": ti, "ti": ti, "run_id": ti.run_id,
            "logical_date": datetime(2024, 9, 2, 1, 0, tzinfo=VN),
            "dag_run": SimpleNamespace(conf={}, logical_date=None),
            "exception": RuntimeError("batch 42 failed: HTTP 503 from the one-stop-shop")}


@pytest.fixture()
def webhook():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Content-Type"], json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/ioc", received
    server.shutdown()


def test_target_setting_is_parsed():
    assert parse_target("log+table") == ({"log", "table"}, None)
    assert parse_target("table+https://h.example/a+b?x=1") == ({"table"}, "https://h.example/a+b?x=1")
    assert parse_target("http://127.0.0.1:9/x") == (set(), "http://127.0.0.1:9/x")
    with pytest.raises(ValueError, match="unknown target"):
        parse_target("log+email")


def test_a_failed_task_writes_its_log_line_row_and_webhook(warehouse, db, webhook, caplog):
    url, received = webhook
    notifier = IocAlertNotifier(target=f"log+table+{url}", warehouse_url=warehouse.url)
    with caplog.at_level(logging.ERROR, logger="ioc_pipeline.airflow_glue.alerts"):
        notifier(_context())
    assert any("IOC ALERT: task ioc_extract_sources.extract_one_stop_shop_dossiers failed" in r.getMessage()
               and "HTTP 503" in r.getMessage() for r in caplog.records)
    row = db.execute("""select dag_id, task_id, run_id, logical_date, try_number, error, at is not null
                          from audit.alert order by alert_id desc limit 1""").fetchone()
    assert row == ("ioc_extract_sources", "extract_one_stop_shop_dossiers", "scheduled__2024-09-02",
                   datetime(2024, 9, 2, 1, 0, tzinfo=VN), 3,
                   "RuntimeError: batch 42 failed: HTTP 503 from the one-stop-shop", True)
    content_type, body = received[0]
    assert content_type == "application/json"
    assert body["dag_id"] == "ioc_extract_sources" and body["try_number"] == 3 and "HTTP 503" in body["error"]
    db.execute("set role auditor")
    try:
        assert scalar(db, "select count(*) from audit.alert") >= 1
    finally:
        db.execute("reset role")


def test_a_target_that_fails_spares_the_others(warehouse, db, caplog):
    before = scalar(db, "select count(*) from audit.alert")
    notifier = IocAlertNotifier(target="log+table+http://127.0.0.1:9/closed", warehouse_url=warehouse.url)
    notifier(_context("other"))  # never raises
    assert scalar(db, "select count(*) from audit.alert") == before + 1
    assert any("webhook" in r.getMessage() for r in caplog.records)


def test_the_default_target_comes_from_the_setting(warehouse, db, monkeypatch):
    monkeypatch.setenv("IOC_ALERT_TARGET", "table")
    before = scalar(db, "select count(*) from audit.alert")
    IocAlertNotifier(warehouse_url=warehouse.url)(_context("from_setting"))
    assert scalar(db, "select count(*) from audit.alert where task_id = 'from_setting'") == 1
    assert scalar(db, "select count(*) from audit.alert") == before + 1


def test_every_dag_alerts_on_failure():
    args = default_args()
    assert any(isinstance(cb, IocAlertNotifier) for cb in args["on_failure_callback"])


FAILING_DAG = '''
import pendulum
from airflow.sdk import dag, task
from ioc_pipeline.airflow_glue.defaults import default_args


@dag(dag_id="ioc_test_failing", schedule=None, start_date=pendulum.datetime(2024, 7, 1), catchup=False,
     default_args=default_args())
def ioc_test_failing():
    @task
    def explode():
        raise ValueError("the source sent nonsense")

    explode()


ioc_test_failing()
'''


def test_a_real_failing_dag_run_alerts(warehouse, db, tmp_path):
    """One real `airflow dags test` of a tiny failing DAG with the project's default args."""
    import os
    import subprocess

    from ioc_pipeline import config

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ioc_test_failing.py").write_text(FAILING_DAG)
    env = {**os.environ, **config.QUIET_ENV, "AIRFLOW_HOME": str(tmp_path / "home"),
           "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW_CONN_WAREHOUSE": warehouse.airflow_conn_json(), "IOC_TASK_RETRIES": "0",
           "IOC_ALERT_TARGET": "log+table", "PYTHONPATH": str(config.PROJECT_ROOT)}
    airflow = str(config.PROJECT_ROOT / ".venv" / "bin" / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    proc = subprocess.run([airflow, "dags", "test", "ioc_test_failing"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=config.PROJECT_ROOT)
    assert proc.returncode != 0
    assert "IOC ALERT: task ioc_test_failing.explode failed" in proc.stdout + proc.stderr
    row = db.execute("select dag_id, task_id, try_number, error from audit.alert where dag_id = 'ioc_test_failing'"
                     ).fetchone()
    assert row[:2] == ("ioc_test_failing", "explode") and "the source sent nonsense" in row[3]
