"""Two runs on one warehouse, and a run killed with SIGKILL, end to end through the real command line.

One scenario, to pay for one full run only: run K starts; a second run is refused naming K; a third
(`--wait`) waits for the lock; K is SIGKILLed during extraction and none of its children survive it
(nor the simulator it served); the waiting run then takes the lock, marks what was left `running`
`abandoned`, and succeeds; raw holds exactly what one clean run delivers.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from tests.conftest import make_database, scalar

FROM, TO = "2024-09-01", "2024-10-01"


def _env(warehouse, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env.pop("OPERATOR_REPORTS_INBOX", None)
    env.pop("AIRFLOW_HOME", None)
    env.update(WAREHOUSE_URL=warehouse.url, IOC_AIRFLOW_HOME=str(home / "airflow"),
               IOC_DATA_DOCS_DIR=str(home / "data_docs"), IOC_STATE_DIR=str(home / "state"),
               IOC_DBT_DOCS_DIR=str(home / "dbt_docs"))
    return env


def _start(warehouse, home: Path, name: str, *extra: str) -> tuple[subprocess.Popen, Path]:
    err = home / f"{name}.stderr"
    proc = subprocess.Popen([sys.executable, "-m", "ioc_pipeline", "run", "--from", FROM, "--to", TO, *extra],
                            env=_env(warehouse, home), cwd=config.PROJECT_ROOT, stdout=subprocess.PIPE,
                            stderr=err.open("w"), text=True)
    return proc, err


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, command line) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (ppid, cmdline)
    return found


def _descendants(root: int) -> set[int]:
    procs = _processes()
    out, todo = set(), [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _) in procs.items():
            if ppid == parent and pid not in out:
                out.add(pid)
                todo.append(pid)
    return out


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux")
def test_concurrent_runs_and_a_killed_run(tmp_path):
    warehouse, drop = make_database("ioc_safe")
    killed = waiting = None
    try:
        killed, killed_err = _start(warehouse, tmp_path, "killed")

        def holder():
            with psycopg.connect(warehouse.url) as conn:
                return conn.execute("select run_label, pid from audit.run_lock_holder").fetchone()

        label, pid = _wait_for(holder, 120, "the first run to hold the lock")
        assert pid == killed.pid
        # A batch a dead process left `running` before this run took the lock (the first run had already
        # abandoned what it found; this one is for the waiting run to clean up).
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            stale = scalar(conn, """insert into audit.load_batch (source, entity, status, run_label)
                                    values ('one_stop_shop', 'dossier', 'running', 'dead-run') returning batch_id""")

        refused = subprocess.run([sys.executable, "-m", "ioc_pipeline", "run", "--from", FROM, "--to", TO],
                                 env=_env(warehouse, tmp_path / "refused"), cwd=config.PROJECT_ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 3, refused.stderr
        assert f"held by run {label} (pid {killed.pid} on {socket.gethostname()}" in refused.stderr
        assert f"interval [{FROM}, {TO})" in refused.stderr

        waiting, waiting_err = _start(warehouse, tmp_path, "waiting", "--wait", "1200")
        _wait_for(lambda: "waiting up to 1200s for the warehouse lock" in waiting_err.read_text(), 120,
                  "the second run to wait")

        # Kill the first run during extraction: while its `airflow dags test ioc_extract_sources` lives.
        def extracting():
            return [p for p, (_, cmd) in _processes().items() if "dags test ioc_extract_sources" in cmd and label in cmd]

        def loading():
            with psycopg.connect(warehouse.url) as conn:
                return scalar(conn, "select count(*) from audit.load_batch where run_label = %s", label)

        _wait_for(extracting, 300, "the extraction DAG of the first run")
        _wait_for(loading, 300, "the first run's first load batch")  # its tasks are loading now
        assert extracting()
        simulator = re.search(r"serving the simulator at http://127\.0\.0\.1:(\d+)", killed_err.read_text())
        children = _descendants(killed.pid)
        assert children
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)

        def survivors():
            procs = _processes()
            return {pid: cmd for pid, (_, cmd) in procs.items() if pid in children or label in cmd}

        deadline = time.monotonic() + 10
        while survivors() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert survivors() == {}
        if simulator:  # the simulator served the run from inside its process: it is gone too
            with pytest.raises(OSError):
                socket.create_connection(("127.0.0.1", int(simulator.group(1))), timeout=2).close()

        out, _ = waiting.communicate(timeout=1500)
        assert waiting.returncode == 0, out + waiting_err.read_text()[-5000:]
        assert "Result: OK" in out
        second = re.search(r"== IOC pipeline run (\S+) ==", out).group(1)

        with psycopg.connect(warehouse.url) as conn:
            assert scalar(conn, "select count(*) from audit.load_batch where status = 'running'") == 0
            row = conn.execute("select status, finished_at is not null, error from audit.load_batch "
                               "where batch_id = %s", (stale,)).fetchone()
            assert row[:2] == ("abandoned", True) and f"run {second}" in row[2]
            leftover = conn.execute("select status from audit.load_batch where run_label = %s and status <> "
                                    "'success'", (label,)).fetchall()
            assert {s for (s,) in leftover} <= {"abandoned"}
            # Raw holds what one clean run delivers: every dossier the waiting run received, once.
            received = conn.execute(
                """select sum(rows_loaded + rows_duplicate) from audit.load_batch
                    where run_label = %s and source = 'one_stop_shop' and entity = 'dossier'""", (second,)).fetchone()[0]
            assert received and scalar(conn, "select count(*) from raw.one_stop_shop__dossier") == received
            assert scalar(conn, "select count(*) from marts.fct_dossier") > 0
            assert scalar(conn, "select count(*) from audit.run_lock_holder") == 0
    finally:
        for proc in (killed, waiting):
            if proc is not None and proc.poll() is None:
                proc.kill()
        drop()
