"""The ground truth: every KPI mart of `docs/contracts/marts.md`, computed again from what the sources
serve, independently of the warehouse.

An oracle is only worth something if it shares nothing with what it checks, so this module imports
nothing from `ioc_pipeline` and reads nothing from the dbt project: it parses the served date strings
itself (`parse_served_time`), counts working days with the simulator's own hand-written calendar
(`ioc_simulator.calendar`), holds its own copy of the 2024 plan (`PLAN`), and reads the operators'
workbooks with openpyxl by their header labels. Inputs are what the sources serve: dossier records
(every served version of each dossier), the portal's department and procedure lists, the workbooks
as delivered with their arrival times.

Rules and the decisions taken where the contract leaves room (the "issue 9" fixes are marked):

- Dates: `yyyyMMddHHmmss` or `dd/MM/yyyy HH:mm:ss` (day, month and hour may have one digit), naive
  Vietnam local time; anything else reads as absent.
- accepted: `NgayTiepNhan` readable and `TrangThaiHoSo` not 1 or 3. online: `KenhThucHien` = 2;
  online remote: online and `NoiNopHoSo` 1 or null. Counted in the month of `NgayTiepNhan`.
- Scopes: `province`; `level` of the agency version in force on the ACCEPTANCE day (for finished,
  open and watchlisted dossiers too; an earlier version of this module took the finishing day);
  `agency` = `MaDonViTiepNhan`. No version in force on the acceptance day (fix 4): no level (no
  `level` row counts the dossier, and the watchlist has no agency name); the dossier still counts in
  `province` and under its agency code (`unversioned` lists them).
- Appointment dates (fix 7): a `NgayHenTra` or `NgayHenTraMoi` at exactly 00:00:00 means the end of
  that day (23:59:59).
- Effective due date: the `NgayHenTraMoi` of the LATEST supplement request that has one (latest by
  `NgayBoSung`; an unreadable `NgayBoSung` counts as oldest; equal ones by list order), else
  `NgayHenTra`. "Latest" is the most recent request, not the greatest date: the contract's
  parenthesis says each request "sets a new appointment", so a later request that sets an EARLIER
  date moves the appointment earlier (an earlier version of this module took the greatest date).
- finished: status 9 or 10 with a readable `NgayKetThucXuLy`, counted in its month, only with a due
  date (and accepted). early: finished on a calendar day before the due day; late: finish time after
  the due moment (by time, not by day: finishing on the due day after the due time is late; an
  earlier version of this module compared days); on time: neither.
- State in force at an instant T (fix 9): the dossier's served version with the greatest
  `NgayCapNhat` before T. Month ends and the watchlist use it, never today's state. So the oracle
  needs every version of a dossier from its submission on (the simulator's `dossier_versions`); a
  question about an instant its history does not reach raises `IncompleteHistory`.
- open at T: accepted and status not 7, 8, 9 or 10 in the state at T. waiting: open with status 5,
  or 6 when `Rules.status_6_pauses_clock` (fix 8, default true).
- Month end of month M: T = the first moment of the next month; overdue at month end: open, not
  waiting, with a due date whose day D < the first day of the next month (due on or before the last
  day). on_time_rate = (early + on_time + open - overdue) / (finished + open), null when 0; all counts
  of the row only take dossiers with a due date.
- Watchlist as of day A: the state at the end of A (T = A + 1 day, 00:00); open, not waiting, with a
  due day D; overdue when D < A, at risk when 0 <= working days remaining <= `Rules.at_risk_working_days`
  (working days in (A, D]); a span outside the calendar's known years has no number (never at risk).
- Operators' workbooks: the latest READABLE delivery of an (operator, month) by arrival order (fix 3;
  a file that cannot be read as a workbook with sheets `Tram` and `ThueBao` and every contract header
  replaces nothing). A station counts from `Mã trạm`, `Công nghệ` and `Trạng thái` alone (fix 1: a bad
  date, commune or coordinate in its row does not drop it); distinct codes per operator. A `ThueBao`
  row counts from its two counts alone (readable whole numbers, 2G-only not above the total; the unit
  cell does not matter). `all` needs both operators' reports, else it is null (not a partial sum).
- Scorecard (fix 5, 6): status `khong_co_chi_tieu` without a target; `chua_co_so_lieu` when the
  month's data is not due yet at the as-of day: a dossier month after the as-of day's month, an
  operator month whose workbook (due before the 10th of the next month) is neither received nor due
  yet; else `dat` when actual >= target, `chua_dat` otherwise (a missing actual that was due is not
  met). B3's first milestone is the period July-September 2024 as one cumulative online-remote rate
  against 0.65: indicator `b3_online_remote_rate_jul_sep_2024`, month 2024-09-01, beside the
  monthly rows (which keep their own targets). b1_sources_integrated is a fact about the pipeline's
  loads, not about the sources: the caller says it (default 1.0 for every month up to the as-of day).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from pathlib import Path

from . import calendar as cal
from .world import AGENCIES, PROCEDURES

# --- served values ---------------------------------------------------------------------------------------

_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$")
_LEGACY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) +(\d{1,2}):(\d{2}):(\d{2})$")
END_OF_DAY = time(23, 59, 59)


def parse_served_time(value) -> datetime | None:
    """A served date string (`yyyyMMddHHmmss` or `dd/MM/yyyy HH:mm:ss`) as naive Vietnam local time;
    None when absent or unreadable (31 February, 25 o'clock, another format)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _COMPACT.match(text)
    if match:
        year, month, day, hour, minute, second = (int(g) for g in match.groups())
    else:
        match = _LEGACY.match(text)
        if not match:
            return None
        day, month, year, hour, minute, second = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_appointment(value) -> datetime | None:
    """An appointment date (NgayHenTra, NgayHenTraMoi): at exactly 00:00:00 it means the end of that
    day (fix 7)."""
    moment = parse_served_time(value)
    if moment is not None and moment.time() == time(0, 0, 0):
        return datetime.combine(moment.date(), END_OF_DAY)
    return moment


VN_OFFSET = timezone(timedelta(hours=7))  # Vietnam keeps UTC+7 all year


def local_naive(moment: datetime) -> datetime:
    """Vietnam wall time without tzinfo (a naive moment is taken as local already)."""
    return moment.astimezone(VN_OFFSET).replace(tzinfo=None) if moment.tzinfo is not None else moment


def month_of(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: date) -> datetime:
    """The instant a month ends: the first moment of the next month."""
    return datetime.combine(next_month(month), time())


# --- the 2024 plan (docs/contracts/marts.md "Scorecard indicators and targets"), written out here ---------------------

_JUL_TO_NOV = [date(2024, m, 1) for m in range(7, 12)]
DEC_2024 = date(2024, 12, 1)
PLAN: dict[tuple[str, date], Fraction] = {
    **{("b1_sources_integrated", date(2024, m, 1)): Fraction(1) for m in range(7, 13)},
    **{("b2_5g_on_air_all", m): Fraction(n) for m, n in zip(_JUL_TO_NOV, (33, 67, 100, 133, 167))},
    **{("b2_5g_on_air_viettel", m): Fraction(n) for m, n in zip(_JUL_TO_NOV, (23, 47, 70, 93, 117))},
    **{("b2_5g_on_air_vnpt", m): Fraction(n) for m, n in zip(_JUL_TO_NOV, (10, 20, 30, 40, 50))},
    ("b2_5g_on_air_all", DEC_2024): Fraction(200),
    ("b2_5g_on_air_viettel", DEC_2024): Fraction(140),
    ("b2_5g_on_air_vnpt", DEC_2024): Fraction(60),
    ("b3_online_remote_rate", date(2024, 9, 1)): Fraction(65, 100),
    **{("b3_online_remote_rate", date(2024, m, 1)): Fraction(70, 100) for m in (10, 11, 12)},
}
# Fix 6: the first B3 milestone is a period, one cumulative rate.
B3_Q3_CODE = "b3_online_remote_rate_jul_sep_2024"
# issue 13 item 2: the online-remote rate of the procedures whose fee is lower online (no target)
B3_FEE_CODE = "b3_fee_reduced_online_remote_rate"
B3_Q3_MONTHS = (date(2024, 7, 1), date(2024, 8, 1), date(2024, 9, 1))
B3_Q3_ROW_MONTH = date(2024, 9, 1)
B3_Q3_TARGET = Fraction(65, 100)
BREAKTHROUGH = {"b1_sources_integrated": 1, "b1_overdue_dossiers": 1, "b2_5g_on_air_all": 2,
                "b2_5g_on_air_viettel": 2, "b2_5g_on_air_vnpt": 2, "b2_2g_only_share": 2,
                "b3_online_remote_rate": 3, B3_Q3_CODE: 3, B3_FEE_CODE: 3}

DAT, CHUA_DAT, KHONG_CO_CHI_TIEU, CHUA_CO_SO_LIEU = "dat", "chua_dat", "khong_co_chi_tieu", "chua_co_so_lieu"


@dataclass(frozen=True)
class Rules:
    """The contract's tunable rules (dbt vars on the warehouse side)."""

    status_6_pauses_clock: bool = True   # fix 8 (`status_6_pauses_clock`)
    at_risk_working_days: int = 2        # `at_risk_working_days`


class IncompleteHistory(ValueError):
    """The versions given do not reach back to the instant asked about."""


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


# --- one served version of a dossier ----------------------------------------------------------------------


@dataclass(frozen=True)
class DossierState:
    """What one served version of a dossier says, read with the contract's definitions."""

    code: str
    agency_code: str | None
    procedure_code: str | None
    status: int | None
    submitted_at: datetime | None
    accepted_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None          # effective due moment (fix 7 applied)
    due_as_sent: datetime | None     # the same date as the record writes it
    updated_at: datetime | None
    is_online: bool
    is_online_remote: bool
    applicant: str | None = None     # SoDinhDanh without whitespace, upper case (issue 13: repeat applicants)

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None and self.status not in (1, 3)

    @property
    def is_finished(self) -> bool:
        return self.status in (9, 10) and self.finished_at is not None

    @property
    def is_open(self) -> bool:
        return self.is_accepted and self.status not in (7, 8, 9, 10)

    def is_waiting(self, rules: Rules) -> bool:
        return self.is_open and (self.status == 5 or (self.status == 6 and rules.status_6_pauses_clock))

    @property
    def due_day(self) -> date | None:
        return self.due_at.date() if self.due_at is not None else None

    @property
    def timeliness(self) -> str | None:
        """early / on_time / late of a finished dossier with a due date, else None."""
        if not (self.is_accepted and self.is_finished) or self.due_at is None:
            return None
        if self.finished_at.date() < self.due_at.date():
            return "early"
        if self.finished_at > self.due_at:
            return "late"
        return "on_time"


def effective_due(record: Mapping) -> tuple[datetime | None, datetime | None]:
    """(due moment with fix 7, due as written) of a record: the latest request's NgayHenTraMoi, else
    NgayHenTra."""
    requests = []
    for position, request in enumerate(record.get("DanhSachHoSoBoSung") or []):
        if not isinstance(request, Mapping):
            continue
        new_due = request.get("NgayHenTraMoi")
        if parse_served_time(new_due) is None:
            continue
        requested = parse_served_time(request.get("NgayBoSung")) or datetime.min
        requests.append((requested, position, new_due))
    value = max(requests)[2] if requests else record.get("NgayHenTra")
    return parse_appointment(value), parse_served_time(value)


def read_state(record: Mapping) -> DossierState | None:
    """A served record read as a DossierState; None for a record without MaHoSo."""
    code = record.get("MaHoSo")
    if not isinstance(code, str) or not code:
        return None
    status = record.get("TrangThaiHoSo")
    status = status if isinstance(status, int) and not isinstance(status, bool) else None
    due_at, due_as_sent = effective_due(record)
    online = record.get("KenhThucHien") == 2
    return DossierState(
        code=code,
        agency_code=record.get("MaDonViTiepNhan"),
        procedure_code=record.get("MaTTHC"),
        status=status,
        submitted_at=parse_served_time(record.get("NgayNopHoSo")),
        accepted_at=parse_served_time(record.get("NgayTiepNhan")),
        finished_at=parse_served_time(record.get("NgayKetThucXuLy")),
        due_at=due_at,
        due_as_sent=due_as_sent,
        updated_at=parse_served_time(record.get("NgayCapNhat")),
        is_online=online,
        is_online_remote=online and record.get("NoiNopHoSo") in (1, None),
        applicant=_applicant(record.get("SoDinhDanh")),
    )


def _applicant(value) -> str | None:
    """The applicant's identity as the contract's keyed hash sees it: whitespace removed, upper case."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    return text or None


# --- agencies and procedures as the portal serves them ----------------------------------------------------


class AgencyVersions:
    """The department list (every version), answering "which version was in force on day d"."""

    def __init__(self, departments: Iterable[Mapping]):
        self._by_code: dict[str, list[Mapping]] = defaultdict(list)
        for item in departments:
            self._by_code[item["code"]].append(item)

    def in_force(self, code: str | None, day: date) -> Mapping | None:
        iso = day.isoformat()
        for version in self._by_code.get(code or "", ()):
            if str(version["validFrom"])[:10] <= iso and (version.get("validTo") is None
                                                          or iso <= str(version["validTo"])[:10]):
                return version
        return None


# --- the oracle of the dossier marts --------------------------------------------------------------------------


class DossierTruth:
    """Every dossier mart from the served versions of the dossiers up to the instant `as_of`.

    `versions`: served records, any number per MaHoSo, in any order (the simulator's
    `dossier_versions`, or hand-made ones). The current state of a dossier is its version with the
    greatest NgayCapNhat (ties: the later one given).
    """

    def __init__(self, versions: Iterable[Mapping], as_of: datetime, *, departments: Iterable[Mapping] = AGENCIES,
                 procedures: Iterable[Mapping] = PROCEDURES, rules: Rules = Rules()):
        self.as_of = local_naive(as_of)
        self.rules = rules
        self.agencies = AgencyVersions(departments)
        self.procedure_names = {p["code"]: p.get("name") for p in procedures}
        self.fee_reduced_procedures = {p["code"] for p in procedures if p.get("feeReducedOnline")}
        history: dict[str, list[tuple[datetime, int, DossierState]]] = defaultdict(list)
        self.unreadable: list[Mapping] = []
        for order, record in enumerate(versions):
            state = read_state(record)
            if state is None or state.updated_at is None:
                self.unreadable.append(record)
                continue
            history[state.code].append((state.updated_at, order, state))
        self.history = {code: [s for _, _, s in sorted(v, key=lambda x: (x[0], x[1]))] for code, v in history.items()}
        self.current = {code: states[-1] for code, states in self.history.items()}

    # --- states and scopes

    def state_before(self, code: str, moment: datetime) -> DossierState | None:
        """The version in force just before `moment` (greatest NgayCapNhat < moment), or None when the
        dossier was not submitted yet."""
        if moment > self.as_of:
            raise IncompleteHistory(f"{moment} is after the versions' as-of {self.as_of}")
        states = self.history[code]
        before = [s for s in states if s.updated_at < moment]
        if before:
            return before[-1]
        submitted = self.current[code].submitted_at
        if submitted is not None and submitted < moment:
            raise IncompleteHistory(f"{code}: submitted {submitted} but no version before {moment}")
        return None

    def agency_version(self, state: DossierState) -> Mapping | None:
        """The agency version in force on the acceptance day (None: none in force, fix 4)."""
        if state.accepted_at is None:
            return None
        return self.agencies.in_force(state.agency_code, state.accepted_at.date())

    def scopes(self, state: DossierState) -> list[tuple[str, str]]:
        out = [("province", "province")]
        version = self.agency_version(state)
        if version is not None:
            out.append(("level", version["level"]))
        if state.agency_code:
            out.append(("agency", state.agency_code))
        return out

    @property
    def unversioned(self) -> list[str]:
        """Accepted dossiers whose agency had no version in force on the acceptance day (fix 4)."""
        return sorted(c for c, s in self.current.items() if s.is_accepted and self.agency_version(s) is None)

    # --- kpi_online_rate_monthly

    def online_rate_monthly(self) -> dict[tuple[date, str, str], dict]:
        """(month, scope, scope_code) -> counts and rates; target_rate / meets_target on province rows
        only (the plan is province-wide; what other scopes are held to is the warehouse's choice)."""
        counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for state in self.current.values():
            if not state.is_accepted:
                continue
            for scope in self.scopes(state):
                c = counts[(month_of(state.accepted_at), *scope)]
                c[0] += 1
                c[1] += state.is_online
                c[2] += state.is_online_remote
        rows = {}
        for key, (accepted, online, remote) in sorted(counts.items()):
            row = {"dossiers_accepted": accepted, "dossiers_online": online, "dossiers_online_remote": remote,
                   "online_rate": ratio(online, accepted), "online_remote_rate": ratio(remote, accepted)}
            if key[1] == "province":
                target = PLAN.get(("b3_online_remote_rate", key[0]))
                row["target_rate"] = target
                row["meets_target"] = None if target is None else row["online_remote_rate"] >= target
            rows[key] = row
        return rows

    # --- kpi_fee_reduced_online_monthly (issue 13 item 2)

    def fee_reduced_online_monthly(self) -> dict[tuple[date, str, str, str], dict]:
        """(month, scope, scope_code, procedure_group) -> counts and rates, for the months and scopes
        with an accepted dossier: group 'fee_reduced' (the catalog flags the dossier's procedure
        feeReducedOnline) and 'all'."""
        counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for state in self.current.values():
            if not state.is_accepted:
                continue
            groups = ["all"] + (["fee_reduced"] if state.procedure_code in self.fee_reduced_procedures else [])
            for scope in self.scopes(state):
                for group in groups:
                    c = counts[(month_of(state.accepted_at), *scope, group)]
                    c[0] += 1
                    c[1] += state.is_online
                    c[2] += state.is_online_remote
                counts[(month_of(state.accepted_at), *scope, "fee_reduced")]  # the group's row, maybe empty
        rows = {}
        for key, (accepted, online, remote) in sorted(counts.items()):
            every = counts[(*key[:3], "all")][0]
            rows[key] = {"dossiers_accepted": accepted, "dossiers_online": online, "dossiers_online_remote": remote,
                         "online_rate": ratio(online, accepted), "online_remote_rate": ratio(remote, accepted),
                         "share_of_accepted": ratio(accepted, every)}
        return rows

    # --- kpi_timeliness_monthly

    def at_month_end(self, code: str, month: date) -> tuple[DossierState, str] | None:
        """(state in force at the end of `month`, "waiting" / "overdue" / "in_time") of a dossier open
        then with a due date; None when it was not open then or had no due date."""
        state = self.state_before(code, month_end(month))
        if state is None or not state.is_open or state.due_at is None:
            return None
        if state.is_waiting(self.rules):
            return state, "waiting"
        return state, "overdue" if state.due_day < next_month(month) else "in_time"

    def timeliness_monthly(self, month_ends: Iterable[date] = ()) -> dict[tuple[date, str, str], dict]:
        """(month, scope, scope_code) -> finished / early / on_time / late for every month with a
        finished dossier; open_at_month_end / overdue_at_month_end / on_time_rate only for the months
        listed in `month_ends` (None elsewhere: the state at that month end is not asked for)."""
        finished: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("early", "on_time", "late"), 0))
        for state in self.current.values():
            kind = state.timeliness
            if kind is None:
                continue
            for scope in self.scopes(state):
                finished[(month_of(state.finished_at), *scope)][kind] += 1
        opened: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        asked = sorted(set(month_ends))
        for month in asked:
            for code in sorted(self.history):
                found = self.at_month_end(code, month)
                if found is None:
                    continue
                state, kind = found
                for scope in self.scopes(state):
                    o = opened[(month, *scope)]
                    o[0] += 1
                    o[1] += kind == "overdue"
        keys = set(finished) | set(opened) | {(m, "province", "province") for m in asked}
        rows = {}
        for key in sorted(keys):
            f = finished.get(key, dict.fromkeys(("early", "on_time", "late"), 0))
            total = sum(f.values())
            row = {"finished": total, "finished_early": f["early"], "finished_on_time": f["on_time"],
                   "finished_late": f["late"], "open_at_month_end": None, "overdue_at_month_end": None,
                   "on_time_rate": None}
            if key[0] in asked:
                open_, overdue = opened.get(key, (0, 0))
                row.update(open_at_month_end=open_, overdue_at_month_end=overdue,
                           on_time_rate=ratio(f["early"] + f["on_time"] + open_ - overdue, total + open_))
            rows[key] = row
        return rows

    # --- dossier_watchlist

    def watchlist(self, as_of_day: date) -> dict[str, dict]:
        """dossier_code -> the watchlist row as of day A (state at the end of A)."""
        moment = datetime.combine(as_of_day + timedelta(days=1), time())
        rows = {}
        for code in sorted(self.history):
            state = self.state_before(code, moment)
            if state is None or not state.is_open or state.is_waiting(self.rules) or state.due_at is None:
                continue
            due_day = state.due_day
            remaining = (cal.working_days_remaining(as_of_day, due_day)
                         if cal.covers(as_of_day) and cal.covers(due_day) else None)
            if due_day < as_of_day:
                risk = "overdue"
            elif remaining is not None and 0 <= remaining <= self.rules.at_risk_working_days:
                risk = "at_risk"
            else:
                continue
            version = self.agency_version(state)
            rows[code] = {
                "as_of_date": as_of_day, "dossier_code": code, "agency_code": state.agency_code,
                "agency_name": version["name"] if version is not None else None,
                "procedure_code": state.procedure_code,
                "procedure_name": self.procedure_names.get(state.procedure_code),
                "accepted_at": state.accepted_at, "due_at": state.due_at, "due_as_sent": state.due_as_sent,
                "due_day": due_day, "working_days_remaining": remaining, "risk": risk,
            }
        return rows


# --- operators' workbooks ---------------------------------------------------------------------------------

TRAM_HEADERS = ("Mã trạm", "Công nghệ", "Đơn vị hành chính", "Vĩ độ", "Kinh độ", "Trạng thái", "Ngày phát sóng")
THUEBAO_HEADERS = ("Đơn vị hành chính", "Thuê bao chỉ dùng 2G", "Tổng thuê bao di động")
ON_AIR = "Đang phát sóng"
OPERATORS = ("viettel", "vnpt")
_FILE_NAME = re.compile(r"^(viettel|vnpt)_(\d{4})(\d{2})\.xlsx$", re.IGNORECASE)


def _norm(value) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value))).strip().casefold()


@dataclass(frozen=True)
class OperatorReport:
    """What one readable workbook says, by the contract's counting rules (fix 1)."""

    operator: str
    month: date
    arrived_at: datetime
    stations_on_air: dict[str, frozenset]   # technology -> distinct station codes on air
    subscribers_2g_only: int
    subscribers_total: int

    def on_air(self, technology: str) -> int:
        return len(self.stations_on_air.get(technology, frozenset()))


def _count(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = str(value).strip()
    if re.fullmatch(r"\d{1,3}([ .,]\d{3})+|\d+", text):
        return int(re.sub(r"[ .,]", "", text))
    return None


def _table(rows: list[tuple], headers: tuple[str, ...]) -> list[dict] | None:
    """The rows below the first row holding every header label, as {label: value}; None without one.
    Total rows (`Tổng cộng`) and empty rows are not table rows."""
    wanted = [_norm(h) for h in headers]
    for index, row in enumerate(rows):
        positions = {}
        for column, value in enumerate(row):
            if value is not None:
                positions.setdefault(_norm(value), column)
        if all(w in positions for w in wanted):
            out = []
            for data in rows[index + 1:]:
                cells = [v for v in data if v is not None and str(v).strip()]
                if not cells or any(isinstance(v, str) and _norm(v).startswith("tổng cộng") for v in cells):
                    continue
                out.append({h: (data[positions[w]] if positions[w] < len(data) else None)
                            for h, w in zip(headers, wanted)})
            return out
    return None


def read_operator_workbook(content: bytes, file_name: str, arrived_at: datetime) -> OperatorReport | None:
    """One delivered workbook read by the contract (docs/contracts/sources.md §3); None when it cannot be a report."""
    match = _FILE_NAME.match(file_name)
    if not match:
        return None
    operator, month = match.group(1).lower(), date(int(match.group(2)), int(match.group(3)), 1)
    from openpyxl import load_workbook  # the only third-party reader the oracle uses

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return None
    try:
        sheets = {_norm(name): name for name in book.sheetnames}
        if "tram" not in sheets or "thuebao" not in sheets:
            return None
        tram = _table([tuple(r) for r in book[sheets["tram"]].iter_rows(values_only=True)], TRAM_HEADERS)
        thuebao = _table([tuple(r) for r in book[sheets["thuebao"]].iter_rows(values_only=True)], THUEBAO_HEADERS)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return None
    finally:
        book.close()
    if tram is None or thuebao is None:
        return None
    on_air: dict[str, set] = defaultdict(set)
    for row in tram:
        code = str(row["Mã trạm"]).strip() if row["Mã trạm"] is not None else ""
        technology = _norm(row["Công nghệ"]).upper() if row["Công nghệ"] is not None else ""
        if code and row["Trạng thái"] is not None and _norm(row["Trạng thái"]) == _norm(ON_AIR):
            on_air[technology].add(code)
    only_2g = total = 0
    for row in thuebao:
        a, b = _count(row["Thuê bao chỉ dùng 2G"]), _count(row["Tổng thuê bao di động"])
        if a is not None and b is not None and a <= b:
            only_2g, total = only_2g + a, total + b
    return OperatorReport(operator, month, arrived_at, {t: frozenset(c) for t, c in on_air.items()}, only_2g, total)


def latest_reports(deliveries: Iterable[tuple[str, datetime, bytes]],
                   as_of: datetime | None = None) -> dict[tuple[str, date], OperatorReport]:
    """(operator, month) -> the report that counts: of the deliveries `(file name, arrived_at, bytes)`
    that arrived by `as_of`, the latest readable one in arrival order (fix 3)."""
    reports: dict[tuple[str, date], OperatorReport] = {}
    ordered = sorted(enumerate(deliveries), key=lambda item: (local_naive(item[1][1]), item[0]))
    as_of = local_naive(as_of) if as_of is not None else None
    for _, (name, arrived, content) in ordered:
        arrived = local_naive(arrived)
        if as_of is not None and arrived > as_of:
            continue
        report = read_operator_workbook(content, name, arrived)
        if report is not None:
            reports[(report.operator, report.month)] = report
    return reports


def report_due(month: date) -> datetime:
    """Operators' workbooks are due before the 10th of the next month (naive local time)."""
    return datetime.combine(next_month(month).replace(day=10), time())


def kpi_5g_monthly(reports: Mapping[tuple[str, date], OperatorReport]) -> dict[tuple[date, str], dict]:
    """(month, operator) -> stations_5g_on_air, report_received, target, meets_target; months with a
    report or a 5G target, operators viettel, vnpt and all."""
    months = {m for _, m in reports} | {m for (code, m) in PLAN if code.startswith("b2_5g_on_air_")}
    rows = {}
    for month in sorted(months):
        values = {op: (reports[(op, month)].on_air("5G") if (op, month) in reports else None) for op in OPERATORS}
        values["all"] = None if None in values.values() else sum(values.values())
        for op, value in values.items():
            target = PLAN.get((f"b2_5g_on_air_{op}", month))
            rows[(month, op)] = {
                "stations_5g_on_air": value, "report_received": value is not None, "target": target,
                "meets_target": None if value is None or target is None else value >= target,
            }
    return rows


def kpi_2g_monthly(reports: Mapping[tuple[str, date], OperatorReport]) -> dict[tuple[date, str], dict]:
    """(month, operator) -> stations_2g_on_air, subscribers_2g_only, subscribers_total, share_2g_only,
    report_received; months with a report."""
    rows = {}
    for month in sorted({m for _, m in reports}):
        per = {}
        for op in OPERATORS:
            r = reports.get((op, month))
            per[op] = None if r is None else (r.on_air("2G"), r.subscribers_2g_only, r.subscribers_total)
        per["all"] = (None if None in per.values()
                      else tuple(sum(v[i] for v in per.values() if v is not None) for i in range(3)))
        for op, v in per.items():
            stations, only, total = v if v is not None else (None, None, None)
            rows[(month, op)] = {"stations_2g_on_air": stations, "subscribers_2g_only": only,
                                 "subscribers_total": total,
                                 "share_2g_only": None if v is None else ratio(only, total),
                                 "report_received": v is not None}
    return rows


# --- breakthrough_scorecard -----------------------------------------------------------------------------------


def status_of(target, actual, available: bool) -> str:
    if target is None:
        return KHONG_CO_CHI_TIEU
    if not available:
        return CHUA_CO_SO_LIEU
    return DAT if actual is not None and actual >= target else CHUA_DAT


def scorecard(
    dossiers: DossierTruth,
    reports: Mapping[tuple[str, date], OperatorReport],
    as_of_day: date,
    *,
    month_ends: Iterable[date] = (),
    sources_integrated: Mapping[date, Fraction] | None = None,
    agency_reports: Mapping[tuple[date, str, str], dict] | None = None,
) -> dict[tuple[date, str], dict]:
    """(month, indicator_code) -> breakthrough, actual, target, status, as of day A.

    `month_ends`: the months whose b1_overdue_dossiers is asked for (the oracle must know the
    states at their ends). `sources_integrated`: month -> share of sources integrated (a fact of the
    pipeline's loads); default 1 for every month up to A's month."""
    as_of_month = month_of(as_of_day)
    end_of_as_of = datetime.combine(as_of_day + timedelta(days=1), time())
    rows: dict[tuple[date, str], dict] = {}

    def put(month, code, actual, available):
        target = PLAN.get((code, month)) if code != B3_Q3_CODE else B3_Q3_TARGET
        rows[(month, code)] = {"breakthrough": BREAKTHROUGH[code], "actual": actual, "target": target,
                               "status": status_of(target, actual, available)}

    def planned(code):
        return {m for (c, m) in PLAN if c == code}

    # b1_sources_integrated
    for month in sorted(planned("b1_sources_integrated") | {as_of_month}):
        known = month <= as_of_month
        share = None
        if known:
            share = Fraction(1) if sources_integrated is None else sources_integrated.get(month)
        put(month, "b1_sources_integrated", share, known)
    # b1_overdue_dossiers
    timeliness = dossiers.timeliness_monthly(month_ends)
    for month in sorted(set(month_ends)):
        put(month, "b1_overdue_dossiers", timeliness[(month, "province", "province")]["overdue_at_month_end"],
            month <= as_of_month)
    # b2: 5G per operator and all; 2G-only share
    five_g = kpi_5g_monthly(reports)
    for (month, op), row in five_g.items():
        available = row["stations_5g_on_air"] is not None or end_of_as_of >= report_due(month)
        put(month, f"b2_5g_on_air_{op}", row["stations_5g_on_air"], available)
    for (month, op), row in kpi_2g_monthly(reports).items():
        if op == "all":
            put(month, "b2_2g_only_share", row["share_2g_only"], row["share_2g_only"] is not None)
    # b3: monthly online-remote rate, and the Q3 2024 milestone
    online = {m: r for (m, scope, _), r in dossiers.online_rate_monthly().items() if scope == "province"}
    for month in sorted(set(online) | planned("b3_online_remote_rate")):
        put(month, "b3_online_remote_rate", online[month]["online_remote_rate"] if month in online else None,
            month <= as_of_month)
    accepted = sum(online[m]["dossiers_accepted"] for m in B3_Q3_MONTHS if m in online)
    remote = sum(online[m]["dossiers_online_remote"] for m in B3_Q3_MONTHS if m in online)
    put(B3_Q3_ROW_MONTH, B3_Q3_CODE, ratio(remote, accepted), B3_Q3_ROW_MONTH <= as_of_month)
    # issue 13: agencies' reports (when given: `agency_reports_monthly` rows), repeat applicants moving online
    rows.update(issue_13_scorecard_rows(dossiers, as_of_day, agency_reports))
    # b3, tracked without target: the fee-reduced procedures' online-remote rate (province)
    fee = dossiers.fee_reduced_online_monthly()
    for month in sorted(online):
        row = fee.get((month, "province", "province", "fee_reduced"))
        put(month, B3_FEE_CODE, row["online_remote_rate"] if row else None, month <= as_of_month)
    return rows


# --- writing it down (the simulator CLI's --truth) ------------------------------------------------------------


def _plain(value):
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _write_csv(path: Path, key_names: tuple[str, ...], rows: Mapping) -> None:
    records = [{**dict(zip(key_names, key if isinstance(key, tuple) else (key,))), **row} for key, row in rows.items()]
    fields = list(dict.fromkeys(k for r in records for k in r)) or list(key_names)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _plain(v) for k, v in r.items()} for r in records)


@dataclass
class WorldTruth:
    """Everything the oracle says about the simulated world as of one instant (see `world_truth`)."""

    as_of: datetime
    dossiers: DossierTruth
    reports: dict = field(default_factory=dict)
    # issue 13: the agencies' reports as served (every version seen) and the months asked for, and the
    # portal's citizen-account items by month
    agency_reports_served: list = field(default_factory=list)
    agency_report_months: list = field(default_factory=list)
    accounts_items: dict = field(default_factory=dict)

    def agency_reports(self) -> dict:
        return agency_reports_monthly(self.agency_reports_served, self.agency_report_months, self.as_of_day)

    def citizen_accounts(self) -> dict:
        return citizen_accounts_monthly(self.accounts_items, self.dossiers)

    @property
    def as_of_day(self) -> date:
        """The day whose end the served state is: the day before a midnight as-of."""
        return (self.as_of - timedelta(microseconds=1)).date()

    def month_ends(self) -> list[date]:
        """Months that have ended by as-of and in which some dossier was accepted."""
        months = {month_of(s.accepted_at) for s in self.dossiers.current.values() if s.accepted_at is not None}
        return sorted(m for m in months if month_end(m) <= self.as_of)

    def write(self, path) -> dict:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        day = self.as_of_day
        ends = self.month_ends()
        tables = {
            "kpi_online_rate_monthly": (("month", "scope", "scope_code"), self.dossiers.online_rate_monthly()),
            "kpi_timeliness_monthly": (("month", "scope", "scope_code"), self.dossiers.timeliness_monthly(ends)),
            "dossier_watchlist": (("dossier_code",), self.dossiers.watchlist(day)),
            "kpi_5g_monthly": (("month", "operator"), kpi_5g_monthly(self.reports)),
            "kpi_2g_monthly": (("month", "operator"), kpi_2g_monthly(self.reports)),
            "breakthrough_scorecard": (("month", "indicator_code"),
                                       scorecard(self.dossiers, self.reports, day, month_ends=ends,
                                                 agency_reports=self.agency_reports())),
            "kpi_agency_reports_monthly": (("month", "scope", "scope_code"), self.agency_reports()),
            "kpi_citizen_accounts_monthly": (("month", "scope", "scope_code"), self.citizen_accounts()),
        }
        summary = {"as_of": self.as_of.isoformat(), "as_of_day": day.isoformat(),
                   "dossiers": len(self.dossiers.current), "unreadable_versions": len(self.dossiers.unreadable),
                   "unversioned_acceptances": self.dossiers.unversioned,
                   "rows": {name: len(rows) for name, (_, rows) in tables.items()}}
        for name, (keys, rows) in tables.items():
            _write_csv(folder / f"{name}.csv", keys, rows)
        (folder / "truth.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True),
                                           encoding="utf-8")
        return summary


def world_truth(
    seed: int = 2024,
    start: date | None = None,
    end: date | None = None,
    as_of: datetime | None = None,
    scale: float | None = None,
    *,
    deliveries: Iterable[tuple[str, datetime, bytes]] = (),
    rules: Rules = Rules(),
) -> WorldTruth:
    """The oracle over the simulated world as it stands at `as_of` (default: `end` at 00:00): every
    version of every dossier submitted in [start, end) up to then, and the workbooks `deliveries`
    (file name, arrival, bytes) that arrived by then."""
    from . import agency_work, dossiers  # the generators (dossiers imports this module for its date reader)

    start = start or dossiers.DEFAULT_START
    end = end or dossiers.DEFAULT_END
    scale = dossiers.DEFAULT_SCALE if scale is None else scale
    moment = local_naive(as_of) if as_of is not None else datetime.combine(end, time())
    versions = dossiers.dossier_versions(seed, start, end, moment, scale)
    truth = WorldTruth(moment, DossierTruth(versions, moment, rules=rules), latest_reports(deliveries, moment))
    truth.agency_report_months = agency_report_months(start, end, moment)
    truth.agency_reports_served = [item for month in truth.agency_report_months
                                   for item in agency_work.agency_reports(seed, month, moment)]
    truth.accounts_items = {month: agency_work.citizen_accounts(seed, month) for month in truth.agency_report_months}
    return truth


def ended_months(start: date, end: date, moment: datetime) -> list[date]:
    """Months intersecting [start, end) that have ended by both `end` and `moment` (what the pipeline asks
    the portal for: a month's figures exist once it has ended)."""
    cutoff = min(datetime.combine(end, time()), moment)
    out, month = [], month_of(start)
    while month < end and month_end(month) <= cutoff:
        out.append(month)
        month = next_month(month)
    return out


def agency_report_months(start: date, end: date, moment: datetime) -> list[date]:
    """The months whose agencies' reports and citizen accounts a run over [start, end) asks for: the
    ended months from two months before `start` (reports are filed, returned and sent again until
    early in the second month after the one they are on) to `end`."""
    first = month_of(start)
    index = first.year * 12 + first.month - 1 - 2
    before = date(index // 12, index % 12 + 1, 1)
    return ended_months(before, end, moment)


# --- issue 13: agencies' monthly progress reports, citizen accounts, repeat applicants ------------------------
#
# Rules (docs/domain.md "Agencies' monthly progress reports" and "Citizen accounts"), written out again here:
# - Agencies of month M: every agency code with a version in force on at least one day of M; its level is
#   that of the latest such version (the one in force on the last day of M it was in force).
# - A report's state is its served version with the greatest NgayCapNhat (ties: the later one given).
#   sent: TrangThai 2 with a readable NgayGui; on time: sent and NgayGui before 00:00 (Vietnam) on the
#   10th of M+1; late: sent otherwise; missing: expected and not sent (no report, a draft, or returned
#   for revision and not sent again). Only expected agencies count. on_time_rate = on time / expected.
#   final: the as-of day is the 10th of M+1 or later (the scorecard takes the rate only then).
# - Accounts: the latest item given per (month, departmentCode); sums per scope; verified_share =
#   verified / total.
# - Repeat applicants of month M in a scope: applicants (SoDinhDanh) with an accepted dossier accepted
#   in M in that scope and an accepted dossier accepted in an earlier month (any scope); moving online:
#   every one of their dossiers of M in that scope is online remote. Counted only where the scope has an
#   accepted dossier in M (else the columns are None); share None when there is no repeat applicant.

REPORT_DUE_DAY = 10
AGENCY_REPORTS_CODE = "b1_agency_reports_on_time"
REPEAT_APPLICANTS_CODE = "b3_repeat_applicants_online_remote"
PLAN.update({(AGENCY_REPORTS_CODE, date(2024, m, 1)): Fraction(1) for m in range(7, 13)})
BREAKTHROUGH.update({AGENCY_REPORTS_CODE: 1, REPEAT_APPLICANTS_CODE: 3})


def agencies_of_month(departments: Iterable[Mapping], month: date) -> dict[str, Mapping]:
    """code -> the latest version in force on some day of `month`."""
    first, after = month.isoformat(), next_month(month).isoformat()
    out: dict[str, Mapping] = {}
    for version in departments:
        start, end = str(version["validFrom"])[:10], version.get("validTo")
        if start < after and (end is None or str(end)[:10] >= first):
            if version["code"] not in out or start > str(out[version["code"]]["validFrom"])[:10]:
                out[version["code"]] = version
    return out


def _month_scopes(code: str, version: Mapping | None) -> list[tuple[str, str]]:
    scopes = [("province", "province")]
    if version is not None:
        scopes.append(("level", version["level"]))
    scopes.append(("agency", code))
    return scopes


def report_deadline(month: date) -> datetime:
    """Reports of `month` are on time before this instant: 00:00 on the 10th of the next month."""
    return datetime.combine(next_month(month).replace(day=REPORT_DUE_DAY), time())


def agency_reports_monthly(served: Iterable[Mapping], months: Iterable[date], as_of_day: date,
                           departments: Iterable[Mapping] = AGENCIES) -> dict[tuple[date, str, str], dict]:
    """(month, scope, scope_code) -> the kpi_agency_reports_monthly row, for every month in `months`."""
    departments = list(departments)
    current: dict[tuple[str, str], tuple[datetime, int, Mapping]] = {}
    for order, report in enumerate(served):
        changed = parse_served_time(report.get("NgayCapNhat"))
        if changed is None or not report.get("MaDonVi") or not report.get("KyBaoCao"):
            continue
        key = (str(report["MaDonVi"]), str(report["KyBaoCao"]))
        if key not in current or (changed, order) >= current[key][:2]:
            current[key] = (changed, order, report)
    rows: dict[tuple[date, str, str], dict] = {}
    for month in sorted(set(months)):
        deadline = report_deadline(month)
        counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        for code, version in agencies_of_month(departments, month).items():
            found = current.get((code, f"{month:%Y%m}"))
            report = found[2] if found else {}
            sent_at = parse_served_time(report.get("NgayGui"))
            sent = report.get("TrangThai") == 2 and sent_at is not None
            for scope in _month_scopes(code, version):
                c = counts[scope]
                c[0] += 1
                c[1] += sent
                c[2] += sent and sent_at < deadline
        for (scope, scope_code), (expected, sent, on_time) in counts.items():
            rows[(month, scope, scope_code)] = {
                "agencies_expected": expected, "reports_sent": sent, "reports_sent_on_time": on_time,
                "reports_late": sent - on_time, "reports_missing": expected - sent,
                "on_time_rate": ratio(on_time, expected), "is_final": as_of_day >= deadline.date()}
    return rows


def citizen_accounts_monthly(items_by_month: Mapping[date, Iterable[Mapping]], dossiers: "DossierTruth",
                             departments: Iterable[Mapping] = AGENCIES) -> dict[tuple[date, str, str], dict]:
    """(month, scope, scope_code) -> the kpi_citizen_accounts_monthly row: the portal's account figures
    and, from the dossiers, the repeat applicants moving online."""
    departments = list(departments)
    rows: dict[tuple[date, str, str], dict] = defaultdict(lambda: {
        "accounts_new": None, "accounts_total": None, "accounts_verified": None, "verified_share": None,
        "repeat_applicants": None, "repeat_applicants_online_remote": None, "repeat_online_remote_share": None})
    for month, items in items_by_month.items():
        latest = {str(item["departmentCode"]): item for item in items}
        versions = agencies_of_month(departments, month)
        for code, item in latest.items():
            for scope in _month_scopes(code, versions.get(code)):
                row = rows[(month, *scope)]
                for column, field_name in (("accounts_new", "accountsNew"), ("accounts_total", "accountsTotal"),
                                           ("accounts_verified", "accountsVerified")):
                    row[column] = (row[column] or 0) + int(item[field_name])
    for row in rows.values():
        if row["accounts_total"] is not None:
            row["verified_share"] = ratio(row["accounts_verified"], row["accounts_total"])
    # repeat applicants
    accepted = [s for s in dossiers.current.values() if s.is_accepted]
    first_month: dict[str, date] = {}
    for state in accepted:
        if state.applicant is not None:
            month = month_of(state.accepted_at)
            first_month[state.applicant] = min(first_month.get(state.applicant, month), month)
    seen_scopes: set[tuple[date, str, str]] = set()
    remote: dict[tuple[date, str, str, str], bool] = {}
    for state in accepted:
        month = month_of(state.accepted_at)
        for scope in dossiers.scopes(state):
            seen_scopes.add((month, *scope))
            if state.applicant is not None and first_month[state.applicant] < month:
                key = (month, *scope, state.applicant)
                remote[key] = remote.get(key, True) and state.is_online_remote
    for key in seen_scopes:
        row = rows[key]
        row["repeat_applicants"], row["repeat_applicants_online_remote"] = 0, 0
    for (month, scope, scope_code, _), online in remote.items():
        row = rows[(month, scope, scope_code)]
        row["repeat_applicants"] += 1
        row["repeat_applicants_online_remote"] += online
    for row in rows.values():
        if row["repeat_applicants"]:
            row["repeat_online_remote_share"] = ratio(row["repeat_applicants_online_remote"], row["repeat_applicants"])
    return dict(rows)


def issue_13_scorecard_rows(dossiers: "DossierTruth", as_of_day: date,
                            agency_reports: Mapping[tuple[date, str, str], dict] | None = None
                            ) -> dict[tuple[date, str], dict]:
    """The scorecard rows of issue 13: b1_agency_reports_on_time (the province's on_time_rate once the
    month is final; target 100% July-December 2024; not available before the 10th of the next month),
    and b3_repeat_applicants_online_remote (the province's repeat_online_remote_share; no target)."""
    as_of_month = month_of(as_of_day)
    rows: dict[tuple[date, str], dict] = {}

    def put(month, code, actual, available):
        target = PLAN.get((code, month))
        rows[(month, code)] = {"breakthrough": BREAKTHROUGH[code], "actual": actual, "target": target,
                               "status": status_of(target, actual, available)}

    if agency_reports is not None:
        province = {m: r for (m, scope, _), r in agency_reports.items() if scope == "province"}
        planned = {m for (c, m) in PLAN if c == AGENCY_REPORTS_CODE}
        for month in sorted(set(province) | planned):
            row = province.get(month)
            actual = row["on_time_rate"] if row is not None and row["is_final"] else None
            available = month <= as_of_month and (actual is not None or as_of_day >= report_deadline(month).date())
            put(month, AGENCY_REPORTS_CODE, actual, available)
    repeat = {m: r for (m, scope, _), r in citizen_accounts_monthly({}, dossiers).items() if scope == "province"}
    for month in sorted(repeat):
        put(month, REPEAT_APPLICANTS_CODE, repeat[month]["repeat_online_remote_share"], month <= as_of_month)
    return rows
