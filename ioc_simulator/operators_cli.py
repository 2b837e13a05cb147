"""Fill an operator-reports inbox with the simulator's workbooks (the default source when
OPERATOR_REPORTS_INBOX is unset, and a manual tool).

    python -m ioc_simulator.operators_cli --inbox DIR [--from 2024-07-01 --to 2025-01-01]
        [--as-of 2024-10-10T00:00] [--stations N] [--corrected viettel:202409] [--truncated vnpt:202410]
        [--renamed-sheet ...] [--unknown-district ...] [--unrelated-bad-cells ...] [--formula-latitude ...]
        [--stale-mtime ...] [--correction-delay-days D]

Any span works (e.g. `--from 2024-01-01 --to 2026-12-01`: one workbook per operator and report month
starting in it); report months from July 2025 name the new commune-level units (`operators.py`).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from pathlib import Path

from ioc_simulator.operators import VN, DeliveredFile, OperatorFaults, fill_inbox, months_between

DEFAULT_INBOX = Path(".run") / "operator_inbox"
KNOBS = ("corrected", "truncated", "renamed_sheet", "unknown_district", "unrelated_bad_cells", "formula_latitude",
         "stale_mtime")


def fill_default_inbox(interval_from: date, interval_to: date, folder: Path | None = None,
                       seed: int = 2024) -> tuple[Path, list[DeliveredFile]]:
    """The workbooks of every report month starting in [interval_from, interval_to), dropped into
    `folder` (default `.run/operator_inbox/`); idempotent: a re-fill writes the same bytes."""
    folder = Path(folder or DEFAULT_INBOX)
    return folder, fill_inbox(folder, months=months_between(interval_from, interval_to), seed=seed)


def _fault(text: str) -> tuple[str, str]:
    operator, month = text.split(":")
    return operator, month


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="operators_cli", description="Drop simulated operator workbooks.")
    parser.add_argument("--inbox", type=Path, default=DEFAULT_INBOX)
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=date(2024, 7, 1))
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--as-of", dest="as_of", type=datetime.fromisoformat, default=None,
                        help="only files arrived by then (naive = Vietnam time)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--stations", type=int, default=None,
                        help="stations per operator (default: 260 Viettel, 180 VNPT)")
    for knob in KNOBS:
        parser.add_argument(f"--{knob.replace('_', '-')}", action="append", type=_fault, default=[],
                            metavar="OPERATOR:YYYYMM")
    parser.add_argument("--correction-delay-days", type=float, default=None,
                        help="days between a workbook and its correction (default 8.125)")
    args = parser.parse_args(argv)
    delay = timedelta(days=args.correction_delay_days) if args.correction_delay_days is not None else None
    faults = OperatorFaults.of(correction_delay=delay, **{k: getattr(args, k) for k in KNOBS})
    as_of = args.as_of
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=VN)
    for f in fill_inbox(args.inbox, months=months_between(args.start, args.end), faults=faults, seed=args.seed,
                        stations=args.stations, as_of=as_of):
        print(f"{f.path}  arrived {f.arrived_at:%Y-%m-%d %H:%M}  {'on time' if f.on_time else 'LATE'}"
              f"  v{f.version}{'  ' + f.fault if f.fault else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
