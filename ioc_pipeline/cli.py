"""`python -m ioc_pipeline <command>`: the pipeline without the Airflow UI.

- `run --from D --to D [--as-of D]`: the contract's run command (shared/contracts/run.md); sources
  left unconfigured are served by the simulator (`demo_sources`).
- `simulate`: the source simulator in the foreground (both APIs on loopback), the same as
  `python -m ioc_simulator`.
- `bootstrap`: create or update the warehouse's schemas, roles and raw tables.
- `dbt-parse`: write the dbt manifest the build DAG is rendered from.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from datetime import date

from ioc_pipeline import config


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _cmd_run(args: argparse.Namespace) -> int:
    from ioc_pipeline.runner.run import new_run_label, prepare_warehouse, run, stop_on_signals
    from ioc_pipeline.warehouse.locate import WarehouseError, locate_checked
    from ioc_pipeline.warehouse.lock import LockBusy, run_lock

    if args.interval_to <= args.interval_from:
        print("python -m ioc_pipeline run: --to must be after --from (the interval is [from, to))", file=sys.stderr)
        return 2
    # Before anything starts (simulator, Airflow): a wrong WAREHOUSE_URL is one line, exit code 2.
    try:
        warehouse = locate_checked(create=False)
    except WarehouseError as problem:
        print(f"python -m ioc_pipeline run: {problem}", file=sys.stderr)
        return 2
    label = new_run_label()
    # The lock is held for the whole run, on a session of its own; LockBusy can only come from taking it.
    with stop_on_signals():
        try:
            with run_lock(warehouse, label, args.interval_from, args.interval_to, wait_seconds=args.wait) as held:
                prepare_warehouse(warehouse, held, args.interval_from, args.interval_to)
                sources = contextlib.nullcontext({})
                if config.unconfigured_sources():
                    from ioc_pipeline.demo_sources import demo_sources

                    sources = demo_sources(args.interval_from, args.interval_to)
                with sources as source_env:
                    report, summary = run(args.interval_from, args.interval_to, args.as_of, source_env,
                                          warehouse=warehouse, run_label=label)
        except LockBusy as busy:
            print(f"python -m ioc_pipeline run: {busy}", file=sys.stderr)
            return 3
        except KeyboardInterrupt:  # children, simulator and lock were let go on the way out
            print(f"python -m ioc_pipeline run: interrupted; run {label} stopped", file=sys.stderr)
            return 130
    print(summary)
    return 1 if report.failures else 0


def _simulate(argv: list[str]) -> int:
    """The simulator has its own options; hand them over untouched."""
    from ioc_pipeline.demo_sources import simulate

    return simulate(argv)


def _cmd_bootstrap(args: argparse.Namespace) -> int:
    from ioc_pipeline.warehouse.bootstrap import bootstrap
    from ioc_pipeline.warehouse.locate import WarehouseError, locate_checked

    try:
        url = locate_checked(create=True)
    except WarehouseError as problem:
        print(f"python -m ioc_pipeline bootstrap: {problem}", file=sys.stderr)
        return 2
    bootstrap(url)
    print(f"warehouse ready: {url.redacted()}")
    return 0


def _cmd_dbt_parse(args: argparse.Namespace) -> int:
    from ioc_pipeline.runner.dag_runs import dbt_parse
    from ioc_pipeline.warehouse.locate import locate

    dbt_parse(locate())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ioc_pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="extract, load, build and check one interval [from, to)")
    run.add_argument("--from", dest="interval_from", type=_date, required=True)
    run.add_argument("--to", dest="interval_to", type=_date, required=True)
    run.add_argument("--as-of", dest="as_of", type=_date, default=None,
                     help="the day 'now' means for open dossiers (default: --to)")
    run.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                     help="if another run holds the warehouse, wait up to SECONDS for it (default: refuse "
                          "at once, exit code 3)")
    run.set_defaults(func=_cmd_run)
    sub.add_parser("simulate", help="serve the simulated sources (`simulate --help` lists its options)",
                   add_help=False)
    sub.add_parser("bootstrap", help="create or update the warehouse").set_defaults(func=_cmd_bootstrap)
    sub.add_parser("dbt-parse", help="write the dbt manifest").set_defaults(func=_cmd_dbt_parse)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.update(config.QUIET_ENV)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["simulate"]:
        return _simulate(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)
