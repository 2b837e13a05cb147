"""The auditors' page on hand-made audit rows, opened in headless Chromium, offline.

A bootstrapped warehouse with no pipeline run: two dbt runs (each node its own invocation, as under
Cosmos) and a hand-run dbt build without a label, a failing and a passing checkpoint run, and the
columns another change adds to `dq.validation_run` to say what a validation covered (the period and
the load batches). The page must list every check of every run with its mark, the dbt tests grouped
by run, and the scope columns, whatever they are called. (`test_report_in_browser.py` checks the
same page on a real run.)
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.conftest import make_database
from tests.report.browser import parse, visit
from tests.report.test_report_in_browser import ARTIFACTS, assert_offline

T0 = datetime(2024, 11, 1, 1, 0, tzinfo=timezone.utc)
# (run label, node, resource type, status, message)
NODES = [
    ("run-A", "model.ioc_warehouse.fct_dossier", "model", "success", "SELECT 9"),
    ("run-A", "test.ioc_warehouse.not_null_fct_dossier_dossier_code.1a", "test", "pass", None),
    ("run-A", "test.ioc_warehouse.accepted_values_fct_dossier_channel.2b", "test", "warn", "Got 1 result, configured to warn if != 0"),
    ("run-A", "unit_test.ioc_warehouse.kpi_online_rate_monthly.test_labels", "unit_test", "pass", None),
    ("run-B", "model.ioc_warehouse.fct_dossier", "model", "success", "SELECT 9"),
    ("run-B", "model.ioc_warehouse.kpi_online_rate_monthly", "model", "error", "Database Error: boom"),
    ("run-B", "test.ioc_warehouse.not_null_fct_dossier_dossier_code.1a", "test", "fail", "Got 2 results, configured to fail if != 0"),
    ("run-B", "test.ioc_warehouse.unique_kpi_online_rate_monthly.3c", "test", "skipped", None),
    (None, "test.ioc_warehouse.not_null_fct_dossier_dossier_code.1a", "test", "pass", None),
]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    url, drop = make_database("ioc_auditors")
    try:
        with psycopg.connect(url.url, autocommit=True) as conn:
            # what the data-quality change adds (names unknown here): the period and the batches covered
            conn.execute("alter table dq.validation_run add column if not exists covered_from timestamptz,"
                         " add column if not exists covered_batch_ids bigint[]")
            for i, (label, node, kind, status, message) in enumerate(NODES):
                conn.execute(
                    """insert into audit.dbt_node_run (invocation_id, node_id, resource_type, status, message,
                                                       finished_at, run_label)
                       values (%s, %s, %s, %s, %s, %s, %s)""",
                    (str(uuid.uuid4()), node, kind, status, message,
                     T0 + timedelta(days={"run-A": 0, "run-B": 1, None: 2}[label], minutes=i), label))
            for label, status, results in (("run-A", "pass", [("critical", True)]),
                                           ("run-B", "fail", [("critical", True), ("warning", False),
                                                              ("critical", False)])):
                run_id = conn.execute(
                    """insert into dq.validation_run (run_label, checkpoint_name, suite_name, table_checked, success,
                                                      status, evaluated, passed, warned, failed, report_path,
                                                      covered_from, covered_batch_ids)
                       values (%s, 'fct_dossier_checkpoint', 'fct_dossier', 'marts.fct_dossier', %s, %s, %s, 0, 0, 0,
                               null, '2024-09-01 00:00+07', '{12,13}') returning validation_run_id""",
                    (label, status == "pass", status, len(results))).fetchone()[0]
                for severity, success in results:
                    conn.execute(
                        """insert into dq.validation_result (validation_run_id, expectation_type, column_name,
                                                             severity, success, observed_value, unexpected_count,
                                                             suite_name, table_checked)
                           values (%s, 'expect_column_values_to_not_be_null', 'due_at', %s, %s, '1 of 9', 1,
                                   'fct_dossier', 'marts.fct_dossier')""", (run_id, severity, success))
        from ioc_pipeline.report import write_auditors_page

        out = write_auditors_page(url.url, tmp_path_factory.mktemp("auditors"))
        yield out
    finally:
        drop()


def test_dbt_tests_are_grouped_by_run_with_every_result_offline(page):
    html = page.read_text(encoding="utf-8")
    seen = visit(page, ARTIFACTS / "auditors-dbt-runs.png")
    assert_offline(html, seen)
    dom = parse(seen.dom)
    runs = [r.attrs["data-dbt-run"] for r in dom.find("table", id="dbt-runs").find_all("tr")
            if "data-dbt-run" in r.attrs]
    assert runs[:2] == [runs[0], "run-B"] and runs[0].startswith("dbt ") and runs[2] == "run-A"
    # one row per run: the tests' marks pass / warn / fail / skipped
    rows = {r.attrs["data-dbt-run"]: r for r in dom.find("table", id="dbt-runs").find_all("tr")
            if "data-dbt-run" in r.attrs}
    assert rows["run-A"].field("counts") == "2 / 1 / 0 / 0"
    assert rows["run-B"].field("counts") == "0 / 0 / 1 / 1"
    assert "Cảnh báo" in rows["run-A"].text() and "Không đạt" in rows["run-B"].text()
    assert "Đạt" in rows[runs[0]].text()
    # each run's section lists every test of that run, and a model that failed to build
    for label in ("run-A", "run-B"):
        section = dom.find("section", data_dbt_run=label)
        listed = {(r.attrs["data-node"], r.attrs["data-status"]) for r in section.find_all("tr") if "data-node" in r.attrs}
        mark = {"pass": "pass", "warn": "warn", "fail": "fail", "error": "fail", "skipped": "none"}
        expected = {(node, mark[status]) for run, node, kind, status, _ in NODES
                    if run == label and (kind != "model" or status == "error")}
        assert listed == expected, label
    assert "Got 2 results" in dom.find("section", data_dbt_run="run-B").text()


def test_each_validation_shows_every_check_and_what_it_covered(page):
    dom = parse(visit(page).dom)
    sections = [s for s in dom.find_all("section") if "data-run" in s.attrs]
    assert len(sections) == 2
    marks = {s.attrs["data-run"]: [r.attrs["data-status"] for r in s.find_all("tr") if "data-status" in r.attrs]
             for s in sections}
    assert sorted(marks.values()) == [["pass"], ["pass", "warn", "fail"]]
    for section in sections:
        assert section.find(data_scope="covered_from").text() == "01/09/2024 00:00"
        assert section.find(data_scope="covered_batch_ids").text() == "12, 13"
