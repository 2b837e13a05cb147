"""Seeded generation of one-stop-shop dossiers, as the dossier API returns them, at any scale.

Why it is built this way:

- **Per-day, streaming.** Every submission day is generated on its own from `Random(f"{seed}/{day}")`
  (its volume, agencies, channels, stories), never from a state carried over from earlier days. So any
  window of days can be generated alone and gives exactly the dossiers a full run gives for those
  days, memory never grows with the scale (`iter_dossiers` yields one day at a time), and the server
  answers a window query by generating only the submission days that can hold a change in it: a
  dossier's story never lasts longer than `MAX_LIFETIME_DAYS` after its submission.
- **Stories, projected to an as-of moment.** Each dossier is its static content plus a time-ordered
  list of events (the fields each changes). The record served is the story projected to `as_of`:
  only events up to it are applied and `NgayCapNhat` is the last one applied, so nothing after
  `as_of` leaks and two extractions with different `as_of` see the same dossier at two moments.
  No draw depends on `as_of`: the same seed gives byte-identical records.
- **Scale.** `scale` is the expected number of dossiers submitted in the province per year (365
  days), before the weekday / seasonal / Tết factors; the default (`DEFAULT_SCALE`, 800) gives a few
  hundred dossiers over July–December 2024, spread over the whole province. `scale_for_total` turns a
  wanted total over a period into a scale (benchmarks: 10 million and more work, streaming).
- **Realism.** Weekday and seasonal volume with the Tết dip; online dossiers only on closed days;
  the online-remote share of accepted dossiers follows a province trend (44 % in January 2024,
  about 58 % in July, 70 % in December, 80 % by December 2025) shifted per level and per agency;
  some online dossiers are keyed by staff (`NoiNopHoSo` 2); post; appointment dates on the
  public-sector working calendar (`calendar.py`, written by hand, independent of the warehouse); supplements that move the appointment;
  payment waits; a late share that differs per agency (`world.late_propensity`); withdrawals, stops,
  refusals; online payments, digitised documents, electronic results; dossiers still open. Channels are
  drawn by per-day error diffusion (`_Quota`) rather than coin flips, so the planned monthly shares show
  through even at a few dozen dossiers a month.
- **Reforms.** A dossier goes to an agency in force on its submission day (and is accepted by that
  day's agency: acceptance never falls after the agency's `validTo`); after 1 July 2025 that means
  the HCMC departments and the new communes (`world.py`).
- Records use exactly the field names and types of `docs/contracts/sources.md` §1. Dates are
  strings `yyyyMMddHHmmss`, except the "older records" the contract warns about: every record of the
  agencies of Vũng Tàu city and Côn Đảo (`000.xx.31.H03`, `000.00.38.H03`) submitted before
  1 October 2024 uses `dd/MM/yyyy HH:mm:ss` in all its date fields (`uses_legacy_date_format`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from random import Random

from . import calendar as cal
from . import edge_cases
from .truth import local_naive
from .truth import parse_served_time as read_served_time  # noqa: F401  (the simulator's one reader of served dates)
from .world import (
    AGENCIES,
    PROCEDURE_DETAILS,
    agency_weight,
    is_reformed,
    late_propensity,
    procedures_for,
    remote_offset,
)


# Top-level date fields of a record (the supplement list carries three more).
DATE_FIELDS = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayCapNhat")
SUPPLEMENT_DATE_FIELDS = ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi")

DATE_FORMAT = "%Y%m%d%H%M%S"
LEGACY_DATE_FORMAT = "%d/%m/%Y %H:%M:%S"
# Records of the agencies of these districts (the district People's Committee and its communes)
# submitted before this day come from their older system's format.
LEGACY_FORMAT_DISTRICTS = frozenset({"31", "38"})
LEGACY_FORMAT_AGENCIES = frozenset({"000.00.31.H03", "000.00.38.H03"})
LEGACY_FORMAT_BEFORE = date(2024, 10, 1)

DEFAULT_SCALE = 800
DEFAULT_START, DEFAULT_END = date(2024, 7, 1), date(2025, 1, 1)
# No event of a dossier falls later than this many days after its submission (tests check it).
MAX_LIFETIME_DAYS = 250

# Province trend of the online-remote share of accepted dossiers: (months since January 2024, share).
REMOTE_TREND = ((0, 0.44), (6, 0.585), (11, 0.70), (23, 0.80))
STAFF_KEYED_SHARE = 0.08  # online dossiers keyed by staff, on top of the remote share
CLOSED_DAY_FACTOR = 0.04  # volume of a closed day (online only) relative to an ordinary working day
WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.9, 0.7, 0.7)  # Monday..Sunday (weekend: make-up Saturdays)
MONTH_FACTOR = {1: 1.05, 2: 0.85, 3: 1.0, 4: 0.95, 5: 1.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 0.95, 10: 1.05,
                11: 1.05, 12: 1.1}
# Lunar New Year's day; the working days just before and after it are quiet (the Tết dip).
TET = {2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
       2027: date(2027, 2, 6)}
TET_BEFORE, TET_AFTER = (10, 0.6), (12, 0.45)

OFFICE_OPEN, OFFICE_CLOSE = time(7, 30), time(17, 0)
DUE_TIME = time(17, 0)
RESULT_LINK = "https://dichvucong.baria-vungtau.gov.vn/ketqua/{code}/{n}.pdf"
RESULT_LINK_HCMC = "https://dichvucong.hochiminhcity.gov.vn/ketqua/{code}/{n}.pdf"

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
           "Ngô", "Dương", "Lý"]
_MIDDLE_MALE = ["Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Hoàng"]
_MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Mỹ", "Kim", "Hồng"]
_GIVEN_MALE = ["An", "Bình", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tuấn", "Thắng",
               "Trung", "Việt", "Đạt"]
_GIVEN_FEMALE = ["Anh", "Châu", "Hà", "Hạnh", "Hương", "Lan", "Linh", "Mai", "Ngân", "Nhung", "Phương", "Tâm",
                 "Thảo", "Trang", "Vy", "Yến"]
_COMPANY_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân"]
_COMPANY_WORDS = ["Biển Xanh", "Cảng Sao Mai", "Dầu khí Phương Nam", "Du lịch Bãi Sau", "Hải sản Côn Đảo",
                  "Thương mại Vũng Tàu", "Xây dựng Long Sơn", "Vận tải Thắng Tam", "Kỹ thuật Biển Đông",
                  "Nông sản Bà Rịa", "Khách sạn Hoa Biển", "Logistics Cái Mép", "Cơ khí Rạch Dừa", "Gốm Long Điền"]
# CCCD prefixes: province of birth registration (077 Bà Rịa - Vũng Tàu, then neighbours and big cities).
_BIRTH_PROVINCES = (["077"] * 14) + ["079", "079", "075", "001", "040", "052"]
_PHONE_PREFIXES = ["090", "091", "093", "094", "097", "098", "032", "033", "034", "035", "036", "037", "038",
                   "039", "070", "076", "077", "078", "079"]


def uses_legacy_date_format(ma_ho_so: str) -> bool:
    """True when the record with this code writes its dates as `dd/MM/yyyy HH:mm:ss`.

    Decided from the code alone (`<agency>-<yymmdd>-<seq>`), so the rule can be checked anywhere.
    """
    agency, _, rest = ma_ho_so.partition("-")
    submitted = datetime.strptime(rest[:6], "%y%m%d").date()
    parts = agency.split(".")
    legacy_agency = len(parts) == 4 and parts[3] == "H03" and parts[2] in LEGACY_FORMAT_DISTRICTS
    return legacy_agency and submitted < LEGACY_FORMAT_BEFORE


def remote_share_target(day: date, agency_code: str, level: str | None = None) -> float:
    """Intended online-remote share of accepted dossiers for an agency in the month of `day`."""
    if level is None:
        level = next(a["level"] for a in AGENCIES if a["code"] == agency_code)
    return min(0.95, max(0.05, province_remote_trend(day) + remote_offset(agency_code, level)))


def province_remote_trend(day: date) -> float:
    """The province-wide planned online-remote share in the month of `day` (piecewise linear)."""
    m = (day.year - 2024) * 12 + day.month - 1
    points = REMOTE_TREND
    if m <= points[0][0]:
        return points[0][1]
    for (m0, s0), (m1, s1) in zip(points, points[1:]):
        if m <= m1:
            return s0 + (s1 - s0) * (m - m0) / (m1 - m0)
    return points[-1][1]


@lru_cache(maxsize=4096)
def day_factor(day: date) -> float:
    """Relative volume of one day: weekday, month, Tết; closed days get a trickle of online dossiers."""
    if not cal.is_working_day(day):
        return CLOSED_DAY_FACTOR
    factor = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month]
    for year in (day.year, day.year + 1):
        tet = TET.get(year)
        if tet is None:
            continue
        if tet - timedelta(days=TET_BEFORE[0]) <= day < tet:
            factor *= TET_BEFORE[1]
        elif tet <= day <= tet + timedelta(days=TET_AFTER[0]):
            factor *= TET_AFTER[1]
    return factor


# Sum of day factors over a reference year: `scale` dossiers a year = scale / this per unit factor.
_YEAR_UNITS = sum(day_factor(date(2024, 1, 1) + timedelta(days=i)) for i in range(366)) * 365 / 366


def expected_volume(day: date, scale: float) -> float:
    """Expected number of dossiers submitted on `day`, province-wide."""
    return scale * day_factor(day) / _YEAR_UNITS


def scale_for_total(total: int, start: date = DEFAULT_START, end: date = DEFAULT_END) -> float:
    """The `scale` whose expected number of dossiers submitted in [start, end) is `total`."""
    units = sum(day_factor(start + timedelta(days=i)) for i in range((end - start).days))
    return total * _YEAR_UNITS / units


@lru_cache(maxsize=64)
def _agencies_on(iso_day: str) -> tuple[tuple[dict, ...], tuple[float, ...]]:
    """The agency versions in force on a day and their cumulative weights (for weighted draws)."""
    versions = tuple(a for a in AGENCIES if a["validFrom"] <= iso_day and (a["validTo"] is None
                                                                            or iso_day <= a["validTo"]))
    cumulative, total = [], 0.0
    for a in versions:
        total += agency_weight(a["code"], a["validFrom"])
        cumulative.append(total)
    return versions, tuple(cumulative)


@lru_cache(maxsize=4096)
def _procedure_table(code: str, iso_day: str) -> tuple[tuple[dict, ...], tuple[float, ...]]:
    procs = procedures_for(code, date.fromisoformat(iso_day))
    cumulative, total = [], 0.0
    for p in procs:
        total += PROCEDURE_DETAILS[p["code"]]["weight"]
        cumulative.append(total)
    return tuple(procs), tuple(cumulative)


def _pick(rng: Random, items: tuple, cumulative: tuple[float, ...]):
    return items[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _poisson(rng: Random, lam: float) -> int:
    """Knuth's method for small rates, a rounded normal for large ones (both deterministic)."""
    if lam > 60:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class _Quota:
    """Error diffusion instead of coin flips: each key accumulates its probability and says yes
    whenever the sum passes 1. With only dozens of dossiers per month, coin flips would bury the
    planned month-to-month rise of the online share in noise; this keeps each day within one dossier
    of its plan. A quota lives for one day (days stay independent); its starting phase follows a
    low-discrepancy sequence over the days (golden-ratio steps), so that the days' rounding errors
    spread evenly and nearly cancel over a month instead of adding up like random phases would."""

    STEPS = {"online": 0.6180339887498949, "remote": 0.4142135623730951}

    def __init__(self, day: date):
        self.ordinal = day.toordinal()
        self.sums: dict[str, float] = {}

    def take(self, key: str, probability: float) -> bool:
        if key not in self.sums:
            self.sums[key] = (self.ordinal * self.STEPS[key]) % 1.0
        self.sums[key] += probability
        if self.sums[key] >= 1:
            self.sums[key] -= 1
            return True
        return False


# --- generation ------------------------------------------------------------------------------------------


@dataclass
class Story:
    """One dossier: its static record at submission and the events that change it afterwards."""

    code: str
    agency: str
    submitted: datetime
    base: dict
    events: list[tuple[datetime, dict]]

    @property
    def last_event(self) -> datetime:
        return self.events[-1][0] if self.events else self.submitted

    def project(self, as_of: datetime) -> tuple[datetime, dict]:
        """(NgayCapNhat as a datetime, the record as served at `as_of`)."""
        updated = self.submitted
        for moment, _ in self.events:
            if moment > as_of:
                break
            updated = moment
        return updated, _project(self.base, self.events, as_of, uses_legacy_date_format(self.code))


def day_stories(seed: int, day: date, scale: float = DEFAULT_SCALE) -> list[Story]:
    """Every dossier submitted on `day`, in (agency, submission time) order; depends on nothing else."""
    rng = Random(f"{seed}/{day.isoformat()}")
    iso = day.isoformat()
    versions, cumulative = _agencies_on(iso)
    if not versions:
        return []
    quota = _Quota(day)
    open_day = cal.is_working_day(day)
    trend = province_remote_trend(day)
    submissions = []
    for _ in range(_poisson(rng, expected_volume(day, scale))):
        agency = _pick(rng, versions, cumulative)
        target = min(0.95, max(0.05, trend + remote_offset(agency["code"], agency["level"])))
        if not open_day:
            noi = 1 if rng.random() < 0.8 else None
            channel = (2, noi, 2)
            submitted = _moment(rng, day, time(7, 0), time(22, 0))
        else:
            p_online = min(0.97, target + STAFF_KEYED_SHARE)
            if quota.take("online", p_online):
                remote = quota.take("remote", target / p_online)
                noi = (1 if rng.random() < 0.8 else None) if remote else 2
                channel = (2, noi, 2)
                submitted = _moment(rng, day, time(6, 0), time(23, 0))
            else:
                effective = 3 if rng.random() < 0.12 else 1
                kenh = None if effective == 1 and rng.random() < 0.1 else effective
                channel = (kenh, None, effective)
                submitted = _moment(rng, day, OFFICE_OPEN, time(16, 40))
        submissions.append((agency["code"], submitted, channel, agency))
    submissions.sort(key=lambda s: (s[0], s[1]))
    stories, seq, previous = [], 0, None
    applicants = _Applicants(seed, scale)
    edge = edge_cases.applies_to(seed, scale)
    for code, submitted, channel, agency in submissions:
        seq = seq + 1 if code == previous else 1
        previous = code
        dossier_code = f"{code}-{day:%y%m%d}-{seq:04d}"
        base, events = _story(rng, applicants, dossier_code, agency, day, iso, submitted, channel)
        if edge and dossier_code in edge_cases.EDGE_CASES:
            events = edge_cases.EDGE_CASES[dossier_code].rewrite(events, _results(base, agency, events))
        stories.append(Story(dossier_code, code, submitted, base, events))
    return stories


def _results(base: dict, agency: dict, events: list[tuple[datetime, dict]]) -> list[dict]:
    """The result documents of a dossier: those of its generated finish, else an electronic one."""
    for _, changes in events:
        if changes.get("DanhSachGiayToKetQua"):
            return [dict(r) for r in changes["DanhSachGiayToKetQua"]]
    link = RESULT_LINK_HCMC if is_reformed(agency) else RESULT_LINK
    return [{"TenGiayTo": PROCEDURE_DETAILS[base["MaTTHC"]]["result"],
             "DuongDanTepTinKetQua": link.format(code=base["MaHoSo"], n=1)}]


def iter_dossiers(
    seed: int = 2024,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    as_of: datetime | None = None,
    scale: float = DEFAULT_SCALE,
) -> Iterator[dict]:
    """`generate_dossiers`, streamed one day at a time (memory does not grow with the scale)."""
    as_of = to_local_naive(as_of) if as_of is not None else datetime.combine(end, time())
    day = start
    while day < end and day <= as_of.date():
        for story in day_stories(seed, day, scale):
            if story.submitted <= as_of:
                yield story.project(as_of)[1]
        day += timedelta(days=1)


def dossier_versions(
    seed: int = 2024,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    as_of: datetime | None = None,
    scale: float = DEFAULT_SCALE,
) -> Iterator[dict]:
    """Every version each dossier has been served in up to `as_of`: its record at submission and after
    each change (one per distinct event moment), i.e. the complete history the ground truth reads
    states in force at past instants from (`truth.DossierTruth`). Streamed one day at a time."""
    as_of = to_local_naive(as_of) if as_of is not None else datetime.combine(end, time())
    day = start
    while day < end and day <= as_of.date():
        for story in day_stories(seed, day, scale):
            if story.submitted > as_of:
                continue
            legacy = uses_legacy_date_format(story.code)
            moments = sorted({story.submitted} | {m for m, _ in story.events if m <= as_of})
            for moment in moments:
                yield _project(story.base, story.events, moment, legacy)
        day += timedelta(days=1)


def generate_dossiers(
    seed: int = 2024,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    as_of: datetime | None = None,
    scale: float = DEFAULT_SCALE,
) -> list[dict]:
    """Every dossier submitted in [start, end), in its state as of `as_of` (default: `end` 00:00 local).

    A naive `as_of` is Vietnam local time; an aware one is converted. Dossiers submitted after
    `as_of` are not returned. Order: submission day, agency code, sequence number. `scale`: expected
    dossiers per year province-wide (see the module doc); for big scales use `iter_dossiers`.
    """
    return list(iter_dossiers(seed, start, end, as_of, scale))


def window_dossiers(
    lo: datetime,
    hi: datetime,
    seed: int = 2024,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
    as_of: datetime | None = None,
    scale: float = DEFAULT_SCALE,
) -> list[tuple[datetime, str, dict]]:
    """(NgayCapNhat, MaHoSo, record) of every dossier whose `NgayCapNhat` at `as_of` lies in [lo, hi),
    sorted; generates only the submission days that can hold such a change (naive local times)."""
    as_of = to_local_naive(as_of) if as_of is not None else datetime.combine(end, time())
    first = max(start, lo.date() - timedelta(days=MAX_LIFETIME_DAYS))
    last = min(end - timedelta(days=1), hi.date(), as_of.date())
    out = []
    day = first
    while day <= last:
        for story in day_stories(seed, day, scale):
            if story.submitted > as_of or story.submitted >= hi:
                continue
            updated, record = (story.project(as_of))
            if lo <= updated < hi:
                out.append((updated, story.code, record))
        day += timedelta(days=1)
    out.sort(key=lambda row: (row[0], row[1]))
    return out


# --- applicants -----------------------------------------------------------------------------------


class _Applicants:
    """People and businesses drawn from a population that grows with the scale, each one built from
    its own seeded generator: the same person can come back on any day (same name, ID, phone)."""

    def __init__(self, seed: int, scale: float):
        self.seed = seed
        self.population = max(300, int(scale * 1.5))

    def person(self, kind: int, number: int) -> tuple[str, str, str | None]:
        rng = Random(f"{self.seed}/applicant/{kind}/{number}")
        if kind == 1:
            female = rng.random() < 0.5
            name = " ".join([
                rng.choice(_FAMILY),
                rng.choice(_MIDDLE_FEMALE if female else _MIDDLE_MALE),
                rng.choice(_GIVEN_FEMALE if female else _GIVEN_MALE),
            ])
            year = rng.randint(1950, 2005)
            century_sex = (0 if year < 2000 else 2) + int(female)
            ident = f"{rng.choice(_BIRTH_PROVINCES)}{century_sex}{year % 100:02d}{rng.randrange(10**6):06d}"
        else:
            name = f"{rng.choice(_COMPANY_FORMS)} {rng.choice(_COMPANY_WORDS)}"
            ident = f"35{rng.randrange(10**8):08d}"  # tax codes registered in the province start 35
        phone = None if rng.random() < 0.15 else f"{rng.choice(_PHONE_PREFIXES)}{rng.randrange(10**7):07d}"
        return name, ident, phone

    def pick(self, rng: Random, kind: int) -> tuple[str, str, str | None]:
        size = self.population if kind == 1 else max(100, self.population // 4)
        return self.person(kind, rng.randrange(size))


def _moment(rng: Random, day: date, lo: time, hi: time) -> datetime:
    """A random second of `day` in [lo, hi)."""
    start, stop = datetime.combine(day, lo), datetime.combine(day, hi)
    return start + timedelta(seconds=rng.randrange(int((stop - start).total_seconds())))


def _office_time(rng: Random, day: date, after: datetime | None = None) -> datetime:
    """A random office-hours moment on working day `day` (or the next one), strictly after `after`."""
    if after is not None and after.date() > day:
        day = after.date()
    while True:
        if cal.is_working_day(day):
            lo, hi = datetime.combine(day, OFFICE_OPEN), datetime.combine(day, OFFICE_CLOSE)
            if after is not None and after >= lo:
                lo = after + timedelta(minutes=1)
            if lo < hi:
                return lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))
        day = cal.add_working_days(day, 1)


def _soon(rng: Random, t: datetime, lo_minutes: int, hi_minutes: int) -> datetime:
    """`t` plus a few minutes if that is still in office hours of a working day, else next morning."""
    candidate = t + timedelta(minutes=rng.randint(lo_minutes, hi_minutes))
    if (
        cal.is_working_day(candidate.date())
        and candidate.date() == t.date()
        and OFFICE_OPEN <= candidate.time() < OFFICE_CLOSE
    ):
        return candidate
    return _morning(rng, cal.add_working_days(t.date(), 1))


def _morning(rng: Random, day: date) -> datetime:
    """Early office hours of working day `day` (or the next working day)."""
    if not cal.is_working_day(day):
        day = cal.add_working_days(day, 1)
    return _moment(rng, day, OFFICE_OPEN, time(10, 0))


# --- one dossier's story ----------------------------------------------------------------------------


def _story(
    rng: Random,
    applicants: _Applicants,
    code: str,
    agency: dict,
    day: date,
    iso_day: str,
    submitted: datetime,
    channel: tuple,
) -> tuple[dict, list[tuple[datetime, dict]]]:
    """The static record at submission and the time-ordered events that change it afterwards."""
    kenh, noi, effective = channel
    online = effective == 2
    agency_code = agency["code"]
    proc = _pick(rng, *_procedure_table(agency_code, iso_day))
    details = PROCEDURE_DETAILS[proc["code"]]
    kind = 2 if rng.random() < details["org_share"] else 1
    name, ident, phone = applicants.pick(rng, kind)

    copies = rng.randint(1, 6)
    fees = []
    for fee_name, counter_price, online_price in details["fees"]:
        price = online_price if online and online_price is not None else counter_price
        fees.append({"TenPhiLePhi": fee_name, "Gia": price * copies if details.get("per_copy") else price})
    paid_online = 0
    if online and any(f["Gia"] for f in fees) and rng.random() < 0.65:
        paid_online = 1 if rng.random() < 0.4 else 2
    n_docs = rng.randint(1, len(details["documents"]))
    documents = [
        {
            "TenTepDinhKem": doc,
            "DuocSoHoa": 1 if online or rng.random() < 0.6 else 0,
            "DuocLayTuKhoDMQG": 1 if rng.random() < 0.1 else 0,
        }
        for doc in details["documents"][:n_docs]
    ]
    base = {
        "MaHoSo": code,
        "MaTTHC": proc["code"],
        "MaDonViTiepNhan": agency_code,
        "KenhThucHien": kenh,
        "NoiNopHoSo": noi,
        "LoaiDoiTuong": kind,
        "ChuHoSo": name,
        "SoDinhDanh": ident,
        "SoDienThoai": phone,
        "NgayNopHoSo": submitted,
        "NgayTiepNhan": None,
        "NgayHenTra": None,
        "NgayKetThucXuLy": None,
        "NgayTra": None,
        "TrangThaiHoSo": 1,
        "DuocThanhToanTrucTuyen": paid_online,
        "DanhSachLePhi": fees,
        "TaiLieuNop": documents,
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [],
        "NgayCapNhat": submitted,
    }
    events: list[tuple[datetime, dict]] = []

    # Intake: at the counter it is immediate; post and online wait for the desk.
    if effective == 1:
        accepted = submitted + timedelta(minutes=rng.randint(3, 20))
    elif effective == 3:
        accepted = _office_time(rng, cal.add_working_days(day, rng.choice([1, 1, 2])))
    elif cal.is_working_day(day) and submitted.time() < time(15, 0) and rng.random() < 0.6:
        accepted = _soon(rng, max(submitted, datetime.combine(day, OFFICE_OPEN)), 15, 120)
    else:
        accepted = _morning(rng, cal.add_working_days(day, 2 if rng.random() < 0.1 else 1))
    # An agency that ends accepts its last dossiers itself, on its last day.
    valid_to = agency["validTo"]
    if valid_to is not None and accepted.date().isoformat() > valid_to:
        last_day = date.fromisoformat(valid_to)
        accepted = max(submitted + timedelta(minutes=1), datetime.combine(last_day, time(16, 50)))
    intake = rng.random()
    if intake < 0.025:  # never looked at: stays "submitted"
        return base, events
    if intake < 0.06:  # refused at intake; some systems still stamp the reception time
        events.append((accepted, {"TrangThaiHoSo": 3, "NgayTiepNhan": accepted if rng.random() < 0.35 else None}))
        return base, events

    due = datetime.combine(cal.add_working_days(accepted.date(), proc["processingTime"]), DUE_TIME)
    events.append((accepted, {"TrangThaiHoSo": 2, "NgayTiepNhan": accepted, "NgayHenTra": due}))
    # The handling officer picks it up within the hours, the next day, or (long procedures) the day after.
    wait = rng.random()
    if wait < 0.35:
        t = _soon(rng, accepted, 20, 120)
    else:
        later = rng.randint(2, 3) if wait >= 0.75 and proc["processingTime"] >= 5 else 1
        t = _morning(rng, cal.add_working_days(accepted.date(), later))
    events.append((t, {"TrangThaiHoSo": 4}))

    # Supplement requests pause the clock: the new appointment moves by the days the applicant took.
    effective_due = due
    supplements: list[dict] = []
    r = rng.random()
    for _ in range(2 if r < 0.03 else 1 if r < 0.15 else 0):
        window = len(cal.working_days(t.date(), effective_due.date()))
        requested = _office_time(rng, cal.add_working_days(t.date(), rng.randint(0, max(0, window - 1))), after=t)
        supplements.append({"NgayBoSung": requested, "NgayTiepNhanBoSung": None, "NgayHenTraMoi": None})
        events.append((requested, {"TrangThaiHoSo": 5, "DanhSachHoSoBoSung": [dict(s) for s in supplements]}))
        if rng.random() < 0.12:  # the applicant never comes back: stopped after 15 working days
            stopped = _office_time(rng, cal.add_working_days(requested.date(), 15))
            events.append((stopped, {"TrangThaiHoSo": 8, "NgayKetThucXuLy": stopped}))
            return base, events
        took = rng.randint(1, 10)
        received = _office_time(rng, cal.add_working_days(requested.date(), took))
        effective_due = datetime.combine(cal.add_working_days(effective_due.date(), took), DUE_TIME)
        supplements[-1].update(NgayTiepNhanBoSung=received, NgayHenTraMoi=effective_due)
        events.append((received, {"TrangThaiHoSo": 4, "DanhSachHoSoBoSung": [dict(s) for s in supplements]}))
        t = received

    # Payment of fees or taxes requested (status 6): does not move the appointment.
    if proc["hasFee"] and rng.random() < 0.2:
        requested = _office_time(rng, cal.add_working_days(t.date(), rng.randint(0, 1)), after=t)
        events.append((requested, {"TrangThaiHoSo": 6}))
        if rng.random() < 0.1:  # never paid: stopped after 20 working days
            stopped = _office_time(rng, cal.add_working_days(requested.date(), 20))
            events.append((stopped, {"TrangThaiHoSo": 8, "NgayKetThucXuLy": stopped}))
            return base, events
        t = _office_time(rng, cal.add_working_days(requested.date(), rng.randint(1, 8)))
        events.append((t, {"TrangThaiHoSo": 4}))

    outcome = rng.random()
    if outcome < 0.04:  # withdrawn by the applicant (7) or stopped as ineligible (8)
        ended = _office_time(rng, cal.add_working_days(t.date(), rng.randint(0, 3)), after=t)
        events.append((ended, {"TrangThaiHoSo": 7 if outcome < 0.02 else 8, "NgayKetThucXuLy": ended}))
        return base, events

    # Finish early (a calendar day before the due day), on the due day, or late (agency-specific share).
    due_day, pace, finished = effective_due.date(), rng.random(), None
    late_share = late_propensity(agency_code)
    if pace < 0.5 * (1 - late_share):
        early_days = cal.working_days(t.date(), due_day)
        if early_days:
            finished = _office_time(rng, rng.choice(early_days), after=t)
    if pace < 1 - late_share and finished is None:
        finished = _office_time(rng, due_day, after=t)
    if finished is None:  # late: most by a few days, some stall for weeks
        overrun = rng.randint(1, 6) if rng.random() < 0.8 else rng.randint(10, 40)
        finished = _office_time(rng, cal.add_working_days(due_day, overrun), after=t)
    electronic = not proc["paperResult"] or rng.random() < (0.75 if online else 0.15)
    link = RESULT_LINK_HCMC if is_reformed(agency) else RESULT_LINK
    results = [{
        "TenGiayTo": details["result"],
        "DuongDanTepTinKetQua": link.format(code=code, n=1) if electronic else None,
    }]
    events.append((finished, {"TrangThaiHoSo": 9, "NgayKetThucXuLy": finished, "DanhSachGiayToKetQua": results}))

    if rng.random() < 0.85:  # result handed over (an e-result to an online applicant goes at once)
        if electronic and online and rng.random() < 0.8:
            returned = finished + timedelta(minutes=rng.randint(5, 90))
        else:
            returned = _office_time(rng, cal.add_working_days(finished.date(), rng.randint(0, 3)), after=finished)
        events.append((returned, {"TrangThaiHoSo": 10, "NgayTra": returned}))
    return base, events


# --- projection to an as-of moment and serialisation ---------------------------------------------------


def _project(base: dict, events: list[tuple[datetime, dict]], as_of: datetime, legacy: bool) -> dict:
    """The record as the API shows it at `as_of`: visible events applied, dates formatted."""
    record = dict(base)
    for moment, changes in events:
        if moment > as_of:
            break
        record.update(changes)
        record["NgayCapNhat"] = moment
    fmt = LEGACY_DATE_FORMAT if legacy else DATE_FORMAT
    for key in DATE_FIELDS:
        if record[key] is not None:
            record[key] = record[key].strftime(fmt)
    record["DanhSachHoSoBoSung"] = [
        {k: (s[k].strftime(fmt) if s[k] is not None else None) for k in SUPPLEMENT_DATE_FIELDS}
        for s in record["DanhSachHoSoBoSung"]
    ]
    # Copy the nested lists so that callers (and fault injection) never share them between records.
    for key in ("DanhSachLePhi", "TaiLieuNop", "DanhSachGiayToKetQua"):
        record[key] = [dict(item) for item in record[key]]
    return record


def to_local_naive(moment: datetime | date) -> datetime:
    """Vietnam local wall time without tzinfo (naive input is taken as local already)."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time())
    return local_naive(moment)
