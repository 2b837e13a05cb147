"""Atomic publication of the marts (ioc_pipeline/warehouse/publish.py), on a real PostgreSQL.

A small hand-made set of three marts stands in for the real ones (a manifest naming three models of
schema `marts`): the previous set holds 2, 3 and 1 rows tagged 'old', the new one in `marts_build`
5, 4 and 7 rows tagged 'new'. Readers connect as `ioc_reader`, as the BI tool does.
"""

from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.warehouse.publish import (
    BUILD_SCHEMA,
    PREVIOUS_SCHEMA,
    PublishFailed,
    PublishRefused,
    contract_marts,
    publish_marts,
    reuse_previous_marts,
)
from tests.conftest import scalar

MARTS = {"m_a": 2, "m_b": 3, "m_c": 1}  # previous set: rows per mart
NEW = {"m_a": 5, "m_b": 4, "m_c": 7}  # the new build
OLD_COUNTS, NEW_COUNTS = tuple(MARTS.values()), tuple(NEW.values())
COUNTS_SQL = "select " + ", ".join(f"(select count(*) from marts.{m})" for m in MARTS)


@pytest.fixture()
def manifest(tmp_path):
    nodes = {f"model.ioc_warehouse.{m}": {"resource_type": "model", "name": m, "alias": m,
                                          "config": {"schema": "marts", "enabled": True}} for m in MARTS}
    nodes["model.ioc_warehouse.stg_x"] = {"resource_type": "model", "name": "stg_x", "alias": "stg_x",
                                          "config": {"schema": "staging", "enabled": True}}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"nodes": nodes}))
    return path


def _make(db, schema: str, name: str, rows: int, tag: str) -> None:
    db.execute(f"drop table if exists {schema}.{name}")
    db.execute(f"create table {schema}.{name} (id int primary key, tag text not null)")
    db.execute(f"insert into {schema}.{name} select g, %s from generate_series(1, %s) g", (tag, rows))
    db.execute(f"comment on table {schema}.{name} is 'mart {name}'")


@pytest.fixture()
def marts(db):
    """The previous set published (granted as dbt's +grants does), a clean marts_build and audit."""
    db.execute(f"drop schema if exists {BUILD_SCHEMA} cascade")
    db.execute(f"create schema {BUILD_SCHEMA}")  # as bootstrap makes it: owner only
    db.execute(f"revoke all on schema {BUILD_SCHEMA} from public")
    for name, rows in MARTS.items():
        _make(db, "marts", name, rows, "old")
        db.execute(f"grant select on marts.{name} to ioc_reader, auditor")
    db.execute("truncate audit.marts_publication, audit.dbt_node_run")
    db.execute("truncate dq.validation_run cascade")
    return db


def _build(db, label: str, names=tuple(NEW), dq_status: str | None = "pass") -> None:
    """A build of run `label`: the tables in marts_build, its dbt node results and its dq verdict."""
    for name in names:
        _make(db, BUILD_SCHEMA, name, NEW[name], "new")
        db.execute("""insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, run_label)
                      values (%s, %s, 'model', 'success', %s)""", (f"inv-{label}-{name}", f"model.ioc_warehouse.{name}",
                                                                   label))
    if dq_status:
        db.execute("""insert into dq.validation_run (run_label, checkpoint_name, suite_name, table_checked, success,
                                                     status, evaluated, passed, warned, failed)
                      values (%s, 'c', 's', 'marts.m_a', %s, %s, 3, %s, 0, %s)""",
                   (label, dq_status != "fail", dq_status, 3 if dq_status != "fail" else 2,
                    1 if dq_status == "fail" else 0))


def _digest(db) -> dict[str, str]:
    return {m: scalar(db, f"select count(*) || ':' || string_agg(id || tag, ',' order by id) from marts.{m}")
            for m in MARTS}


def _as_reader(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("set role ioc_reader")
    return conn


def _publications(db) -> list[tuple]:
    return db.execute("""select run_label, status, marts_count, published_at is not null from audit.marts_publication
                          order by publication_id""").fetchall()


def test_the_contract_marts_are_the_models_of_the_marts_folder():
    from ioc_pipeline.runner.dag_runs import dbt_parse
    from ioc_pipeline.warehouse.locate import locate

    dbt_parse(locate())
    files = sorted(p.stem for p in (config.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql"))
    assert len(files) >= 13
    assert sorted(contract_marts()) == files


def test_every_mart_is_swapped_in_one_transaction_while_readers_read(marts, warehouse, manifest):
    db = marts
    _build(db, "run-1")
    seen: list[list[tuple]] = [[], [], []]
    stop = threading.Event()

    def read(mine: list):
        with _as_reader(warehouse.url) as conn:
            while not stop.is_set():
                mine.append(conn.execute(COUNTS_SQL).fetchone())
                time.sleep(0.01)

    readers = [threading.Thread(target=read, args=(mine,)) for mine in seen]
    for t in readers:
        t.start()
    # A BI query holding m_b when publication starts: the publication waits for it, then retries.
    holder = _as_reader(warehouse.url)
    holder.execute("begin")
    holder.execute("select count(*) from marts.m_b")
    release = threading.Timer(2.5, holder.execute, ("commit",))
    release.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        pub = publish_marts(warehouse.url, "run-1", manifest_path=manifest, lock_timeout=0.5, wait_seconds=30)
        took = time.monotonic() - started
        time.sleep(0.3)
    finally:
        stop.set()
        for t in readers:
            t.join(10)
        release.join()
        holder.close()

    assert pub.status == "published" and pub.marts == ["m_a", "m_b", "m_c"]
    assert took >= 2.0 and pub.lock_wait_seconds >= 1.5  # it waited for the BI query
    # Every read saw one complete set: (2, 3, 1) before, (5, 4, 7) after; never a mixture, never
    # the old set again once a reader saw the new one.
    for mine in seen:
        assert set(mine) == {OLD_COUNTS, NEW_COUNTS}
        first_new = mine.index(NEW_COUNTS)
        assert set(mine[:first_new]) == {OLD_COUNTS} and set(mine[first_new:]) == {NEW_COUNTS}
    with _as_reader(warehouse.url) as conn:
        assert conn.execute(COUNTS_SQL).fetchone() == NEW_COUNTS
        assert {t for (t,) in conn.execute("select tag from marts.m_a union select tag from marts.m_c")} == {"new"}
    # marts_build is empty again; the comment, the key and the grants moved with the tables
    assert scalar(db, "select count(*) from pg_tables where schemaname = %s", BUILD_SCHEMA) == 0
    assert scalar(db, "select obj_description('marts.m_c'::regclass, 'pg_class')") == "mart m_c"
    assert scalar(db, """select count(*) from pg_constraint where conrelid = 'marts.m_a'::regclass
                          and contype = 'p'""") == 1
    assert _publications(db) == [("run-1", "published", 3, True)]


def test_marts_moved_in_without_grants_are_readable_by_the_readers(marts, warehouse, manifest):
    """Default privileges of `marts` apply to tables created there, not moved there: publish grants."""
    db = marts
    _build(db, "run-g")
    for name in NEW:
        db.execute(f"revoke all on {BUILD_SCHEMA}.{name} from ioc_reader, auditor")
    publish_marts(warehouse.url, "run-g", manifest_path=manifest)
    for role in ("ioc_reader", "auditor"):
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            conn.execute(f"set role {role}")
            assert conn.execute(COUNTS_SQL).fetchone() == NEW_COUNTS


def test_an_incomplete_build_is_refused_and_marts_stay_as_they_were(marts, warehouse, manifest):
    db = marts
    before = _digest(db)
    _build(db, "run-half", names=("m_a", "m_b"))  # killed before m_c
    with pytest.raises(PublishRefused, match=r"marts_build holds 2 of the 3 marts \(missing: m_c\)"):
        publish_marts(warehouse.url, "run-half", manifest_path=manifest)
    assert _digest(db) == before
    with _as_reader(warehouse.url) as conn:
        assert conn.execute(COUNTS_SQL).fetchone() == OLD_COUNTS
    # the half-built tables stay where they were, for whoever investigates
    assert scalar(db, "select count(*) from pg_tables where schemaname = %s", BUILD_SCHEMA) == 2
    assert _publications(db) == [("run-half", "refused", 0, False)]
    assert "missing: m_c" in scalar(db, "select reason from audit.marts_publication")


@pytest.mark.parametrize("what, expected", [
    ("dq-fail", "critical data-quality checks failed for run run-x"),
    ("dq-missing", "the data-quality checks did not run for run run-x"),
    ("dbt-error", "the dbt build of run run-x has 1 node(s) in error: model.ioc_warehouse.m_b (error)"),
    ("dbt-test-fail", "has 1 node(s) in error: test.ioc_warehouse.unique_m_a_id (fail)"),
    ("not-built", "run run-x did not build 1 of 3 marts: m_c"),
    ("replaced", "a later build replaced marts of run run-x: m_a (by run-y)"),
])
def test_a_build_that_did_not_pass_is_not_published(marts, warehouse, manifest, what, expected):
    db = marts
    before = _digest(db)
    _build(db, "run-x", dq_status={"dq-fail": "fail", "dq-missing": None}.get(what, "pass"))
    if what == "dbt-error":  # a first try failed, the retry too
        db.execute("""insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, run_label,
                                                      finished_at)
                      values ('inv-retry', 'model.ioc_warehouse.m_b', 'model', 'error', 'run-x', now() + interval '1s')""")
    if what == "dbt-test-fail":
        db.execute("""insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, run_label)
                      values ('inv-t', 'test.ioc_warehouse.unique_m_a_id', 'test', 'fail', 'run-x')""")
    if what == "not-built":
        db.execute("delete from audit.dbt_node_run where node_id = 'model.ioc_warehouse.m_c'")
    if what == "replaced":
        db.execute("""insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, run_label,
                                                      finished_at)
                      values ('inv-y', 'model.ioc_warehouse.m_a', 'model', 'success', 'run-y', now() + interval '1s')""")
    with pytest.raises(PublishRefused) as refused:
        publish_marts(warehouse.url, "run-x", manifest_path=manifest)
    assert expected in str(refused.value) and "the previous marts stay published" in str(refused.value)
    assert _digest(db) == before
    assert _publications(db) == [("run-x", "refused", 0, False)]


def test_a_retried_node_counts_by_its_last_try(marts, warehouse, manifest):
    db = marts
    _build(db, "run-r")
    db.execute("""insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, run_label,
                                                  finished_at)
                  values ('inv-try1', 'model.ioc_warehouse.m_b', 'model', 'error', 'run-r', now() - interval '1 min')""")
    assert publish_marts(warehouse.url, "run-r", manifest_path=manifest).status == "published"


def test_readers_cannot_see_marts_build(marts, warehouse):
    db = marts
    _build(db, "run-p")
    db.execute(f"grant select on {BUILD_SCHEMA}.m_a to ioc_reader, auditor")  # even a table grant does not help
    for role in ("ioc_reader", "auditor"):
        with psycopg.connect(warehouse.url, autocommit=True) as conn:
            conn.execute(f"set role {role}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="schema marts_build"):
                conn.execute(f"select count(*) from {BUILD_SCHEMA}.m_a")


def test_nothing_kept_needs_no_manifest_and_a_kept_table_does(marts, warehouse, tmp_path):
    """The build DAG's first task on a new warehouse (nothing published yet) must not need a manifest;
    once a table is kept, deciding whether it still fits its contract does, and says so."""
    db = marts
    db.execute(f"drop schema if exists {PREVIOUS_SCHEMA} cascade")
    db.execute(f"create schema {PREVIOUS_SCHEMA}")
    missing = tmp_path / "no-manifest.json"
    assert reuse_previous_marts(warehouse.url, missing) == []
    _make(db, PREVIOUS_SCHEMA, "m_a", 1, "kept")
    try:
        with pytest.raises(PublishFailed, match="no dbt manifest at .*no-manifest.json"):
            reuse_previous_marts(warehouse.url, missing)
        assert scalar(db, f"select count(*) from {PREVIOUS_SCHEMA}.m_a") == 1  # left as it was
    finally:
        db.execute(f"drop table {PREVIOUS_SCHEMA}.m_a")


@pytest.mark.parametrize("schema", [BUILD_SCHEMA, PREVIOUS_SCHEMA])
def test_bootstrap_keeps_marts_build_owner_only(warehouse, db, schema):
    from ioc_pipeline.warehouse.bootstrap import bootstrap

    db.execute(f"create schema if not exists {schema}")
    db.execute(f"grant usage on schema {schema} to ioc_reader")  # someone opened it by hand
    bootstrap(warehouse)
    for role in ("ioc_reader", "auditor", "public"):
        assert scalar(db, "select has_schema_privilege(%s, %s, 'usage')", role, schema) is False
    assert scalar(db, "select has_table_privilege('auditor', 'audit.marts_publication', 'select')") is True


def test_publishing_a_published_run_again_changes_nothing(marts, warehouse, manifest):
    db = marts
    _build(db, "run-1")
    first = publish_marts(warehouse.url, "run-1", manifest_path=manifest)
    after = _digest(db)
    again = publish_marts(warehouse.url, "run-1", manifest_path=manifest)
    assert again.already and again.publication_id == first.publication_id
    assert _digest(db) == after
    assert _publications(db) == [("run-1", "published", 3, True)]
    # another run with nothing built is refused, not mistaken for a re-publication
    with pytest.raises(PublishRefused, match="holds 0 of the 3 marts"):
        publish_marts(warehouse.url, "run-2", manifest_path=manifest, check_build=False)
    assert _digest(db) == after


def test_a_reader_holding_a_mart_too_long_keeps_the_previous_set(marts, warehouse, manifest):
    db = marts
    before = _digest(db)
    _build(db, "run-busy")
    holder = _as_reader(warehouse.url)
    holder.execute("begin")
    holder.execute("select count(*) from marts.m_c")
    try:
        started = time.monotonic()
        with pytest.raises(PublishFailed, match=r"marts\.m_c stayed in use by a reader"):
            publish_marts(warehouse.url, "run-busy", manifest_path=manifest, lock_timeout=0.3, wait_seconds=2)
        assert time.monotonic() - started < 10
        # meanwhile other readers were never stuck behind the publication for longer than one attempt
        with _as_reader(warehouse.url) as other:
            other.execute("set statement_timeout = '5s'")
            assert other.execute(COUNTS_SQL).fetchone() == OLD_COUNTS
    finally:
        holder.execute("commit")
        holder.close()
    assert _digest(db) == before
    assert scalar(db, "select count(*) from pg_tables where schemaname = %s", BUILD_SCHEMA) == 3
    assert _publications(db) == [("run-busy", "failed", 0, False)]
    # once the reader is done, the same build publishes
    assert publish_marts(warehouse.url, "run-busy", manifest_path=manifest).status == "published"


def test_views_on_the_marts_follow_the_new_set(marts, warehouse, manifest):
    db = marts
    db.execute("drop schema if exists bi cascade")
    db.execute("create schema bi")
    db.execute("grant usage on schema bi to ioc_reader")
    db.execute("create view bi.sizes as select (select count(*) from marts.m_a) a, (select count(*) from marts.m_b) b")
    db.execute("create view bi.total as select a + b as total from bi.sizes")  # a view on the view
    db.execute("grant select on bi.sizes, bi.total to ioc_reader")
    db.execute("comment on view bi.total is 'a BI view'")
    assert scalar(db, "select total from bi.total") == 2 + 3
    _build(db, "run-v")
    pub = publish_marts(warehouse.url, "run-v", manifest_path=manifest)
    assert pub.reason == "2 dependent view(s) re-created"
    with _as_reader(warehouse.url) as conn:
        assert conn.execute("select * from bi.sizes").fetchone() == (5, 4)
        assert conn.execute("select total from bi.total").fetchone()[0] == 5 + 4
    assert scalar(db, "select obj_description('bi.total'::regclass, 'pg_class')") == "a BI view"
    db.execute("drop schema bi cascade")
