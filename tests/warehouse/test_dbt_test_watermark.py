"""The build's watermarks (issue 14): which load batches, and which derived rows of the 1 M-row
intermediate tables, the nightly data tests look at."""

from __future__ import annotations

from datetime import datetime

from ioc_pipeline.warehouse.dbt_test_watermark import begin_build


def _batch(db, status: str) -> int:
    return db.execute(
        "insert into audit.load_batch (source, entity, status) values ('one_stop_shop', 'dossier', %s)"
        " returning batch_id", (status,)).fetchone()[0]


def _publish(db, label: str, status: str = "published") -> None:
    db.execute("insert into audit.marts_publication (run_label, status, published_at)"
               " values (%s, %s, case when %s = 'published' then now() end)", (label, status, status))


def test_watermark_follows_published_builds_only(warehouse, db):
    db.execute("truncate audit.load_batch, audit.marts_publication, audit.dbt_test_watermark cascade")
    b1 = _batch(db, "success")
    b2 = _batch(db, "failed")
    # no published build yet: test every row
    assert begin_build(warehouse.url, "run-1")["test_since_batch"] is None
    assert db.execute("select since_batch_id, through_batch_id from audit.dbt_test_watermark"
                      " where run_label = 'run-1'").fetchone() == (None, b2)
    _publish(db, "run-1")

    running = _batch(db, "running")  # still loading when run-2 starts
    b4 = _batch(db, "success")  # finished, but after a running one
    assert begin_build(warehouse.url, "run-2")["test_since_batch"] == b2
    assert db.execute("select through_batch_id from audit.dbt_test_watermark where run_label = 'run-2'"
                      ).fetchone()[0] == running - 1
    _publish(db, "run-2", "refused")  # its tests failed: the watermark does not move

    db.execute("update audit.load_batch set status = 'success' where batch_id = %s", (running,))
    assert begin_build(warehouse.url, "run-3")["test_since_batch"] == b2  # run-2 was not published
    assert db.execute("select through_batch_id from audit.dbt_test_watermark where run_label = 'run-3'"
                      ).fetchone()[0] == b4
    _publish(db, "run-3")
    assert begin_build(warehouse.url, "run-4")["test_since_batch"] == b4
    # a retried task of run-4 does not read its own row; test_all_batches tests everything
    assert begin_build(warehouse.url, "run-4")["test_since_batch"] == b4
    assert begin_build(warehouse.url, "run-5", test_all=True)["test_since_batch"] is None
    assert b1 < b2


def _started(db, label: str):
    return db.execute("select started_at from audit.dbt_test_watermark where run_label = %s", (label,)).fetchone()[0]


def test_derived_rows_watermark_is_the_start_of_the_last_published_build(warehouse, db):
    """test_since_derived_at: the start of the last PUBLISHED build; a build that is not published does
    not move it; a retried task keeps its first start; test_all_batches and "nothing published" test all."""
    db.execute("truncate audit.load_batch, audit.marts_publication, audit.dbt_test_watermark cascade")
    _batch(db, "success")
    first = begin_build(warehouse.url, "run-a")
    assert first == {"test_since_batch": None, "test_since_derived_at": None}
    started_a = _started(db, "run-a")
    assert started_a is not None
    _publish(db, "run-a")

    second = begin_build(warehouse.url, "run-b")
    assert datetime.fromisoformat(second["test_since_derived_at"]) == started_a
    started_b = _started(db, "run-b")
    assert started_b > started_a
    # a retried test_watermark task of run-b keeps its first start (an earlier start only widens the
    # next build's scope)
    begin_build(warehouse.url, "run-b")
    assert _started(db, "run-b") == started_b
    _publish(db, "run-b", "refused")  # not published: the next build still tests since run-a's start

    third = begin_build(warehouse.url, "run-c")
    assert datetime.fromisoformat(third["test_since_derived_at"]) == started_a
    _publish(db, "run-c")
    assert datetime.fromisoformat(begin_build(warehouse.url, "run-d")["test_since_derived_at"]) \
        == _started(db, "run-c")
    assert begin_build(warehouse.url, "run-e", test_all=True) == {
        "test_since_batch": None, "test_since_derived_at": None}
    # a published build recorded before started_at existed: test every derived row (its batch
    # watermark still scopes the raw tests)
    db.execute("update audit.dbt_test_watermark set started_at = null where run_label = 'run-c'")
    assert begin_build(warehouse.url, "run-f")["test_since_derived_at"] is None
