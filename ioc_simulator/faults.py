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
UNKNOWN_AGENCY_CODE = "000.99.99.H03"
UNKNOWN_PROCEDURE_CODE = "9.999999"
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
    slow_reply_seconds: every reply of both APIs is delayed by that many seconds (a slow source).
    slow_on_request: {n: seconds}: the n-th request to /api/v1/hoso is delayed that long before it
        answers (e.g. longer than the client's read timeout), on top of `slow_reply_seconds`.
    change_during_paging: that many records change while a paged read is under way: whenever a page
        after the first is asked for, up to that many records of the same query that were on earlier
        pages (and have not changed yet) get a new `NgayCapNhat` = the server's as_of (the moment the
        source "now" is). They leave their place, so later pages shift and one record per change is
        skipped at the page boundary, while the changed record shows up again at the end of the
        window if as_of lies in it (or only in a later interval). `SimulatorServer.damaged
        ["changed_during_paging"]` lists the codes in the order they changed.
    unknown_agency_codes: that many other records carry the agency code `UNKNOWN_AGENCY_CODE`, which
        no version of the department list has.
    unknown_procedure_codes: that many other records carry the procedure code
        `UNKNOWN_PROCEDURE_CODE`, which the catalog does not have.
    bad_work_records: issue 13's feeds (agencies' reports, citizen accounts) serve that many damaged
        items per month, the first ones in agency-code order (`agency_work.damage_reports`,
        `damage_accounts`).
    """

    status_on_request: dict[int, int] = field(default_factory=dict)
    retry_after_on_request: dict[int, int] = field(default_factory=dict)
    duplicate_across_pages: bool = False
    unreadable_dates: int = 0
    unreadable_date_codes: set[str] = field(default_factory=set)
    missing_key: int = 0
    extra_field: bool = False
    token_expires_after: float | None = None
    slow_reply_seconds: float = 0.0
    slow_on_request: dict[int, float] = field(default_factory=dict)
    change_during_paging: int = 0
    unknown_agency_codes: int = 0
    unknown_procedure_codes: int = 0
    bad_work_records: int = 0

    def delay(self, request_number: int | None = None) -> float:
        """Seconds to wait before answering (request_number: of /api/v1/hoso, None for the portal)."""
        extra = self.slow_on_request.get(request_number, 0.0) if request_number is not None else 0.0
        return self.slow_reply_seconds + extra

    @property
    def has_counted_record_faults(self) -> bool:
        """True when a record fault needs the whole record list (not available when streaming)."""
        return bool(self.unreadable_dates or self.unreadable_date_codes or self.missing_key
                    or self.unknown_agency_codes or self.unknown_procedure_codes)

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
    chosen |= {id(r) for r in hit_keys}
    rest = [r for r in by_code if id(r) not in chosen]
    hit_agency = _evenly_spaced(rest, faults.unknown_agency_codes, offset=2)
    chosen |= {id(r) for r in hit_agency}
    rest = [r for r in by_code if id(r) not in chosen]
    hit_procedure = _evenly_spaced(rest, faults.unknown_procedure_codes, offset=3)
    report = {
        "unreadable_dates": [r["MaHoSo"] for r in hit_dates],
        "missing_key": [r["MaHoSo"] for r in hit_keys if "MaHoSo" in r],
        "unknown_agency_codes": [r["MaHoSo"] for r in hit_agency],
        "unknown_procedure_codes": [r["MaHoSo"] for r in hit_procedure],
        "changed_during_paging": [],
    }
    for r in hit_agency:
        r["MaDonViTiepNhan"] = UNKNOWN_AGENCY_CODE
    for r in hit_procedure:
        r["MaTTHC"] = UNKNOWN_PROCEDURE_CODE
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
