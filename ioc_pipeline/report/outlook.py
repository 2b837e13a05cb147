"""Two sections of the leaders' report added by issue 13 (items 2 and 5), read from schema `marts`:

- the fee-reduced procedures online (`kpi_fee_reduced_online_monthly`): each month, the online-remote
  uptake of the procedures whose fee is lower online, beside every procedure, for the province,
  each level and each agency with such dossiers;
- the month-end forecast (`kpi_forecast_month_end`): the rows of the run's as-of day (the month in
  progress then), each with its interval, target and verdict. It is a "now" snapshot like the
  watchlist, so it goes on the same page (the latest reported month begun by the as-of day).

Nothing is recomputed: every figure is a mart value, formatted (fmt).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ioc_pipeline.report import fmt

FEE_REDUCED_QUERY = """
    select month, scope, scope_code, procedure_group, dossiers_accepted, dossiers_online,
           dossiers_online_remote, online_remote_rate, share_of_accepted
      from marts.kpi_fee_reduced_online_monthly
     order by month, scope, scope_code, procedure_group"""

FORECAST_QUERY = """
    select as_of_date, month, indicator_code, indicator_name, unit, operator, days_remaining,
           working_days_remaining, value_to_date, dossiers_accepted_to_date, dossiers_online_remote_to_date,
           last_report_month, reference_months, projected, projected_low, projected_high, target,
           verdict, verdict_label, will_meet_target
      from marts.kpi_forecast_month_end
     where is_run_as_of
     order by indicator_code"""

# The forecast's verdicts (marts.kpi_forecast_month_end.verdict) as the report's status colours.
VERDICT_STATUS = {"will_meet": "dat", "at_risk": "warn", "will_miss": "chua_dat", "no_target": "khong_co_chi_tieu",
                  "no_basis": "none"}
FORECAST_ORDER = ["b3_online_remote_rate", "b2_5g_on_air_all", "b2_5g_on_air_viettel", "b2_5g_on_air_vnpt"]


def _value(value, unit: str) -> str:
    """A forecast figure in its unit: a rate as a percentage; stations with one decimal when the
    projection is not whole (a mean growth), else as a count."""
    if unit == "ty_le":
        return fmt.pct(value)
    if value is None:
        return fmt.NONE
    whole = Decimal(str(value)) == Decimal(str(value)).to_integral_value()
    return fmt.number(value) if whole else fmt.number(value, 1)


def fee_reduced_view(rows: list[dict], month: date, agency_name) -> dict:
    """The month's fee-reduced rows beside the all-procedure rows, per scope: province, levels, then
    the agencies that accepted a fee-reduced dossier (highest online-remote rate first)."""
    by_scope: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["month"] == month:
            by_scope.setdefault((r["scope"], r["scope_code"]), {})[r["procedure_group"]] = r

    def line(scope: str, code: str, label: str) -> dict | None:
        groups = by_scope.get((scope, code), {})
        fee, every = groups.get("fee_reduced"), groups.get("all")
        if fee is None or every is None:
            return None
        return {
            "scope": scope, "code": code, "label": label,
            "fee_accepted": fmt.number(fee["dossiers_accepted"]), "fee_remote": fmt.number(fee["dossiers_online_remote"]),
            "fee_rate": fmt.pct(fee["online_remote_rate"]), "fee_rate_value": fee["online_remote_rate"],
            "all_accepted": fmt.number(every["dossiers_accepted"]), "all_remote": fmt.number(every["dossiers_online_remote"]),
            "all_rate": fmt.pct(every["online_remote_rate"]),
            "share": fmt.pct(fee["share_of_accepted"]),
            "fee_n": fee["dossiers_accepted"] or 0,
        }

    province = line("province", "province", "Toàn tỉnh")
    levels = [x for x in (line("level", code, label) for code, label in fmt.LEVEL_LABELS.items()) if x]
    agencies = [x for x in (line("agency", code, agency_name(code)) for scope, code in by_scope if scope == "agency")
                if x and x["fee_n"]]
    agencies.sort(key=lambda a: (-(a["fee_rate_value"] or 0), -a["fee_n"], a["label"]))
    return {"province": province, "levels": levels, "agencies": agencies}


def forecast_view(rows: list[dict]) -> dict | None:
    """The forecast rows of the run's as-of day, the online-remote rate first, then 5G (all,
    Viettel, VNPT); None when the mart has none."""
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: (FORECAST_ORDER.index(r["indicator_code"])
                                       if r["indicator_code"] in FORECAST_ORDER else len(FORECAST_ORDER),
                                       r["indicator_code"]))
    first = rows[0]
    lines = []
    for r in rows:
        unit = r["unit"]
        if r["indicator_code"].startswith("b3_"):
            basis = (f"{fmt.number(r['dossiers_online_remote_to_date'])}/{fmt.number(r['dossiers_accepted_to_date'])}"
                     f" hồ sơ từ đầu tháng")
        else:
            basis = (f"báo cáo tháng {fmt.month_short(r['last_report_month'])}"
                     if r["last_report_month"] else fmt.NONE)
        lines.append({
            "code": r["indicator_code"], "name": r["indicator_name"],
            "to_date": _value(r["value_to_date"], unit), "basis": basis,
            "projected": _value(r["projected"], unit),
            "low": _value(r["projected_low"], unit), "high": _value(r["projected_high"], unit),
            "has_interval": r["projected_low"] is not None,
            "target": _value(r["target"], unit) if r["target"] is not None else fmt.NONE,
            "verdict": r["verdict"], "verdict_label": r["verdict_label"] or r["verdict"],
            "status": VERDICT_STATUS.get(r["verdict"], "khong_co_chi_tieu"),
            "references": r["reference_months"],
        })
    return {
        "as_of": fmt.day(first["as_of_date"]), "month_label": fmt.month_label(first["month"]),
        "days_remaining": fmt.number(first["days_remaining"]),
        "working_days_remaining": fmt.number(first["working_days_remaining"]),
        "rows": lines,
    }
