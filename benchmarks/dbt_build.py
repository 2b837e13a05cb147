"""How long `dbt build` takes on N dossiers: full refresh, then incremental after one simulated day.

    .venv/bin/python benchmarks/dbt_build.py [--rows 1000000] [--keep] [--seed 2024] [--database NAME]

Makes its own database `ioc_dbtbench_<random>` on the server `locate()` finds (dropped at the end
unless `--keep`), bootstraps it, loads the portal's department list (the 12 agencies of the
generator) and N generated dossiers (benchmarks/load_dossiers.py's streaming generator, through
`raw_loader.load_batch`), `vacuum analyze`s raw (what autovacuum does after a load), then times:

1. `dbt build --full-refresh` of the whole project (seeds, models, data tests, unit tests);
2. one simulated day: a batch of about N/365 changed dossiers (a new version of an open dossier:
   later NgayCapNhat, status moved on, finished ones with a finish time and a result) and N/365 new
   dossiers (submitted the day after the generated year), loaded through `load_batch`; then
   `dbt build` as the nightly DAG runs it: without the unit tests (`--exclude resource_type:unit_test`,
   CI runs them), incremental models merge only the dossiers with a new version, the data tests over raw
   read only the day's batch (var `test_since_batch` = the batch watermark before the day, what the DAG's
   `test_watermark` task passes), and those on the 1 M-row tables only the rows derived since a
   published build that started right after the full refresh (var `test_since_derived_at`; in
   production the last published build is the previous night's, so about one more day of rows);
3. `dbt build --select fct_dossier+` alone (the marts over the dossier chain);
4. `dbt build --full-refresh` again on the same data, and a checksum of every dossier mart after 2
   and after 4: the incremental build must give exactly what a full refresh gives.

Prints a table of wall times (the dbt process, start-up included) and the slowest nodes of each
build (run_results.json execution times). `--database NAME` reuses a kept database that already
holds the N dossiers (skips the first load); `--day K` makes a different simulated day.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from benchmarks import load_dossiers as gen  # noqa: E402
from ioc_pipeline.loading.entities import DEPARTMENT, DOSSIER  # noqa: E402
from ioc_pipeline.loading.raw_loader import load_batch  # noqa: E402
from ioc_pipeline.warehouse.bootstrap import bootstrap  # noqa: E402
from ioc_pipeline.warehouse.locate import ensure_database, locate  # noqa: E402
from ioc_pipeline.warehouse.dbt_test_watermark import current_through  # noqa: E402

# what the build DAG leaves out of its dbt commands (dags/ioc_build_marts.py NIGHTLY_EXCLUDE; a DAG file
# is not importable here without Airflow's parse, so the list is repeated and tests/dags checks the DAG's)
NIGHTLY_EXCLUDE = ["resource_type:unit_test"]
DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
AS_OF = "2025-06-30"
# the marts that read the dossier chain, compared between the incremental and the full-refresh build
DOSSIER_MARTS = {
    "fct_dossier": "dossier_code",
    "kpi_online_rate_monthly": "month, scope, scope_code",
    "kpi_timeliness_monthly": "month, scope, scope_code",
    "dossier_watchlist": "dossier_code",
    "kpi_fee_reduced_online_monthly": "month, scope, scope_code, procedure_group",
    "kpi_citizen_accounts_monthly": "month, scope, scope_code",
}
OPEN_NEXT = {2: 4, 4: 9, 5: 4, 6: 4}  # an open dossier's next status on the simulated day


def departments() -> list[dict]:
    """The generator's agencies as the portal lists them (one version each, in force since 2020)."""
    rows = []
    for i, code in enumerate(gen.AGENCIES):
        level = "TINH" if i < 6 else "HUYEN" if i < 10 else "XA"
        rows.append({"code": code, "name": f"Cơ quan {code}", "level": level, "parentCode": None,
                     "adminUnitCode": "77", "validFrom": "2020-01-01", "validTo": None})
    return rows


def _parse(text: str) -> tuple[datetime, str]:
    fmt = "%d/%m/%Y %H:%M:%S" if "/" in text else "%Y%m%d%H%M%S"
    return datetime.strptime(text, fmt), fmt


def changed_versions(n: int, seed: int, count: int, day: int) -> Iterator[dict]:
    """`count` open dossiers of the N, each as a new version: status moved on, NgayCapNhat `day` days later."""
    stride = max(1, int(0.24 * n / max(count, 1)))  # about 24 % of generated dossiers are open
    picked = seen_open = 0
    for record in gen.generate_dossiers(n, seed):
        if picked >= count:
            return
        status = record["TrangThaiHoSo"]
        if status not in OPEN_NEXT:
            continue
        seen_open += 1
        if seen_open % stride != day % stride:
            continue
        updated, fmt = _parse(record["NgayCapNhat"])
        updated += timedelta(days=day)
        record["TrangThaiHoSo"] = OPEN_NEXT[status]
        record["NgayCapNhat"] = updated.strftime(fmt)
        if status in (5, 6):  # the applicant supplemented / paid
            for request in record["DanhSachHoSoBoSung"]:
                request["NgayTiepNhanBoSung"] = request["NgayTiepNhanBoSung"] or updated.strftime(fmt)
        if record["TrangThaiHoSo"] == 9:
            record["NgayKetThucXuLy"] = updated.strftime(fmt)
            record["DanhSachGiayToKetQua"] = [{"TenGiayTo": "Kết quả", "DuongDanTepTinKetQua":
                                               gen.RESULT_URL.format(record["MaHoSo"])}]
        picked += 1
        yield record


@contextlib.contextmanager
def generator_start(start: datetime, days: int):
    """Make load_dossiers.generate_dossiers produce dossiers of another period (module globals)."""
    saved = gen.START, gen.DAYS
    gen.START, gen.DAYS = start, days
    try:
        yield
    finally:
        gen.START, gen.DAYS = saved


def new_dossiers(count: int, seed: int, day: int) -> Iterator[dict]:
    """`count` new dossiers, all submitted on simulated day `day` after the generated year."""
    with generator_start(gen.START + timedelta(days=gen.DAYS + day - 1), 1):
        yield from gen.generate_dossiers(count, seed + day)


def day_batch(n: int, seed: int, day: int) -> Iterator[dict]:
    count = max(1, math.ceil(n / gen.DAYS))
    yield from changed_versions(n, seed, count, day)
    yield from new_dossiers(count, seed, day)


def dbt(env: dict, work: Path, label: str, *args: str, extra_vars: dict | None = None
        ) -> tuple[float, list[dict], str]:
    """Run one dbt command; return (wall seconds, run_results, last stdout line with totals)."""
    target = work / label
    command = [str(DBT_EXECUTABLE), *args,
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(work / "logs"),
               "--vars", json.dumps({"as_of_date": AS_OF, **(extra_vars or {})}), "--no-use-colors"]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:  # reported (totals show ERROR=n), timed all the same
        failed = [line for line in result.stdout.splitlines() if " ERROR " in line or " FAIL " in line]
        print(f"dbt {' '.join(args)} ({label}) exited {result.returncode}:", *failed[:20], sep="\n  ")
        if not (target / "run_results.json").exists():
            print(result.stdout[-6000:], result.stderr[-2000:], sep="\n")
            raise SystemExit(f"dbt {' '.join(args)} failed ({label})")
    results = json.loads((target / "run_results.json").read_text())["results"]
    totals = next((line for line in reversed(result.stdout.splitlines()) if "PASS=" in line), "")
    return seconds, results, totals.split("|", 1)[-1].strip() if totals else ""


def checksums(url: str) -> dict[str, tuple[int, str]]:
    out = {}
    with psycopg.connect(url) as conn:
        for table, order in DOSSIER_MARTS.items():
            out[table] = conn.execute(
                f"select count(*), md5(coalesce(string_agg(t::text, '|' order by {order}), ''))"
                f" from marts.{table} as t").fetchone()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--day", type=int, default=1, help="which simulated day to load (1, 2, ...)")
    parser.add_argument("--database", help="reuse this kept database (already holding the N dossiers)")
    parser.add_argument("--top", type=int, default=8, help="slowest nodes listed per build")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    n, seed = args.rows, args.seed

    server = locate()
    url = server.with_database(args.database or f"ioc_dbtbench_{secrets.token_hex(4)}")
    work = Path(tempfile.mkdtemp(prefix="ioc_dbtbench_"))
    env = {**os.environ, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
    steps: list[tuple[str, float, str]] = []
    tops: list[tuple[str, list[dict]]] = []
    facts: list[str] = []

    def step(name: str, seconds: float, note: str = "") -> None:
        steps.append((name, seconds, note))
        print(f"  {name}: {seconds:.1f} s {note}", flush=True)

    def build(name: str, label: str, *dbt_args: str, extra_vars: dict | None = None) -> None:
        seconds, results, totals = dbt(env, work, label, *dbt_args, extra_vars=extra_vars)
        step(name, seconds, totals)
        tops.append((name, results))

    print(f"database {url.redacted()}, {n:,} dossiers, seed {seed}, day {args.day}", flush=True)
    try:
        ensure_database(url)
        bootstrap(url)
        with psycopg.connect(url.url) as conn:
            facts.append(conn.execute("select version()").fetchone()[0])
            loaded = conn.execute("select count(*) from raw.one_stop_shop__dossier").fetchone()[0]
        if not loaded:
            load_batch(url.url, DEPARTMENT, departments(), gen.PII_KEY, run_label="benchmark")
            start = time.perf_counter()
            result = load_batch(url.url, DOSSIER, gen.generate_dossiers(n, seed), gen.PII_KEY,
                                run_label="benchmark")
            assert result.status == "success" and result.counts.loaded == n, result
            step("load_batch of the N dossiers (setup)", time.perf_counter() - start)
        with psycopg.connect(url.url, autocommit=True) as conn:
            start = time.perf_counter()
            conn.execute("vacuum analyze raw.one_stop_shop__dossier")
            conn.execute("vacuum analyze raw.dvc_portal__department")
            step("vacuum analyze raw (setup)", time.perf_counter() - start)
            size = conn.execute("select pg_total_relation_size('raw.one_stop_shop__dossier')").fetchone()[0]
            facts.append(f"raw.one_stop_shop__dossier: {size / 2**20:,.0f} MiB with indexes before the day")

        build("dbt build --full-refresh (whole project)", "full", "build", "--full-refresh")
        with psycopg.connect(url.url) as conn:  # what the build DAG's test_watermark would pass next
            since = current_through(conn)
            # the steady state: the last published build is one that started after the full refresh (had
            # the full refresh itself been the last published build, every row would be "derived since"
            # and tested again, once); in production that build is last night's, so the nightly also reads
            # the rows derived by it, about one more day of rows, by the same indexes
            started = conn.execute("select now()").fetchone()[0]

        start = time.perf_counter()
        day = load_batch(url.url, DOSSIER, day_batch(n, seed, args.day), gen.PII_KEY, run_label="benchmark day")
        assert day.status == "success", day
        step(f"load the simulated day {args.day} (setup)", time.perf_counter() - start,
             f"(received {day.counts.received:,}, loaded {day.counts.loaded:,})")
        facts.append(f"simulated day {args.day}: {day.counts.received:,} records received, "
                     f"{day.counts.loaded:,} new versions loaded (changed + new dossiers)")

        # the nightly build as the build DAG runs it (dags/ioc_build_marts.py): no unit tests (NIGHTLY_EXCLUDE),
        # data tests over raw only on the day's batch (dbt var test_since_batch), those on the 1 M-row
        # int_dossiers_classified and fct_dossier only on the rows derived since (test_since_derived_at)
        build("dbt build (incremental, after the day)", "incremental", "build",
              *[arg for item in NIGHTLY_EXCLUDE for arg in ("--exclude", item)],
              extra_vars={"test_since_batch": since, "test_since_derived_at": started.isoformat()})
        incremental = checksums(url.url)
        build("dbt build --select fct_dossier+", "fct_plus", "build", "--select", "fct_dossier+")
        build("dbt build --full-refresh (same data, check)", "full_check", "build", "--full-refresh")
        full = checksums(url.url)
        same = incremental == full
        facts.append("incremental build = full refresh on the dossier marts: "
                     + ("yes (same row counts and md5 of every row)" if same else f"NO: {incremental} vs {full}"))

        print()
        print(f"dbt build benchmark — {n:,} dossiers (+ day {args.day}), seed {seed}, {os.cpu_count()} CPUs")
        width = max(len(s[0]) for s in steps)
        print(f"{'step':<{width}}  {'wall s':>8}")
        print(f"{'-' * width}  {'-' * 8}")
        for name, seconds, note in steps:
            print(f"{name:<{width}}  {seconds:>8.1f}  {note}")
        for name, results in tops:
            print(f"\nslowest nodes — {name}:")
            for r in sorted(results, key=lambda r: -r["execution_time"])[:args.top]:
                print(f"  {r['execution_time']:>7.1f} s  {r['unique_id']}  ({r['status']})")
        print()
        for fact in facts:
            print(f"- {fact}")
        return 0 if same else 1
    finally:
        if args.keep or args.database:
            print(f"kept database {url.database}; dbt artefacts in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            with psycopg.connect(server.with_database("postgres").url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{url.database}" with (force)')


if __name__ == "__main__":
    sys.exit(main())
