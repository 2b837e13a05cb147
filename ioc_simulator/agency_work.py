"""Two more simulated feeds of issue 13, each deterministic from the seed:

- the agencies' monthly progress reports filed in the "Điều hành công việc" app (served on the
  one-stop-shop host: `GET /api/v1/congviec/baocao?month=YYYYMM`, docs/contracts/sources.md §4);
- the citizen accounts of the national public-service portal per agency and month (served by the
  portal: `POST /api/v1/reporting/accounts`, sources.md §5).

A report has a story: a draft is started early in the next month, sent (most before the 10th, some
after), sometimes returned for revision and then re-sent (or not); a few agencies never send, a few
keep a draft. What is served is the state of each report at the simulator's "now" (`as_of`): the
latest event at or before it, `NgayCapNhat` = that event's time. An agency files a report for every
month in which one of its versions is in force (at least one day).

Accounts are cumulative stocks per agency: `accountsTotal` and `accountsVerified` (linked to VNeID)
at the month's end, `accountsNew` opened during the month; the same month always gives the same
numbers, and the total of a month is the previous month's total plus the month's new accounts.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from random import Random

from .world import AGENCIES

DATE_FORMAT = "%Y%m%d%H%M%S"
ACCOUNTS_ORIGIN = date(2024, 1, 1)  # the month the simulated stocks start from

DRAFT, SENT, RETURNED = 1, 2, 3


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def agencies_in_month(month: date) -> list[dict]:
    """For each agency with a version in force on some day of `month`: its latest such version."""
    first, after = month.isoformat(), _next_month(month).isoformat()
    chosen: dict[str, dict] = {}
    for version in AGENCIES:
        if version["validFrom"] < after and (version["validTo"] is None or version["validTo"] >= first):
            if version["code"] not in chosen or version["validFrom"] > chosen[version["code"]]["validFrom"]:
                chosen[version["code"]] = version
    return [chosen[code] for code in sorted(chosen)]


# --- the agencies' monthly progress reports --------------------------------------------------------


def _office_moment(rng: Random, day: date) -> datetime:
    return datetime.combine(day, time(7, 30)) + timedelta(seconds=rng.randrange(10 * 3600))


def report_events(seed: int, agency_code: str, month: date) -> list[tuple[datetime, int, datetime | None]]:
    """(when, TrangThai, NgayGui) of every change of the agency's report for `month`, in order."""
    rng = Random(f"{seed}/baocao/{agency_code}/{month:%Y%m}")
    after = _next_month(month)
    kind = rng.random()
    if kind < 0.05:
        return []  # never even started
    draft_at = _office_moment(rng, after + timedelta(days=rng.randrange(0, 6)))
    events: list[tuple[datetime, int, datetime | None]] = [(draft_at, DRAFT, None)]
    if kind < 0.10:
        return events  # a draft that is never sent
    on_time = rng.random() < 0.78
    send_day = after + timedelta(days=rng.randrange(max(0, (draft_at.date() - after).days), 9) if on_time
                                 else rng.randrange(9, 25))
    sent_at = max(_office_moment(rng, send_day), draft_at + timedelta(minutes=30))
    events.append((sent_at, SENT, sent_at))
    if rng.random() < 0.12:  # returned for revision
        returned_at = _office_moment(rng, sent_at.date() + timedelta(days=rng.randrange(1, 4)))
        events.append((returned_at, RETURNED, sent_at))
        if rng.random() < 0.7:  # and sent again
            resent_at = _office_moment(rng, returned_at.date() + timedelta(days=rng.randrange(1, 5)))
            events.append((resent_at, SENT, resent_at))
    return events


def agency_reports(seed: int, month: date, as_of: datetime) -> list[dict]:
    """The reports of `month` as served at `as_of` (naive Vietnam time), ordered by MaDonVi."""
    items = []
    for version in agencies_in_month(month):
        seen = [event for event in report_events(seed, version["code"], month) if event[0] <= as_of]
        if not seen:
            continue
        changed_at, status, sent_at = seen[-1]
        items.append({
            "MaDonVi": version["code"],
            "KyBaoCao": f"{month:%Y%m}",
            "NgayGui": sent_at.strftime(DATE_FORMAT) if sent_at is not None else None,
            "TrangThai": status,
            "NgayCapNhat": changed_at.strftime(DATE_FORMAT),
        })
    return items


# --- citizen accounts ---------------------------------------------------------------------------------

_NEW_RANGE = {"TINH": (2, 25), "HUYEN": (15, 90), "XA": (30, 220)}
_BASE_RANGE = {"TINH": (50, 400), "HUYEN": (400, 2500), "XA": (800, 6000)}


def _verified_share(month: date) -> float:
    """Province-wide share of accounts linked to VNeID, rising through the period."""
    months = (month.year - ACCOUNTS_ORIGIN.year) * 12 + month.month - ACCOUNTS_ORIGIN.month
    return min(0.95, 0.55 + 0.025 * max(months, 0))


def account_figures(seed: int, agency_code: str, level: str, month: date) -> dict:
    """One agency's item for `month`."""
    base = Random(f"{seed}/accounts/{agency_code}").randint(*_BASE_RANGE[level])
    total, new, current = base, 0, min(month, ACCOUNTS_ORIGIN)
    while current <= month:
        new = Random(f"{seed}/accounts/{agency_code}/{current:%Y%m}").randint(*_NEW_RANGE[level])
        total += new
        current = _next_month(current)
    trait = Random(f"{seed}/accounts/{agency_code}/verified").uniform(-0.08, 0.04)
    verified = min(total, int(total * max(0.0, _verified_share(month) + trait)))
    return {"departmentCode": agency_code, "accountsNew": new, "accountsTotal": total, "accountsVerified": verified}


def citizen_accounts(seed: int, month: date) -> list[dict]:
    """Every agency's account figures for `month`, ordered by departmentCode."""
    return [account_figures(seed, version["code"], version["level"], month) for version in agencies_in_month(month)]


# --- faults (Faults.bad_work_records) ---------------------------------------------------------------------

_REPORT_DAMAGE = (
    ("TrangThai", 9),                         # not a report status
    ("NgayGui", "31/02/2024 08:00:00"),       # an impossible day
    ("KyBaoCao", "2024-09"),                  # not YYYYMM
)


def damage_reports(items: list[dict], count: int) -> list[dict]:
    """The first `count` items damaged, one way after the other (`_REPORT_DAMAGE`, in turn)."""
    out = [dict(item) for item in items]
    for index, item in enumerate(out[:count]):
        field_name, value = _REPORT_DAMAGE[index % len(_REPORT_DAMAGE)]
        item[field_name] = value
        if field_name == "NgayGui":
            item["TrangThai"] = SENT
    return out


def damage_accounts(items: list[dict], count: int) -> list[dict]:
    """The first `count` items damaged: more verified accounts than accounts, then a negative count."""
    out = [dict(item) for item in items]
    for index, item in enumerate(out[:count]):
        if index % 2 == 0:
            item["accountsVerified"] = item["accountsTotal"] + 1
        else:
            item["accountsNew"] = -1
    return out
