"""Safe operation of the warehouse: clear errors for a wrong WAREHOUSE_URL, the run lock, abandoned batches.

The bad URLs go through the real command line (a subprocess): one line, exit code 2, within seconds,
and nothing started (no simulator, no inbox, no Airflow home).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.warehouse.batches import abandon_running
from ioc_pipeline.warehouse.lock import LockBusy, record_holder, run_lock, shared_lock
from tests.conftest import scalar


def _cli(tmp_path, warehouse_url: str | None, *args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env.pop("OPERATOR_REPORTS_INBOX", None)
    env.pop("WAREHOUSE_URL", None)
    if warehouse_url:
        env["WAREHOUSE_URL"] = warehouse_url
    env.update(IOC_AIRFLOW_HOME=str(tmp_path / "airflow"), IOC_STATE_DIR=str(tmp_path / "state"))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ioc_pipeline", *args], env=env, capture_output=True, text=True,
                          cwd=config.PROJECT_ROOT, timeout=timeout)
    return proc, time.monotonic() - started


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(warehouse) -> str:
    return f"{warehouse.host}:{warehouse.port}"


@pytest.mark.parametrize("make_url, expected", [
    (lambda w: f"postgresql://postgres@no-such-host.invalid:5432/{w.database}", "unknown host 'no-such-host.invalid'"),
    (lambda w: f"postgresql://postgres@127.0.0.1:{_closed_port()}/{w.database}", "(connection refused)"),
    (lambda w: f"mysql://root@127.0.0.1:3306/{w.database}", "scheme mysql:// is not supported"),
    (lambda w: w.url.replace("postgresql://", "postgres+psycopg2://", 1), "a SQLAlchemy URL"),
    (lambda w: w.with_database(f"ioc_missing_{uuid.uuid4().hex[:8]}").url,
     "does not exist on {server}; run `python -m ioc_pipeline bootstrap` to create it"),
], ids=["unknown-host", "closed-port", "mysql-scheme", "sqlalchemy-scheme", "missing-database"])
def test_a_wrong_warehouse_url_is_one_line_and_starts_nothing(warehouse, tmp_path, make_url, expected):
    url = make_url(warehouse)
    proc, seconds = _cli(tmp_path, url, "run", "--from", "2024-09-01", "--to", "2024-10-01")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("python -m ioc_pipeline run: WAREHOUSE_URL ")
    assert expected.format(server=_server(warehouse)) in lines[0]
    assert proc.stdout == ""
    assert seconds < 20  # a few seconds on an idle machine; the connect timeout is 3 s
    assert not (tmp_path / "state").exists() and not (tmp_path / "airflow").exists()  # no simulator, no Airflow
    if "missing" in url:
        with psycopg.connect(warehouse.with_database("postgres").url) as conn:
            assert scalar(conn, "select count(*) from pg_database where datname = %s", url.rsplit("/", 1)[1]) == 0


def test_bootstrap_creates_the_database_run_refuses_to(warehouse, tmp_path):
    url = warehouse.with_database(f"ioc_boot_{uuid.uuid4().hex[:8]}")
    try:
        proc, _ = _cli(tmp_path, url.url, "bootstrap")
        assert proc.returncode == 0, proc.stderr
        with psycopg.connect(url.url) as conn:
            assert scalar(conn, "select to_regclass('audit.run_lock_holder') is not null")
    finally:
        with psycopg.connect(warehouse.with_database("postgres").url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{url.database}" with (force)')


def test_a_second_run_is_refused_naming_the_holder(warehouse, tmp_path):
    with run_lock(warehouse, "run-holder-test") as held:
        record_holder(held, date(2024, 9, 1), date(2024, 10, 1))
        proc, seconds = _cli(tmp_path, warehouse.url, "run", "--from", "2024-09-01", "--to", "2024-10-01")
        assert proc.returncode == 3, proc.stderr
        line = proc.stderr.strip().splitlines()[-1]
        assert "is busy: held by run run-holder-test" in line
        assert f"pid {os.getpid()} on {socket.gethostname()}" in line
        assert "interval [2024-09-01, 2024-10-01)" in line and "since " in line and "--wait" in line
        assert not (tmp_path / "state").exists()  # refused before the simulator started
        with pytest.raises(LockBusy, match="after waiting 0.5s"):
            with run_lock(warehouse, "third", wait_seconds=0.5):
                pass
    # Let go: the holder row is gone, the next one takes the lock at once.
    with psycopg.connect(warehouse.url) as conn:
        assert scalar(conn, "select count(*) from audit.run_lock_holder") == 0
    with run_lock(warehouse, "after"):
        pass


def test_waiting_run_takes_the_lock_when_the_holder_lets_go(warehouse):
    import threading

    took = []
    with run_lock(warehouse, "first"):
        t = threading.Thread(target=lambda: took.append(run_lock(warehouse, "second", wait_seconds=30).__enter__()))
        t.start()
        time.sleep(1)
        assert not took
    t.join(30)
    assert took
    took[0].conn.close()


def test_a_scheduled_task_waits_for_a_run_and_a_run_refuses_a_loading_task(warehouse):
    with run_lock(warehouse, "exclusive"):
        with psycopg.connect(warehouse.url, autocommit=True) as other:
            other.execute("set lock_timeout = '500ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("select pg_advisory_lock_shared(%s)", (0x494F4352554E,))
    with shared_lock(warehouse.url, "airflow ioc_extract_sources.task"), shared_lock(warehouse.url, "another task"):
        with pytest.raises(LockBusy, match="scheduled task airflow ioc_extract_sources.task"):
            with run_lock(warehouse, "run"):
                pass


def test_stale_running_batches_become_abandoned(warehouse, db):
    ids = [db.execute("""insert into audit.load_batch (source, entity, status, started_at)
                          values ('one_stop_shop', 'dossier', 'running', now() - %s) returning batch_id""",
                      (age,)).fetchone()[0] for age in (timedelta(hours=7), timedelta(minutes=5))]
    old, young = ids
    assert abandon_running(warehouse.url, older_than=timedelta(minutes=360), by="test") == [old]
    row = db.execute("select status, finished_at is not null, error from audit.load_batch where batch_id = %s",
                     (old,)).fetchone()
    assert row[:2] == ("abandoned", True) and "its process is gone" in row[2]
    assert scalar(db, "select status from audit.load_batch where batch_id = %s", young) == "running"
    assert young in abandon_running(warehouse.url, older_than=None, by="run x")
    # abandoned counts like failed: never a watermark
    from ioc_pipeline.tasks.dossiers import watermark
    db.execute("update audit.load_batch set interval_end = now() where batch_id = any(%s)", (ids,))
    assert watermark(warehouse.url, "one_stop_shop", "dossier") is None
