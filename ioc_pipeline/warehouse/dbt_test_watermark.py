"""Which load batches the nightly build's data tests look at (issue 14, batch-scoped data tests).

The data tests over the raw dossiers (the one-stop-shop source and staging tests,
`assert_source_dates_parse`) re-parse the JSON of every raw version: at 1M dossiers about 45 s of every
build, although the rows of old batches were tested by an earlier build and raw never changes a stored
version. With the dbt var `test_since_batch` set, those tests only read the batches with a higher
`batch_id` (an index on raw's batch_id; `dbt_project/macros/new_batches.sql`).

How the build learns its `since`: before dbt starts, `begin_build` records the build's watermark in
`audit.dbt_test_watermark`:

- `through_batch_id`: the highest batch_id such that every batch up to it has finished (`success`,
  `failed` or `abandoned`; a batch is one transaction, so its rows are either all visible or none).
  Batch ids are allocated when a batch starts, so a batch still running now, or one that starts
  later, has a higher id and is tested by a later build.
- `since_batch_id`: the `through_batch_id` of the last build that was PUBLISHED
  (`audit.marts_publication`): a publication needs every dbt node of its run, tests included, to pass.
  By induction every batch up to it was tested by a passing build. A failed or refused build does not
  move it, so its batches are tested again by the next build.

`since` is null (test every row) when no build was published yet, or when the run asks for it
(`test_all_batches` in the run's conf); a hand-run `dbt build` leaves the var null and tests everything.

Derived-row scoped data tests (issue 14, third round). The column tests of the 1 M-row
`int_dossiers_classified` and `fct_dossier` read only the rows (re-)derived since the last published build
STARTED (dbt var `test_since_derived_at`, `int_dossiers_classified.derived_at`: `now()` of the run that
last wrote the row; `fct_dossier` is a projection of it, see the models' YAML). `begin_build` also records
`started_at` (kept when a retried task records again), before any dbt node of the run. Why it is sound:
a publication needs every node of its run, tests included, to pass; that run's tests read every row
derived since the previous published build started, so by induction every row derived before the last
published build started was tested by a passing build, and a row that was not rewritten since is
unchanged (a rewrite sets a new `derived_at`). A build that is not published does not move it.
Null (test every row): no build published yet, a published build without `started_at` (recorded before
the column existed), `test_all_batches`, a hand-run dbt.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

THROUGH_SQL = """
select coalesce(
    (select min(batch_id) - 1 from audit.load_batch where status = 'running'),
    (select max(batch_id) from audit.load_batch),
    0)
"""

SINCE_SQL = """
select watermark.through_batch_id, watermark.started_at
from audit.dbt_test_watermark as watermark
inner join audit.marts_publication as publication
    on publication.run_label = watermark.run_label
    and publication.status = 'published'
where watermark.run_label <> %s
order by publication.published_at desc nulls last, publication.publication_id desc
limit 1
"""


def current_through(conn: psycopg.Connection) -> int:
    """The highest batch_id up to which every load batch has finished (0 when none)."""
    return int(conn.execute(THROUGH_SQL).fetchone()[0])


def last_published(conn: psycopg.Connection, run_label: str) -> tuple[int | None, datetime | None]:
    """The batch watermark and start time of the last published build other than `run_label`'s
    ((None, None) when none was published; the time is None for a build recorded before it was kept)."""
    row = conn.execute(SINCE_SQL, (run_label,)).fetchone()
    return (None, None) if row is None else (int(row[0]), row[1])


def last_published_through(conn: psycopg.Connection, run_label: str) -> int | None:
    """The watermark of the last published build other than `run_label`'s, or None."""
    return last_published(conn, run_label)[0]


def begin_build(url: str, run_label: str, *, test_all: bool = False) -> dict[str, int | str | None]:
    """Record this build's watermark and start; return the dbt vars that scope its data tests:
    `test_since_batch` (a batch_id) and `test_since_derived_at` (an ISO timestamp); None: test every row.

    Re-running it for the same run (a retried task) records the batch watermark again and keeps the
    first start time (an earlier start only widens what the next build tests)."""
    with psycopg.connect(url, autocommit=True) as conn:
        since, since_started = (None, None) if test_all else last_published(conn, run_label)
        through = current_through(conn)
        conn.execute(
            """insert into audit.dbt_test_watermark (run_label, since_batch_id, through_batch_id, started_at)
               values (%s, %s, %s, now())
               on conflict (run_label) do update
                  set since_batch_id = excluded.since_batch_id,
                      through_batch_id = excluded.through_batch_id,
                      recorded_at = now(),
                      started_at = coalesce(audit.dbt_test_watermark.started_at, excluded.started_at)""",
            (run_label, since, through))
    return {"test_since_batch": since,
            "test_since_derived_at": None if since_started is None else since_started.isoformat()}
