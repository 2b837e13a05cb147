"""Warehouse bootstrap: idempotent, roles see only what they should, embedded fallback works."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from ioc_pipeline.warehouse.bootstrap import bootstrap
from ioc_pipeline.warehouse.locate import WarehouseUrl, from_airflow_connection
from tests.conftest import scalar

SCHEMAS = {"raw", "staging", "intermediate", "marts", "dq", "audit"}


def test_bootstrap_twice_is_harmless_and_creates_every_schema(warehouse, db):
    bootstrap(warehouse)
    bootstrap(warehouse)
    found = {r[0] for r in db.execute("select schema_name from information_schema.schemata")}
    assert SCHEMAS <= found
    assert scalar(db, "select count(*) from pg_roles where rolname in ('ioc_reader', 'auditor')") == 2


def test_new_sessions_of_the_warehouse_plan_without_jit(warehouse):
    """JIT compilation cost 1-2.5 s per query against milliseconds of work (BENCHMARKS.md "Sixth
    round"): the bootstrap turns it off for every new session of the warehouse database, whoever
    connects (dbt, the checks, the BI tool's roles), and a session may still turn it back on."""
    with psycopg.connect(warehouse.url) as conn:
        assert conn.execute("show jit").fetchone()[0] == "off"
        conn.execute("set jit = on")
        assert conn.execute("show jit").fetchone()[0] == "on"
    with psycopg.connect(warehouse.url) as conn:
        assert conn.execute("show jit").fetchone()[0] == "off"  # a new session: off again
        # a setting of this database, not of the server
        assert conn.execute("""select setconfig from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase
                                where d.datname = current_database() and s.setrole = 0""").fetchone()[0] == ["jit=off"]
        assert conn.execute("select boot_val from pg_settings where name = 'jit'").fetchone()[0] == "on"


def test_a_pipeline_role_that_does_not_own_the_database_gets_a_warning_not_an_error(db):
    """Only the database's owner may change its session defaults: the bootstrap then warns and goes on."""
    from importlib import resources

    settings = resources.files("ioc_pipeline.warehouse").joinpath("sql", "01_session_settings.sql").read_text("utf-8")
    role = f"ioc_test_not_owner_{uuid.uuid4().hex[:8]}"
    notices: list[str] = []
    db.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    db.execute(f"create role {role} nologin")
    try:
        db.execute(f"set role {role}")
        db.execute(settings)
    finally:
        db.execute("reset role")
        db.execute(f"drop role {role}")
    assert any(f"role {role} does not own database" in notice for notice in notices), notices


def test_ioc_reader_sees_tables_built_later_in_marts_only(warehouse, db):
    db.execute("create table marts.built_later (x int)")
    db.execute("insert into marts.built_later values (1)")
    db.execute("create table staging.built_later (x int)")
    db.execute("set role ioc_reader")
    try:
        assert scalar(db, "select count(*) from marts.built_later") == 1
        for table in ("staging.built_later", "raw.one_stop_shop__dossier", "raw.quarantine", "audit.load_batch",
                      "dq.validation_run"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute(f"select 1 from {table}")
    finally:
        db.execute("reset role")


def test_auditor_reads_marts_dq_and_audit_but_not_raw(warehouse, db):
    db.execute("create table if not exists marts.built_later (x int)")
    db.execute("set role auditor")
    try:
        for table in ("marts.built_later", "dq.validation_run", "dq.validation_result", "audit.load_batch"):
            db.execute(f"select 1 from {table} limit 1")
        for table in ("raw.one_stop_shop__dossier", "raw.dvc_portal__department", "raw.quarantine"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                db.execute(f"select 1 from {table}")
    finally:
        db.execute("reset role")


def test_a_stranger_role_cannot_read_raw(warehouse, db):
    db.execute("do $$ begin create role ioc_test_stranger nologin; exception when duplicate_object then null; end $$")
    db.execute("set role ioc_test_stranger")
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("select 1 from raw.one_stop_shop__dossier")
    finally:
        db.execute("reset role")


def test_socket_urls_survive_the_airflow_connection_round_trip():
    url = WarehouseUrl("postgresql://postgres:@/ioc_warehouse?host=/tmp/pg%20dir")
    assert (url.host, url.port, url.database) == ("/tmp/pg dir", 5432, "ioc_warehouse")
    back = from_airflow_connection(url.host, url.port, url.user, url.password, url.database)
    assert WarehouseUrl(back.url).host == "/tmp/pg dir" and WarehouseUrl(back.url).database == "ioc_warehouse"
    tcp = from_airflow_connection("db.example", 5433, "ioc", "s3cr:et", "wh")
    assert tcp.url == "postgresql://ioc:s3cr%3Aet@db.example:5433/wh" and "s3cr" not in tcp.redacted()


def test_embedded_postgres_is_started_when_no_server_answers(tmp_path):
    """The fallback of docs/contracts/run.md: with no server on 127.0.0.1:5432 and no WAREHOUSE_URL, `bootstrap`
    starts PostgreSQL from the pgserver wheel under the embedded folder and builds the warehouse."""
    env = {k: v for k, v in os.environ.items() if k != "WAREHOUSE_URL"}
    env.update(IOC_EMBEDDED_PG_DIR=str(tmp_path / "pg"), IOC_LOCAL_PG_URL="postgresql://postgres@127.0.0.1:1/x")
    proc = subprocess.run([sys.executable, "-m", "ioc_pipeline", "bootstrap"], env=env, capture_output=True,
                          text=True, timeout=180)
    try:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "starting the embedded server" in proc.stderr
        url = WarehouseUrl(proc.stdout.strip().split("warehouse ready: ", 1)[1])
        assert url.host == str(tmp_path / "pg")
        with psycopg.connect(url.url) as conn:
            assert "PostgreSQL 16" in scalar(conn, "select version()")
            assert scalar(conn, "select count(*) from information_schema.schemata where schema_name = 'raw'") == 1
    finally:
        import pgserver

        pgserver.get_server(tmp_path / "pg", cleanup_mode="stop").cleanup()
