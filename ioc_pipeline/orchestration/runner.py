"""The `run` command: drive the real Airflow DAGs over one catch-up interval.

There is no scheduler in this process, so an Asset-scheduled DAG would never start on its own: the
runner runs each DAG with `airflow dags test` (a real DAG run against a real metadata database, kept
apart from the warehouse), in order: extraction of every source, then one dbt build and one
data-quality checkpoint. The interval, the as-of day and a run label travel in the run's conf; the
summary is read back from the warehouse's own audit tables, not from Airflow's logs.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import psycopg

from ioc_pipeline import config
from ioc_pipeline.config import VN
from ioc_pipeline.warehouse.bootstrap import bootstrap
from ioc_pipeline.warehouse.locate import WarehouseUrl, locate

log = logging.getLogger(__name__)

# Extraction DAGs, run in this order over the interval; then the build DAG once.
EXTRACT_DAGS = ("ioc_extract_sources", "ioc_extract_portal_metrics", "ioc_extract_operator_reports")
BUILD_DAG = "ioc_build_marts"


@dataclass
class StepOutcome:
    name: str
    ok: bool
    seconds: float
    log_path: Path


@dataclass
class RunReport:
    run_label: str
    steps: list[StepOutcome] = field(default_factory=list)
    batches: list[dict] = field(default_factory=list)
    dbt_nodes: dict[str, int] = field(default_factory=dict)
    dbt_failures: list[str] = field(default_factory=list)
    quality: dict | None = None

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
        return failed


def airflow_env(warehouse: WarehouseUrl, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment every Airflow process of a run gets: its own home and metadata DB, the
    connections, and telemetry off."""
    env = dict(os.environ)
    env.update(config.QUIET_ENV)
    env.update(
        {
            "AIRFLOW_HOME": str(config.AIRFLOW_HOME_DIR),
            "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
            "AIRFLOW_CONN_WAREHOUSE": warehouse.airflow_conn_json(),
            "WAREHOUSE_URL": warehouse.url,
            config.TASK_RETRIES_ENV: str(config.task_retries(default=0)),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(config.PROJECT_ROOT), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra or {})
    return env


def _bin(name: str) -> str:
    """An executable of this virtualenv (airflow, dbt), whatever PATH says."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate the metadata database (SQLite under `.airflow/`, never the warehouse)."""
    config.AIRFLOW_HOME_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([_bin("airflow"), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def dbt_parse(warehouse: WarehouseUrl) -> None:
    """Write `dbt_project/target/manifest.json`, which Cosmos renders the build DAG from."""
    env = {**os.environ, **config.QUIET_ENV, **warehouse.dbt_env()}
    subprocess.run([_bin("dbt"), "parse", "--quiet", "--profiles-dir", str(config.DBT_PROJECT_DIR),
                    "--project-dir", str(config.DBT_PROJECT_DIR)], env=env, check=True,
                   cwd=config.DBT_PROJECT_DIR)


def run_dag(dag_id: str, conf: dict, env: dict[str, str], log_dir: Path) -> StepOutcome:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{dag_id}.log"
    # A fresh logical date per run: each run is a new DagRun, never a resumed one.
    logical_date = datetime.now(VN).isoformat(timespec="microseconds")
    started = time.monotonic()
    with log_path.open("w") as out:
        proc = subprocess.run([_bin("airflow"), "dags", "test", dag_id, logical_date, "--conf", json.dumps(conf)],
                              env=env, stdout=out, stderr=subprocess.STDOUT, cwd=config.PROJECT_ROOT)
    # `airflow dags test` exits 1 when the DAG run ends failed.
    return StepOutcome(dag_id, proc.returncode == 0, time.monotonic() - started, log_path)


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
                where finished_at >= %s group by 1, 2""", (started_at,)):
            report.dbt_nodes[f"{resource_type}:{status}"] = count
        report.dbt_failures = [f"{node} ({status}): {message}" for node, status, message in conn.execute(
            """select node_id, status, coalesce(message, '') from audit.dbt_node_run
                where finished_at >= %s and status in ('error', 'fail') order by node_id""", (started_at,))]
        row = conn.execute(
            """select status, evaluated, passed, warned, failed, report_path from dq.validation_run
                where run_label = %s order by validation_run_id desc limit 1""", (report.run_label,)).fetchone()
        if row:
            report.quality = dict(zip(("status", "evaluated", "passed", "warned", "failed", "report_path"), row))


def _batches_by_entity(batches: list[dict]) -> list[tuple[str, list[dict]]]:
    """One line per source entity: a month-by-month source makes several batches in one run."""
    groups: dict[str, list[dict]] = {}
    for batch in batches:
        groups.setdefault(f"{batch['source']}.{batch['entity']}", []).append(batch)
    return sorted(groups.items())


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


def run(interval_from: date, interval_to: date, as_of: date | None = None,
        source_env: dict[str, str] | None = None) -> tuple[RunReport, str]:
    """One catch-up run over `[interval_from, interval_to)`; returns the report and its summary text."""
    if interval_to <= interval_from:
        raise ValueError("--to must be after --from")
    as_of = as_of or interval_to
    warehouse = locate()
    bootstrap(warehouse)
    run_label = f"run-{datetime.now(VN):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    env = airflow_env(warehouse, source_env)
    prepare_airflow(env)
    dbt_parse(warehouse)
    started_at = datetime.now(VN)
    start = datetime.combine(interval_from, datetime.min.time(), VN)
    end = datetime.combine(interval_to, datetime.min.time(), VN)
    log_dir = config.STATE_DIR / "logs" / run_label
    report = RunReport(run_label)
    interval = {"interval_start": start.isoformat(), "interval_end": end.isoformat(), "run_label": run_label}
    for dag_id in EXTRACT_DAGS:
        report.steps.append(run_dag(dag_id, interval, env, log_dir))
    report.steps.append(run_dag(BUILD_DAG, {"as_of": as_of.isoformat(), "run_label": run_label}, env, log_dir))
    collect(report, warehouse, started_at)
    return report, format_summary(report, warehouse)
