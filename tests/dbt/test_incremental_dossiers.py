"""Incremental dbt builds of the dossier chain give exactly what a full refresh gives.

A fresh warehouse database gets hand-made records through the real loader (`load_batch`) in two
batches. `dbt build` after batch 1 creates everything (int_dossiers_current is incremental); batch 2
brings what a nightly extraction brings:

| dossier | batch 1                              | batch 2                                                  |
| I1      | accepted 2/9, in process (4), TINH    | new version: finished late (9)                           |
| I2      | accepted 3/9, in process (4), HUYEN   | the same version delivered again (no new raw row)        |
| I3      | v1 in process, v2 finished (9), XA    | an older version delivered late (earlier NgayCapNhat):   |
|         |                                       | a new raw row that must NOT become current               |
| I4      | waiting for a supplement (5), HUYEN   | new version: supplement received, new appointment (4)    |
| I5      | submitted only (1), XA                | new version: accepted 15/10 (XA's second agency version) |
| I6, I7  | -                                     | new dossiers (TINH online remote, XA counter)            |
| I8      | finished early (10), TINH             | -                                                        |

I6's applicant is I1's (the same ID number): a repeat applicant in October (int_repeat_applicants_monthly).

Also in batch 2, an agency version change: the department list brings a second version of HUYEN (in
force from 01/09/2024, renamed), so I2 (accepted 3/9, no new version of its own) now belongs to another
agency version: the incremental build must re-derive it (int_dossiers_classified is incremental too).

After batch 2 a build first stops after int_dossiers_current (`dbt run` of that model only), then one
stops after int_dossiers_classified (`dbt run` of int_dossier_status_history and int_dossiers_classified,
which must catch up what int_dossiers_current derived: they take the dossiers by its derived_at), as
nightly builds that failed there; the next `dbt build` (incremental, as the build DAG runs it: no unit
tests, data tests scoped) must catch up int_dossier_month_end_states (it takes the dossiers by
int_dossiers_classified.derived_at) and
then snapshots int_dossiers_current, the other intermediate models, fct_dossier and the marts over
it (kpi_online_rate_monthly, kpi_timeliness_monthly, kpi_fee_reduced_online_monthly,
dossier_watchlist); `dbt build --full-refresh` must give the same snapshot (derived_at aside). The incremental run must really be one: a MERGE, and the rows of
dossiers without a new version are not rewritten.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline.loading.entities import DEPARTMENT, DOSSIER
from ioc_pipeline.loading.raw_loader import load_batch
from tests.conftest import make_database

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
PII_KEY = b"test-only-pii-key"
AS_OF = "2024-10-31"

TINH = "000.00.01.H03"
HUYEN = "000.00.13.H03"
XA = "000.31.13.H03"  # two versions: renamed on 01/10/2024

SNAPSHOT_QUERIES = {
    "int_dossiers_current": "select * from intermediate.int_dossiers_current order by dossier_code",
    "int_dossier_status_history": "select * from intermediate.int_dossier_status_history"
                                  " order by dossier_code, version_number",
    # derived_at is the time of the run that derived the row: the only column allowed to differ
    "int_dossiers_classified": "select * from intermediate.int_dossiers_classified order by dossier_code",
    "int_dossier_month_end_states": "select * from intermediate.int_dossier_month_end_states"
                                    " order by dossier_code, segment_number",
    "int_repeat_applicants_monthly": "select * from intermediate.int_repeat_applicants_monthly"
                                     " order by month, scope, scope_code",
    "fct_dossier": "select * from marts.fct_dossier order by dossier_code",
    "kpi_online_rate_monthly": "select * from marts.kpi_online_rate_monthly order by month, scope, scope_code",
    "kpi_timeliness_monthly": "select * from marts.kpi_timeliness_monthly order by month, scope, scope_code",
    "dossier_watchlist": "select * from marts.dossier_watchlist order by dossier_code",
    "kpi_fee_reduced_online_monthly": "select * from marts.kpi_fee_reduced_online_monthly"
                                      " order by month, scope, scope_code, procedure_group",
}
# columns that say when (by which run) a row was derived, not what it holds: left out of the comparison
RUN_TIME_COLUMNS = {"derived_at", "classified_derived_at", "current_derived_at", "through_batch_id"}


def _dossier(code: str, agency: str, status: int, updated: str, **fields) -> dict:
    record = {
        "MaHoSo": code, "MaTTHC": "1.001612", "MaDonViTiepNhan": agency,
        "KenhThucHien": 2, "NoiNopHoSo": 1, "LoaiDoiTuong": 1,
        "ChuHoSo": "Người nộp " + code, "SoDinhDanh": "07909000100" + code[1:], "SoDienThoai": None,
        "NgayNopHoSo": "20240901080000", "NgayTiepNhan": None, "NgayHenTra": None,
        "NgayKetThucXuLy": None, "NgayTra": None, "TrangThaiHoSo": status, "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [], "TaiLieuNop": [], "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [],
        "NgayCapNhat": updated,
    }
    record.update(fields)
    return record


I1 = dict(NgayTiepNhan="20240902080000", NgayHenTra="20240910170000")
I2 = dict(NgayTiepNhan="20240903080000", NgayHenTra="20241104170000", KenhThucHien=1, NoiNopHoSo=None)
I3 = dict(NgayTiepNhan="20240905080000", NgayHenTra="20240913170000", KenhThucHien=None, NoiNopHoSo=None)
I4_REQUEST = {"NgayBoSung": "20240906080000", "NgayTiepNhanBoSung": None, "NgayHenTraMoi": None}
I4 = dict(NgayTiepNhan="20240904080000", NgayHenTra="20240911170000")


def batch_1() -> list[dict]:
    return [
        _dossier("I1", TINH, 4, "20240902080000", **I1),
        _dossier("I2", HUYEN, 4, "20240903080000", **I2),
        _dossier("I3", XA, 4, "20240905080000", **I3),
        _dossier("I3", XA, 9, "20240912100000", NgayKetThucXuLy="20240912100000", **I3),
        _dossier("I4", HUYEN, 5, "20240906080000", DanhSachHoSoBoSung=[I4_REQUEST], **I4),
        _dossier("I5", XA, 1, "20240920080000", NgayNopHoSo="20240920080000"),
        _dossier("I8", TINH, 10, "20240905150000", NgayTiepNhan="20240902090000", NgayHenTra="20240906170000",
                 NgayKetThucXuLy="20240904100000", NgayTra="20240905150000"),
    ]


def batch_2() -> list[dict]:
    return [
        # I1 finished after its due time: late
        _dossier("I1", TINH, 9, "20240911090000", NgayKetThucXuLy="20240911090000", **I1),
        # I2 delivered again, unchanged
        _dossier("I2", HUYEN, 4, "20240903080000", **I2),
        # I3: an intermediate version (received only now) older than the current one
        _dossier("I3", XA, 6, "20240908080000", **I3),
        # I4: the supplement came in, new appointment 20/09; back in process
        _dossier("I4", HUYEN, 4, "20240910080000", **{
            **I4, "DanhSachHoSoBoSung": [{**I4_REQUEST, "NgayTiepNhanBoSung": "20240910080000",
                                          "NgayHenTraMoi": "20240920170000"}]}),
        # I5 accepted in October (the commune's second version is in force)
        _dossier("I5", XA, 2, "20241015080000", NgayNopHoSo="20240920080000",
                 NgayTiepNhan="20241015080000", NgayHenTra="20241030170000"),
        # I6 is I1's applicant (the same ID number): a repeat applicant in October, online remote
        _dossier("I6", TINH, 2, "20241020080000", NgayNopHoSo="20241020070000", SoDinhDanh="079090001001",
                 NgayTiepNhan="20241020080000", NgayHenTra="20241031170000"),
        _dossier("I7", XA, 4, "20241021080000", NgayNopHoSo="20241021070000", KenhThucHien=1,
                 NoiNopHoSo=None, NgayTiepNhan="20241021080000", NgayHenTra="20241101170000"),
    ]


def departments() -> list[dict]:
    base = {"parentCode": None, "adminUnitCode": "77", "validFrom": "2020-01-01", "validTo": None}
    return [
        {**base, "code": TINH, "name": "Sở Tư pháp", "level": "TINH"},
        {**base, "code": HUYEN, "name": "UBND huyện Châu Đức", "level": "HUYEN"},
        {**base, "code": XA, "name": "UBND xã Láng Lớn", "level": "XA", "validTo": "2024-09-30"},
        {**base, "code": XA, "name": "UBND xã Láng Lớn (mới)", "level": "XA", "validFrom": "2024-10-01"},
    ]


def departments_2() -> list[dict]:
    """Batch 2's department list: HUYEN has a second version, in force from 01/09/2024."""
    base = {"parentCode": None, "adminUnitCode": "77", "validTo": None, "level": "HUYEN"}
    return [{**base, "code": HUYEN, "name": "UBND huyện Châu Đức (từ 9/2024)", "validFrom": "2024-09-01"}]


def _load(url: str, entity, records: list[dict]):
    result = load_batch(url, entity, records, PII_KEY, run_label="test_incremental")
    assert result.status == "success" and result.counts.quarantined == 0, result
    return result


def _dbt(url, work: Path, label: str, *args: str, extra_vars: dict | None = None, check: bool = True) -> Path:
    target = work / label
    env = {**os.environ, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1"}
    command = [str(DBT_EXECUTABLE), *args,
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target), "--log-path", str(work / "logs"),
               "--vars", json.dumps({"as_of_date": AS_OF, **(extra_vars or {})}), "--no-use-colors"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
        assert "ERROR=0" in result.stdout
    return target


def _test_failures(target: Path) -> dict[str, int]:
    """failing rows per data test of a `dbt test` run (its run_results.json), by test name prefix."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r["failures"] or 0 for r in results if r["unique_id"].startswith("test.")}


# a scoped data test of each intermediate dossier table, and how to break the rows it reads
# (a failing not_null / relationships test has one failing row per broken row)
CORRUPTIONS = {
    "not_null_int_dossiers_classified_is_online": ("intermediate.int_dossiers_classified", "is_online", "null"),
    "relationships_int_dossiers_classified_agency_version_key": (
        "intermediate.int_dossiers_classified", "agency_version_key", "'bogus'"),
}
# fct_dossier's scoped tests read the dossiers derived since (classified.derived_at). Its not-null
# columns are constraints of its enforced contract (PostgreSQL refuses the null): a value outside the
# accepted ones stands in, one per dossier (accepted_values fails once per distinct value)
FCT_CORRUPTIONS = {
    "accepted_values_fct_dossier_timeliness": ("marts.fct_dossier", "timeliness", "'bogus-' || dossier_code"),
    "accepted_values_fct_dossier_agency_level": ("marts.fct_dossier", "agency_level", "'bogus-' || dossier_code"),
}


# int_dossiers_current and int_dossier_status_history: I1 (a new version in batch 2: re-derived since)
# stands where I2 stands above; in the history, the dossier's version-0 row only (one failing row each)
CURRENT_CORRUPTIONS = {
    "not_null_int_dossiers_current_supplement_count": ("intermediate.int_dossiers_current", "supplement_count", "null"),
    "not_null_int_dossier_status_history_is_closed": (
        "intermediate.int_dossier_status_history", "is_closed", "null", "version_number = 0"),
    "not_null_int_dossier_status_history_versions_received": (
        "intermediate.int_dossier_status_history", "versions_received", "null", "version_number = 0"),
}


def _scoped_tests(url, work: Path, since: str, corruptions: dict = CORRUPTIONS,
                  model: str = "int_dossiers_classified", codes: tuple[str, str] = ("I2", "I8")
                  ) -> dict[str, dict[str, int]]:
    """Break I2 (re-derived only because its agency's versions changed: no new version of its own) and
    I8 (not re-derived since `since`) in place, without touching derived_at, then run the data tests of
    the intermediate dossier tables with test_since_derived_at = `since` (a nightly build after a
    published build that started then) and with the var null (a hand-run build); restore the rows.
    Returns the failing rows per test of both runs."""
    with psycopg.connect(url.url) as conn:
        saved = {}
        for table, column, bad, *only in corruptions.values():
            also = "".join(f" and {o}" for o in only)  # one row per dossier
            saved[(table, column, also)] = conn.execute(
                f"select dossier_code, {column} from {table} where dossier_code in {codes!r}{also}").fetchall()
            assert len(saved[(table, column, also)]) == 2, (table, also)
            conn.execute(f"update {table} set {column} = {bad} where dossier_code in {codes!r}{also}")
    try:
        select = ["--select", *model.split()]
        return {
            "scoped": _test_failures(_dbt(url, work, f"test_scoped_{model}", "test", *select, check=False,
                                          extra_vars={"test_since_derived_at": since})),
            "all": _test_failures(_dbt(url, work, f"test_all_{model}", "test", *select, check=False,
                                       extra_vars={"test_since_derived_at": None})),
        }
    finally:
        with psycopg.connect(url.url) as conn:
            for (table, column, also), rows in saved.items():
                for code, value in rows:
                    conn.execute(f"update {table} set {column} = %s where dossier_code = %s{also}",
                                 (value, code))


def _snapshot(url) -> dict[str, list[tuple]]:
    snapshot = {}
    with psycopg.connect(url.url) as conn:
        for name, sql in SNAPSHOT_QUERIES.items():
            cursor = conn.execute(sql)
            keep = [i for i, column in enumerate(cursor.description) if column.name not in RUN_TIME_COLUMNS]
            snapshot[name] = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
    return snapshot


def _row_versions(url, model: str = "int_dossiers_current") -> dict[str, str]:
    """xmin of each row of an incremental model: changes only when the row is rewritten (for a model
    with several rows per dossier, the xmins of the dossier's rows)."""
    with psycopg.connect(url.url) as conn:
        return dict(conn.execute(
            f"select dossier_code, string_agg(xmin::text, ',' order by xmin::text)"
            f" from intermediate.{model} group by dossier_code").fetchall())


def _applicant_indexes(url) -> list[str]:
    """The indexes of int_dossiers_classified on (applicant_key, is_accepted)."""
    with psycopg.connect(url.url) as conn:
        return [name for (name,) in conn.execute(
            """select indexname from pg_indexes where schemaname = 'intermediate'
                and tablename = 'int_dossiers_classified' and indexdef like '%(applicant_key, is_accepted)'""")]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Batch 1, build; batch 2, incremental build, snapshot; full refresh, snapshot."""
    assert DBT_EXECUTABLE.exists(), f"dbt not found next to the interpreter: {DBT_EXECUTABLE}"
    work = tmp_path_factory.mktemp("dbt_incremental")
    url, drop = make_database("ioc_dbt_incr")
    try:
        _load(url.url, DEPARTMENT, departments())
        first = _load(url.url, DOSSIER, batch_1())
        assert first.counts.loaded == 7
        _dbt(url, work, "build_1", "build")
        applicant_index_1 = _applicant_indexes(url)
        with psycopg.connect(url.url) as conn:  # a warehouse built before the index was added to the model
            for name in applicant_index_1:
                conn.execute(f'drop index intermediate."{name}"')
        rows_after_1 = _row_versions(url)
        classified_after_1 = _row_versions(url, "int_dossiers_classified")
        states_after_1 = _row_versions(url, "int_dossier_month_end_states")
        with psycopg.connect(url.url) as conn:
            received_1 = conn.execute("select max(received_at) from raw.one_stop_shop__dossier").fetchone()[0]

        _load(url.url, DEPARTMENT, departments_2())
        second = _load(url.url, DOSSIER, batch_2())
        assert (second.counts.loaded, second.counts.duplicate) == (6, 1)  # I2 again: not a new row
        with psycopg.connect(url.url) as conn:
            assert conn.execute("select min(received_at) from raw.one_stop_shop__dossier where batch_id = %s",
                                (second.batch_id,)).fetchone()[0] > received_1
        with psycopg.connect(url.url) as conn:  # as if build 1 had been published and a build started now
            since = conn.execute("select now()").fetchone()[0].isoformat()
        # a nightly build that stopped after int_dossiers_classified (the models downstream did not run):
        # the next build must still take every dossier re-derived since their last run (derived_at)
        # first a build that stopped right after int_dossiers_current: int_dossier_status_history and
        # int_dossiers_classified take the dossiers by int_dossiers_current.derived_at, so the next run
        # of theirs must take these too
        _dbt(url, work, "build_2_stopped_current", "run", "--select", "int_dossiers_current")
        _dbt(url, work, "build_2_stopped", "run", "--select", "int_dossier_status_history", "int_dossiers_classified")
        # the nightly build as the build DAG runs it: no unit tests, data tests scoped to the new batches
        # and to the rows derived since `since` (every test of the build must pass)
        incremental_target = _dbt(url, work, "build_2", "build", "--exclude", "resource_type:unit_test",
                                  extra_vars={"test_since_batch": first.batch_id, "test_since_derived_at": since})
        incremental_results = json.loads((incremental_target / "run_results.json").read_text())["results"]
        rows_after_2 = _row_versions(url)
        classified_after_2 = _row_versions(url, "int_dossiers_classified")
        states_after_2 = _row_versions(url, "int_dossier_month_end_states")
        incremental = _snapshot(url)
        applicant_index_2 = _applicant_indexes(url)
        # the scoped tests, on the tables of that build (they break rows and put them back: after the
        # row-version and table snapshots)
        scoped = _scoped_tests(url, work, since)
        scoped_fct = _scoped_tests(url, work, since, FCT_CORRUPTIONS, "fct_dossier")
        scoped_current = _scoped_tests(url, work, since, CURRENT_CORRUPTIONS,
                                       "int_dossiers_current int_dossier_status_history", codes=("I1", "I8"))
        assert _snapshot(url) == incremental

        _dbt(url, work, "build_full", "build", "--full-refresh")
        full = _snapshot(url)
        applicant_index_full = _applicant_indexes(url)
        yield {
            "incremental": incremental, "full": full, "url": url,
            "rows_after_1": rows_after_1, "rows_after_2": rows_after_2,
            "classified_after_1": classified_after_1, "classified_after_2": classified_after_2,
            "states_after_1": states_after_1, "states_after_2": states_after_2,
            "incremental_sql": next(incremental_target.glob("run/**/int_dossiers_current.sql")).read_text(),
            "incremental_results": incremental_results, "scoped": scoped, "scoped_fct": scoped_fct,
            "scoped_current": scoped_current,
            "applicant_indexes": (applicant_index_1, applicant_index_2, applicant_index_full),
        }
    finally:
        drop()


def test_incremental_build_equals_full_refresh(builds):
    incremental, full = builds["incremental"], builds["full"]
    for name in SNAPSHOT_QUERIES:
        assert incremental[name], f"{name} is empty"
        assert incremental[name] == full[name], f"{name}: incremental build differs from the full refresh"


def test_second_build_was_incremental(builds):
    sql = builds["incremental_sql"].lower()
    assert "merge into" in sql and "int_dossiers_current" in sql  # PostgreSQL 15+ here
    before, after = builds["rows_after_1"], builds["rows_after_2"]
    # only dossiers with a new raw version were re-derived and merged
    assert {code for code in after if before.get(code) != after[code]} == {"I1", "I3", "I4", "I5", "I6", "I7"}
    assert before["I2"] == after["I2"] and before["I8"] == after["I8"]
    # int_dossiers_classified: the same dossiers, and I2, whose agency (HUYEN) got a new version
    before, after = builds["classified_after_1"], builds["classified_after_2"]
    assert {code for code in after if before.get(code) != after[code]} == {"I1", "I2", "I3", "I4", "I5", "I6", "I7"}
    assert before["I8"] == after["I8"]
    # int_dossier_month_end_states: the dossiers int_dossiers_classified re-derived (derived_at watermark)
    before, after = builds["states_after_1"], builds["states_after_2"]
    assert {code for code in after if before.get(code) != after[code]} == {"I1", "I2", "I3", "I4", "I5", "I6", "I7"}
    assert before["I8"] == after["I8"]


def test_incremental_results_hand_worked(builds):
    with psycopg.connect(builds["url"].url) as conn:
        # the incremental build's results are checked here on the full refresh's tables, equal to them
        rows = {r[0]: r[1:] for r in conn.execute(
            "select f.dossier_code, f.status_code, f.versions_received, f.timeliness, f.due_at, f.agency_version_match,"
            " d.valid_from from marts.fct_dossier as f"
            " left join marts.dim_agency as d on f.agency_version_key = d.agency_version_key").fetchall()}
    utc = dt.timezone.utc
    assert rows["I1"][:3] == (9, 2, "late")
    assert rows["I2"][:2] == (4, 1) and rows["I2"][4:] == ("in_force", dt.date(2024, 9, 1))
    assert rows["I3"][:3] == (9, 3, "early")  # the late-delivered older version does not win
    assert rows["I4"][:2] == (4, 2) and rows["I4"][3] == dt.datetime(2024, 9, 20, 10, 0, tzinfo=utc)
    assert rows["I5"][:2] == (2, 2) and rows["I5"][4:] == ("in_force", dt.date(2024, 10, 1))
    assert set(rows) == {"I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8"}


def test_repeat_applicants_hand_worked(builds):
    """I6 (accepted 20/10, Sở Tư pháp, online remote) is I1's applicant (accepted 2/9): in October one
    repeat applicant, moving online, in the province, the TINH level and the agency; 0 elsewhere. Every
    month and scope with an accepted dossier has a row: September (I1-I4, I8: TINH, HUYEN, XA), October
    (I5 and I7 at XA, I6 at TINH)."""
    with psycopg.connect(builds["url"].url) as conn:
        rows = {(str(r[0]), r[1], r[2]): (r[3], r[4]) for r in conn.execute(
            "select month, scope, scope_code, repeat_applicants, repeat_applicants_online_remote"
            " from intermediate.int_repeat_applicants_monthly").fetchall()}
    repeat = {("2024-10-01", "province", "province"), ("2024-10-01", "level", "TINH"), ("2024-10-01", "agency", TINH)}
    assert set(rows) == {(month, scope, code) for month in ("2024-09-01", "2024-10-01")
                         for scope, code in (("province", "province"), ("level", "TINH"), ("level", "XA"),
                                             ("agency", TINH), ("agency", XA))} | {
        ("2024-09-01", "level", "HUYEN"), ("2024-09-01", "agency", HUYEN)}
    assert {key for key, value in rows.items() if value != (0, 0)} == repeat
    assert all(rows[key] == (1, 1) for key in repeat)


def test_the_applicant_index_reaches_a_warehouse_built_without_it(builds):
    """int_repeat_applicants_monthly reads int_dossiers_classified through its (applicant_key,
    is_accepted) index. dbt creates a model's configured indexes only with its table; the post-hook
    (macro ensure_index) also gives it to a table built before it (dropped after build 1 here), once."""
    first, incremental, full = builds["applicant_indexes"]
    assert len(first) == 1 and len(incremental) == 1 and len(full) == 1


def _failures(run: dict[str, int], prefix: str) -> int:
    matching = [failures for name, failures in run.items()
                if name == prefix or (name.startswith(prefix) and name.startswith(("relationships_", "accepted_values_")))]
    assert len(matching) == 1, (prefix, sorted(run))
    return matching[0]


def test_derived_row_scoped_tests_read_every_row_derived_since_the_last_published_build(builds):
    """With test_since_derived_at, the scoped data tests read exactly the rows derived since: I2, re-derived
    for its agency's new version (its raw batch is old: a batch watermark would miss it), fails the
    broken test; I8, unchanged since, is not read. With the var null every row is read. The same for
    int_dossiers_current and int_dossier_status_history with I1 (a new version since)."""
    for key, corruptions in (("scoped", CORRUPTIONS), ("scoped_fct", FCT_CORRUPTIONS),
                             ("scoped_current", CURRENT_CORRUPTIONS)):
        scoped, every = builds[key]["scoped"], builds[key]["all"]
        for prefix in corruptions:
            assert _failures(scoped, prefix) == 1, prefix  # I2 only
            assert _failures(every, prefix) == 2, prefix  # I2 and I8
        # the other tests of these tables pass either way (the rows are otherwise sound)
        assert sum(scoped.values()) == len(corruptions), scoped
        assert sum(every.values()) == 2 * len(corruptions), every


def test_the_nightly_build_runs_no_unit_test_and_every_scoped_test_passes(builds):
    results = builds["incremental_results"]
    assert not [r for r in results if r["unique_id"].startswith("unit_test.")]
    ok = ("success", "pass", "warn", "no-op")
    assert {r["status"] for r in results} <= set(ok), [(r["unique_id"], r["status"]) for r in results
                                                        if r["status"] not in ok]
    scoped = [r for r in results if r["unique_id"].startswith("test.") and "derived_at >=" in (r.get("compiled_code") or "")]
    assert len(scoped) >= 15


def test_a_batch_that_commits_after_a_later_started_one_is_not_missed(builds, tmp_path):
    """int_dossiers_current looks only at the dossiers with a raw version in a batch after the watermark
    of its last run (through_batch_id: every batch up to it had finished). Batch A starts (its id is
    allocated), B starts later and commits first, a build runs, then A commits: A's id is below B's, so a
    watermark of "the highest batch seen" would miss A's dossier for ever. (Runs last: it changes the
    database the other tests read.)"""
    url = builds["url"]
    with psycopg.connect(url.url) as conn:
        batch_a = conn.execute(
            "insert into audit.load_batch (source, entity, status) values ('one_stop_shop', 'dossier', 'running')"
            " returning batch_id").fetchone()[0]
    b = _load(url.url, DOSSIER, [_dossier("I6", TINH, 4, "20241022080000", NgayNopHoSo="20241020070000",
                                          NgayTiepNhan="20241020080000", NgayHenTra="20241031170000")])
    assert b.batch_id > batch_a
    _dbt(url, tmp_path, "run_b", "run", "--select", "int_dossiers_current")
    # A commits now: its rows carry A's (lower) batch_id. (Loaded as a batch of its own, then given A's id.)
    late = _load(url.url, DOSSIER, [_dossier("I8", TINH, 10, "20240906150000", NgayTiepNhan="20240902090000",
                                             NgayHenTra="20240906170000", NgayKetThucXuLy="20240904100000",
                                             NgayTra="20240905150000")])
    with psycopg.connect(url.url) as conn:
        conn.execute("update raw.one_stop_shop__dossier set batch_id = %s where batch_id = %s",
                     (batch_a, late.batch_id))
        conn.execute("update audit.load_batch set status = 'success', finished_at = now() where batch_id = %s",
                     (batch_a,))
        through_b = conn.execute("select max(through_batch_id) from intermediate.int_dossiers_current").fetchone()[0]
    assert through_b == batch_a - 1  # A was running: the watermark stopped below it
    _dbt(url, tmp_path, "run_a", "run", "--select", "int_dossiers_current")
    with psycopg.connect(url.url) as conn:
        versions = dict(conn.execute("select dossier_code, versions_received from intermediate.int_dossiers_current"
                                     " where dossier_code in ('I6', 'I8')").fetchall())
        through_a = conn.execute("select max(through_batch_id) from intermediate.int_dossiers_current").fetchone()[0]
    assert versions == {"I6": 2, "I8": 2}
    assert through_a >= b.batch_id
