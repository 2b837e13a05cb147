"""The build's batch watermark (issue 14): which load batches the nightly data tests look at."""

from __future__ import annotations

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
    assert begin_build(warehouse.url, "run-1") is None
    assert db.execute("select since_batch_id, through_batch_id from audit.dbt_test_watermark"
                      " where run_label = 'run-1'").fetchone() == (None, b2)
    _publish(db, "run-1")

    running = _batch(db, "running")  # still loading when run-2 starts
    b4 = _batch(db, "success")  # finished, but after a running one
    assert begin_build(warehouse.url, "run-2") == b2
    assert db.execute("select through_batch_id from audit.dbt_test_watermark where run_label = 'run-2'"
                      ).fetchone()[0] == running - 1
    _publish(db, "run-2", "refused")  # its tests failed: the watermark does not move

    db.execute("update audit.load_batch set status = 'success' where batch_id = %s", (running,))
    assert begin_build(warehouse.url, "run-3") == b2  # run-2 was not published
    assert db.execute("select through_batch_id from audit.dbt_test_watermark where run_label = 'run-3'"
                      ).fetchone()[0] == b4
    _publish(db, "run-3")
    assert begin_build(warehouse.url, "run-4") == b4
    # a retried task of run-4 does not read its own row; test_all_batches tests everything
    assert begin_build(warehouse.url, "run-4") == b4
    assert begin_build(warehouse.url, "run-5", test_all=True) is None
    assert b1 < b2
