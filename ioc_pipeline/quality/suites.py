"""The reviewed expectation suites: read from `expectations/suites/`, checked, turned into GX suites.

Why files and not GX's own store: a suite is reviewed like code (see `expectations/README.md`), so
the file is the source of truth and the GX store is rebuilt from it on every run. A suite file is
refused when it would be read in a way its reviewers did not mean: no name, no `meta.table`, an
expectation without an explicit severity, an id that belongs to GX's store, or an expectation GX
cannot build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ioc_pipeline import config

SUITES_DIR = config.EXPECTATIONS_DIR / "suites"
FCT_DOSSIER_SUITE_FILE = SUITES_DIR / "fct_dossier.json"
SEVERITIES = ("critical", "warning")


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    name: str
    schema: str
    table: str
    data: dict[str, Any]

    @property
    def table_checked(self) -> str:
        return f"{self.schema}.{self.table}"


def load_suite_file(path: Path) -> SuiteFile:
    """Read and check a reviewed suite file (GX's own suite JSON plus `meta.table`)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    name = data.get("name")
    if not name or not isinstance(name, str):
        raise ValueError(f"{path}: the suite needs a non-empty 'name'")
    table = (data.get("meta") or {}).get("table", "")
    if table.count(".") != 1:
        raise ValueError(f"{path}: meta.table must be 'schema.table', got {table!r}")
    expectations = data.get("expectations") or []
    if not expectations:
        raise ValueError(f"{path}: the suite has no expectations")
    for i, exp in enumerate(expectations):
        # GX defaults a missing severity to critical; in a reviewed file it must be explicit.
        if exp.get("severity") not in SEVERITIES:
            raise ValueError(
                f"{path}: expectation #{i} ({exp.get('type')}) needs severity "
                f"'critical' or 'warning', got {exp.get('severity')!r}"
            )
        if "id" in exp:
            raise ValueError(f"{path}: expectation #{i} carries an 'id'; ids belong to GX's store")
    schema, table_name = table.split(".")
    return SuiteFile(path=Path(path), name=name, schema=schema, table=table_name, data=data)


def build_gx_suite(suite_file: SuiteFile):
    """The GX ExpectationSuite of a checked suite file; refuses a suite GX would build only in part."""
    import great_expectations as gx

    data = suite_file.data
    expectations = []
    for exp in data["expectations"]:
        exp = dict(exp)
        # Data Docs show the description but not the severity: put it where auditors read.
        text = exp.get("description") or exp["type"]
        exp["description"] = f"[{exp['severity']}] {text}"
        expectations.append(exp)
    suite = gx.ExpectationSuite(
        name=suite_file.name,
        expectations=expectations,
        meta=dict(data.get("meta") or {}),
        notes=data.get("notes"),
    )
    # ExpectationSuite() logs and drops an expectation it cannot build: refuse a partial suite.
    if len(suite.expectations) != len(data["expectations"]):
        raise ValueError(
            f"{suite_file.path}: only {len(suite.expectations)} of {len(data['expectations'])} "
            "expectations are valid (see the GX error logged above)"
        )
    return suite
