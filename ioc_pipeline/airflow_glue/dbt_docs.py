"""Publish the dbt documentation site next to the data-quality report.

`dbt docs generate --static` writes one self-contained HTML page (models, columns, each KPI's formula,
lineage) into a throwaway copy of the project; this copies it, with the manifest and catalog, to a
folder people can open (`config.dbt_docs_dir()`: `reports/dbt_docs/`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ioc_pipeline import config

DOCS_FILES = {"static_index.html": "index.html", "manifest.json": "manifest.json", "catalog.json": "catalog.json"}


def publish_dbt_docs(project_dir: str, **_context) -> Path:
    """Cosmos callback: called with the temporary project folder after `dbt docs generate`."""
    target = Path(project_dir) / "target"
    out = config.dbt_docs_dir()
    out.mkdir(parents=True, exist_ok=True)
    for source, name in DOCS_FILES.items():
        if (target / source).exists():
            shutil.copyfile(target / source, out / name)
    if not (out / "index.html").exists():
        raise FileNotFoundError(f"dbt docs generate wrote no {target / 'static_index.html'}")
    return out / "index.html"
