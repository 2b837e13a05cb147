"""Publication with the real dbt project and the real Great Expectations checkpoint.

The hand-made raw rows of tests/dbt/test_dbt_project.py (nine dossiers D1..D9) are built into
`marts_build` (dbt var marts_schema) by run build-a, checked there, and published: readers see the
marts. Then build-b fails half way (the departments' raw table is gone, so every model that
needs agencies fails): it is refused, and the readers keep build-a's complete set.
"""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.warehouse.publish import BUILD_SCHEMA, PublishRefused, contract_marts, publish_marts
from tests.conftest import make_database, scalar
from tests.dbt.test_dbt_project import DBT_EXECUTABLE, DBT_PROJECT_DIR, load_raw

N_MARTS = len(list((config.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")))


def _tables(conn, schema: str) -> set[str]:
    return {t for (t,) in conn.execute("select tablename from pg_tables where schemaname = %s", (schema,))}


def _dbt_build(warehouse, work, label: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **warehouse.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [str(DBT_EXECUTABLE), "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--no-use-colors",
         "--vars", f"{{as_of_date: '2024-10-31', run_label: {label}, marts_schema: {BUILD_SCHEMA}}}"],
        env=env, capture_output=True, text=True, timeout=600)


def _digest(conn, tables) -> dict[str, str]:
    return {t: scalar(conn, f"select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') "
                            f"from marts.{t} x") for t in sorted(tables)}


@pytest.fixture(scope="module")
def warehouse():
    url, drop = make_database("ioc_pub_dbt")
    with psycopg.connect(url.url) as conn:
        load_raw(conn)
    yield url
    drop()


def test_a_checked_build_is_published_and_a_failed_one_is_not(warehouse, tmp_path):
    from ioc_pipeline.quality.checkpoint import run_fct_dossier_checkpoint

    built = _dbt_build(warehouse, tmp_path / "a", "build-a")
    assert built.returncode == 0, built.stdout[-6000:]
    marts = sorted(contract_marts(tmp_path / "a" / "target" / "manifest.json"))
    assert len(marts) == N_MARTS
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        assert _tables(db, "marts") == set()  # nothing reached the readers yet
        assert _tables(db, BUILD_SCHEMA) == set(marts)

    # The checkpoint reads the unpublished fct_dossier and names it as the contract does.
    quality = run_fct_dossier_checkpoint(warehouse.url, run_label="build-a", data_docs_dir=tmp_path / "docs",
                                         schema=BUILD_SCHEMA)
    assert quality.status in ("pass", "warn") and quality.evaluated > 0
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        assert scalar(db, "select table_checked from dq.validation_run where run_label = 'build-a'") == \
            "marts.fct_dossier"
        # the row-count check saw the nine dossiers of marts_build (marts was still empty)
        observed = scalar(db, """select observed_value from dq.validation_result r join dq.validation_run v
                                  using (validation_run_id) where v.run_label = 'build-a'
                                  and r.expectation_type = 'expect_table_row_count_to_be_between'""")
        assert observed == "9"

    pub = publish_marts(warehouse.url, "build-a", manifest_path=tmp_path / "a" / "target" / "manifest.json")
    assert pub.status == "published" and pub.marts == marts
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        assert _tables(db, "marts") == set(marts) and _tables(db, BUILD_SCHEMA) == set()
        published = _digest(db, marts)
        db.execute("set role ioc_reader")
        assert [c for (c,) in db.execute("select dossier_code from marts.fct_dossier order by 1")] == \
            [f"D{i}" for i in range(1, 10)]
        db.execute("reset role")

        # build-b is killed half way: the departments' raw table is gone, models needing agencies fail.
        db.execute("alter table raw.dvc_portal__department rename to dvc_portal__department_gone")
    try:
        failed = _dbt_build(warehouse, tmp_path / "b", "build-b")
    finally:
        with psycopg.connect(warehouse.url, autocommit=True) as db:
            db.execute("alter table raw.dvc_portal__department_gone rename to dvc_portal__department")
    assert failed.returncode != 0
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        half = _tables(db, BUILD_SCHEMA)
        assert 0 < len(half) < N_MARTS and "dim_agency" not in half  # half filled
        errors = scalar(db, """select count(*) from audit.dbt_node_run where run_label = 'build-b'
                                and status = 'error'""")
        assert errors >= 1

    with pytest.raises(PublishRefused, match=r"the dbt build of run build-b has \d+ node\(s\) in error"):
        publish_marts(warehouse.url, "build-b", manifest_path=tmp_path / "b" / "target" / "manifest.json")
    with pytest.raises(PublishRefused, match=rf"marts_build holds {len(half)} of the {N_MARTS} marts .*dim_agency"):
        publish_marts(warehouse.url, "build-b", manifest_path=tmp_path / "b" / "target" / "manifest.json",
                      check_build=False)
    with psycopg.connect(warehouse.url, autocommit=True) as db:
        assert _digest(db, marts) == published  # the readers keep build-a's complete set
        db.execute("set role ioc_reader")
        assert scalar(db, "select count(*) from marts.fct_dossier") == 9
        db.execute("reset role")
        assert db.execute("""select run_label, status, marts_count from audit.marts_publication
                              order by publication_id""").fetchall() == [
            ("build-a", "published", N_MARTS), ("build-b", "refused", 0), ("build-b", "refused", 0)]
