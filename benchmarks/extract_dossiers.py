"""How fast dossiers go from the source API over HTTP into raw. Prints figures; not a test.

    .venv/bin/python benchmarks/extract_dossiers.py [--rows 1000000] [--by year|quarter|month]
        [--page-size 1000] [--seed 2024] [--keep] [--no-prefetch]

1. Starts the simulator in a separate process (`python -m ioc_pipeline simulate --dossiers N --from
   2024-01-01 --to 2025-01-01` on free loopback ports, streaming mode), reads its
   `AIRFLOW_CONN_ONE_STOP_SHOP=...` line, so the source's CPU is not this process's CPU.
2. Makes its own database `ioc_bench_<random>` on the server `locate()` finds, bootstraps it (dropped at
   the end unless `--keep`).
3. In this process, times `extract_dossiers` (the function the DAG task calls: paging client with
   retries + `load_batch`) over the whole period, page_size 1000, as one interval (`--by year`, the
   default) or interval after interval (`--by quarter|month`, as a catch-up would). Reports rows/s end
   to end, the time spent waiting for the source (HTTP + JSON decoding, measured around the record
   iterator) and the rest (validation, hashing, COPY, insert), the time to the first page (the
   simulator generates a window's records on its first page request), the CPU seconds of this process
   and of the simulator from the first record on, the peak RSS of this process (`ru_maxrss`) and of
   the simulator process (`VmHWM`). The client prefetches pages (a background thread, see
   `OneStopShopClient`) unless `--no-prefetch`.
4. Side by side, in the same run: PostgreSQL's own `\\copy` (psql) of the same rows (raw's loaded
   columns, dumped to a COPY text file after the extraction) into a logged table shaped like raw, and
   the ratio of the extraction's rate from the first record on to it. Every figure carries the load
   average: the machine is shared, compare within a run.

Why one window by default: the streaming simulator generates, for a window [lo, hi), every submission
day from lo − 250 days (a dossier's longest life) to hi, so month windows make it regenerate up to
eight months per month (about 6.5 million records generated for 1 million served); one year-long
window generates each day once. Its first page then takes minutes to come, so the client's read
timeout is raised to 900 s for this benchmark (`RetryPolicy(timeout=...)`; production keeps 60 s and
nightly windows of a day).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from ioc_pipeline.config import VN  # noqa: E402
from ioc_pipeline.loading import raw_loader  # noqa: E402
from ioc_pipeline.tasks.dossiers import extract_dossiers  # noqa: E402
from ioc_pipeline.sources.http import HttpEndpoint, RetryPolicy  # noqa: E402
from ioc_pipeline.sources.one_stop_shop import OneStopShopClient  # noqa: E402
from ioc_pipeline.warehouse.bootstrap import bootstrap  # noqa: E402
from ioc_pipeline.warehouse.locate import ensure_database, locate  # noqa: E402

FIRST_DAY, END_DAY = date(2024, 1, 1), date(2025, 1, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def run_psql(url: str, *commands: str) -> None:
    args = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for command in commands:
        args += ["-c", command]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def intervals(by: str) -> list[tuple[datetime, datetime]]:
    bounds = [FIRST_DAY]
    step = {"year": 12, "quarter": 3, "month": 1}[by]
    while bounds[-1] < END_DAY:
        d = bounds[-1]
        month = d.month - 1 + step
        bounds.append(date(d.year + month // 12, month % 12 + 1, 1))
    moments = [datetime.combine(d, datetime.min.time(), VN) for d in bounds]
    # The simulator's "now" is END_DAY 00:00; reach one day further so nothing changed at that moment is cut off.
    moments[-1] += timedelta(days=1)
    return list(zip(moments, moments[1:]))


class TimedSource:
    """Wraps `OneStopShopClient.dossiers` to measure the time spent waiting for the source."""

    def __init__(self, simulator_pid: int | None = None):
        self.wait = 0.0
        self.first_record_after: float | None = None
        self.simulator_pid = simulator_pid
        self.cpu_at_first_record: tuple[float, float | None] | None = None  # (this process, simulator)
        self._original = OneStopShopClient.dossiers

    def install(self) -> None:
        timer, original = self, self._original

        def dossiers(client, updated_from, updated_to):
            started = time.perf_counter()
            iterator = original(client, updated_from, updated_to)
            while True:
                t0 = time.perf_counter()
                try:
                    record = next(iterator)
                except StopIteration:
                    timer.wait += time.perf_counter() - t0
                    return
                now = time.perf_counter()
                timer.wait += now - t0
                if timer.first_record_after is None:
                    timer.first_record_after = now - started
                    if timer.cpu_at_first_record is None:
                        timer.cpu_at_first_record = (own_cpu(), process_cpu(timer.simulator_pid or 0))
                yield record

        OneStopShopClient.dossiers = dossiers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--by", choices=("year", "quarter", "month"), default="year")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=900.0, help="client read timeout, seconds")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--no-prefetch", action="store_true",
                        help="the client fetches each page when the loader asks for it (as before prefetching)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    dossier_port, portal_port = free_port(), free_port()
    command = [sys.executable, "-m", "ioc_pipeline", "simulate", "--dossiers", str(args.rows),
               "--from", FIRST_DAY.isoformat(), "--to", END_DAY.isoformat(), "--seed", str(args.seed),
               "--dossier-port", str(dossier_port), "--portal-port", str(portal_port)]
    print("simulator:", " ".join(command[1:]), flush=True)
    simulator = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    server = locate()
    url = server.with_database(f"ioc_bench_{secrets.token_hex(4)}")
    try:
        first_line = simulator.stdout.readline().strip()
        if not first_line.startswith("AIRFLOW_CONN_ONE_STOP_SHOP="):
            raise SystemExit(f"simulator did not start: {first_line!r}")
        endpoint = HttpEndpoint.from_uri(first_line.partition("=")[2])
        ensure_database(url)
        bootstrap(url)
        with psycopg.connect(url.url) as conn:
            pg_version = conn.execute("select version()").fetchone()[0]
        policy = RetryPolicy(timeout=args.timeout)
        timer = TimedSource(simulator.pid)
        timer.install()
        rss_before = peak_rss_mib()
        print(f"database {url.redacted()}, {args.rows:,} dossiers expected, by {args.by}, "
              f"page_size {args.page_size}, peak RSS before {rss_before:.0f} MiB", flush=True)
        received = loaded = 0
        started = time.perf_counter()
        first_pages = []
        for lo, hi in intervals(args.by):
            timer.first_record_after = None
            t0 = time.perf_counter()
            result = extract_dossiers(url.url, endpoint, lo, hi, page_size=args.page_size, policy=policy,
                                      run_label="benchmark", prefetch=not args.no_prefetch)
            seconds = time.perf_counter() - t0
            if result.status != "success":
                raise SystemExit(f"batch {lo:%Y-%m-%d}..{hi:%Y-%m-%d} failed: {result.error}")
            first_pages.append(timer.first_record_after or 0.0)
            received += result.counts.received
            loaded += result.counts.loaded
            print(f"  {lo:%Y-%m-%d}..{hi:%Y-%m-%d}: received {result.counts.received:,}, loaded "
                  f"{result.counts.loaded:,}, duplicate {result.counts.duplicate:,} in {seconds:.1f} s "
                  f"(first page after {timer.first_record_after or 0:.1f} s); peak RSS {peak_rss_mib():.0f} MiB, "
                  f"simulator {child_hwm_mib(simulator.pid) or 0:.0f} MiB", flush=True)
        total = time.perf_counter() - started
        cpu_end = (own_cpu(), process_cpu(simulator.pid))
        rss_after = peak_rss_mib()
        sim_hwm = child_hwm_mib(simulator.pid)
        with psycopg.connect(url.url) as conn:
            in_raw = conn.execute("select count(*) from raw.one_stop_shop__dossier").fetchone()[0]
            size = conn.execute("select pg_total_relation_size('raw.one_stop_shop__dossier')").fetchone()[0]
        first_wait = sum(first_pages)
        paging = total - first_wait
        load_after = load_average()

        # psql's \copy of the same rows, into a raw-shaped table
        workdir = Path(tempfile.mkdtemp(prefix="ioc_bench_"))
        try:
            data_file = workdir / "dossiers.copy"
            columns = "dossier_code, source_updated_at, applicant_key, record_hash, payload"
            run_psql(url.url, f"\\copy (select {columns} from raw.one_stop_shop__dossier) to '{data_file}'")
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("create schema bench")
                conn.execute("create table bench.copy_target (like raw.one_stop_shop__dossier including all)")
                conn.execute("alter table bench.copy_target alter column batch_id set default 0, "
                             "alter column received_at set default now()")
                conn.execute("checkpoint")
            t0 = time.perf_counter()
            run_psql(url.url, f"\\copy bench.copy_target ({columns}) from '{data_file}'")
            copy_seconds = time.perf_counter() - t0
            load_copy = load_average()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        print()
        print(f"Extraction over HTTP — {args.rows:,} dossiers expected, {received:,} received, {loaded:,} loaded, "
              f"{in_raw:,} in raw; {os.cpu_count()} CPUs; {pg_version.split(',')[0]}")
        print(f"- end to end: {total:.1f} s = {received / total:,.0f} rows/s "
              f"({len(first_pages)} interval(s), page_size {args.page_size}) [{load_after}]")
        print(f"- waiting for the first page of each interval (simulator generating its window): {first_wait:.1f} s")
        print(f"- from the first record on: {paging:.1f} s = {received / paging:,.0f} rows/s")
        print(f"- side by side: psql \\copy of the same {in_raw:,} rows into a raw-shaped table (PK + index): "
              f"{copy_seconds:.1f} s = {in_raw / copy_seconds:,.0f} rows/s [{load_copy}]; extraction from the "
              f"first record on / \\copy = {(received / paging) / (in_raw / copy_seconds):.2f}×")
        print(f"- of the whole, the loader waiting on the source iterator (incl. first pages; without "
              f"prefetching: HTTP, the simulator's JSON encoding, client JSON decoding; with it, only what "
              f"the fetching thread had not got ready): {timer.wait:.1f} s; loader's own work (hash, validate, "
              f"COPY, insert): {total - timer.wait:.1f} s")
        if timer.cpu_at_first_record and None not in timer.cpu_at_first_record + cpu_end:
            (own0, sim0), (own1, sim1) = timer.cpu_at_first_record, cpu_end
            print(f"- CPU from the first record on (first interval's): this process {own1 - own0:.1f} s, "
                  f"simulator {sim1 - sim0:.1f} s ({(sim1 - sim0) / max(received, 1) * 1e6:.1f} ms per 1000 "
                  f"records); before it, simulator {sim0:.1f} s")
        print(f"- peak RSS of this (extracting) process: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after")
        print(f"- peak RSS of the simulator process (VmHWM): {sim_hwm or 0:.0f} MiB")
        print(f"- raw.one_stop_shop__dossier: {size / 2**20:,.0f} MiB with indexes")
        _ = raw_loader  # the loader used is the package's own, unchanged
    finally:
        if simulator.poll() is None:
            simulator.send_signal(signal.SIGTERM)
            try:
                simulator.wait(timeout=20)
            except subprocess.TimeoutExpired:
                simulator.kill()
        if args.keep:
            print(f"kept database {url.database}")
        else:
            with psycopg.connect(server.with_database("postgres").url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{url.database}" with (force)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
