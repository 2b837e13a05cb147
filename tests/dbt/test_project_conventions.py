"""The dbt project keeps its own rules: read from the manifest `dbt parse` writes.

- every mart enforces its contract, and every mart column has a data type and a description;
- every model is described; every mart has a key test (unique, or unique over a column combination);
- only staging models read sources, and staging models read nothing else;
- every raw source table declares freshness.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ioc_pipeline import config


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    target = tmp_path_factory.mktemp("dbt_target")
    env = {**os.environ, **config.QUIET_ENV}
    subprocess.run([str(config.Path(sys.executable).parent / "dbt"), "parse", "--quiet",
                    "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
                    "--target-path", str(target), "--log-path", str(target)], env=env, check=True)
    return json.loads((target / "manifest.json").read_text())


def _models(manifest, folder=None):
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"
            and (folder is None or n["original_file_path"].startswith(f"models/{folder}/"))]


def test_every_mart_enforces_a_fully_typed_and_documented_contract(manifest):
    marts = _models(manifest, "marts")
    assert len(marts) >= 13
    problems = []
    for node in marts:
        if not node["config"]["contract"]["enforced"]:
            problems.append(f"{node['name']}: contract not enforced")
        if not node["columns"]:
            problems.append(f"{node['name']}: no columns declared")
        for column in node["columns"].values():
            if not column.get("data_type"):
                problems.append(f"{node['name']}.{column['name']}: no data_type")
            if not (column.get("description") or "").strip():
                problems.append(f"{node['name']}.{column['name']}: no description")
    assert problems == []


def test_every_model_is_described_and_every_mart_has_a_key_test(manifest):
    undescribed = [n["name"] for n in _models(manifest) if not (n.get("description") or "").strip()]
    assert undescribed == []
    keyed = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata", {}).get("name") in (
                "unique", "unique_combination_of_columns"):
            keyed.update(dep.split(".")[-1] for dep in node["depends_on"]["nodes"])
    assert [n["name"] for n in _models(manifest, "marts") if n["name"] not in keyed] == []


def test_only_staging_reads_sources_and_staging_reads_only_sources(manifest):
    for node in _models(manifest):
        sources = [d for d in node["depends_on"]["nodes"] if d.startswith("source.")]
        staging = node["original_file_path"].startswith("models/staging/")
        if staging:
            assert sources, node["name"]
            assert all(d.startswith(("source.", "seed.")) for d in node["depends_on"]["nodes"]), node["name"]
        else:
            assert not sources, f"{node['name']} reads a source outside staging"


def test_every_raw_source_declares_freshness(manifest):
    raw = [s for s in manifest["sources"].values() if s["schema"] == "raw"]
    assert raw
    stale = [s["name"] for s in raw if not (s.get("freshness") or {}).get("error_after", {}).get("count")]
    assert stale == []
