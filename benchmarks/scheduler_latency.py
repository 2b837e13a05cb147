"""From triggering a nightly extraction to fresh marts, under the real scheduler: LocalExecutor vs Celery.

    .venv/bin/python benchmarks/scheduler_latency.py [--executor local celery] [--repeat 1] [--scale 3000]

For each executor: `bin/airflow up` on throwaway databases (ioc_pipeline/stack/throwaway.py: fresh
warehouse and metadata databases, free ports, its own Redis for Celery, all dropped at the end), then
`repeat` times: trigger `ioc_extract_sources` through the REST API for the last complete night (the
first time with the logical date the scheduler would use, after that without a logical date, which
covers the same night from the stored watermark), and wait for the Asset-triggered `ioc_build_marts`
run it causes to succeed. The marts are fresh when that run has succeeded and `marts.fct_dossier`
holds every dossier in raw (checked). Times come from the API's run records:

- trigger → extraction running: the POST until the run's start (scheduler loop, queueing);
- extraction: the run's start to its end (3 tasks, one per source);
- extraction end → build running: around 0 or below: `ioc_build_marts` is scheduled on any one of the
  raw Assets, so the first source task to finish starts it while the others still run (their events
  queue a second build, which this benchmark does not wait for);
- build: `ioc_build_marts` start to end (dbt through Cosmos, one task per node, then GX and dbt docs);
- total: the POST until the build's end, i.e. until the marts are fresh.

Also prints `bin/airflow up`'s wall time, the task counts, and the load average before and after
(the machine may be shared: the figures are only comparable under the same load).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pendulum
import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from ioc_pipeline.stack.throwaway import (  # noqa: E402
    first_asset_triggered_build, source_has_dossiers, throwaway_stack, trigger_last_night)


def _t(value: str | None) -> float:
    return pendulum.parse(value).timestamp()


def measure(executor: str, repeat: int, scale: int) -> list[dict]:
    rows = []
    with throwaway_stack(executor, scale=scale) as stack:
        if stack.up.returncode != 0:
            raise SystemExit(f"bin/airflow up failed:\n{stack.up.stdout[-3000:]}\n{stack.up.stderr[-3000:]}")
        client = stack.client
        print(f"[{executor}] bin/airflow up: {stack.up_seconds:.1f} s", flush=True)
        seen_builds: set[str] = set()
        for i in range(repeat):
            load_before = os.getloadavg()[0]
            posted = time.time()
            run = (trigger_last_night(client, has_dossiers=source_has_dossiers(stack)) if i == 0
                   else client.trigger("ioc_extract_sources", None))
            run = client.wait_for_run("ioc_extract_sources", run["dag_run_id"], timeout=900)
            if run["state"] != "success":
                raise SystemExit(f"[{executor}] extraction {run['dag_run_id']} {run['state']}")
            if i == 0:
                build_id = first_asset_triggered_build(client, timeout=300)
            else:
                build_id = client.wait_for(
                    lambda: next((r["dag_run_id"] for r in client.dag_runs("ioc_build_marts")
                                  if r["run_type"] == "asset_triggered" and r["dag_run_id"] not in seen_builds
                                  and _t(r["run_after"]) >= _t(run["end_date"]) - 60), None),
                    timeout=300, what="the build of this extraction")
            seen_builds.add(build_id)
            build = client.wait_for_run("ioc_build_marts", build_id, timeout=3600, poll=2)
            if build["state"] != "success":
                raise SystemExit(f"[{executor}] build {build_id} {build['state']}")
            with psycopg.connect(stack.warehouse.url) as conn:
                raw = conn.execute("select count(distinct dossier_code) from raw.one_stop_shop__dossier").fetchone()[0]
                marts = conn.execute("select count(*) from marts.fct_dossier").fetchone()[0]
            if raw != marts:
                raise SystemExit(f"[{executor}] marts not fresh: {marts} dossiers in fct_dossier, {raw} in raw")
            row = {
                "executor": executor, "round": i + 1, "dossiers": raw,
                "trigger_to_extract_start": _t(run["start_date"]) - posted,
                "extract": _t(run["end_date"]) - _t(run["start_date"]),
                "extract_end_to_build_start": _t(build["start_date"]) - _t(run["end_date"]),
                "build": _t(build["end_date"]) - _t(build["start_date"]),
                "total": _t(build["end_date"]) - posted,
                "build_tasks": len(client.task_instances("ioc_build_marts", build_id)),
                "load_before": load_before, "load_after": os.getloadavg()[0],
                "up": stack.up_seconds,
            }
            rows.append(row)
            print(f"[{executor}] round {i + 1}: " + ", ".join(
                f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()
                if k not in ("executor", "round")), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executor", nargs="+", choices=("local", "celery"), default=["local", "celery"])
    parser.add_argument("--repeat", type=int, default=1, help="nightly runs per executor (default 1)")
    parser.add_argument("--scale", type=int, default=3000, help="simulator dossiers per year (default 3000)")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONPATH", str(ROOT))
    rows = []
    for executor in args.executor:
        rows += measure(executor, args.repeat, args.scale)
    print()
    print("| executor | round | dossiers | up s | trigger→extract running s | extract s | extract end→build running s "
          "| build s (tasks) | trigger→fresh marts s | load avg before/after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['executor']} | {r['round']} | {r['dossiers']} | {r['up']:.0f} | {r['trigger_to_extract_start']:.1f} "
              f"| {r['extract']:.1f} | {r['extract_end_to_build_start']:.1f} | {r['build']:.0f} ({r['build_tasks']}) "
              f"| {r['total']:.0f} | {r['load_before']:.1f} / {r['load_after']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
