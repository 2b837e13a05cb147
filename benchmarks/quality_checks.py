"""What the data-quality checks add to a run at N dossiers, and that per-batch raw checks do not grow
with history. Prints figures; not a test.

    .venv/bin/python benchmarks/quality_checks.py [--rows 1000000] [--batch 12000] [--keep] [--database NAME]
        [--raw-only]

Makes its own database `ioc_dqbench_<random>` (dropped unless `--keep`), bootstraps it, loads the
generator's 12 agencies and then, through `raw_loader.load_batch`:

1. a first batch of `--batch` dossiers on an empty raw table, and times the raw dossier suite over
   it (`run_raw_checks`: history = that batch alone);
2. N more dossiers (one batch: the history), then another batch of `--batch` new dossiers (the next
   simulated day), and times the raw suite over that last batch (history = N + 2 batches); the
   per-batch check must cost about the same as in 1;
3. for comparison, the same suite over every dossier batch (what a whole-table check would read);
4. `dbt build --full-refresh` (setup, not timed as part of the checks), then `run_mart_checks`: every
   mart suite and both reconciliation suites with Data Docs, as `check_data_quality` runs them.

Every figure is one wall-clock measure on a shared 2-CPU machine: read them as orders of magnitude.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import dbt_build as dbtbench  # noqa: E402
from benchmarks import load_dossiers as gen  # noqa: E402
from ioc_pipeline import config  # noqa: E402
from ioc_pipeline.loading.entities import DEPARTMENT, DOSSIER  # noqa: E402
from ioc_pipeline.loading.raw_loader import load_batch  # noqa: E402
from ioc_pipeline.quality.layers import run_mart_checks, run_raw_checks  # noqa: E402
from ioc_pipeline.warehouse.bootstrap import bootstrap  # noqa: E402
from ioc_pipeline.warehouse.locate import ensure_database, locate  # noqa: E402


def timed(label: str, fn, figures: list):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    figures.append((label, seconds))
    print(f"  {label}: {seconds:.1f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=12_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", help="reuse a kept database of this script")
    parser.add_argument("--raw-only", action="store_true", help="stop after the raw checks (no dbt build)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    server = locate()
    url = server.with_database(args.database or f"ioc_dqbench_{secrets.token_hex(4)}")
    work = Path(tempfile.mkdtemp(prefix="ioc_dqbench_"))
    os.environ.setdefault(config.GX_ROOT_ENV, str(work / "gx"))
    os.environ.setdefault(config.DATA_DOCS_DIR_ENV, str(work / "data_docs"))
    figures: list[tuple[str, float]] = []
    print(f"database {url.redacted()}, {args.rows:,} dossiers, batches of {args.batch:,}", flush=True)

    def raw(ids):
        results = run_raw_checks(url.url, "one_stop_shop", "dossier", ids, run_label="benchmark")
        return [r.status for r in results]

    try:
        ensure_database(url)
        bootstrap(url)
        with psycopg.connect(url.url) as conn:
            batches = [b for (b,) in conn.execute(
                "select batch_id from audit.load_batch where entity = 'dossier' order by batch_id")]
        if not batches:
            load_batch(url.url, DEPARTMENT, dbtbench.departments(), gen.PII_KEY, run_label="benchmark")
            first = load_batch(url.url, DOSSIER, gen.generate_dossiers(args.batch, args.seed + 1), gen.PII_KEY)
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("vacuum analyze raw.one_stop_shop__dossier")
            timed("warm-up (GX import and first context)", lambda: raw([first.batch_id]), figures)
            timed(f"raw dossier suite, first batch ({args.batch:,} rows; raw holds only them)",
                  lambda: raw([first.batch_id]), figures)
            history = timed(f"setup: load {args.rows:,} dossiers (history)", lambda: load_batch(
                url.url, DOSSIER, gen.generate_dossiers(args.rows, args.seed), gen.PII_KEY), figures)
            last = load_batch(url.url, DOSSIER, dbtbench.day_batch(args.rows, args.seed, 1), gen.PII_KEY)
            batches = [first.batch_id, history.batch_id, last.batch_id]
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("vacuum analyze raw.one_stop_shop__dossier")
        first_id, last_id = batches[0], batches[-1]
        with psycopg.connect(url.url) as conn:
            sizes = dict(conn.execute("select batch_id, count(*) from raw.one_stop_shop__dossier "
                                      "group by 1").fetchall())
            total = sum(sizes.values())
        print(f"  batches {sizes}; raw holds {total:,} versions", flush=True)

        # The first batch again, now that history holds everything: same rows, bigger table.
        timed(f"raw dossier suite, first batch again ({sizes[first_id]:,} rows; raw holds {total:,})",
              lambda: raw([first_id]), figures)
        timed(f"raw dossier suite, last batch ({sizes[last_id]:,} rows; raw holds {total:,})",
              lambda: raw([last_id]), figures)
        timed(f"raw dossier suite over every batch ({total:,} rows: a whole-table check)",
              lambda: raw(batches), figures)

        if args.raw_only:
            for label, seconds in figures:
                print(f"| {label} | {seconds:.1f} |")
            return 0
        env = {**os.environ, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
        with psycopg.connect(url.url) as conn:
            built = conn.execute("select to_regclass('marts.fct_dossier') is not null").fetchone()[0]
        if not built:
            timed("setup: dbt build --full-refresh", lambda: subprocess.run(
                [str(Path(sys.executable).parent / "dbt"), "build", "--full-refresh", "--project-dir",
                 str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path",
                 str(work / "target"), "--log-path", str(work / "logs"), "--vars", "{as_of_date: 2025-06-30}"],
                env=env, capture_output=True, text=True, cwd=config.DBT_PROJECT_DIR), figures)
        timed("mart + reconciliation suites (warm-up of the File Data Context)",
              lambda: run_mart_checks(url.url, run_label="benchmark-warmup"), figures)
        results = timed("mart + reconciliation suites, as check_data_quality runs them",
                        lambda: run_mart_checks(url.url, run_label="benchmark"), figures)
        print(f"  statuses: { {r.suite_name: r.status for r in results} }")
        print()
        for label, seconds in figures:
            print(f"| {label} | {seconds:.1f} |")
        return 0
    finally:
        if args.keep or args.database:
            print(f"kept database {url.database}; work files in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            with psycopg.connect(server.with_database("postgres").url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{url.database}" with (force)')


if __name__ == "__main__":
    sys.exit(main())
