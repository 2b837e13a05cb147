"""The suite files' rules (every expectation has a severity and its reason, raw suites are per batch)
and the generated catalog in expectations/README.md, which must be up to date."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from ioc_pipeline import config
from ioc_pipeline.quality import catalog
from ioc_pipeline.quality.suites import SUITES_DIR, all_suite_files, fill, load_suite_file

WAREHOUSE_SQL = config.PROJECT_ROOT / "ioc_pipeline" / "warehouse" / "sql"


def test_the_catalog_in_expectations_readme_is_up_to_date():
    proc = subprocess.run([sys.executable, "-m", "ioc_pipeline.quality.catalog", "--check"],
                          capture_output=True, text=True, cwd=config.PROJECT_ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_catalog_lists_every_expectation_with_its_layer_severity_and_reason():
    text = catalog.README.read_text(encoding="utf-8").split(catalog.MARKER, 1)[1]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    files = all_suite_files()
    assert len(rows) == sum(len(f.data["expectations"]) for f in files)
    for f in files:
        for exp in f.data["expectations"]:
            reason = " ".join(exp["meta"]["severity_reason"].split()).replace("|", "\\|")
            assert any(row.startswith(f"| `{f.name}` |") and f"| {exp['severity']} |" in row and reason in row
                       for row in rows), (f.name, exp["type"])
    assert {f.layer for f in files} == {"raw", "marts", "reconciliation"}


def test_check_mode_fails_when_a_suite_changed_without_its_catalog(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(catalog.render(catalog.README.read_text(encoding="utf-8")).replace("| critical |", "| warning |", 1))
    monkeypatch.setattr(catalog, "README", readme)
    assert catalog.main(["--check"]) == 1
    assert catalog.main([]) == 0 and catalog.main(["--check"]) == 0


# Raw tables that hold no source batch of their own to check with a reviewed suite, and why.
NOT_A_SOURCE_BATCH = {
    "raw.quarantine": "the refused records themselves, each with its reason",
    "raw.operator__report_file": "the workbook file as received; its rows are checked in station, subscriber and sheet_total",
    "raw.sector_feed_record": "checked per batch by suites generated from each feed's declaration (feed_expectations)",
    "raw.sector_feed_declaration": "the feeds' YAML declarations, validated by their pydantic model when read",
}


def raw_tables_of_the_warehouse() -> set[str]:
    """Every table the warehouse's DDL creates in `raw` (so a new source table cannot be forgotten)."""
    sql = "\n".join(p.read_text(encoding="utf-8") for p in sorted(WAREHOUSE_SQL.glob("*.sql")))
    return set(re.findall(r"create table if not exists (raw\.\w+)", sql, flags=re.IGNORECASE))


def test_every_raw_table_has_a_per_batch_suite():
    raw = {f.table_checked for f in all_suite_files("raw")}
    tables = raw_tables_of_the_warehouse()
    assert {"raw.one_stop_shop__agency_report", "raw.dvc_portal__citizen_accounts"} <= tables  # issue 13's
    assert set(NOT_A_SOURCE_BATCH) <= tables
    assert raw == tables - set(NOT_A_SOURCE_BATCH)
    for f in all_suite_files("raw"):
        assert "batch_id = any({batch_ids})" in f.query, f.name
        assert "any(array[7,9]::bigint[])" in fill(f.query, batch_ids=[7, 9])


def _write(tmp_path, data) -> object:
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(data))
    return path


BASE = {"name": "s", "meta": {"table": "marts.t"}, "expectations": [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "c"}, "severity": "critical",
     "description": "c is set", "meta": {"severity_reason": "the grain"}}]}


def test_an_expectation_without_a_severity_reason_is_refused(tmp_path):
    data = json.loads(json.dumps(BASE))
    del data["expectations"][0]["meta"]["severity_reason"]
    with pytest.raises(ValueError, match="severity_reason"):
        load_suite_file(_write(tmp_path, data))
    data["expectations"][0]["meta"] = {"severity_reason": "x", "severity": "warning"}
    with pytest.raises(ValueError, match="disagrees"):
        load_suite_file(_write(tmp_path, data))


def test_a_raw_suite_must_filter_on_the_new_batches(tmp_path):
    data = json.loads(json.dumps(BASE))
    data["meta"].update(layer="raw", source="one_stop_shop", entity="dossier", table="raw.t",
                        query="select * from raw.t")
    with pytest.raises(ValueError, match="batch_ids"):
        load_suite_file(_write(tmp_path, data))
    data["meta"]["query"] = "select * from raw.t where batch_id = any({batch_ids})"
    suite = load_suite_file(_write(tmp_path, data))
    with pytest.raises(ValueError, match="batch_ids are required"):
        fill(suite.query)
    with pytest.raises(ValueError, match="not a schema"):
        fill("select 1 from {marts}.x", marts="marts; drop table x")


def test_suite_files_are_the_ones_in_the_folder():
    assert sorted(f.path.name for f in all_suite_files()) == sorted(p.name for p in SUITES_DIR.glob("*.json"))
