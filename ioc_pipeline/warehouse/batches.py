"""Load batches left `running` by a dead process become `abandoned`.

Why: a process killed during a load (kill -9, OOM, a lost worker) never finishes its
`audit.load_batch` row; it would read `running` for ever, as if still loading. Its data is not in raw
(a batch is one transaction), so the row only needs an honest ending: status `abandoned`, a
`finished_at` and the reason. Like `failed`, it never counts for the watermark or `source_status`'s
last success (both look at `success` only).

- The run command holds the warehouse lock (`warehouse.lock`), so no other load can be live: it
  abandons every `running` batch when it starts.
- A scheduled task has no global lock: it abandons `running` batches older than
  `config.abandon_running_after()` (IOC_ABANDON_RUNNING_AFTER_MINUTES).
"""

from __future__ import annotations

from datetime import timedelta

import psycopg

ABANDONED = "abandoned"


def abandon_running(url: str, *, older_than: timedelta | None, by: str) -> list[int]:
    """Mark `running` batches (all, or those started more than `older_than` ago) `abandoned`;
    returns their ids. `by` names who did it, in the error text."""
    age = f"more than {older_than} after it started" if older_than else "when the next run took the warehouse lock"
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            """update audit.load_batch
                  set status = 'abandoned', finished_at = now(),
                      error = coalesce(error || '; ', '') || %s
                where status = 'running' and (%s::interval is null or started_at < now() - %s::interval)
            returning batch_id""",
            (f"abandoned by {by}: still running {age}, its process is gone (nothing of it was loaded)",
             older_than, older_than)).fetchall()
    return [r[0] for r in rows]
