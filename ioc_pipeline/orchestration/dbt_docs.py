"""Publish the dbt documentation site next to the data-quality report.

`dbt docs generate --static` writes one self-contained HTML page (models, columns, each KPI's formula,
lineage) into a throwaway copy of the project; this copies it, with the manifest and catalog, to a
folder people can open: `reports/dbt_docs/` (or `IOC_DBT_DOCS_DIR`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ioc_pipeline import config

DOCS_FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}


def docs_dir() -> Path:
    return Path(os.environ.get("IOC_DBT_DOCS_DIR", config.REPORTS_DIR / "dbt_docs"))


def publish_dbt_docs(project_dir: str, **_context) -> Path:
    """Cosmos callback: called with the temporary project folder after `dbt docs generate`."""
    target = Path(project_dir) / "target"
    out = docs_dir()
    out.mkdir(parents=True, exist_ok=True)
    for source, name in DOCS_FILES.items():
        if (target / source).exists():
            shutil.copyfile(target / source, out / name)
    if not (out / "index.html").exists():
        raise FileNotFoundError(f"dbt docs generate wrote no {target / 'static_index.html'}")
    return out / "index.html"
