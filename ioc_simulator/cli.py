"""Run the simulated source systems in the foreground (for the demo, benchmarks and exploration).

One command: serves both HTTP APIs on loopback, optionally fills the operators' inbox (`--inbox`)
and writes the ground truth (`--truth`). Prints the two Airflow connection URIs as
`AIRFLOW_CONN_*=...` lines (flushed at once, so a parent process can read them), then
`OPERATOR_REPORTS_INBOX=...` when an inbox was filled, then serves until Ctrl-C or SIGTERM.

    python -m ioc_pipeline simulate [--from 2024-07-01 --to 2025-01-01 --as-of ... --seed 2024]
        [--scale 800 | --dossiers 1000000] [--inbox DIR] [--sector-drop DIR] [--truth DIR]
        [--fail-request N:STATUS ...] [--retry-after N:SECONDS ...] [--slow SECONDS]
        [--slow-request N:SECONDS ...] [--duplicate-across-pages] [--change-during-paging K]
        [--unreadable-dates K] [--missing-key K] [--unknown-agency K] [--unknown-procedure K]
        [--extra-field] [--token-expires-after SECONDS]
        [--truncated-workbook OPERATOR:YYYYMM ...] [--renamed-sheet OPERATOR:YYYYMM ...]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date, datetime

from pathlib import Path

from .dossiers import DEFAULT_SCALE, scale_for_total
from .faults import Faults
from .server import SimulatorServer
from .truth import world_truth


def _pair(kind):
    def parse(text: str):
        left, _, right = text.partition(":")
        return int(left), kind(right)
    return parse


def _operator_month(text: str) -> tuple[str, str]:
    operator, _, month = text.partition(":")
    return operator, month


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _moment(text: str) -> datetime:
    """YYYY-MM-DD (midnight, local) or an ISO 8601 timestamp (naive = local)."""
    return datetime.fromisoformat(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ioc_pipeline simulate", description="Serve the simulated dossier API and public-service portal."
    )
    parser.add_argument("--dossier-port", type=int, default=8601, help="port of the dossier API (default 8601)")
    parser.add_argument("--portal-port", type=int, default=8602, help="port of the portal API (default 8602)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--from", dest="start", type=_day, default=date(2024, 7, 1),
                        help="first submission day, YYYY-MM-DD (default 2024-07-01)")
    parser.add_argument("--to", dest="end", type=_day, default=date(2025, 1, 1),
                        help="submission days end before this day (default 2025-01-01)")
    parser.add_argument("--as-of", dest="as_of", type=_moment, default=None,
                        help="moment whose state is served, local time (default: --to at 00:00)")
    parser.add_argument("--api-key", default="sim-key")
    parser.add_argument("--client-id", default="sim-client")
    parser.add_argument("--client-secret", default="sim-secret")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--scale", type=float, default=None,
                      help=f"expected dossiers per year, province-wide (default {DEFAULT_SCALE})")
    size.add_argument("--dossiers", type=int, default=None,
                      help="expected total number of dossiers submitted in [--from, --to) instead")
    parser.add_argument("--inbox", type=Path, default=None, help="fill this operators' inbox folder")
    parser.add_argument("--sector-drop", type=Path, default=None,
                        help="fill this folder with the example health feed's daily CSV files (feeds/health_facility_beds.yml)")
    parser.add_argument("--truth", type=Path, default=None, help="write the ground truth into this folder")
    faults = parser.add_argument_group("faults (all off by default)")
    faults.add_argument("--fail-request", action="append", type=_pair(int), default=[], metavar="N:STATUS")
    faults.add_argument("--retry-after", action="append", type=_pair(int), default=[], metavar="N:SECONDS")
    faults.add_argument("--slow", type=float, default=0.0, metavar="SECONDS", help="delay every reply")
    faults.add_argument("--slow-request", action="append", type=_pair(float), default=[], metavar="N:SECONDS")
    faults.add_argument("--duplicate-across-pages", action="store_true")
    faults.add_argument("--change-during-paging", type=int, default=0, metavar="K")
    faults.add_argument("--unreadable-dates", type=int, default=0, metavar="K")
    faults.add_argument("--missing-key", type=int, default=0, metavar="K")
    faults.add_argument("--unknown-agency", type=int, default=0, metavar="K")
    faults.add_argument("--unknown-procedure", type=int, default=0, metavar="K")
    faults.add_argument("--extra-field", action="store_true")
    faults.add_argument("--token-expires-after", type=float, default=None, metavar="SECONDS")
    faults.add_argument("--truncated-workbook", action="append", type=_operator_month, default=[],
                        metavar="OPERATOR:YYYYMM")
    faults.add_argument("--renamed-sheet", action="append", type=_operator_month, default=[],
                        metavar="OPERATOR:YYYYMM")
    return parser


def faults_from(args) -> Faults:
    return Faults(
        status_on_request=dict(args.fail_request), retry_after_on_request=dict(args.retry_after),
        slow_reply_seconds=args.slow, slow_on_request=dict(args.slow_request),
        duplicate_across_pages=args.duplicate_across_pages, change_during_paging=args.change_during_paging,
        unreadable_dates=args.unreadable_dates, missing_key=args.missing_key,
        unknown_agency_codes=args.unknown_agency, unknown_procedure_codes=args.unknown_procedure,
        extra_field=args.extra_field, token_expires_after=args.token_expires_after,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.dossiers is not None:
        scale = scale_for_total(args.dossiers, args.start, args.end)
    else:
        scale = args.scale if args.scale is not None else DEFAULT_SCALE
    try:
        sim = SimulatorServer(
            seed=args.seed, start=args.start, end=args.end, as_of=args.as_of,
            api_key=args.api_key, client_id=args.client_id, client_secret=args.client_secret,
            host=args.host, dossier_port=args.dossier_port, portal_port=args.portal_port,
            faults=faults_from(args), scale=scale,
        )
    except ValueError as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    try:
        sim.start()
    except OSError as exc:
        print(f"cannot bind the simulator ports: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    try:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    except ValueError:  # not the main thread: only Ctrl-C / the caller can stop us
        pass
    print(f"AIRFLOW_CONN_ONE_STOP_SHOP={sim.dossier_conn_uri}", flush=True)
    print(f"AIRFLOW_CONN_DVC_PORTAL={sim.portal_conn_uri}", flush=True)
    as_of = args.as_of
    if as_of is not None and as_of.tzinfo is None:
        from zoneinfo import ZoneInfo

        as_of = as_of.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    if args.inbox is not None:
        from .operators import OperatorFaults, fill_inbox, months_between

        operator_faults = OperatorFaults.of(truncated=args.truncated_workbook, renamed_sheet=args.renamed_sheet)
        files = fill_inbox(args.inbox, months=months_between(args.start, args.end), faults=operator_faults,
                           seed=args.seed, as_of=as_of)
        print(f"OPERATOR_REPORTS_INBOX={args.inbox.resolve()}", flush=True)
        print(f"dropped {len(files)} operator workbooks into {args.inbox}", file=sys.stderr, flush=True)
    # The example sector feeds (feeds/*.yml, ioc_simulator/sector_feeds.py): the air-quality feed is
    # served by the dossier server; the health feed's files are dropped into --sector-drop.
    print(f"SECTOR_FEED_SIMULATOR_URL={sim.dossier_url}", flush=True)
    if args.sector_drop is not None:
        from .sector_feeds import fill_health_facility_drop

        files = fill_health_facility_drop(args.sector_drop / "health", args.seed, args.start, args.end)
        print(f"SECTOR_FEED_DROP_DIR={args.sector_drop.resolve()}", flush=True)
        print(f"dropped {len(files)} health facility files into {args.sector_drop / 'health'}", file=sys.stderr,
              flush=True)
    if args.truth is not None:
        # The world's truth (record faults are damage in transit, not facts of the world).
        delivered = []
        if args.inbox is not None:
            from .operators import OperatorFaults, delivered_files, months_between

            delivered = delivered_files(months=months_between(args.start, args.end), seed=args.seed, as_of=as_of,
                                        faults=OperatorFaults.of(truncated=args.truncated_workbook,
                                                                 renamed_sheet=args.renamed_sheet))
        world_truth(args.seed, args.start, args.end, args.as_of, scale, deliveries=delivered).write(args.truth)
        print(f"ground truth written to {args.truth}", file=sys.stderr, flush=True)
    size = f"{len(sim.records)} dossiers" if sim.records is not None else f"scale {scale:.0f}/year, streaming"
    print(f"serving {size} (seed {args.seed}); Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
