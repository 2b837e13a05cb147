"""Run the simulated source systems in the foreground (for the demo and manual exploration).

Prints the two Airflow connection URIs as `AIRFLOW_CONN_*=...` lines (flushed at once, so a parent
process can read them), then serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date, datetime

from .server import SimulatorServer


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sim = SimulatorServer(
        seed=args.seed, start=args.start, end=args.end, as_of=args.as_of,
        api_key=args.api_key, client_id=args.client_id, client_secret=args.client_secret,
        host=args.host, dossier_port=args.dossier_port, portal_port=args.portal_port,
    )
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
    print(f"serving {len(sim.records)} dossiers (seed {args.seed}); Ctrl-C to stop", file=sys.stderr, flush=True)
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
