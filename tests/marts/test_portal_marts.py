"""dim_procedure and index_766_monthly built by dbt from what the extraction really loaded.

The simulator serves the catalog (96 procedures) and September 2024's index (108 agencies x 6
groups, 2376 metrics);
both go through the real HTTP client and loader into a throwaway database, then `dbt build --select
+index_766_monthly +dim_procedure` runs there (models, data tests, unit tests). Figures checked by hand
are in tests/tasks/test_portal_extraction.py's docstring (000.00.13.H03: 2.1 = 1 / 2).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ioc_pipeline import config
from ioc_pipeline.sources.http import HttpEndpoint
from ioc_pipeline.tasks.portal import extract_evaluation_metrics, extract_formalities
from ioc_simulator.server import SimulatorServer
from ioc_pipeline.config import VN
from ioc_pipeline.sources.http import RetryPolicy
from tests.conftest import make_database, scalar

FAST = RetryPolicy(max_attempts=3, backoff_initial=0.05, backoff_max=0.2)
SELECT = ["+index_766_monthly", "+dim_procedure"]


def _dbt_build(url, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **config.QUIET_ENV, **url.dbt_env()}
    command = [str(Path(sys.executable).parent / "dbt"), "build", "--select", *SELECT,
               "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
               "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=config.DBT_PROJECT_DIR)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    url, drop = make_database("ioc_portal_marts")
    tmp = tmp_path_factory.mktemp("dbt")
    try:
        empty = _dbt_build(url, tmp)  # a fresh warehouse: empty raw tables must build too
        assert empty.returncode == 0, empty.stdout[-6000:]
        with SimulatorServer() as sim:
            endpoint = HttpEndpoint.from_uri(sim.portal_conn_uri)
            assert extract_formalities(url.url, endpoint, policy=FAST).status == "success"
            [month] = extract_evaluation_metrics(url.url, endpoint, datetime(2024, 9, 1, tzinfo=VN),
                                                 datetime(2024, 10, 1, tzinfo=VN), policy=FAST)
            assert month.ok
        result = _dbt_build(url, tmp)
        assert result.returncode == 0, result.stdout[-6000:]
        assert "ERROR=0" in result.stdout and "WARN=0" in result.stdout
        with psycopg.connect(url.url, autocommit=True) as conn:
            yield conn
    finally:
        drop()


def test_index_has_one_row_per_month_agency_and_metric(built):
    assert scalar(built, "select count(*) from marts.index_766_monthly") == 2376
    assert scalar(built, "select count(distinct agency_code) from marts.index_766_monthly") == 108
    assert scalar(built, "select min(month)::text || '/' || max(month)::text from marts.index_766_monthly") == \
        "2024-09-01/2024-09-01"
    groups = dict(built.execute("select indicator_group, sum(max_score) / 108 from marts.index_766_monthly "
                                "group by 1").fetchall())
    assert groups == {"transparency": 18, "progress": 20, "online": 12, "payment": 10, "digitization": 22,
                      "satisfaction": 18}


def test_hand_checked_metric_arrives_unrounded(built):
    row = built.execute(
        "select numerator, denominator, ratio, ratio_percent, score, max_score from marts.index_766_monthly "
        "where agency_code = '000.00.13.H03' and metric_code = 'PROGRESS_ON_TIME'").fetchone()
    # 1 / 2 -> the portal's 50.0 %; score 20 x 1 / 2 = 10.0 exactly as the JSON carried it.
    assert row == (1, 2, Decimal("0.5"), Decimal("50.0"), Decimal("10.0"), 20)


def test_nulls_stay_null_from_raw_to_mart(built):
    for column in ("numerator", "denominator", "ratio", "score", "max_score"):
        json_field = {"ratio": "ratio", "max_score": "maxScore"}.get(column, column)
        raw_nulls = scalar(built, f"select count(*) from raw.dvc_portal__evaluation_metric "
                                  f"where jsonb_typeof(metric -> '{json_field}') = 'null'")
        mart_nulls = scalar(built, f"select count(*) from marts.index_766_monthly where {column} is null")
        assert mart_nulls == raw_nulls, column
    # Never turned into 0: the metric without a published formula is null in every number but its maximum.
    assert built.execute(
        "select count(*), count(numerator), count(denominator), count(ratio), count(score), min(max_score) "
        "from marts.index_766_monthly where metric_code = 'ELECTRONIC_CERTIFIED_COPY'").fetchone() == (108, 0, 0, 0, 0, 2)
    assert scalar(built, "select count(*) from marts.index_766_monthly where ratio is null") >= 108


def test_dim_procedure_holds_the_catalog(built):
    assert scalar(built, "select count(*) from marts.dim_procedure") == 96
    row = built.execute("select procedure_name, sector_code, levels, online_level, has_fee, fee_reduced_online, "
                        "processing_time, processing_time_unit, paper_result, state, is_in_force "
                        "from marts.dim_procedure where procedure_code = '2.000815'").fetchone()
    assert row == ("Chứng thực bản sao từ bản chính giấy tờ, văn bản", "CHUNG_THUC", "HUYEN,XA", "MOT_PHAN", True,
                   False, 1, "NGAY_LAM_VIEC", True, "CONG_KHAI", True)
    assert built.execute("select state, is_in_force, online_level from marts.dim_procedure "
                         "where procedure_code = '1.001266'").fetchone() == ("BAI_BO", False, None)
