"""The catch-up interval the run command hands every DAG run, and how tasks read it back.

Written and read in this one module so that the two sides cannot drift apart. A scheduled run has
no such conf: its tasks use their data interval instead.
"""

from __future__ import annotations

from datetime import date, datetime

from ioc_pipeline.months import start_of_day


def extraction_conf(interval_from: date, interval_to: date, run_label: str) -> dict:
    """The conf of an extraction DAG run over `[interval_from, interval_to)` (Vietnam time)."""
    return {"interval_start": start_of_day(interval_from).isoformat(),
            "interval_end": start_of_day(interval_to).isoformat(), "run_label": run_label}


def build_conf(as_of: date, run_label: str) -> dict:
    """The conf of the build DAG run: the day "now" means for open dossiers."""
    return {"as_of": as_of.isoformat(), "run_label": run_label}


def catch_up_interval(conf: dict | None) -> tuple[datetime, datetime] | None:
    """The explicit `[from, to)` the run command puts in a run's conf, or None for scheduled runs."""
    conf = conf or {}
    if conf.get("interval_start") and conf.get("interval_end"):
        return datetime.fromisoformat(conf["interval_start"]), datetime.fromisoformat(conf["interval_end"])
    return None


def run_label(conf: dict | None, run_id: str) -> str:
    """The run command's label of this run (it ties audit rows to its summary), else Airflow's run id."""
    return (conf or {}).get("run_label") or run_id
