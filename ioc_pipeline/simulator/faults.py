"""Faults the simulated sources can be told to commit, all off by default.

The contract says every source can be late, down, slow or send bad records; the pipeline must
retry, quarantine, never drop and never double count. These knobs let a test (or the demo) make
the simulator misbehave in one precise, repeatable way at a time, so each defence can be shown to
work. Two families:

- transport faults, decided per request by its arrival number (`http_failure`): the n-th request
  to `/api/v1/hoso` (1-based, counting *every* request to that path, failed ones included, before
  the key is checked) answers an error instead of data. A retry is a new request with a new number,
  so it gets the real answer unless that number is configured too.
- record faults, applied once to a copy of the records before serving (`apply_record_faults`),
  on records chosen deterministically: evenly spaced in `MaHoSo` order.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

EXTRA_FIELD_NAME, EXTRA_FIELD_VALUE = "TruongMoi", "x"
_LEGACY_DATE = re.compile(r"^\d{2}/\d{2}/(\d{4}) (\d{2}:\d{2}:\d{2})$")


@dataclass
class Faults:
    """What to get wrong. Every default means "behave".

    status_on_request: {n: status}: the n-th request to /api/v1/hoso answers that HTTP status
        (e.g. {2: 503}) with a JSON error body.
    retry_after_on_request: {n: seconds}: the n-th request to /api/v1/hoso answers 429 with
        `Retry-After: <seconds>`. Wins over `status_on_request` for the same n.
    duplicate_across_pages: every page after the first starts with the last item of the page
        before it (so pages 2.. carry page_size + 1 items); `total` stays the true count and
        the number of pages does not change, so a client that stops on `total` or on a short or
        empty page still sees every record, some of them twice.
    unreadable_dates: that many records (having an `NgayTiepNhan`) get an impossible
        `NgayTiepNhan`: 31 February of the same year and time, in the record's own format
        (`20240231081500` or `31/02/2024 08:15:00`).
    unreadable_date_codes: the same damage to the records with these `MaHoSo`, in addition.
    missing_key: that many other records lose their `MaHoSo` key entirely.
    extra_field: every record gets the unexpected field `"TruongMoi": "x"`.
    token_expires_after: lifetime of a portal token in seconds (float allowed), reported as
        `expires_in`; a request with an older token gets HTTP 401. None: the normal 3600 s.
    """

    status_on_request: dict[int, int] = field(default_factory=dict)
    retry_after_on_request: dict[int, int] = field(default_factory=dict)
    duplicate_across_pages: bool = False
    unreadable_dates: int = 0
    unreadable_date_codes: set[str] = field(default_factory=set)
    missing_key: int = 0
    extra_field: bool = False
    token_expires_after: float | None = None

    def http_failure(self, request_number: int) -> tuple[int, dict[str, str]] | None:
        """(status, extra headers) that request number `request_number` must answer, or None."""
        if request_number in self.retry_after_on_request:
            return 429, {"Retry-After": str(self.retry_after_on_request[request_number])}
        if request_number in self.status_on_request:
            return self.status_on_request[request_number], {}
        return None


def apply_record_faults(records: list[dict], faults: Faults) -> tuple[list[dict], dict[str, list[str]]]:
    """A deep copy of `records` with the record faults applied, and what was damaged.

    The report maps `unreadable_dates` and `missing_key` to the `MaHoSo` of the records hit (for a
    missing key, the code the record had). The input list is never modified.
    """
    served = copy.deepcopy(records)
    by_code = sorted(served, key=lambda r: r.get("MaHoSo") or "")
    dated = [r for r in by_code if r.get("NgayTiepNhan")]
    hit_dates = _evenly_spaced(dated, faults.unreadable_dates)
    chosen = {id(r) for r in hit_dates}
    hit_dates += [r for r in dated if r.get("MaHoSo") in faults.unreadable_date_codes and id(r) not in chosen]
    for r in hit_dates:
        r["NgayTiepNhan"] = _impossible_date(r["NgayTiepNhan"])
    chosen = {id(r) for r in hit_dates}
    rest = [r for r in by_code if id(r) not in chosen]
    hit_keys = _evenly_spaced(rest, faults.missing_key, offset=1)
    report = {
        "unreadable_dates": [r["MaHoSo"] for r in hit_dates],
        "missing_key": [r["MaHoSo"] for r in hit_keys if "MaHoSo" in r],
    }
    for r in hit_keys:
        r.pop("MaHoSo", None)
    if faults.extra_field:
        for r in served:
            r[EXTRA_FIELD_NAME] = EXTRA_FIELD_VALUE
    return served, report


def _evenly_spaced(items: list, n: int, offset: int = 0) -> list:
    """n items spread over the list (all of them when n >= len)."""
    if n <= 0 or not items:
        return []
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[(int(i * step) + offset) % len(items)] for i in range(n)]


def _impossible_date(value: str) -> str:
    """31 February of the same year and time, in the same format as `value`."""
    legacy = _LEGACY_DATE.match(value)
    if legacy:
        return f"31/02/{legacy.group(1)} {legacy.group(2)}"
    return f"{value[:4]}0231{value[8:14]}"
