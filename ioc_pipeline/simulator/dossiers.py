"""Seeded generation of one-stop-shop dossiers, as the dossier API returns them.

Why it is built this way:

- Each dossier is generated as a *story*: its static content (applicant, channel, fees, documents)
  plus a time-ordered list of events, each event being the fields it changes. The record served is
  the story *projected* to an as-of moment: only events up to `as_of` are applied and `NgayCapNhat`
  is the time of the last one applied. So nothing after `as_of` can leak, and two runs with the
  same seed but different `as_of` describe the same world at two moments (a dossier open on one
  day is finished on a later one, with the same code and dates).
- All randomness comes from one `random.Random(seed)` consumed in a fixed order (days, then agencies
  sorted by code), and no draw depends on `as_of`: the same seed gives byte-identical records.
- Records use exactly the field names and types of `shared/contracts/sources.md` §1. Dates are
  strings `yyyyMMddHHmmss`, except for the "older records" the contract warns about: every record
  of the two district-level agencies submitted before 1 October 2024 uses `dd/MM/yyyy HH:mm:ss`
  in all its date fields (`uses_legacy_date_format`).
- Volumes and shares are tuned to look like a small province in the second half of 2024: a few
  hundred dossiers, an online-remote share of accepted dossiers planned to rise from 55 % in July
  to 72 % in December (per agency, with offsets), some refusals, supplements, payment waits, early /
  on-time / late finishes, withdrawals and stops, and dossiers still open at the end. Channels are
  drawn by error diffusion (`_Quota`), not coin flips, so that the planned rise shows through
  with only dozens of dossiers a month; weekend dossiers (online only) add a point or two.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from random import Random

from . import calendar as cal
from .world import AGENCY_ACTIVITY, PROCEDURE_DETAILS, agency_codes, procedures_for

VN_TZ = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

# Top-level date fields of a record (the supplement list carries three more).
DATE_FIELDS = ("NgayNopHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayCapNhat")
SUPPLEMENT_DATE_FIELDS = ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraMoi")

DATE_FORMAT = "%Y%m%d%H%M%S"
LEGACY_DATE_FORMAT = "%d/%m/%Y %H:%M:%S"
# Records of these agencies submitted before this day come from their older system's format.
LEGACY_FORMAT_AGENCIES = frozenset({"000.00.31.H03", "000.00.38.H03"})
LEGACY_FORMAT_BEFORE = date(2024, 10, 1)

# Online-remote share of accepted dossiers, province-wide trend: July 2024 → December 2024.
REMOTE_SHARE_JULY, REMOTE_SHARE_DECEMBER = 0.55, 0.72
# On a day the offices are closed, each agency gets one online dossier with this probability.
CLOSED_DAY_ONLINE_PROBABILITY = 0.04

OFFICE_OPEN, OFFICE_CLOSE = time(7, 30), time(17, 0)
DUE_TIME = time(17, 0)
RESULT_LINK = "https://dichvucong.baria-vungtau.gov.vn/ketqua/{code}/{n}.pdf"

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
    return agency in LEGACY_FORMAT_AGENCIES and submitted < LEGACY_FORMAT_BEFORE


def remote_share_target(day: date, agency_code: str) -> float:
    """Intended online-remote share of accepted dossiers for an agency in the month of `day`."""
    months = (day.year - 2024) * 12 + day.month - 7
    trend = REMOTE_SHARE_JULY + (REMOTE_SHARE_DECEMBER - REMOTE_SHARE_JULY) * min(max(months, 0), 5) / 5
    return min(0.95, max(0.05, trend + AGENCY_ACTIVITY[agency_code][1]))


def generate_dossiers(
    seed: int = 2024,
    start: date = date(2024, 7, 1),
    end: date = date(2025, 1, 1),
    as_of: datetime | None = None,
) -> list[dict]:
    """Every dossier submitted in [start, end), in its state as of `as_of` (default: `end` 00:00 local).

    A naive `as_of` is Vietnam local time; an aware one is converted. Dossiers submitted after
    `as_of` are not returned. Order: submission day, agency code, sequence number.
    """
    as_of = to_local_naive(as_of) if as_of is not None else datetime.combine(end, time())
    rng = Random(seed)
    applicants = _ApplicantPool(rng)
    quota = _Quota(rng)
    records = []
    day = start
    while day < end:
        for agency in agency_codes():
            for seq, (submitted, channel) in enumerate(_submissions(rng, quota, agency, day), start=1):
                code = f"{agency}-{day:%y%m%d}-{seq:04d}"
                base, events = _story(rng, applicants, code, agency, day, submitted, channel)
                if submitted <= as_of:
                    records.append(_project(base, events, as_of, uses_legacy_date_format(code)))
        day += timedelta(days=1)
    return records


# --- submissions -------------------------------------------------------------------------------


def _submissions(rng: Random, quota: "_Quota", agency: str, day: date) -> list[tuple[datetime, tuple]]:
    """The (submission time, channel) of the dossiers one agency receives on one day, time-sorted.

    `channel` is (KenhThucHien as served, NoiNopHoSo as served, effective channel 1/2/3). Whether a
    dossier is online, and online remote, is decided by `quota` rather than by a coin flip.
    """
    out = []
    if cal.is_working_day(day):
        for _ in range(_poisson(rng, AGENCY_ACTIVITY[agency][0])):
            target = remote_share_target(day, agency)
            p_online = min(0.95, target + 0.10)
            if quota.take((agency, "online"), p_online):
                remote = quota.take((agency, "remote"), target / p_online)
                noi = (1 if rng.random() < 0.8 else None) if remote else 2
                kenh, effective = 2, 2
                submitted = _moment(rng, day, time(6, 0), time(23, 0))
            else:
                effective = 3 if rng.random() < 0.12 else 1
                kenh = None if effective == 1 and rng.random() < 0.1 else effective
                noi = None
                submitted = _moment(rng, day, OFFICE_OPEN, time(16, 40))
            out.append((submitted, (kenh, noi, effective)))
    elif rng.random() < CLOSED_DAY_ONLINE_PROBABILITY:
        noi = 1 if rng.random() < 0.8 else None
        out.append((_moment(rng, day, time(7, 0), time(22, 0)), (2, noi, 2)))
    out.sort(key=lambda s: s[0])
    return out


class _Quota:
    """Error diffusion instead of coin flips: each key accumulates its probability and says yes
    whenever the sum passes 1. With only dozens of dossiers per agency and month, coin flips would
    bury the planned month-to-month rise of the online share in noise; this keeps every agency
    within one dossier of its plan. Each key starts at a random phase, so agencies differ."""

    def __init__(self, rng: Random):
        self.rng = rng
        self.sums: dict[tuple, float] = {}

    def take(self, key: tuple, probability: float) -> bool:
        if key not in self.sums:
            self.sums[key] = self.rng.random()
        self.sums[key] += probability
        if self.sums[key] >= 1:
            self.sums[key] -= 1
            return True
        return False


def _poisson(rng: Random, lam: float) -> int:
    """Knuth's method; fine for the small rates used here."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


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


# --- applicants -----------------------------------------------------------------------------------


class _ApplicantPool:
    """Makes applicants, and sometimes hands back an earlier one (people come back)."""

    REUSE = 0.15

    def __init__(self, rng: Random):
        self.rng = rng
        self.seen: dict[int, list[tuple[str, str, str | None]]] = {1: [], 2: []}

    def pick(self, kind: int) -> tuple[str, str, str | None]:
        rng = self.rng
        if self.seen[kind] and rng.random() < self.REUSE:
            return rng.choice(self.seen[kind])
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
        applicant = (name, ident, phone)
        self.seen[kind].append(applicant)
        return applicant


# --- one dossier's story ----------------------------------------------------------------------------


def _story(
    rng: Random,
    applicants: _ApplicantPool,
    code: str,
    agency: str,
    day: date,
    submitted: datetime,
    channel: tuple,
) -> tuple[dict, list[tuple[datetime, dict]]]:
    """The static record at submission and the time-ordered events that change it afterwards."""
    kenh, noi, effective = channel
    online = effective == 2
    procs = procedures_for(agency)
    proc = rng.choices(procs, weights=[PROCEDURE_DETAILS[p["code"]]["weight"] for p in procs])[0]
    details = PROCEDURE_DETAILS[proc["code"]]
    kind = 2 if rng.random() < details["org_share"] else 1
    name, ident, phone = applicants.pick(kind)

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
        "MaDonViTiepNhan": agency,
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

    # Finish early (a calendar day before the due day), on the due day, or late.
    due_day, pace, finished = effective_due.date(), rng.random(), None
    if pace < 0.5:
        early_days = cal.working_days(t.date(), due_day)
        if early_days:
            finished = _office_time(rng, rng.choice(early_days), after=t)
    if pace < 0.88 and finished is None:
        finished = _office_time(rng, due_day, after=t)
    if finished is None:  # late: most by a few days, some stall for weeks
        overrun = rng.randint(1, 6) if rng.random() < 0.8 else rng.randint(10, 40)
        finished = _office_time(rng, cal.add_working_days(due_day, overrun), after=t)
    electronic = not proc["paperResult"] or rng.random() < (0.75 if online else 0.15)
    results = [{
        "TenGiayTo": details["result"],
        "DuongDanTepTinKetQua": RESULT_LINK.format(code=code, n=1) if electronic else None,
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
    if moment.tzinfo is not None:
        return moment.astimezone(VN_TZ).replace(tzinfo=None)
    return moment
