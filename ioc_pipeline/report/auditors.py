"""The auditors' page: every data-quality check of every checkpoint run, offline.

`write_auditors_page(warehouse_url, out_dir)` reads `dq.validation_run`, `dq.validation_result`,
`audit.dbt_node_run` and `audit.load_batch` as role `auditor` and writes `out_dir/index.html`: one
self-contained page (no script, nothing loaded from elsewhere) listing each run with its verdict,
what it covered (any column `dq.validation_run` has beyond the contract's, e.g. the period and the
load batches checked), every expectation of the run with a pass/warn/fail mark, the observed value
and the unexpected count, and a link to the run's Great Expectations Data Docs page; then the dbt
tests grouped by run (the run label every node result carries: under Cosmos each node is its own
dbt invocation, so the invocation id does not group a run), then the load history, then the latest
publications of the marts (`audit.marts_publication`: published, or refused/failed and why).

Why a page of our own beside GX's Data Docs (which `quality/offline_docs.py` makes open offline):
one page, without JavaScript, printable, with every run of every check, the dbt tests and the load
history together, in Vietnamese.

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

# dq.validation_run columns of the contract (docs/contracts/marts.md); any other column is shown as the run's scope
RUN_COLUMNS = ("validation_run_id", "run_label", "checkpoint_name", "suite_name", "table_checked", "run_at",
               "success", "status", "evaluated", "passed", "warned", "failed", "report_path")
# dbt node statuses (audit.dbt_node_run.status) as the page's marks
DBT_STATUS = {"pass": "pass", "success": "pass", "warn": "warn", "fail": "fail", "error": "fail",
              "runtime error": "fail", "skipped": "none"}
DBT_STATUS_LABELS = {"pass": "Đạt", "warn": "Cảnh báo", "fail": "Không đạt", "none": "Bỏ qua"}
DBT_TEST_TYPES = ("test", "unit_test")
DBT_RUNS_IN_DETAIL = 10  # the latest runs list every test; older ones show their counts only
SEVERITY_LABELS = {"critical": "Nghiêm trọng", "warning": "Cảnh báo"}
BATCH_STATUS = {"success": "pass", "failed": "fail", "running": "warn"}
BATCH_STATUS_LABELS = {"success": "Thành công", "failed": "Lỗi", "running": "Đang chạy"}
# audit.marts_publication.status as the page's marks; the latest PUBLICATIONS_SHOWN attempts are listed
PUBLICATION_STATUS = {"published": "pass", "refused": "warn", "failed": "fail"}
PUBLICATION_STATUS_LABELS = {"published": "Đã công bố", "refused": "Không công bố (chưa đạt)",
                             "failed": "Không công bố (lỗi)"}
PUBLICATIONS_SHOWN = 20


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
            """select * from dq.validation_run order by run_at desc, validation_run_id desc""").fetchall()
        # dq.validation_result has no ordinal: rows of a run are inserted together in the suite's
        # order and never updated, so their physical order (ctid) is the suite's order.
        results = conn.execute(
            """select validation_run_id, expectation_type, column_name, severity, success,
                      observed_value, unexpected_count, unexpected_percent, suite_name, table_checked,
                      kwargs, to_jsonb(r) ->> 'description' as description,
                      to_jsonb(r) ->> 'severity_reason' as severity_reason
                 from dq.validation_result r order by validation_run_id, ctid""").fetchall()
        batches = conn.execute(
            """select batch_id, source, entity, interval_start, interval_end, started_at, finished_at,
                      status, rows_received, rows_loaded, rows_quarantined, error
                 from audit.load_batch order by started_at desc, batch_id desc""").fetchall()
        has_run_label = conn.execute(
            """select 1 from information_schema.columns where table_schema = 'audit'
                  and table_name = 'dbt_node_run' and column_name = 'run_label'""").fetchone()
        label = "run_label" if has_run_label else "null::text"
        dbt_nodes = conn.execute(
            f"""select coalesce({label}, 'dbt ' || invocation_id) as run, {label} as run_label, invocation_id,
                       node_id, resource_type, status, message, execution_time, finished_at
                  from audit.dbt_node_run
                 order by max(finished_at) over (partition by coalesce({label}, 'dbt ' || invocation_id)) desc,
                          resource_type, node_id""").fetchall()
        publications = []
        if conn.execute("select to_regclass('audit.marts_publication') as t").fetchone()["t"]:
            publications = conn.execute(
                """select publication_id, run_label, attempted_at, published_at, status, marts_count, reason,
                          lock_wait_seconds
                     from audit.marts_publication order by publication_id desc limit %s""",
                (PUBLICATIONS_SHOWN,)).fetchall()
        return {"runs": runs, "results": results, "batches": batches, "dbt_nodes": dbt_nodes,
                "publications": publications, "role": current_role(conn)}


def _scope_value(value) -> str:
    if value is None:
        return fmt.NONE
    if isinstance(value, datetime):
        return fmt.vn_time(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or fmt.NONE
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _node_name(node_id: str, resource_type: str) -> str:
    """test.<project>.<name>.<hash> -> name; unit_test.<project>.<model>.<test> -> model.test; model.<project>.<name> -> name."""
    parts = node_id.split(".")
    if len(parts) < 3:
        return node_id
    return ".".join(parts[2:]) if resource_type == "unit_test" else parts[2]


def _dbt_check(n: int, node: dict, kind: str) -> dict:
    mark = DBT_STATUS.get(node["status"], "fail")
    return {"n": n, "node_id": node["node_id"], "name": _node_name(node["node_id"], node["resource_type"]),
            "type": kind, "status": mark, "status_label": DBT_STATUS_LABELS[mark],
            "message": node["message"] if mark != "pass" else None}


def dbt_runs_context(nodes: list[dict]) -> list[dict]:
    """audit.dbt_node_run grouped by run (its label, else its invocation), latest run first: the
    counts of every run, and for the latest DBT_RUNS_IN_DETAIL every test and unit test with its mark."""
    by_run: dict[str, list[dict]] = {}
    for node in nodes:
        by_run.setdefault(node["run"], []).append(node)
    runs = []
    for i, (run, members) in enumerate(by_run.items()):
        tests = [n for n in members if n["resource_type"] in DBT_TEST_TYPES]
        counts = {mark: 0 for mark in DBT_STATUS_LABELS}
        for t in tests:
            counts[DBT_STATUS.get(t["status"], "fail")] += 1
        built = [n for n in members if n["resource_type"] not in DBT_TEST_TYPES]
        failed_builds = sum(DBT_STATUS.get(n["status"], "fail") == "fail" for n in built)
        status = "fail" if counts["fail"] or failed_builds else ("warn" if counts["warn"] else "pass")
        finished = [n["finished_at"] for n in members if n["finished_at"]]
        runs.append({
            "key": run, "anchor": f"dbt-{i + 1}", "label": members[0]["run_label"] or fmt.NONE,
            "invocations": len({n["invocation_id"] for n in members}),
            "started": fmt.vn_time(min(finished) if finished else None),
            "finished": fmt.vn_time(max(finished) if finished else None),
            "status": status, "status_label": DBT_STATUS_LABELS[status],
            "built": len(built), "failed_builds": failed_builds, "tests": len(tests),
            **{f"n_{mark}": n for mark, n in counts.items()},
            "detail": i < DBT_RUNS_IN_DETAIL,
            "checks": [_dbt_check(j, t, "unit test" if t["resource_type"] == "unit_test" else "data test")
                       for j, t in enumerate(tests, start=1)]
                      + [_dbt_check(len(tests) + j, b, b["resource_type"]) for j, b in enumerate(
                          (b for b in built if DBT_STATUS.get(b["status"], "fail") == "fail"), start=1)],
        })
    return runs


def auditors_context(data: dict, out_dir: Path, generated_at: datetime) -> dict:
    by_run: dict[int, list[dict]] = {}
    for r in data["results"]:
        by_run.setdefault(r["validation_run_id"], []).append(r)
    runs = []
    for run in data["runs"]:
        scope = [{"name": k, "value": _scope_value(v)} for k, v in run.items() if k not in RUN_COLUMNS]
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
                # what the expectation says and why its severity (issue 11), when recorded
                "description": r.get("description"), "severity_reason": r.get("severity_reason"),
            })
        runs.append({
            "id": run["validation_run_id"], "label": run["run_label"] or fmt.NONE,
            "checkpoint": run["checkpoint_name"], "suite": run["suite_name"], "table": run["table_checked"],
            "run_at": fmt.vn_time(run["run_at"]), "status": run["status"],
            "status_label": fmt.DQ_LABELS.get(run["status"], run["status"]),
            "evaluated": run["evaluated"], "passed": run["passed"], "warned": run["warned"],
            "failed": run["failed"], "docs": _docs_link(run["report_path"], out_dir), "checks": checks,
            "scope": scope,
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
    publications = [{
        "id": p["publication_id"], "label": p["run_label"] or fmt.NONE,
        "attempted": fmt.vn_time(p["attempted_at"]), "published": fmt.vn_time(p["published_at"]),
        "status": PUBLICATION_STATUS.get(p["status"], "fail"),
        "status_label": PUBLICATION_STATUS_LABELS.get(p["status"], p["status"]),
        "marts": p["marts_count"], "reason": p["reason"],
        "wait": fmt.number(p["lock_wait_seconds"], 1) if p["lock_wait_seconds"] is not None else fmt.NONE,
    } for p in data.get("publications", [])]
    return {"publications": publications, "publications_shown": PUBLICATIONS_SHOWN,
            "generated_at": fmt.vn_time(generated_at), "role": data["role"], "runs": runs,
            "batches": batches, "latest": runs[0] if runs else None,
            "dbt_runs": dbt_runs_context(data.get("dbt_nodes", [])), "dbt_runs_in_detail": DBT_RUNS_IN_DETAIL}


def write_auditors_page(warehouse_url: str, out_dir: str | Path) -> Path:
    """Write `out_dir/index.html` (the auditors' page) and return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = auditors_context(read_dq(warehouse_url), out, datetime.now(fmt.VN))
    page = out / "index.html"
    write_page(page, render("auditors.html.j2", ctx))
    log.info("auditors' page: %d validation run(s), %d dbt run(s), %d load batch(es): %s", len(ctx["runs"]),
             len(ctx["dbt_runs"]), len(ctx["batches"]), page)
    return page
