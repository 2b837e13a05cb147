"""What the build DAG's Cosmos tasks add to every dbt invocation, so that each node task costs its SQL,
not dbt's bookkeeping.

Measured with py-spy on `airflow dags test ioc_build_marts` (BENCHMARKS.md, "Run command"): of a node
task's time, about a quarter went to the full `gc.collect()` Cosmos runs after every dbt invocation (it
resets dbt's adapters, then collects, to release their semaphores), and an eighth to writing the 2.4 MB
`manifest.json` (and `run_results.json`) into the task's throw-away copy of the project.

- `DBT_FLAGS`: `--no-write-json`. Nothing reads those files: the task's project copy is deleted when the
  task ends; the node results reach the warehouse through the project's on-run-end hook
  (`log_node_results`); publication reads the DAG's own manifest. Cosmos's OpenLineage parse then finds
  no run results and emits no per-model lineage, which nothing here uses (the Assets that link extraction
  to the build are the project's own, `ioc_pipeline/airflow_glue/assets.py`).
- `freeze_heap`: an `on_execute_callback` that moves every object alive before the task into the
  permanent generation (`gc.freeze`), so the collection after dbt walks only what the task allocated.
  It matters where many tasks share one long-lived process (`airflow dags test`, which the `run` command
  uses); in a worker's one-process-per-task it costs nothing. Nothing is leaked that would otherwise be
  freed: frozen objects were alive anyway, and what they let go later is freed by reference counting.
"""

from __future__ import annotations

import gc

DBT_FLAGS = ["--no-write-json"]


def freeze_heap(context) -> None:  # noqa: ARG001 - Airflow passes the task context
    gc.freeze()
