"""The check task that follows each load task: raw suites over the batches just loaded.

It carries the load's Asset outlet, so `ioc_build_marts` is triggered only by raw data that has been
checked: a critical failure fails the task, its Asset event is not emitted, and the run shows which
expectation failed. Warnings pass (they are in `dq` and on the auditors' page). The results also
give `marts.source_status.dq_status` of the source for the build that follows.
"""

from __future__ import annotations

from typing import Any


def check_raw_batches(context: Any, asset: Any, source: str, entity: str, batch_ids: list[int]) -> dict:
    """Run the raw suites of `source`/`entity` over `batch_ids`, tag the Asset event with the as-of
    day, and fail (AirflowException) on a critical failure."""
    from airflow.exceptions import AirflowException

    from ioc_pipeline.airflow_glue.connections import warehouse_url
    from ioc_pipeline.airflow_glue.defaults import run_label
    from ioc_pipeline.airflow_glue.run_window import publish_as_of
    from ioc_pipeline.quality.layers import CriticalQualityFailure, raise_on_critical, run_raw_checks

    publish_as_of(context, asset)
    results = run_raw_checks(warehouse_url(), source, entity, batch_ids, run_label=run_label(context))
    try:
        summary = raise_on_critical(results, f"{source} {entity} batches {sorted(batch_ids)}")
    except CriticalQualityFailure as failure:
        raise AirflowException(str(failure)) from None
    return {"source": source, "entity": entity, "batch_ids": sorted(batch_ids), **summary}


def operator_batches(load_summary: dict) -> dict[str, list[int]]:
    """The batches of the workbooks a load task put into raw, by source (operator_viettel, ...)."""
    from ioc_pipeline.loading.operator_reports import source_of

    batches: dict[str, list[int]] = {}
    for f in load_summary.get("files") or []:
        if f.get("outcome") == "loaded":
            batches.setdefault(source_of(f["file"]), []).append(int(f["batch_id"]))
    return batches
