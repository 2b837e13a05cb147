"""The dossier chain's large incremental tables are analyzed at the end of each of their builds
(dbt_project.yml, issue 14): the nodes after them read them selectively, and without statistics
PostgreSQL planned a scan of the whole table at 10 M dossiers (BENCHMARKS.md, "Whole nightly run and
10 M dossiers"). Read from the manifest `dbt parse` writes."""

from __future__ import annotations

import pytest

ANALYZED = ("int_dossiers_current", "int_dossiers_classified", "int_dossier_status_history",
            "int_dossier_month_end_states", "fct_dossier")


@pytest.mark.parametrize("model", ANALYZED)
def test_large_incremental_dossier_tables_are_analyzed_after_each_build(manifest, model):
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    assert node["config"]["materialized"] == "incremental"
    hooks = [hook["sql"].strip().lower() for hook in node["config"]["post-hook"]]
    assert "analyze {{ this }}" in hooks, hooks
    # once, not twice (a model-level post_hook and the project's would both run)
    assert hooks.count("analyze {{ this }}") == 1, hooks


# The marts that aggregate every accepted dossier of int_dossiers_classified each night: right after
# the nightly merge PostgreSQL's estimates for them are far too high, and JIT compiled each for 1-2.6 s
# of a 1-3 s query at 1 M dossiers (BENCHMARKS.md, "Fifth round"). They plan without it.
JIT_OFF = ("kpi_online_rate_monthly", "kpi_timeliness_monthly", "kpi_fee_reduced_online_monthly",
           "dossier_watchlist", "kpi_forecast_month_end")


@pytest.mark.parametrize("model", JIT_OFF)
def test_marts_aggregating_every_dossier_plan_without_jit(manifest, model):
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    hooks = [hook["sql"].strip().lower() for hook in node["config"]["pre-hook"]]
    assert hooks.count("set local jit = off") == 1, hooks


# The warehouse plans without JIT (bootstrap: compiling cost seconds against milliseconds of work); the
# four large incremental tables of the dossier chain turn it on for a full build, where it pays back
# over every dossier, and keep it off in a nightly run (BENCHMARKS.md "Sixth round").
JIT_FULL_BUILD = ("int_dossiers_current", "int_dossier_status_history", "int_dossiers_classified",
                  "int_dossier_month_end_states")


@pytest.mark.parametrize("model", JIT_FULL_BUILD)
def test_large_incremental_tables_compile_only_in_a_full_build(manifest, model):
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    hooks = [hook["sql"].strip().lower() for hook in node["config"]["pre-hook"]]
    assert "{{ 'set local jit = off' if is_incremental() else 'set local jit = on' }}" in hooks, hooks
