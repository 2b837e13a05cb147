"""What a checkpoint run found, as rows of `dq.validation_result` and one `dq.validation_run`, in one transaction.

Why rows of our own and not GX's stores: auditors and the marts' `source_status` read results with
SQL next to the data, and a run is written whole or not at all. A row says which column, how many
rows were unexpected and what was observed; never sample values (see `gx_context.RESULT_FORMAT`).
The verdict: `fail` when a critical expectation failed, `warn` when only warning ones did, else `pass`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ioc_pipeline.quality.gx_context import psycopg_url
from ioc_pipeline.quality.suites import SEVERITIES, SuiteFile


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, sort_keys=True)


def result_row(result: Any) -> dict[str, Any]:
    """One `dq.validation_result` row (without run id, suite and table) from a GX result."""
    cfg = result.expectation_config
    kwargs = cfg.to_json_dict().get("kwargs") or {}
    severity = getattr(cfg.severity, "value", cfg.severity) or "critical"
    meta = cfg.meta or {}
    details = dict(result.result or {})

    if kwargs.get("column"):
        column = kwargs["column"]
    elif kwargs.get("column_A") and kwargs.get("column_B"):
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    elif kwargs.get("column_list"):
        column = ",".join(kwargs["column_list"])
    elif meta.get("columns"):
        column = ",".join(meta["columns"])
    else:
        column = None

    unexpected_count = details.get("unexpected_count")
    unexpected_percent = details.get("unexpected_percent")
    if "observed_value" in details:
        observed = _text(details["observed_value"])
        if cfg.type == "unexpected_rows_expectation" and unexpected_count is None:
            unexpected_count = details["observed_value"]  # the number of rows the query returned
    elif unexpected_count is not None:
        observed = f"{unexpected_count} unexpected of {details.get('element_count')} rows"
        if details.get("missing_count"):
            observed += f" ({details['missing_count']} null, not checked)"
    else:
        observed = None

    exception = result.exception_info or {}
    if not exception.get("raised_exception"):  # several metrics: {metric id: exception info}
        nested = [v for v in exception.values() if isinstance(v, dict) and v.get("raised_exception")]
        exception = nested[0] if nested else {}
    if exception.get("raised_exception"):
        observed = f"error: {exception.get('exception_message')}"[:2000]

    description = cfg.description or None
    if description and description.startswith(f"[{severity}] "):
        description = description[len(severity) + 3:]
    return {
        "description": description,
        "severity_reason": meta.get("severity_reason"),
        "expectation_type": cfg.type,
        "column_name": column,
        "severity": severity if severity in SEVERITIES else "warning",
        "success": bool(result.success),
        "observed_value": observed,
        "unexpected_count": int(unexpected_count) if unexpected_count is not None else None,
        "unexpected_percent": (
            float(unexpected_percent) if unexpected_percent is not None else None
        ),
        "kwargs": json.dumps(kwargs, default=str, sort_keys=True),
    }


def verdict(rows: list[dict[str, Any]]) -> tuple[str, int, int, int]:
    failed = sum(1 for r in rows if not r["success"] and r["severity"] == "critical")
    warned = sum(1 for r in rows if not r["success"] and r["severity"] != "critical")
    passed = sum(1 for r in rows if r["success"])
    status = "fail" if failed else "warn" if warned else "pass"
    return status, passed, warned, failed


def write_dq(
    warehouse_url: str,
    *,
    run_label: str | None,
    checkpoint_name: str,
    suite_file: SuiteFile,
    run_at: datetime,
    success: bool,
    status: str,
    counts: tuple[int, int, int, int],
    report_path: str | None,
    rows: list[dict[str, Any]],
    table_checked: str | None = None,
    layer: str = "marts",
    source: str | None = None,
    batch_ids: list[int] | None = None,
    period: tuple[Any, Any] | None = None,
) -> int:
    import psycopg

    evaluated, passed, warned, failed = counts
    table_checked = table_checked or suite_file.table_checked
    period_start, period_end = period or (None, None)
    with psycopg.connect(psycopg_url(warehouse_url)) as conn, conn.transaction():
        with conn.cursor() as cur:
            cur.execute(
                """
                insert into dq.validation_run (
                    run_label, checkpoint_name, suite_name, table_checked, run_at, success,
                    status, evaluated, passed, warned, failed, report_path, layer, source,
                    batch_ids, period_start, period_end
                ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                returning validation_run_id
                """,
                (
                    run_label, checkpoint_name, suite_file.name, table_checked, run_at,
                    success, status, evaluated, passed, warned, failed, report_path, layer, source,
                    batch_ids, period_start, period_end,
                ),
            )
            run_id = cur.fetchone()[0]
            cur.executemany(
                """
                insert into dq.validation_result (
                    validation_run_id, expectation_type, column_name, severity, success,
                    observed_value, unexpected_count, unexpected_percent, suite_name,
                    table_checked, kwargs, description, severity_reason
                ) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)
                """,
                [
                    (
                        run_id, r["expectation_type"], r["column_name"], r["severity"],
                        r["success"], r["observed_value"], r["unexpected_count"],
                        r["unexpected_percent"], suite_file.name, table_checked,
                        r["kwargs"], r.get("description"), r.get("severity_reason"),
                    )
                    for r in rows
                ],
            )
    return int(run_id)
