"""What a run did, read back from the warehouse's own audit tables, not from Airflow's logs.

One line per source entity (a month-by-month source makes several batches in one run), the dbt
nodes built and tested (audit.dbt_node_run rows of the run's label), the data-quality verdict and
where its report is, whether the new marts were published (audit.marts_publication) or the previous
set was kept, where the leaders' report and the auditors' page were written, each DAG's
outcome and log, and every failure by name: the command exits non-zero when this list is not empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg

from ioc_pipeline import config
from ioc_pipeline.runner.dag_runs import StepOutcome
from ioc_pipeline.warehouse.locate import WarehouseUrl


@dataclass
class RunReport:
    run_label: str
    steps: list[StepOutcome] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)
    dbt_nodes: dict[str, int] = field(default_factory=dict)
    dbt_failures: list[str] = field(default_factory=list)
    quality: dict | None = None
    # what the build DAG wrote during this run: "breakthroughs" / "auditors" -> the page's path
    reports: dict[str, Path] = field(default_factory=dict)
    # the run's latest audit.marts_publication row (None: the build never reached publication)
    publication: dict | None = None

    @property
    def failures(self) -> list[str]:
        failed = [f"DAG {s.name} failed (log: {s.log_path})" for s in self.steps if not s.ok]
        failed += [f"source {b['source']}.{b['entity']} batch {b['batch_id']}: {b['error']}"
                   for b in self.batches if b["status"] != "success"]
        failed += [f"dbt {node}" for node in self.dbt_failures]
        if self.quality is None:
            failed.append("data-quality checks did not run")
        elif self.quality["status"] == "fail":
            failed.append("data-quality checks failed")
        if not self.published:
            failed.append("marts not published: the previous set stays in schema marts")
        return failed

    @property
    def published(self) -> bool:
        return bool(self.publication) and self.publication["status"] == "published"


def collect(report: RunReport, warehouse: WarehouseUrl, started_at: datetime) -> None:
    with psycopg.connect(warehouse.url) as conn:
        cur = conn.execute(
            """select batch_id, source, entity, status, rows_received, rows_loaded, rows_quarantined,
                      rows_duplicate, error
                 from audit.load_batch where run_label = %s order by batch_id""", (report.run_label,))
        names = [c.name for c in cur.description]
        report.batches = [dict(zip(names, row)) for row in cur.fetchall()]
        for resource_type, status, count in conn.execute(
            """select resource_type, status, count(*) from audit.dbt_node_run
                where run_label = %s group by 1, 2""", (report.run_label,)):
            report.dbt_nodes[f"{resource_type}:{status}"] = count
        report.dbt_failures = [f"{node} ({status}): {message}" for node, status, message in conn.execute(
            """select node_id, status, coalesce(message, '') from audit.dbt_node_run
                where run_label = %s and status in ('error', 'fail') order by node_id""", (report.run_label,))]
        # Every check of the run (raw per batch, marts, reconciliation): the worst status, the counts
        # summed, and the Data Docs of the latest validation that has a page.
        row = conn.execute(
            """select case when bool_or(status = 'fail') then 'fail' when bool_or(status = 'warn') then 'warn'
                           else 'pass' end,
                      sum(evaluated)::int, sum(passed)::int, sum(warned)::int, sum(failed)::int,
                      (array_agg(report_path order by validation_run_id desc)
                          filter (where report_path is not null))[1]
                 from dq.validation_run where run_label = %s having count(*) > 0""", (report.run_label,)).fetchone()
        if row:
            report.quality = dict(zip(("status", "evaluated", "passed", "warned", "failed", "report_path"), row))
            report.quality["report_path"] = _docs_index(report.quality["report_path"])
        row = conn.execute(
            """select publication_id, status, marts_count, reason, published_at from audit.marts_publication
                where run_label = %s order by publication_id desc limit 1""", (report.run_label,)).fetchone()
        if row:
            report.publication = dict(zip(("publication_id", "status", "marts_count", "reason", "published_at"), row))
    report.reports = written_reports(started_at)


def _docs_index(page: str | None) -> str | None:
    """The Data Docs site's index above a validation page (it lists every suite of the run)."""
    if not page:
        return page
    for folder in Path(page).parents:
        if (folder / "validations").is_dir() and (folder / "index.html").is_file():
            return str(folder / "index.html")
    return page


def written_reports(started_at: datetime) -> dict[str, Path]:
    """The report pages the build DAG wrote since `started_at` (config.reports_dir())."""
    pages = {"breakthroughs": config.reports_dir() / "breakthroughs" / "index.html",
             "auditors": config.reports_dir() / "auditors" / "index.html"}
    return {name: page for name, page in pages.items()
            if page.is_file() and page.stat().st_mtime >= started_at.timestamp()}


def _batches_by_entity(batches: list[dict]) -> list[tuple[str, list[dict]]]:
    """One line per source entity: a month-by-month source makes several batches in one run."""
    groups: dict[str, list[dict]] = {}
    for batch in batches:
        groups.setdefault(f"{batch['source']}.{batch['entity']}", []).append(batch)
    return sorted(groups.items())


def publication_line(publication: dict | None) -> str:
    """Whether the run's marts reached the readers (docs/contracts/run.md, publication)."""
    if publication and publication["status"] == "published":
        return (f"Marts: published, {publication['marts_count']} marts now in schema marts "
                f"(audit.marts_publication {publication['publication_id']})")
    why = (publication or {}).get("reason") or "the build or its checks did not pass"
    return f"Marts: NOT published, the previous complete set stays in schema marts ({why})"


def format_summary(report: RunReport, warehouse: WarehouseUrl) -> str:
    lines = [f"== IOC pipeline run {report.run_label} ==", f"warehouse: {warehouse.redacted()}", "", "Sources:"]
    lines.append(f"  {'source.entity':<34}{'batches':>8} {'status':<8}{'received':>9}{'loaded':>9}{'quarant.':>9}"
                 f"{'dupl.':>7}")
    for name, group in _batches_by_entity(report.batches):
        status = "success" if all(b["status"] == "success" for b in group) else "FAILED"
        lines.append(f"  {name:<34}{len(group):>8} {status:<8}"
                     + "".join(f"{sum(b[k] for b in group):>{w}}" for k, w in
                               (("rows_received", 9), ("rows_loaded", 9), ("rows_quarantined", 9),
                                ("rows_duplicate", 7))))
    models = sum(v for k, v in report.dbt_nodes.items() if k.startswith(("model:", "seed:")))
    tests: dict[str, int] = {}
    for key, count in report.dbt_nodes.items():
        kind, status = key.split(":", 1)
        if kind in ("test", "unit_test"):
            tests[status] = tests.get(status, 0) + count
    lines += ["", f"dbt: {models} models/seeds built; tests " +
              (", ".join(f"{v} {k}" for k, v in sorted(tests.items())) or "none")]
    if report.quality:
        q = report.quality
        lines.append(f"Data quality: {q['status']} ({q['passed']} passed, {q['warned']} warned, "
                     f"{q['failed']} failed of {q['evaluated']})")
        lines.append(f"Data-quality report: {q['report_path']}")
    lines.append(publication_line(report.publication))
    if "breakthroughs" in report.reports:
        lines.append(f"Leaders' monthly report: {report.reports['breakthroughs']}")
    if "auditors" in report.reports:
        lines.append(f"Auditors' page (every check, dbt tests by run, load history): {report.reports['auditors']}")
    dbt_docs = config.dbt_docs_dir() / "index.html"
    if dbt_docs.exists():
        lines.append(f"dbt documentation (models, columns, KPI formulas): {dbt_docs}")
    lines.append("")
    for step in report.steps:
        lines.append(f"DAG {step.name}: {'ok' if step.ok else 'FAILED'} in {step.seconds:.0f}s (log: {step.log_path})")
    failures = report.failures
    lines.append("")
    lines.append("Result: OK" if not failures else "Result: FAILED\n  - " + "\n  - ".join(failures))
    return "\n".join(lines)
