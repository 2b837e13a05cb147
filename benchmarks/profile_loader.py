"""Where `load_batch` spends its Python time on dossiers decoded from API pages: cProfile's top functions.

    .venv/bin/python benchmarks/profile_loader.py [--rows 100000] [--top 25] [--sort tottime]

Makes a throwaway database (dropped at the end), writes the records as API pages (not profiled), then
runs `load_batch(..., DOSSIER, ...)` under cProfile with the records decoded from the pages by orjson,
as the HTTP client does. cProfile sees the calling thread only: the writer thread (COPY, INSERT) is outside the profile,
which is the point: it shows the per-record work that holds the loading process's GIL. Figures under cProfile are slower than without; read the shares.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.load_dossiers import PII_KEY, api_pages, records_from_pages  # noqa: E402
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER  # noqa: E402
from ioc_pipeline.loading.raw_loader import load_batch  # noqa: E402
from ioc_pipeline.warehouse.bootstrap import bootstrap  # noqa: E402
from ioc_pipeline.warehouse.locate import ensure_database, locate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args(argv)
    server = locate()
    url = server.with_database(f"ioc_bench_{secrets.token_hex(4)}")
    workdir = Path(tempfile.mkdtemp(prefix="ioc_profile_"))
    try:
        ensure_database(url)
        bootstrap(url)
        pages_file = workdir / "pages.jsonl"
        with open(pages_file, "wb") as out:
            for page in api_pages(args.rows, args.seed):
                out.write(page + b"\n")
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        result = load_batch(url.url, DOSSIER, records_from_pages(pages_file), PII_KEY, run_label="profile")
        profile.disable()
        seconds = time.perf_counter() - start
        assert result.status == "success" and result.counts.loaded == args.rows, result
        print(f"load_batch from API pages, {args.rows:,} rows in {seconds:.2f} s under cProfile "
              f"({args.rows / seconds:,.0f} rows/s)")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        with psycopg.connect(server.with_database("postgres").url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{url.database}" with (force)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
