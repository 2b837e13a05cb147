"""The auditors' page: every data-quality check of every checkpoint run, offline.

`write_auditors_page(warehouse_url, out_dir)` reads `dq.validation_run`, `dq.validation_result`
and `audit.load_batch` as role `auditor` and writes `out_dir/index.html`: one self-contained page
(no script, nothing loaded from elsewhere) listing each run with its verdict, every expectation of
the run with a pass/warn/fail mark, the observed value and the unexpected count, and a link to the
run's Great Expectations Data Docs page, then the load history.

Why a page of our own: the Data Docs that GX writes take their CSS and JavaScript from CDNs
(bootstrap, jQuery, bootstrap-table, font-awesome, vega); offline the Data Docs index shows an
empty table and the validation pages lose their layout. This page is the view that always opens.

A check's mark: pass when it succeeded; warn when it failed and its severity is `warning`; fail
when it failed and it is `critical` (the same rule as the run's own status in dq.validation_run).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from ioc_pipeline.report import fmt
from ioc_pipeline.report.db import AUDITOR_ROLE, connect_as, current_role
from ioc_pipeline.report.render import render, write_page

log = logging.getLogger(__name__)

SEVERITY_LABELS = {"critical": "Nghiêm trọng", "warning": "Cảnh báo"}
BATCH_STATUS = {"success": "pass", "failed": "fail", "running": "warn"}
BATCH_STATUS_LABELS = {"success": "Thành công", "failed": "Lỗi", "running": "Đang chạy"}


def check_status(success: bool, severity: str) -> str:
    if success:
        return "pass"
    return "fail" if severity == "critical" else "warn"


def _docs_link(report_path: str | None, out_dir: Path) -> dict:
    """Relative links (they keep working when the reports folder is copied along with the Data
    Docs) to the run's Data Docs page and to the Data Docs index above it."""
    if not report_path:
        return {"path": None, "href": None, "index_href": None, "exists": False}
    page = Path(report_path)
    exists = page.is_file()
    index = None
    if "validations" in page.parts:
        site = Path(*page.parts[:page.parts.index("validations")])
        if (site / "index.html").is_file():
            index = site / "index.html"
    elif page.name == "index.html":
        index = page

    def rel(p: Path | None) -> str | None:
        if p is None or not p.is_file():
            return None
        return Path(os.path.relpath(p.resolve(), out_dir.resolve())).as_posix()

    return {"path": report_path, "href": rel(page), "index_href": rel(index), "exists": exists}


def _kwargs_text(kwargs) -> str:
    if isinstance(kwargs, str):
        kwargs = json.loads(kwargs)
    shown = {k: v for k, v in (kwargs or {}).items() if k != "batch_id"}
    return ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(shown.items()))


def read_dq(warehouse_url: str) -> dict:
    with connect_as(warehouse_url, AUDITOR_ROLE) as conn:
        runs = conn.execute(
            """select validation_run_id, run_label, checkpoint_name, suite_name, table_checked, run_at,
                      success, status, evaluated, passed, warned, failed, report_path
                 from dq.validation_run order by run_at desc, validation_run_id desc""").fetchall()
        # dq.validation_result has no ordinal: rows of a run are inserted together in the suite's
        # order and never updated, so their physical order (ctid) is the suite's order.
        results = conn.execute(
            """select validation_run_id, expectation_type, column_name, severity, success,
                      observed_value, unexpected_count, unexpected_percent, suite_name, table_checked,
                      kwargs
                 from dq.validation_result order by validation_run_id, ctid""").fetchall()
        batches = conn.execute(
            """select batch_id, source, entity, interval_start, interval_end, started_at, finished_at,
                      status, rows_received, rows_loaded, rows_quarantined, error
                 from audit.load_batch order by started_at desc, batch_id desc""").fetchall()
        return {"runs": runs, "results": results, "batches": batches, "role": current_role(conn)}


def auditors_context(data: dict, out_dir: Path, generated_at: datetime) -> dict:
    by_run: dict[int, list[dict]] = {}
    for r in data["results"]:
        by_run.setdefault(r["validation_run_id"], []).append(r)
    runs = []
    for run in data["runs"]:
        checks = []
        for i, r in enumerate(by_run.get(run["validation_run_id"], []), start=1):
            status = check_status(r["success"], r["severity"])
            checks.append({
                "n": i, "type": r["expectation_type"], "column": r["column_name"] or fmt.NONE,
                "severity": SEVERITY_LABELS.get(r["severity"], r["severity"]),
                "status": status, "status_label": fmt.DQ_LABELS[status], "mark": fmt.DQ_MARKS[status],
                "observed": r["observed_value"] if r["observed_value"] is not None else fmt.NONE,
                "unexpected": fmt.number(r["unexpected_count"]),
                "unexpected_pct": (fmt.number(r["unexpected_percent"], 2) + "%"
                                   if r["unexpected_percent"] is not None else fmt.NONE),
                "kwargs": _kwargs_text(r["kwargs"]),
            })
        runs.append({
            "id": run["validation_run_id"], "label": run["run_label"] or fmt.NONE,
            "checkpoint": run["checkpoint_name"], "suite": run["suite_name"], "table": run["table_checked"],
            "run_at": fmt.vn_time(run["run_at"]), "status": run["status"],
            "status_label": fmt.DQ_LABELS.get(run["status"], run["status"]),
            "evaluated": run["evaluated"], "passed": run["passed"], "warned": run["warned"],
            "failed": run["failed"], "docs": _docs_link(run["report_path"], out_dir), "checks": checks,
        })
    batches = [{
        "id": b["batch_id"], "source": b["source"], "entity": b["entity"],
        "interval": (f"{fmt.vn_time(b['interval_start'])} – {fmt.vn_time(b['interval_end'])}"
                     if b["interval_start"] or b["interval_end"] else "toàn bộ danh mục"),
        "started": fmt.vn_time(b["started_at"]), "finished": fmt.vn_time(b["finished_at"]),
        "status": BATCH_STATUS.get(b["status"], "warn"),
        "status_label": BATCH_STATUS_LABELS.get(b["status"], b["status"]),
        "received": fmt.number(b["rows_received"]), "loaded": fmt.number(b["rows_loaded"]),
        "quarantined": fmt.number(b["rows_quarantined"]), "error": b["error"],
    } for b in data["batches"]]
    return {"generated_at": fmt.vn_time(generated_at), "role": data["role"], "runs": runs,
            "batches": batches, "latest": runs[0] if runs else None}


def write_auditors_page(warehouse_url: str, out_dir: str | Path) -> Path:
    """Write `out_dir/index.html` (the auditors' page) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = auditors_context(read_dq(warehouse_url), out, datetime.now(fmt.VN))
    page = out / "index.html"
    write_page(page, render("auditors.html.j2", ctx))
    log.info("auditors' page: %d validation run(s), %d load batch(es): %s", len(ctx["runs"]),
             len(ctx["batches"]), page)
    return page
