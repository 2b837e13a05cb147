"""The report's two sections of issue 13, from schema `marts` only (read with the report's ioc_reader
connection): the agencies' monthly progress reports (breakthrough 1, kpi_agency_reports_monthly) and
the citizen accounts with the repeat applicants moving online (breakthrough 3,
kpi_citizen_accounts_monthly). The page of month M shows the reports ON month M (filed in M+1, due
before the 10th) and the accounts at the end of M. No formula of the marts is redone here.
"""

from __future__ import annotations

from datetime import date

from ioc_pipeline.report import fmt

AGENCY_REPORTS_SQL = """
    select month, scope, scope_code, agencies_expected, reports_sent, reports_sent_on_time, reports_late,
           reports_missing, on_time_rate, report_deadline, is_final, agency_name
      from marts.kpi_agency_reports_monthly order by month, scope, scope_code"""

CITIZEN_ACCOUNTS_SQL = """
    select month, scope, scope_code, accounts_new, accounts_total, accounts_verified, verified_share,
           repeat_applicants, repeat_applicants_online_remote, repeat_online_remote_share
      from marts.kpi_citizen_accounts_monthly order by month, scope, scope_code"""

_LEVEL_ORDER = list(fmt.LEVEL_LABELS)


def _levels(rows: list[dict]) -> list[dict]:
    return sorted((r for r in rows if r["scope"] == "level"),
                  key=lambda r: _LEVEL_ORDER.index(r["scope_code"]) if r["scope_code"] in _LEVEL_ORDER else 9)


def agency_reports_view(rows: list[dict], month: date, names) -> dict | None:
    """The month's reports: the province and each level, and the agencies late or missing."""
    this_month = [r for r in rows if r["month"] == month]
    province = next((r for r in this_month if r["scope"] == "province"), None)
    if province is None:
        return None

    def line(r: dict, label: str) -> dict:
        return {"code": r["scope_code"], "label": label, "expected": fmt.number(r["agencies_expected"]),
                "on_time": fmt.number(r["reports_sent_on_time"]), "late": fmt.number(r["reports_late"]),
                "missing": fmt.number(r["reports_missing"]), "rate": fmt.pct(r["on_time_rate"])}

    late_or_missing = []
    for r in this_month:
        if r["scope"] != "agency" or not (r["reports_late"] or r["reports_missing"]):
            continue
        late_or_missing.append({
            "code": r["scope_code"], "label": r["agency_name"] or names.name(r["scope_code"], month),
            "level": fmt.LEVEL_LABELS.get(names.level(r["scope_code"], month), fmt.NONE),
            "state": "Trễ hạn" if r["reports_late"] else "Chưa gửi", "late": bool(r["reports_late"])})
    late_or_missing.sort(key=lambda a: (a["late"], a["label"]))
    deadline = province["report_deadline"].astimezone(fmt.VN).date()
    return {
        "province": line(province, "Toàn tỉnh"),
        "levels": [line(r, fmt.LEVEL_LABELS.get(r["scope_code"], r["scope_code"])) for r in _levels(this_month)],
        "agencies": late_or_missing,
        "deadline": fmt.day(deadline),
        "is_final": province["is_final"],
    }


def citizen_accounts_view(rows: list[dict], month: date) -> dict | None:
    """The month's accounts and repeat applicants, for the province and each level."""
    this_month = [r for r in rows if r["month"] == month]
    province = next((r for r in this_month if r["scope"] == "province"), None)
    if province is None:
        return None

    def line(r: dict, label: str) -> dict:
        return {"code": r["scope_code"], "label": label, "new": fmt.number(r["accounts_new"]),
                "total": fmt.number(r["accounts_total"]), "verified": fmt.number(r["accounts_verified"]),
                "verified_share": fmt.pct(r["verified_share"]), "repeat": fmt.number(r["repeat_applicants"]),
                "repeat_remote": fmt.number(r["repeat_applicants_online_remote"]),
                "repeat_share": fmt.pct(r["repeat_online_remote_share"])}

    return {"province": line(province, "Toàn tỉnh"),
            "levels": [line(r, fmt.LEVEL_LABELS.get(r["scope_code"], r["scope_code"])) for r in _levels(this_month)]}
