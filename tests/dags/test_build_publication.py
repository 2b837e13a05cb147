"""The real build DAG `ioc_build_marts` under `airflow dags test`, as the run command drives it: the
marts are built in `marts_build`, checked there, published into `marts` by `publish_marts`; a run that
fails half way publishes nothing and the readers keep the previous complete set.

Data: the nine hand-made dossiers of tests/dbt/test_dbt_project.py (D1..D9).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.runner.catch_up import build_conf
from ioc_pipeline.runner.dag_runs import airflow_env, dbt_parse, prepare_airflow, run_dag
from ioc_pipeline.runner.summary import RunReport, collect, format_summary
from tests.conftest import make_database, scalar
from tests.dbt.test_dbt_project import load_raw

DAG_ID = "ioc_build_marts"
N_MARTS = len(list((config.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")))


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    warehouse, drop = make_database("ioc_pub_dag")
    with psycopg.connect(warehouse.url) as conn:
        load_raw(conn)
    home = tmp_path_factory.mktemp("airflow_home")
    dags = tmp_path_factory.mktemp("dags")
    shutil.copy(config.DAGS_DIR / f"{DAG_ID}.py", dags)
    env = airflow_env(warehouse, {
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "IOC_DATA_DOCS_DIR": str(home / "data_docs"), "IOC_DBT_DOCS_DIR": str(home / "dbt_docs"),
        "IOC_REPORTS_DIR": str(home / "reports"), "IOC_STATE_DIR": str(home / "state"),
        "IOC_GX_ROOT": str(home / "gx")})
    prepare_airflow(env)
    dbt_parse(warehouse)
    yield warehouse, env, home
    drop()


def _run(warehouse, env, home, label: str):
    started = datetime.now(VN)
    step = run_dag(DAG_ID, build_conf(date(2024, 10, 31), label), env, home / "logs" / label)
    report = RunReport(label, steps=[step])
    collect(report, warehouse, started)
    return step, report, format_summary(report, warehouse)


def _digest(conn) -> dict[str, str]:
    tables = [t for (t,) in conn.execute("select tablename from pg_tables where schemaname = 'marts' order by 1")]
    return {t: scalar(conn, f"select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') "
                            f"from marts.{t} x") for t in tables}


def test_the_dag_publishes_a_checked_build_and_keeps_it_when_the_next_fails(airflow):
    warehouse, env, home = airflow
    step, report, summary = _run(warehouse, env, home, "dag-pub-1")
    assert step.ok, step.log_path.read_text()[-6000:]
    assert report.publication["status"] == "published" and report.publication["marts_count"] == N_MARTS
    assert f"Marts: published, {N_MARTS} marts now in schema marts" in summary and "Result: OK" in summary
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        assert scalar(db, "select count(*) from pg_tables where schemaname = 'marts'") == N_MARTS
        assert scalar(db, "select count(*) from pg_tables where schemaname = 'marts_build'") == 0
        # every mart suite read marts_build but names its table as readers know it
        checked = {t for (t,) in db.execute("select table_checked from dq.validation_run where run_label = 'dag-pub-1'"
                                            " and layer = 'marts'")}
        assert "marts.fct_dossier" in checked and all(t.startswith("marts.") for t in checked)
        # the run's label reached every dbt node task as the environment the DAG gives Cosmos
        # (config.dbt_build_env), not as a dbt var
        labels = dict(db.execute("select coalesce(run_label, '(none)'), count(*) from audit.dbt_node_run"
                                 " group by 1").fetchall())
        assert set(labels) == {"dag-pub-1"} and labels["dag-pub-1"] > 100, labels
        published = _digest(db)
        db.execute("set role ioc_reader")
        assert scalar(db, "select count(*) from marts.fct_dossier") == 9
        db.execute("reset role")
        # the run's data-quality verdict came before the publication
        assert scalar(db, """select max(v.run_at) < min(p.published_at) from dq.validation_run v, audit.marts_publication p
                              where v.run_label = 'dag-pub-1' and p.run_label = 'dag-pub-1'""") is True
        db.execute("alter table raw.dvc_portal__department rename to dvc_portal__department_gone")
    try:
        step, report, summary = _run(warehouse, env, home, "dag-pub-2")
    finally:
        with psycopg.connect(warehouse.url, autocommit=True) as db:
            db.execute("alter table raw.dvc_portal__department_gone rename to dvc_portal__department")
    assert not step.ok  # the refusal fails the run (its leaves alone would not: the auditors' page and docs run anyway)
    # a new run's label and test scopes are no reason for dbt to parse the project again: its node tasks
    # start from the parse Cosmos saved in the first run (issue 14)
    log = step.log_path.read_text()
    assert "Unable to do partial parsing because config vars" not in log
    assert "marts not published: the dbt build of run dag-pub-2 has 1 node(s) in error: " \
        "model.ioc_warehouse.stg_dvc_portal__departments (error)" in step.log_path.read_text()
    assert report.publication["status"] == "refused"
    assert "node(s) in error" in report.publication["reason"]
    assert "Marts: NOT published, the previous complete set stays in schema marts" in summary
    assert "marts not published: the previous set stays in schema marts" in report.failures
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        assert 0 < scalar(db, "select count(*) from pg_tables where schemaname = 'marts_build'") < N_MARTS
        assert _digest(db) == published
        db.execute("set role ioc_reader")
        assert scalar(db, "select count(*) from marts.fct_dossier") == 9
