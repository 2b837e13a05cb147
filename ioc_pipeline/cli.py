"""`python -m ioc_pipeline <command>`: the pipeline without the Airflow UI.

- `run --from D --to D [--as-of D]`: the contract's run command (docs/contracts/run.md); sources
  left unconfigured are served by the simulator (`demo_sources`).
- `simulate`: the source simulator in the foreground (both APIs on loopback), the same as
  `python -m ioc_simulator`.
- `bootstrap`: create or update the warehouse's schemas, roles and raw tables.
- `dbt-parse`: write the dbt manifest the build DAG is rendered from.
- `check-feeds [--dir DIR] [--declare]`: check every sector feed declaration (feeds/*.yml), print
  each problem; `--declare` also writes the valid ones to `raw.sector_feed_declaration`.
- `create-login NAME --role ioc_reader|auditor [--password-stdin]`: a login for the BI tool or an
  auditor that inherits the reader role (`warehouse/logins.py`); the password is typed at a prompt
  or read from standard input, never given as an argument.
- `publish-marts [--run-label L] [--wait S]`: publish into `marts` the set a build left in
  `marts_build` once its checks passed (`warehouse/publish.py`), e.g. after a publication gave up
  because a BI query held a mart too long.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path
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


def _read_password(from_stdin: bool) -> str | None:
    """The password from the first line of standard input, or typed twice at a prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass("Password for the new login: ")
    return first if getpass.getpass("Again: ") == first else ""


def _cmd_create_login(args: argparse.Namespace) -> int:
    from ioc_pipeline.warehouse.locate import locate
    from ioc_pipeline.warehouse.logins import READER_ROLES, LoginError, create_login

    prog = "python -m ioc_pipeline create-login"
    password = _read_password(args.password_stdin)
    if password is None:
        print(f"{prog}: no terminal to ask for the password: pipe it in with --password-stdin", file=sys.stderr)
        return 2
    if not password:
        print(f"{prog}: the two passwords differ or are empty", file=sys.stderr)
        return 2
    import psycopg

    url = locate()
    try:
        result = create_login(url.url, args.name, args.role, password)
    except LoginError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    except psycopg.OperationalError as error:
        print(f"{prog}: cannot reach the warehouse {url.redacted()}: {error}", file=sys.stderr)
        return 1
    verb = "created" if result.created else "updated"
    print(f"login {result.name} {verb}: inherits {result.role} (reads schema(s) "
          f"{', '.join(READER_ROLES[result.role])}; read-only; time zone {config.VN_TZ})"
          + (f"; no longer a member of {', '.join(result.revoked)}" if result.revoked else ""))
    print(f"connect: host={url.host} port={url.port} dbname={url.database} user={result.name} "
          "(the server's pg_hba.conf must allow it a password login)")
    return 0


def _cmd_check_feeds(args: argparse.Namespace) -> int:
    from ioc_pipeline.feeds.spec import check_feeds, feed_files

    folder = args.dir or config.sector_feeds_dir()
    feeds, errors = check_feeds(folder)
    for feed in feeds:
        print(f"ok  {feed.name}: {feed.sector}, owner {feed.owner_agency}, {feed.format} from "
              f"{feed.source.kind}, {feed.cadence}, fresh within {feed.freshness_sla_hours} h")
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    print(f"{len(feed_files(folder))} declaration file(s) in {folder}: {len(feeds)} valid, {len(errors)} invalid")
    if errors:
        return 1
    if args.declare:
        from ioc_pipeline.tasks.sector_feeds import sync_declarations
        from ioc_pipeline.warehouse.locate import locate

        changed = sync_declarations(locate().url, feeds)
        print(f"raw.sector_feed_declaration: {changed} row(s) changed")
    return 0


def _cmd_publish_marts(args: argparse.Namespace) -> int:
    from ioc_pipeline.runner.run import new_run_label
    from ioc_pipeline.warehouse.bootstrap import bootstrap
    from ioc_pipeline.warehouse.locate import WarehouseError, locate_checked
    from ioc_pipeline.warehouse.lock import LockBusy, run_lock
    from ioc_pipeline.warehouse.publish import PublishFailed, PublishRefused, latest_checked_run, publish_marts

    prog = "python -m ioc_pipeline publish-marts"
    try:
        warehouse = locate_checked(create=False)
    except WarehouseError as problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        return 2
    label = args.run_label or latest_checked_run(warehouse.url)
    if not label:
        print(f"{prog}: no checked build to publish (dq.validation_run is empty); give --run-label", file=sys.stderr)
        return 2
    try:
        # Not while a run command builds: it holds the warehouse lock for its whole run.
        with run_lock(warehouse, f"publish-marts-{new_run_label()}", wait_seconds=args.wait):
            bootstrap(warehouse)  # a warehouse bootstrapped before publication existed gets audit.marts_publication
            pub = publish_marts(warehouse.url, label, wait_seconds=max(args.wait, 1.0))
    except LockBusy as busy:
        print(f"{prog}: {busy}", file=sys.stderr)
        return 3
    except (PublishRefused, PublishFailed) as problem:
        print(f"{prog}: run {label}: {problem}", file=sys.stderr)
        return 1
    if pub.already:
        print(f"run {label} is already published (audit.marts_publication {pub.publication_id}): nothing changed")
    else:
        print(f"published {len(pub.marts)} marts of run {label} into schema marts "
              f"(audit.marts_publication {pub.publication_id}): {', '.join(pub.marts)}")
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
    feeds = sub.add_parser("check-feeds", help="check the sector feed declarations (feeds/*.yml)")
    feeds.add_argument("--dir", type=Path, default=None,
                       help="the declarations' folder (default: config.sector_feeds_dir(), feeds/)")
    feeds.add_argument("--declare", action="store_true",
                       help="also write the valid declarations to raw.sector_feed_declaration")
    feeds.set_defaults(func=_cmd_check_feeds)
    login = sub.add_parser("create-login", help="create or update a login for the BI tool or an auditor",
                           description="A login that inherits ioc_reader (the BI tool: schema marts) or "
                                       "auditor (marts, dq, audit). Idempotent: again = new password, role, "
                                       "defaults. The password is never an argument.")
    login.add_argument("name", help="the login's name (lower case, e.g. ioc_bi)")
    login.add_argument("--role", required=True, choices=("ioc_reader", "auditor"))
    login.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input (else: prompt)")
    login.set_defaults(func=_cmd_create_login)
    publish = sub.add_parser(
        "publish-marts", help="publish the checked marts a build left in marts_build",
        description="Move every mart from marts_build into marts in one transaction, if the build of the "
                    "run passed (its dbt nodes and data-quality checks) and the set is complete; else the "
                    "previous marts stay and the reason is printed (exit code 1). Recorded in "
                    "audit.marts_publication.")
    publish.add_argument("--run-label", default=None,
                         help="the run whose build to publish (default: the latest run checked by the "
                              "data-quality checkpoint)")
    publish.add_argument("--wait", type=float, default=60, metavar="SECONDS",
                         help="wait up to SECONDS for a run holding the warehouse and for readers holding a "
                              "mart (default 60)")
    publish.set_defaults(func=_cmd_publish_marts)
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
