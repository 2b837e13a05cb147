"""The portal's official service index (Decision 766/QĐ-TTg), computed from the simulated dossiers.

Why computed rather than invented: the warehouse loads these numbers as the portal's word, and a
test must be able to check one of them by hand against the dossiers the same simulator serves. So the
dossier-based metrics follow `docs/domain.md` §1.3 on the served records, with these simplifications
(all deterministic, no randomness):

- "received in the month" = accepted dossiers (NgayTiepNhan set, TrangThaiHoSo not 1 or 3) whose
  NgayTiepNhan falls in the month (docs/contracts/marts.md's *accepted*), of the agency (MaDonViTiepNhan).
- the effective due date is the latest NgayHenTraMoi of the supplements, else NgayHenTra.
- PROGRESS_ON_TIME (2.1): numerator = received dossiers finished (status 9/10, NgayKetThucXuLy before
  the month's end) at or before the effective due + received dossiers not finished, withdrawn or
  stopped by the month's end whose effective due is at or after the month's end; denominator = received.
- ONLINE_DOSSIERS (3.3): received with KenhThucHien = 2 / received (sync factor 1, no e-result rule).
- DOSSIERS_PAID_ONLINE (3.6): received with DuocThanhToanTrucTuyen in (1, 2) / received whose fee list
  has a price above 0.
- ORIGINAL_RESULT_AVAILABLE (4.1): received dossiers of paper-result procedures that are finished
  (status 9/10) and whose result list carries a link / those finished dossiers.
- transparency and satisfaction metrics that depend on data the simulator does not have (decisions,
  feedback) are simple functions of the agency, its procedures and the month.

Ratios are percentages rounded to 2 decimals, as the portal shows them; scores are not rounded. A
zero denominator gives a null ratio and, unless the rule says otherwise, a null score; commune-level
agencies get full points (numbers null) for 1.2, which does not apply to them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from .dossiers import read_served_time
from .world import AGENCIES, PROCEDURES, procedures_for

GROUPS = ("transparency", "progress", "online", "payment", "digitization", "satisfaction")
GROUP_MAX_SCORE = {"transparency": 18, "progress": 20, "online": 12, "payment": 10, "digitization": 22,
                   "satisfaction": 18}

# Error codes of the evaluation endpoint (answered under HTTP 200, like the real portal).
PERIOD_NOT_ENDED = "PERIOD_NOT_ENDED"
DEPARTMENT_NOT_FOUND = "DEPARTMENT_NOT_FOUND"
INVALID_PARAMETER = "INVALID_PARAMETER"
UNKNOWN_GROUP = "NOT_FOUND"

_PROCEDURES = {p["code"]: p for p in PROCEDURES}




@dataclass(frozen=True)
class DossierFacts:
    """What the index needs of one dossier, read once."""

    code: str
    procedure: str
    accepted_at: datetime
    status: int
    finished_at: datetime | None
    due_at: datetime | None
    online: bool
    paid_online: bool
    has_priced_fee: bool
    has_e_result: bool
    has_digitized_document: bool
    has_personal_store_document: bool


def dossier_facts(record: dict) -> DossierFacts | None:
    """None for a dossier that is not *accepted* (or whose dates the simulator cannot read)."""
    accepted_at = read_served_time(record.get("NgayTiepNhan"))
    status = record.get("TrangThaiHoSo")
    if accepted_at is None or status in (1, 3) or not isinstance(status, int):
        return None
    new_dues = [read_served_time(s.get("NgayHenTraMoi")) for s in record.get("DanhSachHoSoBoSung") or []]
    new_dues = [d for d in new_dues if d is not None]
    documents = record.get("TaiLieuNop") or []
    return DossierFacts(
        code=record.get("MaHoSo"),
        procedure=record.get("MaTTHC"),
        accepted_at=accepted_at,
        status=status,
        finished_at=read_served_time(record.get("NgayKetThucXuLy")),
        due_at=max(new_dues) if new_dues else read_served_time(record.get("NgayHenTra")),
        online=record.get("KenhThucHien") == 2,
        paid_online=record.get("DuocThanhToanTrucTuyen") in (1, 2),
        has_priced_fee=any((f.get("Gia") or 0) > 0 for f in record.get("DanhSachLePhi") or []),
        has_e_result=any(r.get("DuongDanTepTinKetQua") for r in record.get("DanhSachGiayToKetQua") or []),
        has_digitized_document=any(d.get("DuocSoHoa") == 1 for d in documents),
        has_personal_store_document=any(d.get("DuocLayTuKhoDMQG") == 1 for d in documents),
    )


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1)
    end = datetime(year + month // 12, month % 12 + 1, 1)
    return start, end


def _metric(code: str, name: str, numerator, denominator, max_score: float, score_rule) -> dict:
    """One metric item; `score_rule(r)` maps a rate in [0, 1] to points (called only when the
    denominator is positive)."""
    if numerator is None or denominator is None or denominator == 0:
        ratio, score = None, None
    else:
        rate = numerator / denominator
        ratio, score = round(rate * 100, 2), score_rule(rate)
    return {"code": code, "name": name, "numerator": numerator, "denominator": denominator, "ratio": ratio,
            "score": score, "maxScore": max_score}


def linear(max_score: float):
    return lambda rate: max_score * rate


def threshold(max_score: float, target: float):
    """Full points from the target rate on, proportional below it (docs/domain.md §1.3)."""
    return lambda rate: min(max_score, max_score * rate / target)


class PortalIndex:
    """Every evaluation answer of one simulated portal, from a fixed list of served dossiers.

    `as_of` is the simulator's "now": a month that has not ended by then cannot be asked for.
    `failures` lets a test make one (group, departmentCode) answer an error envelope.
    """

    def __init__(self, records: list[dict] | None, as_of: datetime, month_records=None):
        """`records`: every served dossier; or, when streaming, `month_records(year, month)` gives an
        iterable holding at least every dossier accepted in that month (computed once per month)."""
        self.as_of = as_of
        self.failures: dict[tuple[str, str], str] = {}
        self._records = records
        self._month_records = month_records
        self._by_agency_month: dict[tuple[str, int, int], list[DossierFacts]] | None = None
        self._months_done: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def _received(self, agency: str, year: int, month: int) -> list[DossierFacts]:
        with self._lock:
            if self._records is not None and self._by_agency_month is None:
                self._by_agency_month = self._index(self._records)
            elif self._records is None and (year, month) not in self._months_done:
                index = self._index(self._month_records(year, month), (year, month))
                self._by_agency_month = {**(self._by_agency_month or {}), **index}
                self._months_done.add((year, month))
        return (self._by_agency_month or {}).get((agency, year, month), [])

    @staticmethod
    def _index(records, only: tuple[int, int] | None = None) -> dict[tuple[str, int, int], list[DossierFacts]]:
        index: dict[tuple[str, int, int], list[DossierFacts]] = {}
        for record in records:
            facts = dossier_facts(record)
            if facts is None or (only and (facts.accepted_at.year, facts.accepted_at.month) != only):
                continue
            key = (record.get("MaDonViTiepNhan"), facts.accepted_at.year, facts.accepted_at.month)
            index.setdefault(key, []).append(facts)
        return index

    def answer(self, group: str, body: dict) -> tuple[str, dict | None, str]:
        """(envelope code, data, message) for `POST /api/v1/reporting/evaluation/{group}`."""
        if group not in GROUPS:
            return UNKNOWN_GROUP, None, f"no evaluation group {group!r}"
        year, month, department = body.get("year"), body.get("month"), body.get("departmentCode")
        if body.get("timeType") != "month" or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in (year, month)) or not 1 <= month <= 12:
            return INVALID_PARAMETER, None, "timeType must be 'month' with integer year and month 1-12"
        start, end = month_bounds(year, month)
        if end > self.as_of:
            return PERIOD_NOT_ENDED, None, f"{year}-{month:02d} has not ended yet; ask after {end:%Y-%m-%d}"
        versions = [a for a in AGENCIES if a["code"] == department]
        if not versions:
            return DEPARTMENT_NOT_FOUND, None, f"unknown departmentCode {department!r}"
        if (group, department) in self.failures:
            return self.failures[(group, department)], None, "simulated failure"
        in_month = [v for v in versions if v["validFrom"] < end.date().isoformat()
                    and (v["validTo"] is None or v["validTo"] >= start.date().isoformat())]
        level = (in_month or versions)[-1]["level"]
        metrics = getattr(self, f"_{group}")(department, level, year, month, start, end)
        return "OK", {"metrics": metrics}, ""

    # --- one method per group; maxima per docs/domain.md §1.2 / §1.3 ---

    def _transparency(self, agency, level, year, month, start, end) -> list[dict]:
        procs = procedures_for(agency, _month_day(agency, start))
        received = self._received(agency, year, month)
        # Announcement decisions are issued at quarter ends only; one late at district level.
        announced = len(procs) if month % 3 == 0 else 0
        announced_on_time = announced - (1 if level == "HUYEN" and announced else 0)
        metrics = [
            _metric("PUBLISHED_ON_TIME", "Tỷ lệ TTHC công bố đúng hạn", announced_on_time, announced, 6, linear(6)),
        ]
        if level == "XA":  # 1.2 is measured only above commune level: full points, no numbers
            metrics.append({"code": "PUBLICIZED_ON_TIME", "name": "Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
                            "numerator": None, "denominator": None, "ratio": None, "score": 4, "maxScore": 4})
        else:
            metrics.append(_metric("PUBLICIZED_ON_TIME", "Tỷ lệ TTHC được cập nhật, công khai đúng hạn",
                                   len(procs), len(procs), 4, linear(4)))
        metrics.append(_metric("COMPLETE_COMPONENTS", "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành",
                               len(procs), len(procs), 2, linear(2)))
        metrics.append(_metric("DOSSIERS_SYNCED", "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
                               len(received), len(received), 6, linear(6)))
        return metrics

    def _progress(self, agency, level, year, month, start, end) -> list[dict]:
        received = self._received(agency, year, month)
        on_time = sum(1 for d in received if _on_time_at_month_end(d, end))
        return [_metric("PROGRESS_ON_TIME", "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn", on_time, len(received), 20,
                        linear(20))]

    def _online(self, agency, level, year, month, start, end) -> list[dict]:
        procs = procedures_for(agency, _month_day(agency, start))
        online_procs = [p["code"] for p in procs if p["onlineLevel"]]
        received = self._received(agency, year, month)
        used = {d.procedure for d in received if d.online and d.procedure in online_procs}
        return [
            _metric("ONLINE_FORMALITIES", "Tỷ lệ TTHC cung cấp DVCTT", len(online_procs), len(procs), 2,
                    threshold(2, 0.8)),
            _metric("ONLINE_SERVICES_USED", "Tỷ lệ DVCTT có phát sinh hồ sơ", len(used), len(online_procs), 4,
                    linear(4)),
            _metric("ONLINE_DOSSIERS", "Tỷ lệ hồ sơ TTHC trực tuyến", sum(d.online for d in received),
                    len(received), 6, threshold(6, 0.5)),
        ]

    def _payment(self, agency, level, year, month, start, end) -> list[dict]:
        fee_procs = {p["code"] for p in procedures_for(agency, _month_day(agency, start)) if p["hasFee"]}
        received = self._received(agency, year, month)
        with_fee_data = {d.procedure for d in received if d.procedure in fee_procs and d.has_priced_fee}
        paid_procs = {d.procedure for d in received if d.procedure in fee_procs and d.paid_online}
        priced = [d for d in received if d.has_priced_fee]
        return [
            _metric("FEE_FORMALITIES_INTEGRATED", "Tỷ lệ TTHC có nghĩa vụ tài chính được tích hợp thanh toán",
                    len(with_fee_data), len(fee_procs), 2, threshold(2, 0.8)),
            _metric("FEE_FORMALITIES_PAID_ONLINE", "Tỷ lệ TTHC có giao dịch thanh toán trực tuyến",
                    len(paid_procs), len(fee_procs), 2, threshold(2, 0.8)),
            _metric("DOSSIERS_PAID_ONLINE", "Tỷ lệ hồ sơ thanh toán trực tuyến",
                    sum(d.paid_online for d in priced), len(priced), 6, linear(6)),
        ]

    def _digitization(self, agency, level, year, month, start, end) -> list[dict]:
        procs = procedures_for(agency, _month_day(agency, start))
        received = self._received(agency, year, month)
        paper_finished = [d for d in received if d.status in (9, 10) and _PROCEDURES.get(d.procedure, {}).get("paperResult", True)]
        digitized = [d for d in received if d.has_digitized_document
                     and (d.has_e_result or not _PROCEDURES.get(d.procedure, {}).get("paperResult", True))]
        from_store = [d for d in received if d.has_personal_store_document]
        return [
            _metric("ORIGINAL_RESULT_AVAILABLE", "Tỷ lệ hồ sơ có cấp kết quả giải quyết điện tử",
                    sum(d.has_e_result for d in paper_finished), len(paper_finished), 6, linear(6)),
            _metric("SO_HOA_GIAY_TO_GIAI_QUYET", "Tỷ lệ hồ sơ thực hiện số hóa", len(digitized), len(received), 4,
                    threshold(4, 0.8)),
            # No formula published: the portal sends only the maximum.
            {"code": "ELECTRONIC_CERTIFIED_COPY", "name": "Cung cấp dịch vụ chứng thực bản sao điện tử",
             "numerator": None, "denominator": None, "ratio": None, "score": None, "maxScore": 2},
            _metric("REUSED_DIGITIZED_DATA", "Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa",
                    sum(d.has_digitized_document for d in received), len(received), 2, threshold(2, 0.8)),
            _metric("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", "Tỷ lệ hồ sơ số hóa có kết nối kho dữ liệu cá nhân",
                    len(from_store), len(received), 4, linear(4)),
            _metric("CITIZEN_DATA_CONNECTED_FORMALITY", "Tỷ lệ TTHC kết nối, chia sẻ dữ liệu dân cư",
                    len({d.procedure for d in from_store}), len(procs), 2, linear(2)),
            _metric("CITIZEN_DATA_CONNECTED_DOSSIER", "Tỷ lệ hồ sơ sử dụng dữ liệu từ CSDLQG về dân cư",
                    len(from_store), len(received), 2, linear(2)),
        ]

    def _satisfaction(self, agency, level, year, month, start, end) -> list[dict]:
        received = self._received(agency, year, month)
        on_time = sum(1 for d in received if _on_time_at_month_end(d, end))
        # Feedback (PAKN) is not simulated as records: a small count per agency and month, often none.
        petitions = (month + sum(map(ord, agency))) % 3
        about_procedures = petitions // 2
        handled_on_time = petitions - (1 if petitions > 1 else 0)
        metrics = [
            _metric("PETITION_CLASSIFICATION_TTHC", "Tỷ lệ PAKN về quy định, TTHC", about_procedures, petitions, 0,
                    lambda rate: 0),
        ]
        for code, name, numerator in (
            ("PETITION_PROCESSING_ON_TIME", "Tỷ lệ PAKN xử lý đúng hạn", handled_on_time),
            ("PETITION_HANDLING_SATISFACTION", "Tỷ lệ hài lòng trong xử lý PAKN", petitions),
        ):
            item = _metric(code, name, numerator, petitions, 6, linear(6))
            if petitions == 0:  # no feedback at all: full marks (docs/domain.md §1.6)
                item["score"] = 6
            metrics.append(item)
        satisfaction = _metric("DOSSIER_RECEIVING_SATISFACTION", "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
                               on_time, len(received), 6, threshold(6, 0.9))
        if not received:  # no dossier: 0 points (docs/domain.md §1.6)
            satisfaction["score"] = 0
        metrics.append(satisfaction)
        return metrics


def _month_day(agency: str, start: datetime):
    """A day of the month for which the agency's catalog is taken: the first of the month, or its
    last day in force when it ended earlier, or its first when it began later."""
    versions = [a for a in AGENCIES if a["code"] == agency]
    day = start.date()
    if versions[-1]["validTo"] is not None and day.isoformat() > versions[-1]["validTo"]:
        return datetime.fromisoformat(versions[-1]["validTo"]).date()
    if day.isoformat() < versions[0]["validFrom"]:
        return datetime.fromisoformat(versions[0]["validFrom"]).date()
    return day


def _on_time_at_month_end(d: DossierFacts, month_end: datetime) -> bool:
    """2.1's numerator: finished on time by the month's end, or still open then and not yet due."""
    if d.due_at is None:
        return False
    ended = d.finished_at is not None and d.finished_at < month_end
    if ended:
        return d.status in (9, 10) and d.finished_at <= d.due_at
    return d.due_at >= month_end

