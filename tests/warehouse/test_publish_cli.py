"""`python -m ioc_pipeline publish-marts` through the real command line, on the real manifest's marts
(hand-made one-row tables stand in for a build DAG's output in marts_build)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg

from ioc_pipeline import config
from ioc_pipeline.runner.dag_runs import dbt_parse
from ioc_pipeline.warehouse.lock import run_lock
from ioc_pipeline.warehouse.publish import contract_marts
from tests.conftest import scalar


def _cli(warehouse, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    env.update(WAREHOUSE_URL=warehouse.url, IOC_STATE_DIR=str(tmp_path / "state"))
    return subprocess.run([sys.executable, "-m", "ioc_pipeline", "publish-marts", *args], env=env,
                          capture_output=True, text=True, cwd=config.PROJECT_ROOT, timeout=120)


def _built(db, label: str, marts: dict[str, str], dq_status: str) -> None:
    for name, node in marts.items():
        db.execute(f"create table marts_build.{name} as select %s::text as built_by", (label,))
        db.execute("""insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, run_label)
                      values (%s, %s, 'model', 'success', %s)""", (f"{label}-{name}", node, label))
    db.execute("""insert into dq.validation_run (run_label, checkpoint_name, suite_name, table_checked, success, status,
                                                 evaluated, passed, warned, failed)
                  values (%s, 'c', 's', 'marts.fct_dossier', %s, %s, 1, %s, 0, %s)""",
               (label, dq_status != "fail", dq_status, int(dq_status != "fail"), int(dq_status == "fail")))


def test_publish_marts_command(warehouse, db, tmp_path):
    from ioc_pipeline.warehouse.locate import locate

    dbt_parse(locate())
    marts = contract_marts()
    assert len(marts) == len(list((config.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")))
    proc = _cli(warehouse, tmp_path)
    assert proc.returncode == 2 and "no checked build to publish" in proc.stderr

    _built(db, "run-cli-1", marts, "fail")
    proc = _cli(warehouse, tmp_path)  # the latest checked run, whose critical checks failed
    assert proc.returncode == 1, proc.stderr
    assert "run run-cli-1: critical data-quality checks failed for run run-cli-1" in proc.stderr
    assert scalar(db, "select count(*) from pg_tables where schemaname = 'marts'") == 0

    with run_lock(warehouse, "a-run-in-progress"):
        proc = _cli(warehouse, tmp_path, "--run-label", "run-cli-1", "--wait", "0")
        assert proc.returncode == 3 and "is busy" in proc.stderr

    db.execute("update dq.validation_run set status = 'warn', success = false, failed = 0 where run_label = 'run-cli-1'")
    started = time.monotonic()
    proc = _cli(warehouse, tmp_path, "--run-label", "run-cli-1")
    seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"published {len(marts)} marts of run run-cli-1 into schema marts")
    assert seconds < 60
    assert {name for (name,) in db.execute("select tablename from pg_tables where schemaname = 'marts'")} == set(marts)
    with psycopg.connect(warehouse.url, autocommit=True) as reader:
        reader.execute("set role ioc_reader")
        assert reader.execute("select built_by from marts.fct_dossier").fetchone() == ("run-cli-1",)

    proc = _cli(warehouse, tmp_path, "--run-label", "run-cli-1")
    assert proc.returncode == 0 and "is already published" in proc.stdout
    assert db.execute("select status, count(*) from audit.marts_publication group by 1 order by 1").fetchall() == [
        ("published", 1), ("refused", 1)]
