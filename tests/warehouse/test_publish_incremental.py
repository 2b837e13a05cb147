"""An incremental mart across publications: fct_dossier is merged, not rebuilt, night after night.

Publication moves every mart out of `marts_build`, so an incremental mart would find no table there
and be rebuilt from every dossier each night. Publishing keeps the table it replaces in
`marts_previous`; `reuse_previous_marts` (the build DAG's first task) moves it back into
`marts_build`, and the build merges the dossiers derived since that table was built.

With the real dbt project and the two hand-made batches of tests/dbt/test_incremental_dossiers.py
(dossiers I1..I8; batch 2 re-derives I1..I7, I8 is untouched):

| build | before it                          | fct_dossier in marts_build at the start | then                        |
| 1     | batch 1                            | none: built in full                     | published                   |
| 2     | nothing new                        | none (marts_previous empty): in full    | published; 1 kept           |
| 3     | batch 2 (and a new agency version) | build 1's table, from marts_previous    | MERGE of I1..I7; published  |
| 4     | -                                  | --full-refresh                          | the same rows as build 3    |
| 5     | a label of the seed changed        | build 4's table                         | every row re-labelled       |
"""

from __future__ import annotations

import json

import psycopg
import pytest

from ioc_pipeline.loading.entities import DEPARTMENT, DOSSIER
from ioc_pipeline.warehouse.publish import (
    BUILD_SCHEMA,
    PREVIOUS_SCHEMA,
    incremental_marts,
    publish_marts,
    reuse_previous_marts,
)
from tests.conftest import make_database
from tests.dbt.test_incremental_dossiers import (
    RUN_TIME_COLUMNS,
    _dbt,
    _load,
    batch_1,
    batch_2,
    departments,
    departments_2,
)

RUN_COLUMNS = RUN_TIME_COLUMNS | {"logic_hash"}


def _xmins(conn, schema: str) -> dict[str, str]:
    return dict(conn.execute(f"select dossier_code, xmin::text from {schema}.fct_dossier").fetchall())


def _rows(conn, schema: str) -> list[tuple]:
    cursor = conn.execute(f"select * from {schema}.fct_dossier order by dossier_code")
    keep = [i for i, column in enumerate(cursor.description) if column.name not in RUN_COLUMNS]
    return [tuple(row[i] for i in keep) for row in cursor.fetchall()]


def _tables(conn, schema: str) -> set[str]:
    return {t for (t,) in conn.execute("select tablename from pg_tables where schemaname = %s", (schema,))}


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    work = tmp_path_factory.mktemp("publish_incremental")
    url, drop = make_database("ioc_pub_incr")
    seen: dict = {}

    manifest = _dbt(url, work, "parse", "parse", check=False) / "manifest.json"
    assert manifest.is_file()
    seen["manifest"] = manifest

    def build(label: str, *args: str, command: tuple = ("build", "--exclude", "resource_type:test",
                                                        "resource_type:unit_test")) -> None:
        seen.setdefault("reused", {})[label] = reuse_previous_marts(url.url, manifest)
        target = _dbt(url, work, label, *command, *args,
                      extra_vars={"run_label": label, "marts_schema": BUILD_SCHEMA})
        seen.setdefault("targets", {})[label] = target

    def publish(label: str) -> None:
        pub = publish_marts(url.url, label, manifest_path=seen["targets"][label] / "manifest.json",
                            check_build=False)
        assert pub.status == "published"

    try:
        _load(url.url, DEPARTMENT, departments())
        _load(url.url, DOSSIER, batch_1())
        build("night-1")
        publish("night-1")
        with psycopg.connect(url.url) as conn:
            seen["previous_after_1"] = _tables(conn, PREVIOUS_SCHEMA)
            seen["xmins_1"] = _xmins(conn, "marts")
        build("night-2")
        publish("night-2")
        with psycopg.connect(url.url) as conn:
            seen["previous_after_2"] = _tables(conn, PREVIOUS_SCHEMA)
            seen["xmins_previous_2"] = _xmins(conn, PREVIOUS_SCHEMA)

        _load(url.url, DEPARTMENT, departments_2())
        _load(url.url, DOSSIER, batch_2())
        build("night-3")
        with psycopg.connect(url.url) as conn:
            seen["xmins_3"] = _xmins(conn, BUILD_SCHEMA)
        seen["sql_3"] = next(seen["targets"]["night-3"].glob("run/**/fct_dossier.sql")).read_text()
        publish("night-3")
        with psycopg.connect(url.url) as conn:
            seen["rows_3"] = _rows(conn, "marts")
            seen["previous_after_3"] = _tables(conn, PREVIOUS_SCHEMA)

        build("night-4", "--full-refresh")
        with psycopg.connect(url.url) as conn:
            seen["rows_4"] = _rows(conn, BUILD_SCHEMA)
            seen["xmins_4"] = _xmins(conn, BUILD_SCHEMA)
            # a new label for 'online' in the seed's table (as a changed code_labels.csv loads it; `dbt
            # run` does not reload seeds)
            conn.execute("update staging.code_labels set label = 'Trực tuyến (mới)'"
                         " where code_set = 'channel' and code = 'online'")
        build("night-5", "--select", "fct_dossier", command=("run",))
        checksum = json.loads(manifest.read_text())["nodes"]["model.ioc_warehouse.fct_dossier"]["checksum"]["checksum"]
        with psycopg.connect(url.url) as conn:
            seen["logic_hash_5"] = conn.execute(
                f"select (select array_agg(distinct logic_hash) from {BUILD_SCHEMA}.fct_dossier),"
                " md5(%s || ';' || string_agg(concat_ws('|', code_set, code, label), ';' order by code_set, code))"
                " from staging.code_labels where code_set in ('dossier_status', 'channel', 'timeliness')",
                (checksum,)).fetchone()
            seen["xmins_5"] = _xmins(conn, BUILD_SCHEMA)
            seen["labels_5"] = conn.execute(
                f"select channel, channel_label, count(*), count(distinct logic_hash)"
                f" from {BUILD_SCHEMA}.fct_dossier group by 1, 2 order by 1").fetchall()
        seen["url"] = url
        yield seen
    finally:
        drop()


def test_fct_dossier_is_the_incremental_mart(nights):
    assert incremental_marts(nights["targets"]["night-1"] / "manifest.json") == {"fct_dossier"}


def test_publication_keeps_the_replaced_table_and_the_next_build_starts_from_it(nights):
    assert nights["reused"]["night-1"] == [] and nights["reused"]["night-2"] == []
    assert nights["previous_after_1"] == set()  # nothing was replaced by the first publication
    assert nights["previous_after_2"] == {"fct_dossier"}
    assert nights["xmins_previous_2"] == nights["xmins_1"]  # night 1's table itself, moved
    assert nights["reused"]["night-3"] == ["fct_dossier"]
    assert nights["previous_after_3"] == {"fct_dossier"}  # now night 2's


def test_the_build_after_publication_merges_only_the_rederived_dossiers(nights):
    assert "merge into" in nights["sql_3"].lower()
    before, after = nights["xmins_1"], nights["xmins_3"]
    assert {code for code in after if before.get(code) != after[code]} == {"I1", "I2", "I3", "I4", "I5", "I6", "I7"}
    assert before["I8"] == after["I8"]


def test_the_merged_table_equals_a_full_refresh(nights):
    assert len(nights["rows_3"]) == 8
    assert nights["rows_3"] == nights["rows_4"]


def test_a_changed_label_relabels_every_row(nights):
    before, after = nights["xmins_4"], nights["xmins_5"]
    assert set(after) == set(before) and all(after[code] != before[code] for code in after)
    labels = {channel: (label, rows, hashes) for channel, label, rows, hashes in nights["labels_5"]}
    assert labels["online"][0] == "Trực tuyến (mới)" and labels["online"][2] == 1
    assert labels["counter"][0] == "Trực tiếp"
    # the stored hash is that of this file's checksum and the labels used
    stored, expected = nights["logic_hash_5"]
    assert stored == [expected]


def test_a_kept_table_whose_columns_changed_is_dropped_not_reused(nights):
    """An upgrade changed the mart's columns: the kept table would fail the incremental build
    (on_schema_change: fail). It is dropped, and the build makes the mart afresh."""
    with psycopg.connect(nights["url"].url, autocommit=True) as conn:
        conn.execute(f"alter table {BUILD_SCHEMA}.fct_dossier rename to fct_dossier_night_5")
        conn.execute(f"drop table if exists {PREVIOUS_SCHEMA}.fct_dossier")
        conn.execute(f"create table {PREVIOUS_SCHEMA}.fct_dossier as"
                     f" select dossier_code, status_code from marts.fct_dossier")
        try:
            assert reuse_previous_marts(nights["url"].url, nights["manifest"]) == []
            assert _tables(conn, PREVIOUS_SCHEMA) == set()
            assert "fct_dossier" not in _tables(conn, BUILD_SCHEMA)
        finally:
            conn.execute(f"alter table {BUILD_SCHEMA}.fct_dossier_night_5 rename to fct_dossier")


def test_a_kept_table_without_the_contracts_not_null_constraints_is_dropped(nights):
    """Same columns and types, but kept from before the contract made its columns not null: a merge
    into it would never add the constraints, so it is dropped and the build makes the mart afresh."""
    with psycopg.connect(nights["url"].url, autocommit=True) as conn:
        conn.execute(f"alter table {BUILD_SCHEMA}.fct_dossier rename to fct_dossier_night_5")
        conn.execute(f"drop table if exists {PREVIOUS_SCHEMA}.fct_dossier")
        conn.execute(f"create table {PREVIOUS_SCHEMA}.fct_dossier as table marts.fct_dossier")  # no not null
        try:
            assert conn.execute("select count(*) from pg_attribute where attrelid = 'marts.fct_dossier'::regclass"
                                " and attnum > 0 and attnotnull").fetchone()[0] >= 5
            assert reuse_previous_marts(nights["url"].url, nights["manifest"]) == []
            assert _tables(conn, PREVIOUS_SCHEMA) == set()
            assert "fct_dossier" not in _tables(conn, BUILD_SCHEMA)
        finally:
            conn.execute(f"alter table {BUILD_SCHEMA}.fct_dossier_night_5 rename to fct_dossier")


def test_readers_cannot_see_the_kept_table(nights):
    with psycopg.connect(nights["url"].url, autocommit=True) as conn:
        for role in ("ioc_reader", "auditor"):
            conn.execute(f"set role {role}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"schema {PREVIOUS_SCHEMA}"):
                conn.execute(f"select count(*) from {PREVIOUS_SCHEMA}.fct_dossier")
            conn.execute("reset role")
