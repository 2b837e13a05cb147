"""Benchmark of the source simulator's dossier generator: rows per second and peak memory.

    .venv/bin/python benchmarks/generate_dossiers.py --rows 1000000 [--from 2024-01-01 --to 2025-01-01]
        [--seed 2024] [--json]

Generates (and serialises to JSON, as the API would, then discards) about `--rows` dossiers over the
period, streaming day by day (`ioc_simulator.dossiers.iter_dossiers`): the scale is chosen so
that the expected total is `--rows`. Prints progress with the peak RSS so far (resource.getrusage),
which must stay flat as the count grows, then rows/s and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ioc_simulator.dossiers import iter_dossiers, scale_for_total  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    scale = scale_for_total(args.rows, args.start, args.end)
    rss_start = peak_rss_mb()
    started = time.perf_counter()
    rows, size, checkpoints = 0, 0, []
    next_report = max(1, args.rows // 10)
    for record in iter_dossiers(args.seed, args.start, args.end, scale=scale):
        size += len(json.dumps(record, ensure_ascii=False))
        rows += 1
        if rows >= next_report:
            checkpoints.append((rows, round(peak_rss_mb(), 1)))
            print(f"  {rows:>10,} rows  {time.perf_counter() - started:7.1f} s  peak RSS {peak_rss_mb():7.1f} MB",
                  file=sys.stderr, flush=True)
            next_report += max(1, args.rows // 10)
    seconds = time.perf_counter() - started
    result = {"rows": rows, "seconds": round(seconds, 1), "rows_per_second": round(rows / seconds),
              "json_mb": round(size / 2**20, 1), "peak_rss_mb": round(peak_rss_mb(), 1),
              "rss_before_mb": round(rss_start, 1), "scale_per_year": round(scale),
              "period": f"{args.start}..{args.end}", "checkpoints": checkpoints}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{rows:,} dossiers in {seconds:.1f} s: {rows / seconds:,.0f} rows/s; "
              f"peak RSS {result['peak_rss_mb']} MB (before generating: {result['rss_before_mb']} MB); "
              f"{result['json_mb']} MB of JSON")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
