"""What leaders and auditors open: the monthly breakthrough report and the auditors' page.

- `write_reports(warehouse_url, out_dir)`: one offline HTML page per month from schema `marts`
  (read as `ioc_reader`) plus an index; returns the index path (see `breakthroughs`).
- `write_auditors_page(warehouse_url, out_dir)`: every data-quality check of every checkpoint run
  and the load history (read as `auditor`), with links to the Great Expectations Data Docs (see
  `auditors`).
- `python -m ioc_pipeline.report --out DIR`: both, into `DIR/breakthroughs/` and `DIR/auditors/`.
"""

from __future__ import annotations

from pathlib import Path


def write_reports(warehouse_url: str, out_dir: str | Path) -> Path:
    from ioc_pipeline.report.breakthroughs import write_reports as _write

    return _write(warehouse_url, out_dir)


def write_auditors_page(warehouse_url: str, out_dir: str | Path) -> Path:
    from ioc_pipeline.report.auditors import write_auditors_page as _write

    return _write(warehouse_url, out_dir)


__all__ = ["write_reports", "write_auditors_page"]
