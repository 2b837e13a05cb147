"""Batch-scoped data tests (issue 14): with test_since_batch (what the build DAG sets, the last published
build's batch watermark, as the environment variable of config.dbt_build_env) the data tests over the
raw dossiers read only the newer batches; and a new value keeps dbt's saved parse (a new --vars value
would not).

A bad row (no MaTTHC: `not_null` on stg_one_stop_shop__dossiers.procedure_code fails; a NgayCapNhat
that does not parse: `assert_source_dates_parse` warns) is written into raw in batch 1, as a loader bug
would. Nightly (since = batch 1) it is not tested again and the tests pass; the same bad row in a NEW
batch fails them; a full run (null) catches the old one too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.loading.entities import DOSSIER
from ioc_pipeline.loading.raw_loader import load_batch
from tests.conftest import make_database

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
PII_KEY = b"test-only-pii-key"
SELECT = ["source:one_stop_shop", "stg_one_stop_shop__dossiers", "assert_source_dates_parse"]
NOT_NULL_PROCEDURE = "test.ioc_warehouse.not_null_stg_one_stop_shop__dossiers_procedure_code"
DATES_PARSE = "test.ioc_warehouse.assert_source_dates_parse"


def _dossier(code: str) -> dict:
    return {
        "MaHoSo": code, "MaTTHC": "1.001612", "MaDonViTiepNhan": "000.00.01.H03",
        "KenhThucHien": 2, "NoiNopHoSo": 1, "LoaiDoiTuong": 1,
        "ChuHoSo": "Người nộp " + code, "SoDinhDanh": "079090001001", "SoDienThoai": None,
        "NgayNopHoSo": "20240901080000", "NgayTiepNhan": "20240902080000", "NgayHenTra": "20240910170000",
        "NgayKetThucXuLy": None, "NgayTra": None, "TrangThaiHoSo": 4, "DuocThanhToanTrucTuyen": 0,
        "DanhSachLePhi": [], "TaiLieuNop": [], "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [],
        "NgayCapNhat": "20240902080000",
    }


def _insert_bad_row(url: str, code: str, batch_id: int) -> None:
    """A version the loader should never have stored: no MaTTHC, an unparsable NgayCapNhat."""
    payload = {**_dossier(code), "MaTTHC": None, "NgayCapNhat": "2024-09-02T08:00"}
    with psycopg.connect(url) as conn:
        conn.execute(
            "insert into raw.one_stop_shop__dossier (dossier_code, record_hash, source_updated_at, payload,"
            " batch_id, received_at) values (%s, md5(%s), now(), %s::jsonb, %s, now())",
            (code, code, json.dumps(payload), batch_id))


def _statuses(url, work: Path, label: str, since: int | None) -> tuple[dict[str, str], str]:
    """(status by node, dbt's output) of a build with test_since_batch = `since` set as the build DAG sets
    it: an environment variable (config.dbt_build_env), the vars the same every time. Every call reads and
    writes the same target folder, so dbt can re-use the saved parse of the call before."""
    env = {**os.environ, **url.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False", "DO_NOT_TRACK": "1",
           **config.dbt_build_env(as_of_date="2024-10-31", run_label=label, test_since_batch=since)}
    target = work / "target"
    (target / "run_results.json").unlink(missing_ok=True)
    done = subprocess.run(
        [str(DBT_EXECUTABLE), "build", "--select", *SELECT,
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(work / "logs"),
         "--vars", json.dumps({"marts_schema": "marts_build"}), "--no-use-colors"],
        env=env, capture_output=True, text=True, timeout=600)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].rsplit(".", 1)[0] if r["unique_id"].startswith("test.") and
            r["unique_id"].count(".") == 3 else r["unique_id"]: r["status"] for r in results}, done.stdout


@pytest.fixture(scope="module")
def warehouse_url():
    url, drop = make_database("ioc_dbt_batches")
    yield url
    drop()


def test_nightly_tests_read_only_new_batches(warehouse_url, tmp_path):
    url = warehouse_url
    first = load_batch(url.url, DOSSIER, [_dossier("B1")], PII_KEY, run_label="test_batches")
    _insert_bad_row(url.url, "OLD-BAD", first.batch_id)
    second = load_batch(url.url, DOSSIER, [_dossier("B2")], PII_KEY, run_label="test_batches")
    assert first.status == second.status == "success" and second.batch_id > first.batch_id

    # nightly, batch 1 tested before: the old bad row is not read again
    nightly, output = _statuses(url, tmp_path, "nightly", first.batch_id)
    assert nightly[NOT_NULL_PROCEDURE] == "pass" and nightly[DATES_PARSE] == "pass"
    assert all(status in ("pass", "success") for status in nightly.values()), nightly
    assert "Unable to do partial parsing because saved manifest not found" in output  # the first parse

    # a full run (setting null) tests every row: the old bad row fails / warns. The new settings are no
    # reason to parse the project again (issue 14): dbt re-uses the saved parse
    full, output = _statuses(url, tmp_path, "full", None)
    assert full[NOT_NULL_PROCEDURE] == "fail" and full[DATES_PARSE] == "warn"
    assert "Unable to do partial parsing" not in output, output

    # the same fault in a NEW batch fails the nightly tests
    third = load_batch(url.url, DOSSIER, [_dossier("B3")], PII_KEY, run_label="test_batches")
    _insert_bad_row(url.url, "NEW-BAD", third.batch_id)
    nightly, output = _statuses(url, tmp_path, "nightly_new", second.batch_id)
    assert nightly[NOT_NULL_PROCEDURE] == "fail" and nightly[DATES_PARSE] == "warn"
    assert "Unable to do partial parsing" not in output, output
    with psycopg.connect(url.url) as conn:  # and the failing rows are the new batch's only
        assert conn.execute("select count(*) from raw.one_stop_shop__dossier"
                            " where payload ->> 'MaTTHC' is null").fetchone()[0] == 2
        # the run label reached the node results the same way (on-run-end hook log_node_results)
        assert conn.execute("select array_agg(distinct run_label order by run_label) from audit.dbt_node_run"
                            ).fetchone()[0] == ["full", "nightly", "nightly_new"]
