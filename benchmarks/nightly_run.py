"""One whole nightly run at N dossiers of history, each step in its own process, with its memory and CPU.

    .venv/bin/python benchmarks/nightly_run.py --rows 1000000 [--keep] [--database NAME] [--day K]
        [--full-rebuild] [--no-http] [--fresh-parse] [--top 10]

What a worker does for one night, step by step, each step a child process of this script (as an Airflow
worker runs each task in a process of its own), measured from the outside with `os.wait4`:

  a. extraction of the day: `tasks.dossiers.extract_dossiers` (the `extract_one_stop_shop_dossiers`
     task's code path: the HTTP client paging the one-stop-shop API, then `load_batch`) against a
     stand-in source, a small HTTP server (a process of its own, not measured) that serves the
     simulated day's records in the API's page format (`{"total", "items"}`, ignoring the interval:
     the day is what changed). The day is `benchmarks/dbt_build.py`'s simulated day (N/365 open
     dossiers moved on + N/365 new ones), generated beforehand and cached in the work directory;
     `--no-http` loads the same records with `load_batch` directly instead;
  a2. the raw checks of that batch (`run_raw_checks`, the `check_one_stop_shop_dossiers` task);
  b. the test watermark (`dbt_test_watermark.begin_build`, the `test_watermark` task);
  c. the nightly `dbt build`, ONE dbt process, with the var the build DAG passes (`marts_schema:
     marts_build`, the same every night), the settings it sets as environment variables
     (`config.dbt_build_env`: `as_of_date`, `run_label`, and what b returned: `test_since_batch` and
     `test_since_derived_at`) and the DAG's `NIGHTLY_EXCLUDE` as `--exclude` (read from
     dags/ioc_build_marts.py). dbt starts from the parse the previous run on this database saved (kept
     beside the day files, as a worker's Cosmos cache keeps it; `--fresh-parse`: none), and the step's
     line says whether it re-used it. In Airflow Cosmos runs one dbt invocation per node instead
     (see BENCHMARKS.md for what that adds);
  c2. (a probe, outside the night's total) one dbt invocation for one small node with the Cosmos node
     tasks' flags (`dbt build --select dim_date --no-write-json`): what each of Cosmos's per-node
     invocations costs beyond its SQL (Airflow's own task start-up not included);
  d. the mart checks (`run_mart_checks` over `marts_build`, `raise_on_critical`: `check_data_quality`);
  e. publication (`warehouse.publish.publish_marts`, with this build's manifest);
  f. the reports: the auditors' page and the leaders' report (`write_auditors_page`,
     `write_breakthrough_report`), and `dbt docs generate --static` (`generate_dbt_docs`).

For each step: wall seconds, peak RSS of the step's process (`ru_maxrss` from `wait4`: the process and
any child it waited for), its CPU seconds (user + system); on the PostgreSQL side, sampled every 0.2 s
from /proc of the backends (and parallel workers) `pg_stat_activity` lists for the database: their CPU
seconds, the peak of their summed private memory (`RssAnon`: sorts, hashes, caches; shared buffers not
counted) and the largest single backend's; and the `pg_stat_database` deltas of the step (temp files
and bytes spilled to disk, blocks read from disk). The server's `work_mem` and the load average before
and after each step are printed too: the machine is shared.

`--full-rebuild`: instead of a night, the whole project rebuilt from raw the way a first deployment or
a `test_all_batches` run would: b with `test_all`, `dbt build --full-refresh`, d, e, f.

A database without a published build gets one first (a full rebuild, printed as setup), so that the
night's `test_since_batch` is what production would pass. The database is `ioc_nightly_<random>`,
dropped at the end unless `--keep`; `--database NAME` reuses a kept one (loading the N dossiers only
when its raw table is empty). `--day K` makes a different simulated day (use a new one per run on a
kept database: a day already loaded is all duplicates).
"""

from __future__ import annotations

import argparse
import http.server
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from benchmarks import dbt_build as dbtbench  # noqa: E402
from benchmarks import load_dossiers as gen  # noqa: E402

DBT_PROJECT_DIR = ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
PYTHON = sys.executable
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
DB_STATS = ("temp_files", "temp_bytes", "blks_read", "blks_hit", "tup_inserted", "tup_updated", "tup_deleted")


# --- the steps, run in child processes: `nightly_run.py _step NAME ARGS_JSON RESULT_FILE` ---------------

def step_extract(a: dict) -> dict:
    from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
    from ioc_pipeline.sources.http import HttpEndpoint
    from ioc_pipeline.tasks.dossiers import extract_dossiers, extraction_window, watermark

    start, end = extraction_window(datetime.fromisoformat(a["start"]), datetime.fromisoformat(a["end"]), {},
                                   watermark(a["url"], DOSSIER.source, DOSSIER.entity))
    result = extract_dossiers(a["url"], HttpEndpoint(a["base_url"], None, "benchmark"), start, end,
                              run_label=a["run_label"], page_size=a.get("page_size", 500))
    return {"status": result.status, "batch_id": result.batch_id, "received": result.counts.received,
            "loaded": result.counts.loaded}


def step_load_day(a: dict) -> dict:
    from ioc_pipeline import config
    from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
    from ioc_pipeline.loading.raw_loader import load_batch

    records = orjson.loads(Path(a["day_file"]).read_bytes())
    result = load_batch(a["url"], DOSSIER, iter(records), config.pii_hash_key(), run_label=a["run_label"],
                        interval_start=datetime.fromisoformat(a["start"]),
                        interval_end=datetime.fromisoformat(a["end"]))
    return {"status": result.status, "batch_id": result.batch_id, "received": result.counts.received,
            "loaded": result.counts.loaded}


def step_raw_checks(a: dict) -> dict:
    from ioc_pipeline.quality.layers import raise_on_critical, run_raw_checks

    results = run_raw_checks(a["url"], "one_stop_shop", "dossier", [a["batch_id"]], run_label=a["run_label"])
    return raise_on_critical(results, f"dossier batch {a['batch_id']}")


def step_watermark(a: dict) -> dict:
    from ioc_pipeline.warehouse.dbt_test_watermark import begin_build
    from ioc_pipeline.warehouse.publish import reuse_previous_marts

    reused = reuse_previous_marts(a["url"])  # as the DAG's test_watermark task does
    return {"since": begin_build(a["url"], a["run_label"], test_all=a.get("test_all", False)), "reused": reused}


def step_mart_checks(a: dict) -> dict:
    from ioc_pipeline.quality.layers import CriticalQualityFailure, raise_on_critical, run_mart_checks

    results = run_mart_checks(a["url"], run_label=a["run_label"], schema="marts_build")
    try:
        return raise_on_critical(results, "marts")
    except CriticalQualityFailure as failure:
        return {"status": "critical failure", "failure": str(failure)[:2000]}


def step_publish(a: dict) -> dict:
    from ioc_pipeline.warehouse.publish import publish_marts

    pub = publish_marts(a["url"], a["run_label"], manifest_path=a["manifest"])
    return {"status": pub.status, "marts": len(pub.marts), "publication_id": pub.publication_id}


def step_reports(a: dict) -> dict:
    from ioc_pipeline.report import write_auditors_page, write_reports

    out = Path(a["out"])
    return {"auditors": str(write_auditors_page(a["url"], out / "auditors")),
            "breakthroughs": str(write_reports(a["url"], out / "breakthroughs"))}


STEPS = {"extract": step_extract, "load_day": step_load_day, "raw_checks": step_raw_checks,
         "watermark": step_watermark, "mart_checks": step_mart_checks, "publish": step_publish,
         "reports": step_reports}


def run_step_here(name: str, args_json: str, result_file: str) -> int:
    logging.basicConfig(level=logging.WARNING)
    value = STEPS[name](json.loads(args_json))
    Path(result_file).write_text(json.dumps(value, default=str))
    return 0


# --- the stand-in one-stop-shop source -----------------------------------------------------------------

def serve_day(day_file: str, port_file: str) -> None:
    """Serve the day's records as the one-stop-shop API pages them (`GET /api/v1/hoso`)."""
    records = orjson.loads(Path(day_file).read_bytes())

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            from urllib.parse import parse_qs, urlsplit

            query = parse_qs(urlsplit(self.path).query)
            page, size = int(query["page"][0]), int(query["page_size"][0])
            body = orjson.dumps({"total": len(records), "page": page, "page_size": size,
                                 "items": records[(page - 1) * size: page * size]})
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


# --- measuring -----------------------------------------------------------------------------------------

class ServerMeter:
    """CPU and private memory of the backends serving `database`, polled from /proc every `tick` s."""

    def __init__(self, admin_url: str, database: str, tick: float = 0.2):
        self.admin_url, self.database, self.tick = admin_url, database, tick
        self.cpu: dict[int, float] = {}
        self.peak_sum_kb = 0
        self.peak_one_kb = 0
        self.peak_temp = 0  # bytes of temporary files of these backends on disk at one time
        self._stop = threading.Event()

    @staticmethod
    def _stat(pid: int) -> tuple[float, int] | None:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status") as f:
                anon = next((int(line.split()[1]) for line in f if line.startswith("RssAnon:")), 0)
        except (OSError, StopIteration):
            return None
        return (int(fields[11]) + int(fields[12])) / TICK, anon

    def __enter__(self) -> "ServerMeter":
        self._conn = psycopg.connect(self.admin_url, autocommit=True)
        self._temp_dir = Path(self._conn.execute("show data_directory").fetchone()[0]) / "base" / "pgsql_tmp"
        self._base = {pid: s[0] for pid in self._pids() if (s := self._stat(pid))}
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def _pids(self) -> list[int]:
        return [pid for (pid,) in self._conn.execute(
            "select pid from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
            (self.database,)).fetchall()]

    def _temp_bytes(self, pids: list[int]) -> int:
        """Temporary files (sorts, hashes spilled to disk) of `pids`: pgsql_tmp<pid>.* (file sets are dirs)."""
        prefixes = tuple(f"pgsql_tmp{pid}." for pid in pids)
        total = 0
        try:
            entries = list(os.scandir(self._temp_dir))
        except OSError:
            return 0
        for entry in entries:
            if not entry.name.startswith(prefixes):
                continue
            try:
                if entry.is_dir():
                    total += sum(f.stat().st_size for f in os.scandir(entry.path))
                else:
                    total += entry.stat().st_size
            except OSError:
                pass
        return total

    def _poll(self) -> None:
        while not self._stop.is_set():
            total = 0
            pids = self._pids()
            if pids:
                self.peak_temp = max(self.peak_temp, self._temp_bytes(pids))
            for pid in pids:
                s = self._stat(pid)
                if s is None:
                    continue
                self.cpu[pid] = s[0] - self._base.get(pid, 0.0)
                total += s[1]
                self.peak_one_kb = max(self.peak_one_kb, s[1])
            self.peak_sum_kb = max(self.peak_sum_kb, total)
            time.sleep(self.tick)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())


def db_stats(admin_url: str, database: str) -> dict[str, int]:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("select pg_stat_clear_snapshot()")
        row = conn.execute(f"select {', '.join(DB_STATS)} from pg_stat_database where datname = %s",
                           (database,)).fetchone()
    return dict(zip(DB_STATS, row))


class Run:
    def __init__(self, url, admin_url: str, work: Path, env: dict, parse_cache: Path | None = None):
        self.url, self.admin_url, self.work, self.env = url, admin_url, work, env
        self.parse_cache = parse_cache
        self.rows: list[dict] = []

    def measure(self, label: str, command: list[str], *, log_name: str, env: dict | None = None) -> dict:
        """Run `command` as a child process; wall, ru_maxrss, CPU of it; the server side meanwhile."""
        load_before = os.getloadavg()
        stats_before = db_stats(self.admin_url, self.url.database)
        log = (self.work / f"{log_name}.log").open("w")
        with ServerMeter(self.admin_url, self.url.database) as meter:
            start = time.perf_counter()
            child = subprocess.Popen(command, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
        log.close()
        time.sleep(0.6)  # let the statistics collector catch up (stats are flushed at backend exit / 0.5 s)
        stats_after = db_stats(self.admin_url, self.url.database)
        row = {"step": label, "wall": wall, "rss_mib": usage.ru_maxrss / 1024,
               "cpu": usage.ru_utime + usage.ru_stime, "server_cpu": meter.cpu_seconds,
               "server_anon_mib": meter.peak_sum_kb / 1024, "server_one_mib": meter.peak_one_kb / 1024,
               "peak_temp_mib": meter.peak_temp / 2**20,
               "load": (load_before[0], os.getloadavg()[0]), "exit": child.returncode,
               **{k: stats_after[k] - stats_before[k] for k in DB_STATS}}
        self.rows.append(row)
        print(f"  {label}: {wall:.1f} s, peak RSS {row['rss_mib']:.0f} MiB, CPU {row['cpu']:.1f} s; server CPU "
              f"{row['server_cpu']:.1f} s, private {row['server_anon_mib']:.0f} MiB (one backend "
              f"{row['server_one_mib']:.0f}), temp {row['temp_bytes'] / 2**20:.0f} MiB in {row['temp_files']} "
              f"files (at most {row['peak_temp_mib']:.0f} MiB at once), blocks read {row['blks_read']:,}; load {load_before[0]:.1f} -> {row['load'][1]:.1f}"
              + ("" if child.returncode == 0 else f"; EXIT {child.returncode}, see {log.name}"), flush=True)
        return row

    def py_step(self, label: str, name: str, args: dict) -> dict:
        result_file = self.work / f"{name}.result.json"
        result_file.unlink(missing_ok=True)
        row = self.measure(label, [PYTHON, str(Path(__file__).resolve()), "_step", name, json.dumps(args),
                                   str(result_file)], log_name=name)
        row["result"] = json.loads(result_file.read_text()) if result_file.exists() else None
        if row["result"] is not None:
            print(f"    -> {json.dumps(row['result'], default=str)[:400]}", flush=True)
        return row

    def dbt(self, label: str, target: str, *args: str, settings: dict) -> dict:
        """One dbt invocation with the build DAG's vars (the same every night) and `settings` (what changes
        with every build) as its environment (config.dbt_build_env). With the run's parse cache, dbt starts
        from that saved parse (partial_parse.msgpack), as a worker's Cosmos cache would, and the cache takes
        this invocation's parse afterwards."""
        from ioc_pipeline import config

        target_path = self.work / target
        target_path.mkdir(parents=True, exist_ok=True)
        parse_cache = self.parse_cache
        if parse_cache is not None and parse_cache.exists():
            shutil.copy2(parse_cache, target_path / "partial_parse.msgpack")
        command = [str(DBT_EXECUTABLE), *args, "--project-dir", str(DBT_PROJECT_DIR),
                   "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target_path),
                   "--log-path", str(self.work / "logs"), "--vars", json.dumps(BUILD_VARS), "--no-use-colors"]
        row = self.measure(label, command, log_name=target, env={**self.env, **config.dbt_build_env(**settings)})
        if parse_cache is not None and (target_path / "partial_parse.msgpack").exists():
            shutil.copy2(target_path / "partial_parse.msgpack", parse_cache)
        results_path = self.work / target / "run_results.json"
        row["results"] = json.loads(results_path.read_text())["results"] if results_path.exists() else []
        text = (self.work / f"{target}.log").read_text()
        row["totals"] = next((line.split("|", 1)[-1].strip() for line in reversed(text.splitlines())
                              if "PASS=" in line), "")
        # dbt logs why it parses the whole project, or nothing when it re-uses the saved parse
        row["full_parse"] = next((line.split("|", 1)[-1].strip() for line in text.splitlines()
                                  if "Unable to do partial parsing" in line), None)
        if row["totals"]:
            print(f"    -> {row['totals']}; "
                  + (f"full parse ({row['full_parse']})" if row["full_parse"] else "partial parse"), flush=True)
        return row


# The vars the build DAG passes to every dbt node: the same every night
BUILD_VARS = {"marts_schema": "marts_build"}


def build_settings(run_label: str, since: int | dict | None) -> dict:
    """What the build DAG sets as dbt's environment (config.dbt_build_env); `since` is what `begin_build`
    returned: the batch watermark (an int or None), or, since the third round of issue 14, a dict
    (test_since_batch, test_since_derived_at)."""
    scoped = since if isinstance(since, dict) else {"test_since_batch": since}
    return {"as_of_date": dbtbench.AS_OF, "run_label": run_label, **scoped}


def dag_excludes() -> list[str]:
    """The build DAG's NIGHTLY_EXCLUDE (dbt selectors Cosmos leaves out of every node's dbt command), read
    from dags/ioc_build_marts.py without importing Airflow; [] when the DAG has none."""
    import ast

    tree = ast.parse((ROOT / "dags" / "ioc_build_marts.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "NIGHTLY_EXCLUDE" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def exclude_args() -> list[str]:
    excludes = dag_excludes()
    return ["--exclude", *excludes] if excludes else []


def rebuild(run: Run, label: str, tag: str) -> list[dict]:
    """The full rebuild: watermark (test all), dbt build --full-refresh, checks, publication."""
    url = run.url.url
    rows = [run.py_step(f"{tag}b. test watermark (test_all)", "watermark",
                        {"url": url, "run_label": label, "test_all": True})]
    rows.append(run.dbt(f"{tag}c. dbt build --full-refresh (whole project{' but ' + ' '.join(dag_excludes()) if dag_excludes() else ''})",
                        "full", "build", "--full-refresh", *exclude_args(), settings=build_settings(label, None)))
    rows.append(run.py_step(f"{tag}d. mart checks (run_mart_checks on marts_build)", "mart_checks",
                            {"url": url, "run_label": label}))
    rows.append(run.py_step(f"{tag}e. publish_marts", "publish",
                            {"url": url, "run_label": label, "manifest": str(run.work / "full" / "manifest.json")}))
    return rows


def print_table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    print("| step | wall s | peak RSS MiB | CPU s | server CPU s | server private MiB (sum / one backend) "
          "| temp MiB written (files) / at once | blocks read | load before → after |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['step']}{'' if r['exit'] == 0 else ' (EXIT ' + str(r['exit']) + ')'} | {r['wall']:.1f} | "
              f"{r['rss_mib']:.0f} | {r['cpu']:.1f} | {r['server_cpu']:.1f} | "
              f"{r['server_anon_mib']:.0f} / {r['server_one_mib']:.0f} | "
              f"{r['temp_bytes'] / 2**20:,.0f} ({r['temp_files']}) / {r['peak_temp_mib']:,.0f} | {r['blks_read']:,} | "
              f"{r['load'][0]:.1f} → {r['load'][1]:.1f} |")


def slowest(rows: list[dict], top: int) -> None:
    for r in rows:
        if r.get("results"):
            print(f"\nslowest nodes — {r['step']}:")
            for n in sorted(r["results"], key=lambda n: -n["execution_time"])[:top]:
                print(f"  {n['execution_time']:>7.1f} s  {n['unique_id']}  ({n['status']})")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_step":
        return run_step_here(*argv[1:4])
    if argv and argv[0] == "_serve":
        serve_day(*argv[1:3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--day", type=int, default=1, help="which simulated day (a new one per run on a kept database)")
    parser.add_argument("--database", help="reuse this kept database")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--full-rebuild", action="store_true", help="time the full rebuild instead of a night")
    parser.add_argument("--no-http", action="store_true", help="load the day with load_batch, no HTTP source")
    parser.add_argument("--no-docs", action="store_true", help="skip dbt docs generate in the reports step")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--work", help="work directory (default: a new temporary one)")
    parser.add_argument("--threads", type=int,
                        help="dbt threads of the night's one-process build (default: the profile's, 2)")
    parser.add_argument("--fresh-parse", action="store_true",
                        help="every dbt step parses the project afresh (no saved parse kept between runs)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from ioc_pipeline import config
    from ioc_pipeline.loading.entities import DEPARTMENT, DOSSIER
    from ioc_pipeline.loading.raw_loader import load_batch
    from ioc_pipeline.warehouse.bootstrap import bootstrap
    from ioc_pipeline.warehouse.locate import ensure_database, locate

    n = args.rows
    server = locate()
    url = server.with_database(args.database or f"ioc_nightly_{secrets.token_hex(4)}")
    admin_url = server.with_database("postgres").url
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ioc_nightly_"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1",
           config.GX_ROOT_ENV: str(work / "gx"), config.DATA_DOCS_DIR_ENV: str(work / "data_docs")}
    # dbt's saved parse, kept from night to night beside the day files (a worker's Cosmos cache does
    # the same): a night whose code did not change re-uses it (BENCHMARKS.md "Fifth round")
    run = Run(url, admin_url, work, env, parse_cache=None if args.fresh_parse
              else work.parent / f"ioc_nightly_{url.database}.partial_parse.msgpack")
    from ioc_pipeline.runner.dag_runs import dbt_parse
    from ioc_pipeline.warehouse.publish import MANIFEST

    if not MANIFEST.exists():  # the build DAG renders from it, and its first task reads it
        dbt_parse(url)
    token = secrets.token_hex(3)
    print(f"database {url.redacted()}, {n:,} dossiers, day {args.day}, work {work}", flush=True)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}", flush=True)
    facts: list[str] = []
    source = None
    try:
        ensure_database(url)
        bootstrap(url)
        with psycopg.connect(url.url) as conn:
            facts.append(conn.execute("select version()").fetchone()[0])
            facts.append("work_mem " + conn.execute("show work_mem").fetchone()[0] + ", shared_buffers "
                         + conn.execute("show shared_buffers").fetchone()[0] + ", maintenance_work_mem "
                         + conn.execute("show maintenance_work_mem").fetchone()[0])
            loaded = conn.execute("select count(*) from raw.one_stop_shop__dossier").fetchone()[0]
        if not loaded:
            print("setup: loading the history", flush=True)
            load_batch(url.url, DEPARTMENT, dbtbench.departments(), gen.PII_KEY, run_label="benchmark")
            start = time.perf_counter()
            result = load_batch(url.url, DOSSIER, gen.generate_dossiers(n, args.seed), gen.PII_KEY,
                                run_label="benchmark")
            assert result.status == "success" and result.counts.loaded == n, result
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("vacuum analyze raw.one_stop_shop__dossier")
                conn.execute("vacuum analyze raw.dvc_portal__department")
            print(f"  setup: history loaded and vacuumed in {time.perf_counter() - start:.0f} s", flush=True)
        with psycopg.connect(url.url) as conn:
            published = conn.execute(
                "select count(*) from audit.marts_publication where status = 'published'").fetchone()[0]

        if args.full_rebuild or not published:
            tag = "" if args.full_rebuild else "setup "
            rows = rebuild(run, f"bench-rebuild-{token}", tag)
            print_table(f"full rebuild — {n:,} dossiers", rows)
            slowest(rows, args.top)
            if args.full_rebuild:
                return 0 if all(r["exit"] == 0 for r in rows) else 1
            run.rows.clear()
            # what autovacuum does after the rebuild's bulk inserts (it is off on this machine): the
            # visibility map lets int_repeat_applicants_monthly read int_dossiers_classified's
            # applicant index without visiting the table (an index-only scan)
            start = time.perf_counter()
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("vacuum analyze")
            print(f"  setup: warehouse vacuumed in {time.perf_counter() - start:.0f} s", flush=True)

        # the simulated day: generated beforehand (setup, not measured), one file per (n, seed, day)
        day_file = work.parent / f"ioc_nightly_day_{n}_{args.seed}_{args.day}.json"
        if not day_file.exists():
            start = time.perf_counter()
            records = list(dbtbench.day_batch(n, args.seed, args.day))
            day_file.write_bytes(orjson.dumps(records))
            print(f"  setup: generated the day's {len(records):,} records in {time.perf_counter() - start:.0f} s",
                  flush=True)
        day_start = gen.START + timedelta(days=gen.DAYS + args.day - 1)
        window = {"start": day_start.isoformat(), "end": (day_start + timedelta(days=1)).isoformat()}
        label = f"bench-night-{token}"
        u = url.url
        if args.no_http:
            a = run.py_step("a. raw load of the day (load_batch, no HTTP)", "load_day",
                            {"url": u, "day_file": str(day_file), "run_label": label, **window})
        else:
            port_file = work / "source.port"
            port_file.unlink(missing_ok=True)
            source = subprocess.Popen([PYTHON, str(Path(__file__).resolve()), "_serve", str(day_file), str(port_file)],
                                      env=env, cwd=ROOT)
            while not port_file.exists() or not port_file.read_text():
                if source.poll() is not None:
                    raise SystemExit("the stand-in source did not start")
                time.sleep(0.2)
            base_url = f"http://127.0.0.1:{port_file.read_text()}"
            a = run.py_step("a. extraction over HTTP + raw load (extract_dossiers)", "extract",
                            {"url": u, "base_url": base_url, "run_label": label, "page_size": 500, **window})
        batch = (a.get("result") or {}).get("batch_id")
        run.py_step("a2. raw checks of the batch (run_raw_checks)", "raw_checks",
                    {"url": u, "batch_id": batch, "run_label": label})
        b = run.py_step("b. test watermark (begin_build)", "watermark", {"url": u, "run_label": label})
        since = (b.get("result") or {}).get("since")
        threads = ["--threads", str(args.threads)] if args.threads else []
        run.dbt("c. nightly dbt build (one process)", "nightly", "build", *exclude_args(), *threads,
                settings=build_settings(label, since))
        # what one Cosmos node task costs beyond its SQL: a dbt invocation for one tiny node, with the
        # node tasks' flags (ioc_pipeline/airflow_glue/dbt_invocations.py); Airflow's own task start-up
        # is not in it
        from ioc_pipeline.airflow_glue.dbt_invocations import DBT_FLAGS

        run.dbt("c2. one Cosmos-like node invocation (dbt build --select dim_date)", "one_node", "build",
                "--select", "dim_date", *DBT_FLAGS, settings=build_settings(label, since))
        run.py_step("d. mart checks (run_mart_checks on marts_build)", "mart_checks", {"url": u, "run_label": label})
        run.py_step("e. publish_marts", "publish",
                    {"url": u, "run_label": label, "manifest": str(work / "nightly" / "manifest.json")})
        run.py_step("f. reports (auditors' page + leaders' report)", "reports",
                    {"url": u, "out": str(work / "reports")})
        if not args.no_docs:
            run.dbt("f2. dbt docs generate --static", "docs", "docs", "generate", "--static",
                    settings={"as_of_date": dbtbench.AS_OF})
        rows = run.rows
        total = sum(r["wall"] for r in rows if not r["step"].startswith("c2."))  # c2 is a probe, not a step
        print_table(f"nightly run — {n:,} dossiers, day {args.day} ({a.get('result')}), "
                    f"scoped tests {since}; sum of steps (c2 aside) {total:.1f} s", rows)
        slowest([r for r in rows if r["step"].startswith("c.")], args.top)
        with psycopg.connect(u) as conn:
            size = conn.execute("select pg_database_size(current_database())").fetchone()[0]
            raw = conn.execute("select pg_total_relation_size('raw.one_stop_shop__dossier')").fetchone()[0]
            versions = conn.execute("select count(*) from raw.one_stop_shop__dossier").fetchone()[0]
        facts.append(f"database {url.database}: {size / 2**30:.2f} GiB; raw.one_stop_shop__dossier "
                     f"{raw / 2**30:.2f} GiB, {versions:,} versions")
        print()
        for fact in facts:
            print(f"- {fact}")
        print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}", flush=True)
        return 0 if all(r["exit"] == 0 for r in rows) else 1
    finally:
        if source is not None:
            source.terminate()
            source.wait()
        if args.keep or args.database:
            print(f"kept database {url.database}; work files in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{url.database}" with (force)')


if __name__ == "__main__":
    sys.exit(main())
