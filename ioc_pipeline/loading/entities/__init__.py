"""Each source's rules for its raw tables, one module a source: what a record must carry to be loaded.

Why by source: a source's contract (`docs/contracts/sources.md`, one section each) changes as a
whole, so its rules should change in one file; the loader only knows their common shape.

The operators' workbooks are files, not JSON records: their rules are the reader's
(`sources/operator_workbooks.py`) and their loader is `loading/operator_reports.py`.
"""

from ioc_pipeline.loading.entities.dvc_portal import DEPARTMENT, EVALUATION_METRIC, FORMALITY
from ioc_pipeline.loading.entities.one_stop_shop import DOSSIER

# Every raw entity loaded from JSON records, by source.
__all__ = ["DOSSIER", "DEPARTMENT", "FORMALITY", "EVALUATION_METRIC"]
