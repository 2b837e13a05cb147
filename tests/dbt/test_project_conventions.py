"""The dbt project keeps its own rules: read from the manifest `dbt parse` writes.

- every mart enforces its contract, and every mart column has a data type and a description;
- every model is described; every mart has a key test (unique, or unique over a column combination);
- only staging models read sources, and staging models read nothing else;
- every raw source table declares freshness;
- the models read in one direction, staging -> intermediate -> marts: no intermediate model reads a
  mart, and a mart reads another mart only when that one is a dimension (dim_*) or when the mart
  lines up the other domains' marts (operations: the scorecard);
- every model lives in a folder of its layer (staging: one per source system; intermediate and
  marts: one per domain) with exactly one models YAML, describing that folder's models, and at
  most one unit-test YAML, holding the unit tests of that folder's models.
"""

from __future__ import annotations

import pytest

from ioc_pipeline import config


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
                "unique", "unique_combination_of_columns",
                # a unique index on the key (fct_dossier's contract primary key): enforced, not sampled
                "has_unique_index"):
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


LAYERS = ("staging", "intermediate", "marts")
DOMAINS = {"dossiers", "telecom", "portal", "operations"}


def _place(node) -> tuple[str, str]:
    """(layer, folder) of a model: models/<layer>/<folder>/<name>.sql."""
    parts = node["original_file_path"].split("/")
    assert len(parts) == 4 and parts[0] == "models" and parts[1] in LAYERS, node["original_file_path"]
    return parts[1], parts[2]


def test_models_read_in_one_direction(manifest):
    nodes = manifest["nodes"]
    problems = []
    for node in _models(manifest):
        layer, folder = _place(node)
        for dep in node["depends_on"]["nodes"]:
            if dep.startswith("source.") and layer != "staging":
                problems.append(f"{node['name']} ({layer}) calls source(): {dep}")
            if not dep.startswith("model."):
                continue
            upstream = nodes[dep]
            up_layer, _ = _place(upstream)
            if LAYERS.index(up_layer) > LAYERS.index(layer):
                problems.append(f"{node['name']} ({layer}) reads {upstream['name']} ({up_layer})")
            elif layer == up_layer == "marts" and not upstream["name"].startswith("dim_") and folder != "operations":
                problems.append(f"mart {node['name']} reads mart {upstream['name']}, which is not a dimension")
    assert problems == []


def test_every_model_lives_in_a_domain_folder_with_one_models_yaml(manifest):
    models_dir = config.DBT_PROJECT_DIR / "models"
    problems = []
    folders = {}
    for node in _models(manifest):
        layer, folder = _place(node)
        if layer != "staging" and folder not in DOMAINS:
            problems.append(f"{node['name']}: {layer}/{folder} is not a domain folder {sorted(DOMAINS)}")
        folders.setdefault((layer, folder), []).append(node)
    for (layer, folder), nodes in sorted(folders.items()):
        prefix = "int_" if layer == "intermediate" else ""
        models_yaml = f"_{prefix}{folder}__models.yml"
        allowed = {models_yaml, f"_{prefix}{folder}__unit_tests.yml"}
        if layer == "staging":
            allowed.add(f"_{folder}__sources.yml")
        yamls = {p.name for p in (models_dir / layer / folder).iterdir() if p.suffix in (".yml", ".yaml")}
        if models_yaml not in yamls or yamls - allowed:
            problems.append(f"{layer}/{folder}: YAML files {sorted(yamls)}, expected {models_yaml} (+ unit tests, sources)")
        for node in nodes:
            expected = f"ioc_warehouse://models/{layer}/{folder}/{models_yaml}"
            if node.get("patch_path") != expected:
                problems.append(f"{node['name']} is described in {node.get('patch_path')}, not {expected}")
            if layer == "staging":
                for dep in node["depends_on"]["nodes"]:
                    source_path = manifest["sources"][dep]["original_file_path"] if dep.startswith("source.") else None
                    if source_path and source_path != f"models/staging/{folder}/_{folder}__sources.yml":
                        problems.append(f"{node['name']} reads {dep}, declared outside its folder ({source_path})")
    nodes = manifest["nodes"]
    for test in manifest["unit_tests"].values():
        model = nodes[f"model.ioc_warehouse.{test['model']}"]
        layer, folder = _place(model)
        prefix = "int_" if layer == "intermediate" else ""
        expected = f"models/{layer}/{folder}/_{prefix}{folder}__unit_tests.yml"
        if test["original_file_path"] != expected:
            problems.append(f"unit test {test['name']} is in {test['original_file_path']}, not {expected}")
    assert problems == []
