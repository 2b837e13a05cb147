"""The fct_dossier checkpoint against a real PostgreSQL (127.0.0.1:5432, user postgres, trust).

One throw-away database per module (random suffix, dropped at the end) and one GX root per module,
so every run after the first also proves the context set-up is idempotent.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import psycopg

from tests.conftest import make_database
import pytest

from ioc_pipeline import config
from ioc_pipeline.quality import gx_context, suites
from ioc_pipeline.quality.checkpoint import QualityResult, run_fct_dossier_checkpoint

ROOT = Path(__file__).resolve().parents[2]
SOCKET_DIR = Path("/var/run/postgresql")

FCT_DOSSIER_DDL = """
create table marts.fct_dossier (
    dossier_code text, procedure_code text, agency_code text, channel text,
    is_online bool, is_online_remote bool, applicant_type int, applicant_key text,
    submitted_at timestamptz, accepted_at timestamptz, due_at timestamptz,
    finished_at timestamptz, returned_at timestamptz, status_code int, timeliness text,
    paid_online bool, has_fee bool, supplement_count int, has_e_result bool,
    updated_at timestamptz
)
"""
COLUMNS = (
    "dossier_code", "procedure_code", "agency_code", "channel", "is_online", "is_online_remote",
    "applicant_type", "applicant_key", "submitted_at", "accepted_at", "due_at", "finished_at",
    "returned_at", "status_code", "timeliness", "paid_online", "has_fee", "supplement_count",
    "has_e_result", "updated_at",
)
RAW_ID = "079123456789"  # a 12-digit citizen ID number: must never pass as an applicant_key
SUITE = json.loads(suites.FCT_DOSSIER_SUITE_FILE.read_text(encoding="utf-8"))
N_EXPECTATIONS = len(SUITE["expectations"])


def dossier(code: str, **overrides) -> dict:
    row = {
        "dossier_code": code,
        "procedure_code": "1.001234",
        "agency_code": "000.00.01.H04",
        "channel": "online",
        "is_online": True,
        "is_online_remote": True,
        "applicant_type": 1,
        "applicant_key": uuid.uuid5(uuid.NAMESPACE_OID, code).hex * 2,  # 64 hex chars
        "submitted_at": "2024-09-02 08:00+07",
        "accepted_at": "2024-09-02 09:00+07",
        "due_at": "2024-09-09 17:00+07",
        "finished_at": "2024-09-06 10:00+07",
        "returned_at": "2024-09-06 15:00+07",
        "status_code": 10,
        "timeliness": "early",
        "paid_online": True,
        "has_fee": True,
        "supplement_count": 0,
        "has_e_result": True,
        "updated_at": "2024-09-06 15:00+07",
    }
    row.update(overrides)
    return row


GOOD_ROWS = [
    dossier("G-001"),
    dossier("G-002", channel="counter", is_online=False, is_online_remote=False,
            paid_online=False, timeliness="on_time"),
    # submitted, not yet accepted: no due date and no timeliness, which is fine
    dossier("G-003", channel="post", is_online=False, is_online_remote=False, status_code=1,
            accepted_at=None, due_at=None, finished_at=None, returned_at=None,
            timeliness=None),
    # accepted and open: not classified yet
    dossier("G-004", status_code=4, finished_at=None, returned_at=None, timeliness=None),
]


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def warehouse_url() -> str:
    url, drop = make_database("ioc_dq_test")
    try:
        with psycopg.connect(url.url) as conn:
            conn.execute(FCT_DOSSIER_DDL)
        yield url.url
    finally:
        drop()


@pytest.fixture(scope="module", autouse=True)
def gx_root(tmp_path_factory):
    """One File Data Context for the whole module, outside the project's `.run/`."""
    root = tmp_path_factory.mktemp("gx_root")
    mp = pytest.MonkeyPatch()
    mp.setenv(config.GX_ROOT_ENV, str(root))
    mp.delenv(config.DATA_DOCS_DIR_ENV, raising=False)
    yield root
    mp.undo()


def load(url: str, rows: list[dict]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("truncate marts.fct_dossier")
        with conn.cursor() as cur, cur.copy(
            f"copy marts.fct_dossier ({', '.join(COLUMNS)}) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row([row[c] for c in COLUMNS])


def dq_run(url: str, run_id: int) -> dict:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute("select * from dq.validation_run where validation_run_id = %s", (run_id,))
        return cur.fetchone()


def dq_results(url: str, run_id: int) -> list[dict]:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(
            "select * from dq.validation_result where validation_run_id = %s", (run_id,)
        )
        return cur.fetchall()


def failing(results: list[dict]) -> list[dict]:
    return [r for r in results if not r["success"]]


# --------------------------------------------------------------------------------------------
# end to end


def test_good_rows_pass_and_publish_data_docs(warehouse_url, tmp_path):
    load(warehouse_url, GOOD_ROWS)
    docs = tmp_path / "data_docs"

    result = run_fct_dossier_checkpoint(warehouse_url, run_label="pytest-pass", data_docs_dir=docs)

    assert isinstance(result, QualityResult)
    assert result.status == "pass", failing(dq_results(warehouse_url, result.validation_run_id))
    assert result.success is True
    assert (result.evaluated, result.passed, result.warned, result.failed) == (
        N_EXPECTATIONS, N_EXPECTATIONS, 0, 0,
    )

    run = dq_run(warehouse_url, result.validation_run_id)
    assert run["status"] == "pass" and run["success"] is True
    assert run["run_label"] == "pytest-pass"
    assert run["checkpoint_name"] == "fct_dossier_checkpoint"
    assert run["suite_name"] == "fct_dossier"
    assert run["table_checked"] == "marts.fct_dossier"
    assert (run["evaluated"], run["passed"], run["warned"], run["failed"]) == (
        N_EXPECTATIONS, N_EXPECTATIONS, 0, 0,
    )
    assert run["report_path"] == result.report_path

    results = dq_results(warehouse_url, result.validation_run_id)
    assert len(results) == N_EXPECTATIONS
    assert all(r["success"] for r in results)
    assert {r["suite_name"] for r in results} == {"fct_dossier"}
    assert {r["table_checked"] for r in results} == {"marts.fct_dossier"}
    assert sorted(r["severity"] for r in results) == sorted(
        e["severity"] for e in SUITE["expectations"]
    )
    by_type = {(r["expectation_type"], r["column_name"]): r for r in results}
    regex = by_type[("expect_column_values_to_match_regex", "applicant_key")]
    assert regex["kwargs"]["regex"] == "^[0-9a-f]{64}$"
    assert regex["unexpected_count"] == 0
    assert by_type[("expect_table_row_count_to_be_between", None)]["observed_value"] == "4"

    # Data Docs: the site index and this validation's own page, inside the directory given.
    assert (docs / "index.html").is_file()
    report = Path(result.report_path)
    assert report.is_absolute() and report.is_file()
    assert report.resolve().is_relative_to(docs.resolve())
    assert report.suffix == ".html" and "pytest-pass" in report.parts
    page = report.read_text(encoding="utf-8")
    assert "[critical]" in page and "[warning]" in page  # severity visible to auditors
    # The context lives in the git-ignored state folder, not in expectations/.
    assert (Path(os.environ[config.GX_ROOT_ENV]) / "gx" / "great_expectations.yml").is_file()


def test_running_twice_reuses_the_context(warehouse_url, tmp_path):
    load(warehouse_url, GOOD_ROWS)
    docs = tmp_path / "docs"
    first = run_fct_dossier_checkpoint(warehouse_url, run_label="pytest-twice", data_docs_dir=docs)
    second = run_fct_dossier_checkpoint(warehouse_url, run_label="pytest-twice", data_docs_dir=docs)

    assert first.status == second.status == "pass"
    assert second.validation_run_id > first.validation_run_id
    assert first.report_path != second.report_path  # one page per run
    assert Path(first.report_path).is_file() and Path(second.report_path).is_file()
    # The context's config holds no password: the URL comes in through the environment.
    config_text = (Path(os.environ[config.GX_ROOT_ENV]) / "gx" / "great_expectations.yml").read_text()
    assert "${" + config.GX_WAREHOUSE_URL_ENV + "}" in config_text
    assert "127.0.0.1" not in config_text
    assert config.GX_WAREHOUSE_URL_ENV not in os.environ  # restored after the run
    # GX's pooled connections are closed: none outlives the task.
    with psycopg.connect(warehouse_url) as conn:
        others = conn.execute(
            "select count(*) from pg_stat_activity"
            " where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchone()[0]
    assert others == 0


def test_raw_id_as_applicant_key_fails_without_leaking_it(warehouse_url, tmp_path):
    load(warehouse_url, GOOD_ROWS + [dossier("B-001", applicant_key=RAW_ID)])
    docs = tmp_path / "docs"

    result = run_fct_dossier_checkpoint(warehouse_url, run_label="pytest-raw-id", data_docs_dir=docs)

    assert result.status == "fail"
    assert result.success is False
    assert (result.failed, result.warned) == (1, 0)
    assert result.passed == N_EXPECTATIONS - 1
    [bad] = failing(dq_results(warehouse_url, result.validation_run_id))
    assert bad["expectation_type"] == "expect_column_values_to_match_regex"
    assert bad["column_name"] == "applicant_key"
    assert bad["severity"] == "critical"
    assert bad["unexpected_count"] == 1
    assert bad["unexpected_percent"] == pytest.approx(20.0)
    assert dq_run(warehouse_url, result.validation_run_id)["status"] == "fail"

    # Neither dq nor the report nor GX's stored results repeat the ID number.
    with psycopg.connect(warehouse_url) as conn:
        dumped = conn.execute(
            "select string_agg(r::text, ' ') from dq.validation_result r"
        ).fetchone()[0]
    assert RAW_ID not in dumped
    gx_dir = Path(os.environ[config.GX_ROOT_ENV]) / "gx"
    for path in [*docs.rglob("*"), *gx_dir.rglob("*")]:
        if path.is_file():
            assert RAW_ID not in path.read_text(encoding="utf-8", errors="ignore"), path


def test_warning_only_violation_warns(warehouse_url, tmp_path):
    late_accept = dossier(
        "W-001", submitted_at="2024-09-03 08:00+07", accepted_at="2024-09-02 09:00+07"
    )
    load(warehouse_url, GOOD_ROWS + [late_accept])

    result = run_fct_dossier_checkpoint(warehouse_url, data_docs_dir=tmp_path / "docs")

    assert result.status == "warn"
    assert result.success is False
    assert (result.failed, result.warned) == (0, 1)
    [bad] = failing(dq_results(warehouse_url, result.validation_run_id))
    assert bad["expectation_type"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert bad["column_name"] == "accepted_at,submitted_at"
    assert bad["severity"] == "warning"
    assert bad["unexpected_count"] == 1
    run = dq_run(warehouse_url, result.validation_run_id)
    assert run["status"] == "warn" and run["run_label"] is None


def test_due_date_rule_counts_accepted_dossiers_only(warehouse_url, tmp_path):
    # Not accepted (status 1, or no accepted_at): a missing due date is fine.
    not_accepted = [
        dossier(f"N-{i}", status_code=1, due_at=None, timeliness=None) for i in range(5)
    ] + [dossier("N-X", accepted_at=None, due_at=None, status_code=2, timeliness=None)]
    load(warehouse_url, GOOD_ROWS + not_accepted)
    ok = run_fct_dossier_checkpoint(warehouse_url, data_docs_dir=tmp_path / "a")
    assert ok.status == "pass", failing(dq_results(warehouse_url, ok.validation_run_id))

    # Accepted without a due date: 1 of 4 accepted is far below the 95 % threshold.
    load(warehouse_url, GOOD_ROWS + [dossier("D-001", due_at=None, timeliness=None)])
    warn = run_fct_dossier_checkpoint(warehouse_url, data_docs_dir=tmp_path / "b")
    assert warn.status == "warn"
    [bad] = failing(dq_results(warehouse_url, warn.validation_run_id))
    assert (bad["expectation_type"], bad["column_name"]) == (
        "expect_column_values_to_not_be_null", "due_at",
    )
    assert bad["unexpected_count"] == 1


def test_online_remote_must_be_online_and_empty_table_fails(warehouse_url, tmp_path):
    bad_row = dossier("R-001", channel="counter", is_online=False, is_online_remote=True)
    load(warehouse_url, GOOD_ROWS + [bad_row])
    result = run_fct_dossier_checkpoint(warehouse_url, data_docs_dir=tmp_path / "a")
    assert result.status == "fail"
    [bad] = failing(dq_results(warehouse_url, result.validation_run_id))
    assert bad["expectation_type"] == "unexpected_rows_expectation"
    assert bad["severity"] == "critical"
    assert bad["unexpected_count"] == 1
    assert bad["observed_value"] == "1"
    assert "{batch}" in bad["kwargs"]["unexpected_rows_query"]

    load(warehouse_url, [])
    empty = run_fct_dossier_checkpoint(warehouse_url, data_docs_dir=tmp_path / "b")
    assert empty.status == "fail"
    assert "expect_table_row_count_to_be_between" in {
        r["expectation_type"] for r in failing(dq_results(warehouse_url, empty.validation_run_id))
    }


@pytest.mark.skipif(not (SOCKET_DIR / ".s.PGSQL.5432").exists(), reason="no local Unix socket")
def test_unix_socket_url_and_default_docs_dir_from_env(warehouse_url, tmp_path, monkeypatch):
    load(warehouse_url, GOOD_ROWS)
    dbname = warehouse_url.rsplit("/", 1)[1]
    socket_url = f"postgres://postgres@/{dbname}?host={SOCKET_DIR}"
    docs = tmp_path / "env_docs"
    monkeypatch.setenv(config.DATA_DOCS_DIR_ENV, str(docs))

    result = run_fct_dossier_checkpoint(socket_url, run_label="pytest-socket")

    assert result.status == "pass"
    assert (docs / "index.html").is_file()
    assert Path(result.report_path).resolve().is_relative_to(docs.resolve())
    assert dq_run(warehouse_url, result.validation_run_id)["run_label"] == "pytest-socket"


# --------------------------------------------------------------------------------------------
# units (no database)


@pytest.mark.parametrize(
    ("url", "sqlalchemy", "libpq"),
    [
        (
            "postgresql://u:p@h:5432/db",
            "postgresql+psycopg2://u:p@h:5432/db",
            "postgresql://u:p@h:5432/db",
        ),
        ("postgres://u@h/db", "postgresql+psycopg2://u@h/db", "postgresql://u@h/db"),
        (
            "postgresql+psycopg://u@/db?host=/run/pg",
            "postgresql+psycopg2://u@/db?host=/run/pg",
            "postgresql://u@/db?host=/run/pg",
        ),
    ],
)
def test_url_conversion(url, sqlalchemy, libpq):
    assert gx_context.sqlalchemy_url(url) == sqlalchemy
    assert gx_context.psycopg_url(url) == libpq


def test_url_conversion_rejects_other_schemes():
    with pytest.raises(ValueError):
        gx_context.sqlalchemy_url("mysql://u@h/db")


def test_suite_file_is_valid_and_every_expectation_has_a_severity():
    suite_file = suites.load_suite_file(suites.FCT_DOSSIER_SUITE_FILE)
    assert suite_file.table_checked == "marts.fct_dossier"
    assert {e["severity"] for e in SUITE["expectations"]} == {"critical", "warning"}
    suite = suites.build_gx_suite(suite_file)
    assert len(suite.expectations) == N_EXPECTATIONS
    severities = {e.expectation_type: e.severity.value for e in suite.expectations}
    assert severities["expect_column_values_to_match_regex"] == "critical"
    assert severities["expect_column_pair_values_a_to_be_greater_than_b"] == "warning"


def test_suite_file_without_severity_is_refused(tmp_path):
    bad = dict(SUITE)
    bad["expectations"] = [{"type": "expect_column_values_to_not_be_null",
                            "kwargs": {"column": "x"}}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="severity"):
        suites.load_suite_file(path)


def test_suite_file_with_an_unknown_expectation_is_refused(tmp_path):
    bad = dict(SUITE)
    bad["expectations"] = [{"type": "expect_no_such_thing", "kwargs": {}, "severity": "warning"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(Exception):
        suites.build_gx_suite(suites.load_suite_file(path))


def test_defaults_follow_config_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(config.DATA_DOCS_DIR_ENV, raising=False)
    monkeypatch.delenv(config.GX_ROOT_ENV, raising=False)
    assert config.data_docs_dir() == config.DATA_DOCS_DIR
    assert config.data_docs_dir() == ROOT / "reports" / "data_docs"
    assert config.gx_root() == config.STATE_DIR  # the context is .run/gx
    monkeypatch.setenv(config.DATA_DOCS_DIR_ENV, str(tmp_path / "d"))
    monkeypatch.setenv(config.GX_ROOT_ENV, str(tmp_path / "g"))
    assert config.data_docs_dir() == tmp_path / "d"
    assert config.gx_root() == tmp_path / "g"


def test_module_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, ioc_pipeline.quality.checkpoint; "
        "sys.exit(any(m.startswith('great_expectations') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
