"""The operator-report tasks: find new workbooks in the inbox and load them.

"New" means its bytes (sha256) are neither in `raw.operator__report_file` nor already quarantined as
a refused file, so the sensor does not fire again for a file it has seen, and a corrected workbook
(same name, new bytes) counts as new. Every new file is its own batch; a refused file does not stop
the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from ioc_pipeline import config
from ioc_pipeline.loading.operator_reports import FileLoadResult, load_report_file

@dataclass(frozen=True)
class InboxFile:
    path: Path
    sha256: str
    size: int
    modified_at: datetime


@dataclass
class ReportsLoad:
    results: list[FileLoadResult] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[FileLoadResult]:
        return [r for r in self.results if r.outcome in ("refused", "failed")]

    def summary(self) -> dict:
        """Plain data for XCom and logs."""
        return {
            "files": [{"file": r.file_name, "outcome": r.outcome, "batch_id": r.batch_id,
                       "report_month": r.report_month.isoformat() if r.report_month else None,
                       "on_time": r.on_time, "received": r.counts.received, "loaded": r.counts.loaded,
                       "quarantined": r.counts.quarantined, "reason": r.reason} for r in self.results],
            "ignored": self.ignored,
            "loaded_files": sum(r.outcome == "loaded" for r in self.results),
            "refused_files": len(self.refused),
        }


def inbox_folder() -> Path:
    """The drop folder from OPERATOR_REPORTS_INBOX (read inside tasks, never at DAG parse time)."""
    folder = config.operator_reports_inbox()
    if folder is None:
        raise RuntimeError(f"{config.OPERATOR_REPORTS_INBOX_ENV} is not set: the folder the operators' workbooks "
                           "are dropped into")
    return folder


def _is_candidate(path: Path) -> bool:
    """Workbooks only; hidden files and uploads in progress (`.x.part`, `~$x.xlsx`) are not deliveries."""
    return path.is_file() and path.suffix.lower() == ".xlsx" and not path.name.startswith((".", "~$"))


def inbox_files(folder: Path) -> tuple[list[InboxFile], list[str]]:
    """(workbooks in arrival order, names of other files that are not deliveries)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"operator reports inbox {folder} does not exist")
    files, ignored = [], []
    for path in sorted(folder.iterdir()):
        if not _is_candidate(path):
            if not path.name.startswith("."):
                ignored.append(path.name)
            continue
        stat = path.stat()
        files.append(InboxFile(path, hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size,
                               datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)))
    return sorted(files, key=lambda f: (f.modified_at, f.path.name)), ignored


def known_hashes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """select sha256 from raw.operator__report_file
               union
               select record_hash from raw.quarantine
                where source like 'operator\\_%%' and entity = 'report_file'""").fetchall()
    return {r[0] for r in rows}


def new_files(url: str, folder: Path) -> list[InboxFile]:
    known = known_hashes(url)
    files, _ = inbox_files(folder)
    return [f for f in files if f.sha256 not in known]


def load_new_reports(url: str, folder: Path, *, run_label: str | None = None) -> ReportsLoad:
    """Load every workbook of the inbox that raw has not seen, oldest first."""
    files, ignored = inbox_files(folder)
    known = known_hashes(url)
    load = ReportsLoad(ignored=ignored)
    for inbox_file in files:
        if inbox_file.sha256 in known:
            continue
        load.results.append(load_report_file(url, inbox_file.path, run_label=run_label))
        known.add(inbox_file.sha256)
    return load
