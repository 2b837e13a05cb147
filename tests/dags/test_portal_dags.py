"""The portal DAG pieces import cleanly, without I/O, with the schedule and Assets the build relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ioc_pipeline import config

SCRIPT = r"""
import json, sys
import psycopg, requests
def forbidden(*a, **k):
    raise RuntimeError("I/O at DAG import time")
psycopg.connect = forbidden
requests.Session.request = forbidden
from airflow.dag_processing.dagbag import DagBag
out = {"errors": {}, "dags": {}}
for path in sys.argv[1:]:
    bag = DagBag(dag_folder=path)
    out["errors"].update({k: str(v) for k, v in bag.import_errors.items()})
    for d in bag.dags.values():
        out["dags"][d.dag_id] = {
            "tags": sorted(d.tags), "owner": d.owner, "doc": bool(d.doc_md), "catchup": d.catchup,
            "schedule": getattr(d.timetable, "summary", str(d.timetable)),
            "tasks": {t.task_id: {"retries": t.retries, "outlets": [o.name for o in t.outlets]} for t in d.tasks},
        }
print(json.dumps(out))
"""


def test_monthly_metrics_dag_and_the_formality_task_import(tmp_path):
    env = {**os.environ, **config.QUIET_ENV, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_DIR), "IOC_TASK_RETRIES": "2"}
    files = [str(config.DAGS_DIR / "ioc_extract_portal_metrics.py"), str(config.DAGS_DIR / "ioc_extract_sources.py")]
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *files], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    bag = json.loads(proc.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}
    monthly = bag["dags"]["ioc_extract_portal_metrics"]
    assert monthly["schedule"] == "0 2 2 * *" and monthly["catchup"] is False
    assert monthly["doc"] and "ioc" in monthly["tags"] and monthly["owner"] == "ioc-data"
    # The Asset is carried by the raw check that follows the load (issue 11): the build is
    # triggered only by raw data that passed its critical checks.
    assert monthly["tasks"] == {
        "extract_dvc_portal_evaluation_metrics": {"retries": 2, "outlets": []},
        "check_dvc_portal_evaluation_metrics": {"retries": 2, "outlets": ["raw.dvc_portal__evaluation_metric"]}}
    nightly = bag["dags"]["ioc_extract_sources"]["tasks"]
    assert nightly["extract_dvc_portal_formalities"] == {"retries": 2, "outlets": []}
    assert nightly["check_dvc_portal_formalities"] == {"retries": 2, "outlets": ["raw.dvc_portal__formality"]}
    # Issue 13's feeds too: the load hands its Asset to the check of its monthly batches.
    assert nightly["extract_one_stop_shop_agency_reports"] == {"retries": 2, "outlets": []}
    assert nightly["check_one_stop_shop_agency_reports"] == {"retries": 2,
                                                             "outlets": ["raw.one_stop_shop__agency_report"]}
    assert nightly["extract_dvc_portal_citizen_accounts"] == {"retries": 2, "outlets": []}
    assert nightly["check_dvc_portal_citizen_accounts"] == {"retries": 2,
                                                            "outlets": ["raw.dvc_portal__citizen_accounts"]}
