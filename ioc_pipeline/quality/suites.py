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
LAYERS = ("raw", "marts", "reconciliation")
# Placeholders a suite's `meta.query` (and its SQL expectations) may hold, filled at run time:
# `{batch_ids}` the new batches' ids as a SQL array, `{marts}` the schema the marts are read from.
BATCH_IDS = "{batch_ids}"
MARTS_SCHEMA = "{marts}"


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

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.data.get("meta") or {})

    @property
    def layer(self) -> str:
        return self.meta.get("layer", "marts")

    @property
    def source(self) -> str | None:
        """Raw suites: the source whose batches they check (`operator` covers both operators)."""
        return self.meta.get("source")

    @property
    def query(self) -> str | None:
        """The SELECT that makes the batch (raw: the new batches' rows; reconciliation: the join)."""
        return self.meta.get("query")


def all_suite_files(layer: str | None = None) -> list[SuiteFile]:
    """Every reviewed suite in `expectations/suites/`, in name order, optionally of one layer."""
    files = [load_suite_file(p) for p in sorted(SUITES_DIR.glob("*.json"))]
    return [f for f in files if layer is None or f.layer == layer]


def fill(text: str, *, marts: str = "marts", batch_ids: list[int] | None = None) -> str:
    """A suite's SQL with its placeholders filled (batch ids are integers: no quoting needed)."""
    if BATCH_IDS in text:
        if batch_ids is None:
            raise ValueError("this suite checks new batches: batch_ids are required")
        text = text.replace(BATCH_IDS, "array[" + ",".join(str(int(b)) for b in batch_ids) + "]::bigint[]")
    if not marts.replace("_", "").isalnum():
        raise ValueError(f"not a schema name: {marts!r}")
    return text.replace(MARTS_SCHEMA, marts)


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
        # Why this severity: a reviewer must be able to read why a failure stops (or does not
        # stop) publication. meta.severity, when given, must agree with the GX field.
        exp_meta = exp.get("meta") or {}
        if not str(exp_meta.get("severity_reason") or "").strip():
            raise ValueError(f"{path}: expectation #{i} ({exp.get('type')}) needs meta.severity_reason")
        if exp_meta.get("severity", exp["severity"]) != exp["severity"]:
            raise ValueError(f"{path}: expectation #{i}: meta.severity disagrees with severity")
        if not exp.get("description"):
            raise ValueError(f"{path}: expectation #{i} ({exp.get('type')}) needs a description")
    layer = (data.get("meta") or {}).get("layer", "marts")
    if layer not in LAYERS:
        raise ValueError(f"{path}: meta.layer must be one of {', '.join(LAYERS)}, got {layer!r}")
    query = (data.get("meta") or {}).get("query")
    if layer == "raw" and (not query or BATCH_IDS not in query):
        raise ValueError(f"{path}: a raw suite checks new batches only: meta.query must filter on {BATCH_IDS}")
    if query is not None and not query.lstrip().lower().startswith("select"):
        raise ValueError(f"{path}: meta.query must be a SELECT")
    schema, table_name = table.split(".")
    return SuiteFile(path=Path(path), name=name, schema=schema, table=table_name, data=data)


def build_gx_suite(suite_file: SuiteFile, *, marts: str = "marts", batch_ids: list[int] | None = None):
    """The GX ExpectationSuite of a checked suite file; refuses a suite GX would build only in part.

    SQL expectations get their placeholders filled (`fill`): the marts' schema and the batch ids."""
    import great_expectations as gx

    data = suite_file.data
    expectations = []
    for exp in data["expectations"]:
        exp = dict(exp)
        kwargs = dict(exp.get("kwargs") or {})
        if "unexpected_rows_query" in kwargs:
            kwargs["unexpected_rows_query"] = fill(kwargs["unexpected_rows_query"], marts=marts,
                                                   batch_ids=batch_ids)
        exp["kwargs"] = kwargs
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
