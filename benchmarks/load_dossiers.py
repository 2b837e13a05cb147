"""How fast one-stop-shop dossiers go into raw, and where the time goes. Prints figures; not a test.

    .venv/bin/python benchmarks/load_dossiers.py [--rows 1000000] [--repeat 2] [--keep] [--seed 2024]
        [--to-sql-rows 50000]

Makes its own database `ioc_bench_<random>` on the server `locate()` finds (dropped at the end unless
`--keep`), bootstraps it, writes N generated dossier records (deterministic for a seed) once as the
API's JSON pages (1000 records a page) and once as a COPY text file of the loader's columns (neither
is timed), then measures:

1. side by side, `--repeat` rounds of: `raw_loader.load_batch(..., DOSSIER, ...)` end to end (hash,
   validation, COPY, insert into raw, one transaction) with the records streamed one dict at a time
   from the generator (its cost included, as in the first version of this benchmark); the same with
   the records decoded from the API pages by orjson (what the HTTP client does, the simulator's work
   excluded); and PostgreSQL's own `\\copy` (psql) of the same rows into a logged table shaped like raw
   (primary key + index). Each on an empty table; the ratios loader / `\\copy` are printed per round,
   and every figure carries the machine's load average (the machine is shared: compare within a run);
2. a re-load of the same records, from the generator and from the pages (everything a duplicate, 0
   loaded; its ratio to the last round's `\\copy`), and the process's peak RSS;
   every step of 1. and 2. also prints the CPU seconds each side spent (this process and its children,
   and the server backends of the benchmark's database: `benchmarks/cpu_meter.py`), which tells
   whether a step was short of Python or of PostgreSQL on a machine shared with other jobs;
3. the Python work alone, no database: generating; generating + exactly the loader's per-record work
   (canonical JSON once, sha256, `prepare_dossier` incl. the HMAC of the ID, the binary COPY row);
   decoding the pages; and a per-stage breakdown on a sample;
4. PostgreSQL alone: `\\copy` into a temp table shaped like the loader's staging table (no index), and
   the insert from a filled staging table into a raw-shaped one, as the loader did before
   (`INSERT ... SELECT DISTINCT ON ... ORDER BY ... ON CONFLICT DO NOTHING`) and as it does now (no
   DISTINCT ON; the loader runs it once per round of 20,000 rows, overlapped with its own work);
5. for reference, `pandas.DataFrame.to_sql(method="multi")` on a smaller number of rows, extrapolated.

`--before TREE` adds, to each round of step 1, the load_batch of another checkout (the loader as it
was: `git archive 868c4ab | tar -x -C TREE`) run in a process of its own, from the generator and from
the pages decoded as its client did (stdlib json): before/after under the same load.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from benchmarks.cpu_meter import CpuMeter  # noqa: E402
from ioc_pipeline import config  # noqa: E402
from ioc_pipeline.config import VN  # noqa: E402
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER  # noqa: E402
from ioc_pipeline.loading.copy_binary import row_encoder  # noqa: E402
from ioc_pipeline.loading.raw_loader import load_batch  # noqa: E402
from ioc_pipeline.sources.formats import canonical_json_bytes  # noqa: E402
from ioc_pipeline.warehouse.bootstrap import bootstrap  # noqa: E402
from ioc_pipeline.warehouse.locate import ensure_database, locate  # noqa: E402

PII_KEY = config.DEV_PII_HASH_KEY.encode("utf-8")
START = datetime(2024, 7, 1, tzinfo=VN)
DAYS = 365
COLUMNS = DOSSIER.columns + ("record_hash", "payload")  # what the loader COPYs, in its order
PSYCOPG_MAX_PARAMS = 65535

# --- a small, self-contained catalog so records look like the real thing ------------------------------

AGENCIES = ["000.00.13.H03", "000.00.14.H03", "000.00.15.H03", "000.00.16.H03", "000.00.17.H03",
            "000.00.18.H03", "000.00.31.H03", "000.00.32.H03", "000.00.33.H03", "000.00.34.H03",
            "000.00.38.H03", "000.00.40.H03"]
LEGACY_AGENCIES = {"000.00.31.H03", "000.00.38.H03"}  # older system: dd/MM/yyyy HH:mm:ss dates
LEGACY_BEFORE = datetime(2024, 9, 1, tzinfo=VN)
PROCEDURES = [  # code, processing working days, fees, documents, result
    ("1.001612", 3, [("Lệ phí đăng ký doanh nghiệp", 50000)],
     ["Giấy đề nghị đăng ký doanh nghiệp", "Điều lệ công ty", "Danh sách thành viên",
      "Bản sao giấy tờ pháp lý của các thành viên"], "Giấy chứng nhận đăng ký doanh nghiệp"),
    ("2.000908", 1, [("Lệ phí chứng thực", 10000)], ["Bản chính giấy tờ", "Bản sao cần chứng thực"],
     "Bản sao có chứng thực"),
    ("1.004227", 10, [("Lệ phí cấp giấy phép xây dựng", 75000)],
     ["Đơn đề nghị cấp giấy phép xây dựng", "Bản vẽ thiết kế", "Giấy tờ chứng minh quyền sử dụng đất"],
     "Giấy phép xây dựng"),
    ("2.001610", 5, [("Phí thẩm định hồ sơ", 100000), ("Lệ phí cấp giấy chứng nhận", 25000)],
     ["Đơn đăng ký", "Giấy chứng nhận quyền sử dụng đất", "Hợp đồng chuyển nhượng", "Tờ khai thuế"],
     "Giấy chứng nhận quyền sử dụng đất"),
    ("1.003011", 2, [], ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"], "Giấy khai sinh"),
    ("1.001193", 15, [("Phí thẩm định", 300000)],
     ["Văn bản đề nghị", "Báo cáo đánh giá tác động môi trường", "Bản sao giấy đăng ký kinh doanh",
      "Sơ đồ vị trí", "Bản vẽ mặt bằng"], "Quyết định phê duyệt"),
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thu", "Quốc", "Thanh"]
GIVEN = ["An", "Bình", "Hải", "Hương", "Lan", "Linh", "Long", "Mai", "Nam", "Phúc", "Thảo", "Trang"]
COMPANIES = ["Công ty TNHH Biển Xanh", "Công ty Cổ phần Cảng Sao Mai", "Công ty TNHH MTV Logistics Cái Mép",
             "Doanh nghiệp tư nhân Gốm Long Điền"]
STATUSES = list(range(1, 11))
STATUS_WEIGHTS = [3, 6, 2, 12, 4, 2, 1, 1, 14, 55]  # mostly finished/returned, some open
RESULT_URL = "https://dichvucong.baria-vungtau.gov.vn/ketqua/{}/1.pdf"


def generate_dossiers(n: int, seed: int = 2024) -> Iterator[dict]:
    """N dossier records as the API serves them, one at a time; the same N and seed give the same records.

    Every record is valid (nothing is quarantined), `MaHoSo` is unique, dates are `yyyyMMddHHmmss`
    except the legacy agencies before September 2024 (`dd/MM/yyyy HH:mm:ss`, about 3 % of records).
    """
    rng = Random(seed)
    per_day = max(1, math.ceil(n / DAYS))
    for i in range(n):
        day_index, j = divmod(i, per_day)
        agency = AGENCIES[j % len(AGENCIES)]
        seq = j // len(AGENCIES) + 1
        day = START + timedelta(days=day_index)
        code = f"{agency}-{day:%y%m%d}-{seq:04d}"
        proc_code, proc_days, fees, documents, result = PROCEDURES[rng.randrange(len(PROCEDURES))]

        channel = rng.random()
        if channel < 0.62:
            kenh, noi = 2, (1 if rng.random() < 0.8 else None) if rng.random() < 0.8 else 2
            submitted = day + timedelta(seconds=rng.randrange(6 * 3600, 23 * 3600))
        else:
            kenh = 3 if channel > 0.95 else (None if rng.random() < 0.1 else 1)
            noi = None
            submitted = day + timedelta(seconds=rng.randrange(27000, 60000))
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        accepted = None if status in (1, 3) else submitted + timedelta(minutes=rng.randrange(5, 600))
        due = None if accepted is None else (accepted + timedelta(days=proc_days + 2 * (proc_days // 5))).replace(
            hour=17, minute=0, second=0)
        finished = None
        if status in (7, 8, 9, 10):
            finished = accepted + timedelta(hours=rng.randrange(2, 24 * (proc_days + 4)))
        returned = finished + timedelta(hours=rng.randrange(1, 72)) if status == 10 else None
        supplements = []
        if status == 5 or (accepted is not None and rng.random() < 0.08):
            asked = accepted + timedelta(hours=rng.randrange(2, 48))
            back = asked + timedelta(days=rng.randrange(1, 10)) if status != 5 else None
            supplements.append({"NgayBoSung": asked, "NgayTiepNhanBoSung": back,
                                "NgayHenTraMoi": None if back is None else back + timedelta(days=proc_days)})
        updated = max(d for d in (submitted, accepted, finished, returned,
                                  *(s["NgayTiepNhanBoSung"] or s["NgayBoSung"] for s in supplements)) if d)

        legacy = agency in LEGACY_AGENCIES and day < LEGACY_BEFORE
        fmt = "%d/%m/%Y %H:%M:%S" if legacy else "%Y%m%d%H%M%S"

        def d(moment, fmt=fmt):
            return None if moment is None else moment.strftime(fmt)

        organisation = rng.random() < 0.18
        if organisation:
            name, ident = COMPANIES[rng.randrange(len(COMPANIES))], f"35{rng.randrange(10**8):08d}"
        else:
            name = f"{FAMILY[rng.randrange(12)]} {MIDDLE[rng.randrange(8)]} {GIVEN[rng.randrange(12)]}"
            ident = f"077{rng.randrange(4)}{rng.randrange(10**8):08d}"
        online = kenh == 2
        record = {
            "MaHoSo": code,
            "MaTTHC": proc_code,
            "MaDonViTiepNhan": agency,
            "KenhThucHien": kenh,
            "NoiNopHoSo": noi,
            "LoaiDoiTuong": 2 if organisation else 1,
            "ChuHoSo": name,
            "SoDinhDanh": ident,
            "SoDienThoai": None if rng.random() < 0.15 else f"09{rng.randrange(10**8):08d}",
            "NgayNopHoSo": d(submitted),
            "NgayTiepNhan": d(accepted),
            "NgayHenTra": d(due),
            "NgayKetThucXuLy": d(finished),
            "NgayTra": d(returned),
            "TrangThaiHoSo": status,
            "DuocThanhToanTrucTuyen": (1 if rng.random() < 0.7 else 2) if online and fees else 0,
            "DanhSachLePhi": [{"TenPhiLePhi": fee, "Gia": price} for fee, price in fees],
            "TaiLieuNop": [{"TenTepDinhKem": doc, "DuocSoHoa": int(online or rng.random() < 0.4),
                            "DuocLayTuKhoDMQG": int(rng.random() < 0.1)} for doc in documents],
            "DanhSachHoSoBoSung": [{k: d(v) for k, v in s.items()} for s in supplements],
            "DanhSachGiayToKetQua": [] if status not in (9, 10) else [
                {"TenGiayTo": result,
                 "DuongDanTepTinKetQua": RESULT_URL.format(code) if rng.random() < 0.6 else None}],
            "NgayCapNhat": d(updated),
        }
        if rng.random() < 0.02:  # unknown extra field: must be kept
            record["GhiChu"] = "Hồ sơ được chuyển từ hệ thống cũ"
        yield record


# --- helpers -------------------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def load_average() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def loader_row(record: dict) -> tuple:
    """What `raw_loader._stream_records` computes for a readable record: the values it COPYs."""
    payload = canonical_json_bytes(record)
    if not isinstance(record, dict):
        raise TypeError("not a dict")
    return DOSSIER.prepare(record, PII_KEY) + (hashlib.sha256(payload).hexdigest(), payload)


def copy_text(value) -> str:
    """One field in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def api_pages(n: int, seed: int, page_size: int = 1000) -> Iterator[bytes]:
    """The records as the API's pages would carry them: one `{"total", "items"}` JSON document a page."""
    items: list[dict] = []
    for record in generate_dossiers(n, seed):
        items.append(record)
        if len(items) == page_size:
            yield orjson.dumps({"total": n, "items": items})
            items = []
    if items:
        yield orjson.dumps({"total": n, "items": items})


def records_from_pages(path: Path) -> Iterator[object]:
    """What `OneStopShopClient.dossiers` does with each page it receives: decode it, yield its items."""
    with open(path, "rb") as pages:
        for line in pages:
            yield from orjson.loads(line)["items"]


OTHER_LOADER = """
import json, resource, sys, time
tree, url, source, n, seed, pages_file = sys.argv[1:7]
sys.path.insert(0, tree)
import ioc_pipeline
assert ioc_pipeline.__file__.startswith(tree), ioc_pipeline.__file__
from benchmarks.load_dossiers import PII_KEY, generate_dossiers
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER
from ioc_pipeline.loading.raw_loader import load_batch

def pages():  # as that loader's client decoded them: response.json(), i.e. the stdlib
    with open(pages_file, "rb") as lines:
        for line in lines:
            yield from json.loads(line.decode("utf-8"))["items"]

records = generate_dossiers(int(n), int(seed)) if source == "generator" else pages()
start = time.perf_counter()
result = load_batch(url, DOSSIER, records, PII_KEY, run_label="benchmark before")
seconds = time.perf_counter() - start
assert result.status == "success" and result.counts.loaded == int(n), result
print(json.dumps([seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def run_other_loader(tree: Path, url: str, source: str, n: int, seed: int, pages_file: Path) -> tuple[float, float]:
    """load_batch of another checkout, in its own process: (seconds, its peak RSS in MiB)."""
    out = subprocess.run([sys.executable, "-c", OTHER_LOADER, str(tree.resolve()), url, source, str(n), str(seed),
                          str(pages_file)], check=True, capture_output=True, text=True, cwd=tree).stdout
    seconds, rss = json.loads(out.strip().splitlines()[-1])
    return seconds, rss


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def run_psql(url: str, *commands: str) -> None:
    args = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    for command in commands:
        args += ["-c", command]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def raw_shaped_table(conn: psycopg.Connection, name: str) -> None:
    """Same columns, primary key and index as raw (not the audit FK); batch_id/received_at defaulted."""
    conn.execute(f"create table {name} (like {DOSSIER.table} including all)")
    conn.execute(f"alter table {name} alter column batch_id set default 0, "
                 "alter column received_at set default now()")


STAGING_DDL = (f"create temp table incoming (like {DOSSIER.table} including defaults)",
               "alter table pg_temp.incoming alter column batch_id drop not null, "
               "alter column received_at drop not null")


# --- the benchmark -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database (and the COPY file)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=2,
                        help="rounds of [loader from generator, loader from pages, psql \\copy] side by side")
    parser.add_argument("--to-sql-rows", type=int, default=50_000, help="0 skips the pandas reference")
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="a checkout of an earlier loader (e.g. `git archive 868c4ab | tar -x -C TREE`): its "
                             "load_batch runs too in each round, in a process of its own, for before/after "
                             "figures in the same run")
    parser.add_argument("--no-python-only", action="store_true",
                        help="skip the full-size Python-only passes of step 3 (the per-stage sample stays)")
    parser.add_argument("--no-sql-only", action="store_true", help="skip step 4 (PostgreSQL alone)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    n, seed = args.rows, args.seed

    server = locate()
    url = server.with_database(f"ioc_bench_{secrets.token_hex(4)}")
    workdir = Path(tempfile.mkdtemp(prefix="ioc_bench_"))
    rows: list[tuple[str, int, float, str]] = []  # step, rows, seconds, note
    facts: list[str] = []
    ratios: list[str] = []

    def report(step: str, count: int, seconds: float, note: str = "") -> float:
        note = f"{note} [{load_average()}]".strip()
        rows.append((step, count, seconds, note))
        print(f"  {step}: {count:,} rows in {seconds:.2f} s ({count / seconds:,.0f} rows/s) {note}", flush=True)
        return count / seconds

    def fresh_raw() -> None:
        with psycopg.connect(url.url, autocommit=True) as conn:
            conn.execute(f"truncate {DOSSIER.table}, raw.quarantine")
            conn.execute("checkpoint")

    admin_url = server.with_database("postgres").url

    def measured(fn, *args, **kwargs):
        """(seconds, result, CPU note): `timed`, with the CPU each side spent (benchmarks/cpu_meter.py)."""
        with CpuMeter(admin_url, url.database) as meter:
            seconds, result = timed(fn, *args, **kwargs)
        return seconds, result, meter.note()

    print(f"database {url.redacted()}, {n:,} rows, seed {seed}, {load_average()}", flush=True)
    try:
        ensure_database(url)
        bootstrap(url)
        with psycopg.connect(url.url) as conn:
            facts.append(conn.execute("select version()").fetchone()[0])

        # Inputs written beforehand, not part of any figure: the API's pages, and psql's COPY text file.
        pages_file, data_file = workdir / "pages.jsonl", workdir / "dossiers.copy"
        start = time.perf_counter()
        with open(pages_file, "wb") as out:
            for page in api_pages(n, seed):
                out.write(page + b"\n")
        with open(data_file, "w", encoding="utf-8") as out:
            for record in generate_dossiers(n, seed):
                out.write("\t".join(copy_text(v) for v in loader_row(record)))
                out.write("\n")
        facts.append(f"inputs written in {time.perf_counter() - start:.1f} s (not part of any figure): API pages "
                     f"{pages_file.stat().st_size / 2**20:,.0f} MiB, COPY text file "
                     f"{data_file.stat().st_size / 2**20:,.0f} MiB")
        columns = ", ".join(COLUMNS)
        with psycopg.connect(url.url, autocommit=True) as conn:
            conn.execute("create schema bench")
        rss_before = peak_rss_mib()

        # 1. side by side, `--repeat` times: the loader (records from the generator, then from the pages)
        #    and psql's \copy of the same rows into a raw-shaped table, each on an empty table
        interval = dict(interval_start=START, interval_end=START + timedelta(days=DAYS), run_label="benchmark")
        for round_number in range(1, args.repeat + 1):
            before = {}
            for source in ("generator", "pages") if args.before else ():
                fresh_raw()
                _, (seconds, rss), cpu = measured(run_other_loader, args.before, url.url, source, n, seed,
                                                  pages_file)
                before[source] = report(f"[{round_number}] BEFORE ({args.before.name}): load_batch, records from the "
                                        f"{'generator' if source == 'generator' else 'API pages (stdlib json)'}",
                                        n, seconds, f"(its peak RSS {rss:.0f} MiB; {cpu} incl. process start)")
            fresh_raw()
            seconds, first, cpu = measured(load_batch, url.url, DOSSIER, generate_dossiers(n, seed), PII_KEY,
                                           **interval)
            assert first.status == "success" and first.counts.loaded == n, first
            generated = report(f"[{round_number}] load_batch, records from the generator", n, seconds,
                               f"(loaded {first.counts.loaded:,}; {cpu})")
            rss_generated = peak_rss_mib()
            fresh_raw()
            seconds, paged, cpu = measured(load_batch, url.url, DOSSIER, records_from_pages(pages_file), PII_KEY,
                                           **interval)
            assert paged.status == "success" and paged.counts.loaded == n, paged
            from_pages = report(f"[{round_number}] load_batch, records decoded from API pages (orjson)", n, seconds,
                                f"(loaded {paged.counts.loaded:,}; {cpu})")
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("drop table if exists bench.copy_target")
                raw_shaped_table(conn, "bench.copy_target")
                conn.execute("checkpoint")
            seconds, _, cpu = measured(run_psql, url.url, f"\\copy bench.copy_target ({columns}) from '{data_file}'")
            copied = report(f"[{round_number}] psql \\copy into raw-shaped table (PK + index)", n, seconds, f"({cpu})")
            ratios.append(f"round {round_number}: loader from the generator {generated / copied:.2f}×, "
                          f"from API pages {from_pages / copied:.2f}× psql \\copy")
            if before:
                ratios[-1] += (f"; before: from the generator {before['generator'] / copied:.2f}×, "
                               f"from API pages {before['pages'] / copied:.2f}×")
            print(f"  -> {ratios[-1]}", flush=True)

        # 2. the re-load: everything is a duplicate (raw holds the pages run's rows)
        seconds, second, cpu = measured(load_batch, url.url, DOSSIER, generate_dossiers(n, seed), PII_KEY, **interval)
        assert second.status == "success" and second.counts.loaded == 0, second
        reloaded = report("load_batch, re-load (all duplicate), records from the generator", n, seconds,
                          f"(loaded {second.counts.loaded:,}, duplicate {second.counts.duplicate:,}; {cpu})")
        ratios.append(f"re-load (all duplicate) from the generator: {reloaded / copied:.2f}× the last round's "
                      "psql \\copy")
        seconds, second, cpu = measured(load_batch, url.url, DOSSIER, records_from_pages(pages_file), PII_KEY,
                                        **interval)
        assert second.status == "success" and second.counts.loaded == 0, second
        reloaded = report("load_batch, re-load (all duplicate), records decoded from API pages", n, seconds,
                          f"(loaded {second.counts.loaded:,}, duplicate {second.counts.duplicate:,}; {cpu})")
        ratios.append(f"re-load (all duplicate) from API pages: {reloaded / copied:.2f}× the last round's "
                      "psql \\copy")
        rss_after = peak_rss_mib()
        with psycopg.connect(url.url) as conn:
            size = conn.execute("select pg_total_relation_size(%s)", (DOSSIER.table,)).fetchone()[0]
        facts.append(f"peak RSS: {rss_before:.0f} MiB before loading, {rss_generated:.0f} MiB after the first "
                     f"load, {rss_after:.0f} MiB after all loads")
        facts.append(f"{DOSSIER.table}: {size / 2**20:,.0f} MiB with indexes for {n:,} rows")

        # 3. the Python work alone, no database
        def generate_only():
            for _ in generate_dossiers(n, seed):
                pass

        def python_only():
            encode = row_encoder(["text", "timestamptz", "text", "text", "jsonb"])
            for record in generate_dossiers(n, seed):
                encode(loader_row(record))

        if not args.no_python_only:
            seconds_gen, _ = timed(generate_only)
            report("generate records only (no DB)", n, seconds_gen)
            seconds_py, _ = timed(python_only)
            report("generate + canonical JSON/sha256 + validate + COPY row (no DB)", n, seconds_py,
                   f"(without generation: {seconds_py - seconds_gen:.2f} s)")
            seconds_dec, _ = timed(lambda: sum(1 for _ in records_from_pages(pages_file)))
            report("decode the API pages only (orjson, no DB)", n, seconds_dec)

        sample = min(n, 200_000)
        stages = dict.fromkeys(("generate", "canonical JSON (orjson)", "sha256", "validate (prepare_dossier)",
                                "binary COPY row"), 0)
        encode = row_encoder(["text", "timestamptz", "text", "text", "jsonb"])
        clock = time.perf_counter_ns
        records = generate_dossiers(sample, seed)
        while True:
            t0 = clock()
            record = next(records, None)
            t1 = clock()
            if record is None:
                break
            payload = canonical_json_bytes(record)
            t2 = clock()
            digest = hashlib.sha256(payload).hexdigest()
            t3 = clock()
            values = DOSSIER.prepare(record, PII_KEY)
            t4 = clock()
            encode(values + (digest, payload))
            t5 = clock()
            for stage, spent in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                stages[stage] += spent
        facts.append(f"per-record Python cost (sample of {sample:,}): " + ", ".join(
            f"{stage} {spent / sample / 1000:.1f} µs" for stage, spent in stages.items()))

        # 4. PostgreSQL alone: \copy into the loader's staging shape, and the loader's insert from staging
        if not args.no_sql_only:
            with psycopg.connect(url.url, autocommit=True) as conn:
                conn.execute("checkpoint")
            seconds, _ = timed(run_psql, url.url, *STAGING_DDL, f"\\copy pg_temp.incoming ({columns}) from '{data_file}'")
            report("psql \\copy into temp staging table (no index)", n, seconds)
            for label, select in (
                    ("SQL only: INSERT…SELECT DISTINCT ON … ON CONFLICT DO NOTHING (before)",
                     f"select distinct on (dossier_code, record_hash) {columns}, 0, now() from pg_temp.incoming "
                     "order by dossier_code, record_hash"),
                    ("SQL only: INSERT…SELECT … ON CONFLICT DO NOTHING (now, in one go)",
                     f"select {columns}, 0, now() from pg_temp.incoming")):
                with psycopg.connect(url.url, autocommit=True) as conn:
                    conn.execute("drop table if exists bench.insert_target")
                    raw_shaped_table(conn, "bench.insert_target")
                    conn.execute("checkpoint")
                with psycopg.connect(url.url) as conn, conn.transaction():
                    for ddl in STAGING_DDL:
                        conn.execute(ddl)
                    with open(data_file, "rb") as source, conn.cursor().copy(
                            f"copy pg_temp.incoming ({columns}) from stdin") as copy:
                        while block := source.read(1 << 20):
                            copy.write(block)
                    conn.execute("analyze pg_temp.incoming")
                    start = time.perf_counter()
                    inserted = conn.execute(f"insert into bench.insert_target ({columns}, batch_id, received_at) "
                                            f"{select} on conflict do nothing").rowcount
                    seconds = time.perf_counter() - start
                assert inserted == n, inserted
                report(label, n, seconds)

        # 5. pandas.to_sql, for reference
        if args.to_sql_rows:
            import pandas as pd
            import sqlalchemy
            from sqlalchemy.dialects.postgresql import JSONB

            m = min(n, args.to_sql_rows)
            frame_rows = []
            for record in generate_dossiers(m, seed):
                values = loader_row(record)
                frame_rows.append(values[:-1] + (record,))  # JSONB column: SQLAlchemy serialises the dict
            frame = pd.DataFrame(frame_rows, columns=list(COLUMNS))
            del frame_rows
            chunksize = PSYCOPG_MAX_PARAMS // len(COLUMNS)
            engine = sqlalchemy.create_engine(url.url.replace("postgresql://", "postgresql+psycopg://", 1))
            with psycopg.connect(url.url, autocommit=True) as conn:
                raw_shaped_table(conn, "bench.to_sql_target")
            try:
                seconds, _ = timed(frame.to_sql, "to_sql_target", engine, schema="bench", if_exists="append",
                                   index=False, method="multi", chunksize=chunksize, dtype={"payload": JSONB()})
            finally:
                engine.dispose()
            rows.append(("pandas to_sql(method='multi'), extrapolated", m, seconds,
                         f"(measured on {m:,} rows only, chunksize {chunksize:,}, DataFrame built beforehand; "
                         f"extrapolated to {n:,} rows: ~{n / m * seconds:,.0f} s)"))
            print(f"  pandas to_sql: {m:,} rows in {seconds:.2f} s ({m / seconds:,.0f} rows/s, "
                  f"chunksize {chunksize:,})", flush=True)

        # the table
        print()
        print(f"Dossier load benchmark — {n:,} rows, seed {seed}, {os.cpu_count()} CPUs")
        width = max(len(r[0]) for r in rows)
        print(f"{'step':<{width}}  {'rows':>10}  {'wall s':>8}  {'rows/s':>9}")
        print(f"{'-' * width}  {'-' * 10}  {'-' * 8}  {'-' * 9}")
        for step, count, seconds, note in rows:
            print(f"{step:<{width}}  {count:>10,}  {seconds:>8.2f}  {count / seconds:>9,.0f}")
        print()
        for ratio in ratios:
            print(f"- {ratio}")
        for step, count, seconds, note in rows:
            if note:
                print(f"- {step}: {note}")
        for fact in facts:
            print(f"- {fact}")
    finally:
        if args.keep:
            print(f"kept database {url.database} and {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            with psycopg.connect(server.with_database("postgres").url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{url.database}" with (force)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
