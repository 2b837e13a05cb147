"""Backtest of the month-to-date forecast (marts.kpi_forecast_month_end) on the simulated 2024.

    .venv/bin/python benchmarks/forecast_backtest.py [--scale 20000] [--from 2024-04-01] [--keep]
    .venv/bin/python benchmarks/forecast_backtest.py --database NAME   # a warehouse already run

Makes its own warehouse database (`ioc_fcbacktest_<random>` on the server `locate()` finds, dropped
at the end unless `--keep`), serves the simulator from `--from` (April, so that July already has
three reference months) to 2025-01-01 with the workbooks of those months in a temporary inbox, and
runs the real run command (`python -m ioc_pipeline run --from FROM --to 2025-01-01`, as-of
2025-01-01). The forecast mart then holds one forecast per day and indicator from the first month
with data to 1/1/2025, each beside its month's actual (`actual_month_end`), which is what a forecast
made on each of those days would have said with what was loaded at its start: acceptance days and
channels do not change after the fact, and an operator's report counts from its first arrival.

For every day of July-December 2024 it reports, per indicator and per part of the month (days 1-10,
11-20, 21-end): the mean absolute error of `projected` against the actual (percentage points for the
rate, stations for 5G), the interval's coverage (share of days whose actual lies in [low, high],
among the days with an interval), and how often the point verdict (`will_meet_target`: projected >=
target) and the interval verdicts were right (will_meet: actual >= target; will_miss: actual <
target; at_risk is counted apart).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from ioc_pipeline.config import VN  # noqa: E402
from ioc_pipeline.warehouse.bootstrap import bootstrap  # noqa: E402
from ioc_pipeline.warehouse.locate import locate  # noqa: E402

TO = date(2025, 1, 1)
FIRST, LAST = date(2024, 7, 1), date(2024, 12, 1)
PARTS = (("1-10", 1, 10), ("11-20", 11, 20), ("21-end", 21, 31))
ORDER = ["b3_online_remote_rate", "b2_5g_on_air_all", "b2_5g_on_air_viettel", "b2_5g_on_air_vnpt"]


def run_pipeline(url, start: date, scale: float, work: Path) -> float:
    from ioc_simulator.operators_cli import fill_default_inbox
    from ioc_simulator.server import SimulatorServer

    inbox, files = fill_default_inbox(start, TO, folder=work / "inbox")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    for name in ("AIRFLOW_HOME",):
        env.pop(name, None)
    env.update(WAREHOUSE_URL=url.url, OPERATOR_REPORTS_INBOX=str(inbox),
               IOC_AIRFLOW_HOME=str(work / "airflow"), IOC_DATA_DOCS_DIR=str(work / "data_docs"),
               IOC_STATE_DIR=str(work / "state"), IOC_DBT_DOCS_DIR=str(work / "dbt_docs"),
               IOC_REPORTS_DIR=str(work / "reports"))
    with SimulatorServer(start=start, end=TO, as_of=datetime(TO.year, TO.month, TO.day, tzinfo=VN),
                         scale=scale) as sim:
        env.update(AIRFLOW_CONN_ONE_STOP_SHOP=sim.dossier_conn_uri, AIRFLOW_CONN_DVC_PORTAL=sim.portal_conn_uri)
        began = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "ioc_pipeline", "run", "--from", start.isoformat(),
                               "--to", TO.isoformat()], env=env, cwd=ROOT, capture_output=True, text=True)
        took = time.monotonic() - began
    print(proc.stdout[-3000:])
    if proc.returncode != 0:
        sys.exit(f"the run command failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    print(f"run command: {took:.0f} s, {len(files)} workbooks")
    return took


def forecasts(conn) -> list[dict]:
    cur = conn.execute(
        """select as_of_date, month, indicator_code, projected, projected_low, projected_high, target, verdict,
                  will_meet_target, actual_month_end, reference_months
             from marts.kpi_forecast_month_end
            where month between %s and %s
            order by indicator_code, as_of_date""", (FIRST, LAST))
    names = [c.name for c in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def evaluate(rows: list[dict]) -> dict:
    """(indicator, part) -> metrics; part 'all' too."""
    buckets: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        if r["actual_month_end"] is None or r["projected"] is None:
            continue
        part = next(name for name, lo, hi in PARTS if lo <= r["as_of_date"].day <= hi)
        buckets[(r["indicator_code"], part)].append(r)
        buckets[(r["indicator_code"], "all")].append(r)
    out = {}
    for key, items in buckets.items():
        rate = key[0].startswith("b3_")
        scale = Decimal(100) if rate else Decimal(1)
        errors = [abs(r["projected"] - r["actual_month_end"]) * scale for r in items]
        bias = [(r["projected"] - r["actual_month_end"]) * scale for r in items]
        with_interval = [r for r in items if r["projected_low"] is not None]
        covered = [r for r in with_interval if r["projected_low"] <= r["actual_month_end"] <= r["projected_high"]]
        judged = [r for r in items if r["will_meet_target"] is not None]
        right = [r for r in judged if r["will_meet_target"] == (r["actual_month_end"] >= r["target"])]
        decided = [r for r in items if r["verdict"] in ("will_meet", "will_miss")]
        decided_right = [r for r in decided
                         if (r["verdict"] == "will_meet") == (r["actual_month_end"] >= r["target"])]
        out[key] = {
            "days": len(items), "mae": sum(errors) / len(errors), "bias": sum(bias) / len(bias),
            "interval": len(with_interval), "coverage": len(covered) / len(with_interval) if with_interval else None,
            "judged": len(judged), "point_right": len(right) / len(judged) if judged else None,
            "at_risk": sum(1 for r in items if r["verdict"] == "at_risk"),
            "decided": len(decided), "decided_right": len(decided_right) / len(decided) if decided else None,
        }
    return out


def _p(value) -> str:
    return "—" if value is None else f"{100 * value:.0f} %"


def print_tables(metrics: dict, rows: list[dict]) -> None:
    print("| indicator | days of month | forecasts | MAE | bias | with interval | coverage | point verdict right "
          "| will_meet/will_miss right (n) | at_risk |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for code in ORDER:
        unit = "pp" if code.startswith("b3_") else "stations"
        for part in ("all",) + tuple(p[0] for p in PARTS):
            m = metrics.get((code, part))
            if not m:
                continue
            print(f"| {code} | {part} | {m['days']} | {m['mae']:.2f} {unit} | {m['bias']:+.2f} | {m['interval']} "
                  f"| {_p(m['coverage'])} | {_p(m['point_right'])} ({m['judged']}) "
                  f"| {_p(m['decided_right'])} ({m['decided']}) | {m['at_risk']} |")
    print()
    print("Month-end actuals and the forecast on the 1st, 10th and 20th (projected [low, high] verdict):")
    by = {(r["indicator_code"], r["as_of_date"]): r for r in rows}
    for code in ORDER:
        for month in sorted({r["month"] for r in rows if r["indicator_code"] == code}):
            cells = []
            for day in (1, 10, 20):
                r = by.get((code, month.replace(day=day)))
                if r and r["projected"] is not None:
                    low = "" if r["projected_low"] is None else f" [{r['projected_low']:.3f}, {r['projected_high']:.3f}]"
                    cells.append(f"{day}: {r['projected']:.3f}{low} {r['verdict']}")
            actual = next((r["actual_month_end"] for r in rows if r["indicator_code"] == code and r["month"] == month), None)
            target = next((r["target"] for r in rows if r["indicator_code"] == code and r["month"] == month), None)
            print(f"  {code} {month:%Y-%m}: actual {actual if actual is None else f'{actual:.3f}'} target {target} | "
                  + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20000, help="simulated dossiers per year (bin/demo: 20000)")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=date(2024, 4, 1))
    parser.add_argument("--database", help="an existing warehouse database (already run) to read instead")
    parser.add_argument("--keep", action="store_true", help="keep the database it makes")
    args = parser.parse_args()
    base = locate()
    if args.database:
        url, drop = base.with_database(args.database), None
    else:
        url = base.with_database(f"ioc_fcbacktest_{secrets.token_hex(5)}")
        bootstrap(url)

        def drop():
            with psycopg.connect(base.with_database("postgres").url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{url.database}" with (force)')
    try:
        if not args.database:
            with tempfile.TemporaryDirectory(prefix="ioc_fcbacktest_") as work:
                run_pipeline(url, args.start, args.scale, Path(work))
        with psycopg.connect(url.url) as conn:
            rows = forecasts(conn)
            accepted = conn.execute("select sum(dossiers_accepted) from marts.kpi_online_rate_monthly "
                                    "where scope = 'province' and month between %s and %s", (FIRST, LAST)).fetchone()[0]
        print(f"database {url.database}: {len(rows)} forecast rows for {FIRST:%Y-%m}..{LAST:%Y-%m}, "
              f"{accepted} dossiers accepted Jul-Dec 2024")
        print_tables(evaluate(rows), rows)
    finally:
        if drop and not args.keep:
            drop()
        elif not args.database:
            print(f"kept database {url.database}")


if __name__ == "__main__":
    main()
