"""The ground truth the simulator knows, for tests to compare the marts with.

Computed by streaming over the records exactly as the dossier API serves them at `as_of` (memory
follows the number of months x agencies, not the number of dossiers), with the definitions of
`shared/contracts/marts.md` as the simulator reads them:

- **accepted** in a month: `NgayTiepNhan` in the month and `TrangThaiHoSo` not 1 (submitted) or 3
  (refused at intake); **online**: `KenhThucHien` = 2; **online remote**: online and `NoiNopHoSo` 1
  or null (keyed in by the applicant).
- **finished** in a month: status 9 or 10 and `NgayKetThucXuLy` in the month, compared (by day) with
  the effective appointment (latest `NgayHenTraMoi` of the supplements, else `NgayHenTra`): **early**
  before the due day, **on time** on it, **late** after it.

Scopes: `province`, `level` (TINH / HUYEN / XA, of the agency version in force on the acceptance or
finishing day) and `agency` (`MaDonViTiepNhan`). Records whose dates cannot be read, or whose agency is
unknown to the department list, count in `province` only (and in `unreadable` when unreadable).

`write_truth(dir)` writes `truth.json` (everything), `online_monthly.csv` and `timeliness_monthly.csv`.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from .dossiers import DEFAULT_END, DEFAULT_SCALE, DEFAULT_START, iter_dossiers, read_served_time, to_local_naive
from .world import agency_version

ONLINE_COLUMNS = ("month", "scope", "scope_code", "accepted", "online", "online_remote", "online_rate",
                  "online_remote_rate")
TIMELINESS_COLUMNS = ("month", "scope", "scope_code", "finished", "early", "on_time", "late")




def _scopes(agency: str | None, day: date) -> list[tuple[str, str]]:
    scopes = [("province", "province")]
    version = agency_version(agency, day) if agency else None
    if version is not None:
        scopes += [("level", version["level"]), ("agency", agency)]
    return scopes


def compute_truth(records: Iterable[dict]) -> dict:
    """Monthly online and timeliness counts per scope, from served records (any iterable)."""
    online: Counter = Counter()
    timeliness: Counter = Counter()
    total, unreadable = 0, 0
    for r in records:
        total += 1
        status = r.get("TrangThaiHoSo")
        accepted = read_served_time(r.get("NgayTiepNhan"))
        if r.get("NgayTiepNhan") and accepted is None:
            unreadable += 1
        if accepted is not None and status not in (1, 3):
            month = accepted.strftime("%Y-%m")
            is_online = r.get("KenhThucHien") == 2
            remote = is_online and r.get("NoiNopHoSo") in (1, None)
            for scope in _scopes(r.get("MaDonViTiepNhan"), accepted.date()):
                online[(month, *scope, "accepted")] += 1
                online[(month, *scope, "online")] += is_online
                online[(month, *scope, "online_remote")] += remote
        finished = read_served_time(r.get("NgayKetThucXuLy"))
        if finished is not None and status in (9, 10):
            news = [read_served_time(s.get("NgayHenTraMoi")) for s in r.get("DanhSachHoSoBoSung") or []]
            news = [d for d in news if d is not None]
            due = max(news) if news else read_served_time(r.get("NgayHenTra"))
            if due is None:
                continue
            kind = "early" if finished.date() < due.date() else "late" if finished.date() > due.date() else "on_time"
            month = finished.strftime("%Y-%m")
            for scope in _scopes(r.get("MaDonViTiepNhan"), finished.date()):
                timeliness[(month, *scope, "finished")] += 1
                timeliness[(month, *scope, kind)] += 1
    online_rows = []
    for key in sorted({k[:3] for k in online}):
        accepted_n, online_n, remote_n = (online[(*key, f)] for f in ("accepted", "online", "online_remote"))
        online_rows.append(dict(zip(ONLINE_COLUMNS, (*key, accepted_n, online_n, remote_n,
                                                     round(online_n / accepted_n, 6),
                                                     round(remote_n / accepted_n, 6)))))
    timeliness_rows = [
        dict(zip(TIMELINESS_COLUMNS, (*key, *(timeliness[(*key, f)] for f in ("finished", "early", "on_time",
                                                                                "late")))))
        for key in sorted({k[:3] for k in timeliness})
    ]
    return {"dossiers": total, "unreadable_acceptance_dates": unreadable, "online_monthly": online_rows,
            "timeliness_monthly": timeliness_rows}


def write_truth(
    path,
    records: Iterable[dict] | None = None,
    seed: int = 2024,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    as_of: datetime | None = None,
    scale: float = DEFAULT_SCALE,
) -> dict:
    """Compute the truth (of `records`, else of the generated world streamed) and write it into the
    folder `path`: truth.json, online_monthly.csv, timeliness_monthly.csv. Returns the truth."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    if records is None:
        records = iter_dossiers(seed, start, end, as_of, scale)
    truth = compute_truth(records)
    meta = {"seed": seed, "from": start.isoformat(), "to": end.isoformat(), "scale": scale,
            "as_of": (to_local_naive(as_of) if as_of is not None else datetime.combine(end, datetime.min.time()))
            .isoformat()}
    (folder / "truth.json").write_text(json.dumps({**meta, **truth}, ensure_ascii=False, indent=1, sort_keys=True),
                                       encoding="utf-8")
    for name, columns in (("online_monthly", ONLINE_COLUMNS), ("timeliness_monthly", TIMELINESS_COLUMNS)):
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(truth[name])
    return truth
